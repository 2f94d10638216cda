"""A pool of the routes a search has met, and the cheapest plan that combines them.

Ruin and recreate builds and throws away many good routes, and parallel chains find
different ones. Keeping them and choosing the cheapest set of pooled routes that serves
each order at most once, one route a shift, is a set-partitioning problem whose LP
relaxation is tight (the set-covering step of Pillac et al.'s parallel matheuristic for
technician routing, 2013; Subramanian et al. 2013 for routing in general). The combined
plan mixes routes found at different times and by different chains.

Long routes from different chains rarely partition the orders exactly. Where shifts are
long, the end of a combination's time goes to a set cover of the same routes, which may
visit an order twice; each repeated order is then kept in one route only (`_without_repeats`).

This holds where routes are independent of each other: no crews, no `after` relations.
Depot stock and a technician's van over several shifts couple routes too; a combined plan
is checked for them and dropped when it fails.
"""

from __future__ import annotations

import logging
import time
from functools import cached_property

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from optimizer.cp.objective import route_travel, solution_cost, unassigned_cost
from optimizer.instance import Instance
from optimizer.params import PoolParams
from optimizer.schedule import Timed, route_cost, route_without, schedule
from optimizer.solution import RouteSol, Solution
from optimizer.supply import supply_plan

log = logging.getLogger(__name__)
"""Log each solve to stderr."""

Entry = tuple[int, RouteSol, tuple[int, ...]]
"""A pooled route: its cost (route and order parts of the objective), the route, the
service starts of its orders."""


class RoutePool:
    """The cheapest route met for each shift and set of orders."""

    def __init__(self, inst: Instance, tuning: PoolParams | None = None) -> None:
        self.inst = inst
        self.tuning = tuning if tuning is not None else PoolParams()
        self.routes: dict[tuple[int, frozenset[int]], Entry] = {}
        # Routes already priced: shift, stops, depot stop.
        self._seen: set[tuple[int, tuple[int, ...], tuple[int, int] | None]] = set()

    @cached_property
    def _cover(self) -> float:
        """`PoolParams.cover` on a day of long routes (`roomy`), else 0 (asked only by
        `combine`)."""
        return self.tuning.cover if room(self.inst) >= self.tuning.roomy else 0.0

    @staticmethod
    def applies(inst: Instance) -> bool:
        """Routes of this instance can be combined freely (supply is checked after)."""
        return all(o.crew == 1 and not o.after and not o.links for o in inst.orders)

    def add(self, sol: Solution) -> None:
        """Pool the routes of sol that are cheaper than any pooled for their orders."""
        inst, seen = self.inst, self._seen
        for s, r in sol.routes.items():
            if not r.orders:
                continue
            key = (s, tuple(r.orders), r.depot[:2] if r.depot else None)
            if key in seen:
                continue
            if len(seen) >= 4 * self.tuning.limit:
                seen.clear()
            seen.add(key)
            starts = tuple(sol.start[o] for o in r.orders)
            # Every order is a single technician's here (`applies`): the route's cost is
            # all its orders cost, changes included.
            cost = route_cost(inst, Timed(r, list(starts), route_travel(inst, s, r)))
            self._keep((s, frozenset(r.orders)), (cost, r.copy(), starts))

    def _keep(self, key: tuple[int, frozenset[int]], entry: Entry) -> None:
        old = self.routes.get(key)
        if old is not None and old[0] <= entry[0]:
            return
        if old is None and len(self.routes) >= self.tuning.limit:
            del self.routes[next(iter(self.routes))]
        self.routes[key] = entry

    def merge(self, other: dict[tuple[int, frozenset[int]], Entry]) -> None:
        """Take in the routes another search pooled."""
        for key, entry in other.items():
            self._keep(key, entry)

    def combine(
        self,
        incumbent: Solution,
        *,
        time_limit: float,
        workers: int = 1,
        deterministic: float | None = None,
        cover: float | None = None,
    ) -> Solution | None:
        """The cheapest combination of pooled routes, when it beats the incumbent (whose
        routes are pooled first and are the hint) and is supplied; else None.

        The orders the incumbent serves stay served. The LP relaxation of the whole pool
        (GLOP) prices every route; CP-SAT then solves set partitioning over the routes of
        least reduced cost (`PoolParams.keep`, then twice as many while time is left) and the best
        combination's. On the whole pool neither CP-SAT nor SCIP finds much in seconds;
        on a thousand routes chosen this way CP-SAT proves the optimum in under a second.
        The last `cover` share of the time (by default `PoolParams.cover` on days of long
        routes, else none) goes to a set cover of the last routes chosen from.
        `deterministic` (seconds of CP-SAT's deterministic time for each solve) replaces
        the clock."""
        inst = self.inst
        if cover is None:
            cover = self._cover
        began = time.monotonic()
        if time_limit <= 0 and deterministic is None:
            return None
        self.add(incumbent)
        entries = list(self.routes.values())
        served = incumbent.served()
        # A route's value: its cost, less what the unserved orders it takes would cost.
        values = [
            cost - sum(unassigned_cost(inst, o) for o in route.orders if o not in served)
            for cost, route, _ in entries
        ]
        reduced = _reduced_costs(entries, values, served, began + time_limit, deterministic)
        if reduced is None:
            return None
        rank = sorted(range(len(entries)), key=lambda i: (reduced[i], i))
        mine = {(r.shift, frozenset(r.orders)) for r in incumbent.routes.values() if r.orders}
        best = {i for i, (_, r, _) in enumerate(entries) if (r.shift, frozenset(r.orders)) in mine}

        def solve(columns: list[int], left: float, covering: bool) -> set[int] | None:
            return _set_partition(
                columns,
                entries,
                values,
                served,
                best,
                workers=workers,
                time_limit=left,
                deterministic=deterministic,
                cover=covering,
            )

        size = self.tuning.keep
        columns = sorted(set(rank[:size]) | best)
        while True:
            left = (1 - cover) * time_limit - (time.monotonic() - began)
            if deterministic is None and left <= 0.05:
                break
            columns = sorted(set(rank[:size]) | best)
            chosen = solve(columns, left, covering=False)
            log.debug(
                "pool routes=%d kept=%d incumbent=%s value=%s -> %s t=%.2f",
                len(entries),
                size,
                incumbent.cost,
                sum(values[i] for i in best),
                chosen and sum(values[i] for i in chosen),
                time.monotonic() - began,
            )
            if chosen is not None and sum(values[i] for i in chosen) < sum(
                values[i] for i in best
            ):
                best = chosen
            if size >= len(entries) or deterministic is not None:
                break
            size *= 2
        found: Solution | None = None
        left = time_limit - (time.monotonic() - began)
        if cover and (deterministic is not None or left > 0.05):
            # The last routes chosen from, covered: a repeated order costs its visits here,
            # less once each repeat is taken out.
            covered = solve(columns, left, covering=True)
            if covered is not None and covered != best:
                found = _combined(inst, [entries[i] for i in sorted(covered)])
                log.debug("cover %s", found and found.cost)
        sol = _combined(inst, [entries[i] for i in sorted(best)])
        if found is not None and (sol is None or found.objective() < sol.objective()):
            sol = found
        if sol is None or sol.objective() >= (incumbent.cost or 0):
            return None
        return sol


