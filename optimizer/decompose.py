"""Decomposition of a very large day into regions solved one after another.

A day of thousands of orders is split into parts of about `part_orders` orders, each with
the technicians based there: technicians are grouped around far-apart seeds by travel
time from their first shift's start, and each order goes to the part of its nearest
qualified technician. Orders tied by `after` or `linked` stay together, as do pinned orders and
their technician. Each part is searched on its own (with the usual search) for a share of the time
proportional to its orders; depot stock that a part takes is not offered to later parts, so
the merged solution is feasible as a whole. Orders are never lost: what a part leaves out
the whole day's reasons and probes look at again.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from optimizer.instance import DepotData, Instance, ShiftData, TechData
from optimizer.params import DecomposeParams
from optimizer.solution import RouteSol, Solution
from optimizer.supply import DepotStock, tech_supply

if TYPE_CHECKING:
    import networkx as nx


@dataclasses.dataclass
class Part:
    """One region: its technicians and orders (indices into the whole instance)."""

    techs: list[int]
    orders: list[int]


def should_decompose(inst: Instance, params: DecomposeParams) -> bool:
    """A fresh solve of a day of more than `params.above` orders."""
    return len(inst.orders) > params.above and not inst.prev_known and len(inst.techs) > 1


def split(inst: Instance, params: DecomposeParams) -> list[Part]:
    """Regions of about `params.part_orders` orders with their technicians."""
    n_parts = min(len(inst.techs), max(1, math.ceil(len(inst.orders) / params.part_orders)))
    seconds = inst.travel.seconds
    home = np.array([inst.shifts[t.shifts[0]].start_loc if t.shifts else 0 for t in inst.techs])
    among = seconds[np.ix_(home, home)]
    between = (among + among.T) / 2
    # Far-apart seeds, then every technician to the nearest seed.
    seeds = [int(np.argmax(between.sum(axis=1)))]
    while len(seeds) < n_parts:
        gap = between[:, seeds].min(axis=1)
        if gap.max() <= 0:
            break
        seeds.append(int(np.argmax(gap)))
    tech_part = np.argmin(between[:, seeds], axis=1)
    tech_part[seeds] = np.arange(len(seeds))

    # Each order to the part of its nearest qualified technician; orders tied by `after`
    # stay together, pinned ones with their technician (who moves with a tied group).
    order_loc = np.array([o.loc for o in inst.orders], dtype=int)
    reach = seconds[np.ix_(home, order_loc)].T.astype(float)  # (orders, techs)
    reach[~inst.qualified] = np.inf
    order_part = tech_part[np.argmin(reach, axis=1)]
    import networkx as nx  # lazy: only a decomposed day needs it

    tied = _tied(inst)
    grouped: set[int] = set()
    for group in nx.connected_components(tied):
        if len(group) == 1:
            continue
        grouped |= group
        pinned = sorted(o for o in group if inst.orders[o].pin_tech is not None)
        first = inst.orders[pinned[0]].pin_tech if pinned else None
        k = tech_part[first] if first is not None else order_part[min(group)]
        order_part[list(group)] = k
        for o in pinned:
            tech_part[inst.orders[o].pin_tech] = k
    for o, order in enumerate(inst.orders):
        if order.pin_tech is not None and o not in grouped:
            order_part[o] = tech_part[order.pin_tech]
    # A tied group pinned to technicians now in different parts is left to the whole day's
    # probes (part -1).
    for o, order in enumerate(inst.orders):
        if order.pin_tech is not None and tech_part[order.pin_tech] != order_part[o]:
            order_part[list(nx.node_connected_component(tied, o))] = -1
    parts = [
        Part(
            techs=[int(t) for t in np.flatnonzero(tech_part == k)],
            orders=[int(o) for o in np.flatnonzero(order_part == k)],
        )
        for k in range(len(seeds))
    ]
    return [p for p in parts if p.techs or p.orders]


def _tied(inst: Instance) -> nx.Graph:
    """Orders as nodes, `after` and `linked` relations as edges: what must be solved together."""
    import networkx as nx

    tied = nx.Graph()
    tied.add_nodes_from(range(len(inst.orders)))
    for o, order in enumerate(inst.orders):
        tied.add_edges_from((o, p) for p in order.after)
        tied.add_edges_from((o, p) for p, _, _ in order.links)
    return tied


def sub_instance(
    inst: Instance, part: Part, depots: list[DepotData]
) -> tuple[Instance, list[int], list[int]]:
    """The instance of one part (sharing the travel matrix), with the whole instance's
    index of each of its shifts and orders."""
    tech_new = {t: i for i, t in enumerate(part.techs)}
    order_new = {o: i for i, o in enumerate(part.orders)}
    shift_map: list[int] = []
    shifts: list[ShiftData] = []
    techs: list[TechData] = []
    for t in part.techs:
        own = []
        for s in inst.techs[t].shifts:
            own.append(len(shifts))
            shift_map.append(s)
            shifts.append(dataclasses.replace(inst.shifts[s], tech=tech_new[t]))
        techs.append(dataclasses.replace(inst.techs[t], shifts=own))
    orders = []
    for o in part.orders:
        order = inst.orders[o]
        orders.append(
            dataclasses.replace(
                order,
                after=[order_new[p] for p in order.after],
                links=[(order_new[p], lo, hi) for p, lo, hi in order.links],
                pin_tech=None if order.pin_tech is None else tech_new[order.pin_tech],
                preferred=frozenset(tech_new[t] for t in order.preferred if t in tech_new),
            )
        )
    sub = dataclasses.replace(
        inst,
        orders=orders,
        shifts=shifts,
        techs=techs,
        depots=depots,
        order_idx={o.id: i for i, o in enumerate(orders)},
        tech_idx={t.id: i for i, t in enumerate(techs)},
        shift_idx={s.id: i for i, s in enumerate(shifts)},
        qualified=inst.qualified[np.ix_(part.orders, part.techs)],
        van_ok=inst.van_ok[np.ix_(part.orders, part.techs)],
        supply_ok=inst.supply_ok[np.ix_(part.orders, part.techs)],
        baseline={},
        prev_known=frozenset(),
    )
    return sub, shift_map, part.orders


def _left_over(sub: Instance, sol: Solution) -> list[DepotData]:
    """The depots after this part's technicians took what its plan picks up."""
    stock = DepotStock.full(sub)
    provided: dict[int, set[int]] = {}
    for o, s in sol.provider.items():
        provided.setdefault(sub.shifts[s].tech, set()).add(o)
    for t, tech in enumerate(sub.techs):
        routes = [sol.routes[s] for s in tech.shifts if s in sol.routes]
        tech_supply(sub, t, routes, provided.get(t, set()), stock)
    return [
        dataclasses.replace(
            dep,
            equipment={e: stock.equipment[(d, e)] for e in dep.equipment},
            parts={k: stock.parts[(d, k)] for k in dep.parts},
        )
        for d, dep in enumerate(sub.depots)
    ]