def _combined(inst: Instance, chosen: list[Entry]) -> Solution | None:
    """The solution of the chosen routes (`_without_repeats`), priced, when supplied."""
    sol = _without_repeats(inst, chosen)
    if sol is None or supply_plan(inst, sol) is None:
        return None
    sol.cost = solution_cost(inst, sol)
    return sol


def room(inst: Instance) -> float:
    """Orders a shift could hold: its mean length over an order's mean service and its mean
    travel to its five nearest orders."""
    if not inst.shifts or len(inst.orders) < 2:
        return 0.0
    locs = [o.loc for o in inst.orders]
    legs = inst.travel.seconds[np.ix_(locs, locs)].astype(float)
    np.fill_diagonal(legs, np.inf)
    k = min(5, len(locs) - 1)
    near = np.partition(legs, k - 1, axis=1)[:, :k].mean()
    service = np.mean([o.duration for o in inst.orders])
    length = np.mean([sh.end - sh.start for sh in inst.shifts])
    return float(length / max(service + near, 1.0))


def _rows(
    columns: list[int], entries: list[Entry]
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Positions of the columns by order and by shift."""
    by_order: dict[int, list[int]] = {}
    by_shift: dict[int, list[int]] = {}
    for k, i in enumerate(columns):
        route = entries[i][1]
        by_shift.setdefault(route.shift, []).append(k)
        for o in route.orders:
            by_order.setdefault(o, []).append(k)
    return by_order, by_shift


def _reduced_costs(
    entries: list[Entry],
    values: list[int],
    served: set[int],
    deadline: float,
    deterministic: float | None,
) -> list[float] | None:
    """Reduced costs of every pooled route in the LP relaxation of set partitioning: one
    route a shift at most; each order the incumbent serves exactly once, others at most
    once. None when the LP is not solved in time (no clock under a deterministic limit).
    Building it stops at the deadline too: rows set coefficient by coefficient (a full pool's
    LP took 1 s of CPU built from sums, 0.4 s so)."""

    def late() -> bool:
        return deterministic is None and time.monotonic() > deadline - 0.05

    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None or late():
        return None
    pick = [solver.NumVar(0.0, 1.0, "") for _ in entries]
    by_order, by_shift = _rows(list(range(len(entries))), entries)
    rows = [(ks, False) for ks in by_shift.values()]
    rows += [(ks, o in served) for o, ks in by_order.items()]
    for n, (ks, exactly_one) in enumerate(rows):
        if n % 64 == 0 and late():
            return None
        row = solver.RowConstraint(1.0 if exactly_one else -solver.infinity(), 1.0, "")
        for k in ks:
            row.SetCoefficient(pick[k], 1.0)
    objective = solver.Objective()
    for var, value in zip(pick, values, strict=True):
        objective.SetCoefficient(var, value)
    objective.SetMinimization()
    if deterministic is None:
        left = deadline - time.monotonic()
        if left <= 0.05:
            return None
        solver.SetTimeLimit(int(left * 1000))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return [var.reduced_cost() for var in pick]


def _set_partition(
    columns: list[int],
    entries: list[Entry],
    values: list[int],
    served: set[int],
    hint: set[int],
    *,
    workers: int,
    time_limit: float,
    deterministic: float | None,
    cover: bool = False,
) -> set[int] | None:
    """The cheapest feasible choice among the columns (indices into entries), by CP-SAT,
    or None when none was found. With `cover`, the orders served stay served at least
    once (a set cover; each visit counts)."""
    model = cp_model.CpModel()
    pick = [model.new_bool_var("") for _ in columns]
    by_order, by_shift = _rows(columns, entries)
    for ks in by_shift.values():
        model.add_at_most_one(pick[k] for k in ks)
    for o, ks in by_order.items():
        if o in served:
            if cover:
                model.add_bool_or(pick[k] for k in ks)
            else:
                model.add_exactly_one(pick[k] for k in ks)
        else:
            model.add_at_most_one(pick[k] for k in ks)
    model.minimize(sum(values[i] * var for i, var in zip(columns, pick, strict=True)))
    for i, var in zip(columns, pick, strict=True):
        model.add_hint(var, i in hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.linearization_level = 2
    if deterministic is not None:
        solver.parameters.max_deterministic_time = deterministic
    else:
        solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {i for i, var in zip(columns, pick, strict=True) if solver.value(var)}


def _without_repeats(inst: Instance, chosen: list[Entry]) -> Solution | None:
    """The solution of the chosen routes, each order left only in the route where keeping
    it costs most to give up (a set cover may visit an order twice). Taking a visit out
    never makes a route later or longer. None when a repeat cannot be taken out."""
    routes = {route.shift: (route, list(starts)) for _, route, starts in chosen}
    costs = {route.shift: cost for cost, route, _ in chosen}
    holders: dict[int, list[int]] = {}
    for s, (route, _) in routes.items():
        for o in route.orders:
            holders.setdefault(o, []).append(s)
    for o in sorted(o for o, shifts in holders.items() if len(shifts) > 1):
        # What each route saves without o, with its new timing (None: no route left).
        savings: list[tuple[int, int, Timed | None]] = []
        stuck = []
        for s in holders[o]:
            _, seq, depot = route_without(routes[s][0], o)
            timed = schedule(inst, s, seq, depot=depot) if seq else None
            if seq and timed is None:
                stuck.append(s)
                continue
            savings.append((costs[s] - (route_cost(inst, timed) if timed else 0), s, timed))
        if len(stuck) > 1:
            return None
        savings.sort(key=lambda x: (x[0], x[1]))
        if not stuck:
            savings.pop(0)  # o stays where taking it out saves least
        for saving, s, timed in savings:
            if timed is None:
                del routes[s]
            else:
                routes[s] = (timed.route, timed.starts)
            costs[s] -= saving
    sol = Solution()
    for s, (route, starts) in sorted(routes.items()):
        sol.routes[s] = route.copy()
        for o, st in zip(route.orders, starts, strict=True):
            sol.start[o] = st
            sol.provider[o] = s
    return sol