def merge(sol: Solution, part_sol: Solution, shift_map: list[int], order_map: list[int]) -> None:
    """Add a part's solution, in the whole instance's indices, to sol."""
    for s, r in part_sol.routes.items():
        whole = shift_map[s]
        sol.routes[whole] = RouteSol(
            whole, [order_map[o] for o in r.orders], r.depart, r.ret, list(r.breaks), r.depot
        )
    for o, start in part_sol.start.items():
        sol.start[order_map[o]] = start
    for o, s in part_sol.provider.items():
        sol.provider[order_map[o]] = shift_map[s]


def solve_parts(
    inst: Instance,
    deadline: float,
    search_part: Callable[[Instance, float], Solution],
    params: DecomposeParams,
) -> tuple[Solution, list[Part]]:
    """Search each part in turn with `search_part(sub, until) -> Solution` and merge."""
    parts = split(inst, params)
    sol = Solution()
    depots = inst.depots
    left = sum(len(p.orders) for p in parts)
    for part in sorted(parts, key=lambda p: -len(p.orders)):
        share = len(part.orders) / max(left, 1)
        left -= len(part.orders)
        until = time.monotonic() + share * max(deadline - time.monotonic(), 0.0)
        sub, shift_map, order_map = sub_instance(inst, part, depots)
        part_sol = search_part(sub, until)
        merge(sol, part_sol, shift_map, order_map)
        if any(d.equipment or d.parts for d in depots):
            depots = _left_over(sub, part_sol)
    return sol, parts
