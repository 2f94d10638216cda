"""Placing one member of a crew or linked group in one of its candidate routes, starting in
a given interval: each position bounded from below first (a route's relaxation,
`optimizer.timing`, or for pushed placements the detour's travel and the member's own
lateness), then timed in full in order of the bounds while one can still beat the cheapest
found (`optimizer.groups` places the whole group with these)."""

from __future__ import annotations

import heapq
from typing import Any

from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.retime import Ties
from optimizer.schedule import Timed, fixed_start, route_cost, schedule
from optimizer.timing import INF, Relaxed, lateness

Chosen = tuple[int, int, Timed, int]
"""A member's placement: (cost delta, shift, timed route, start)."""


Bound = tuple[int, int, int, int, Any, int, int, Any, bool]
"""A placement of a member bounded: (cost bound, shift, rank in the shift, position, depot
stop, start bound, node gap, new depot stop (`Relaxed.bound`), bounded in full)."""


class Pruned:
    """A placement left out because it cannot beat a bound (only one instance, `PRUNED`)."""


PRUNED = Pruned()


def pushed_bounds(ins: Inserter, x: int, s: int, lo: int, hi: int, provides: bool) -> list[Bound]:
    """Placements of x into shift s's route starting from `lo`, with the route's tied visits
    allowed to start later: only the positions around that time; a provider may add a
    depot stop for what its van lacks; x starts at `lo` exactly when `hi` is `lo`. Each is
    bounded from below by `push_bound`."""
    sol = ins.sol
    route = sol.routes.get(s)
    seq = route.orders if route is not None else []
    lower = fixed_start(lo) if lo == hi else lo
    return [
        (push_bound(ins, x, s, pos, d, lo), s, rank, pos, d, lower, 0, None, True)
        for rank, (pos, d) in enumerate(_positions(ins, s, seq, x, lo, provides), 1)
    ]


def _positions(
    ins: Inserter, s: int, seq: list[int], x: int, lo: int, provides: bool
) -> list[tuple[int, Any]]:
    """(position, depot stop) pairs to try for x in shift s's route `seq` from `lo`: the
    position after the last order that starts before lo and the one before it; a provider
    may add a depot stop for what its van lacks, others keep the route's own (or none)."""
    at = 0
    for k in range(len(seq) - 1, -1, -1):  # starts grow along the route
        if ins.sol.start[seq[k]] < lo:
            at = k + 1
            break
    out = []
    for pos in sorted({at, max(0, at - 1)}):
        depots = ins.depot_options(s, pos, x)
        out += [(pos, d) for d in (depots if provides else depots[:1])]
    return out


def push_bound(ins: Inserter, x: int, s: int, pos: int, d: Any, lo: int) -> int:
    """A lower bound of what placing x at `pos` of shift s's route (starting at `lo` or
    later) adds to the route's cost, however its tied visits move: the detour's travel,
    the route's use and x's own lateness. Valid where no start can move earlier (no
    breaks, depot stops, priced idle time or changes, and the detour takes no less time
    than the leg it replaces); `-INF` (time it in full) otherwise."""
    inst = ins.inst
    sh = inst.shifts[s]
    route = ins.sol.routes.get(s)
    if sh.breaks or d is not None or inst.c_idle or inst.prev_known:
        return -INF
    if route is not None and route.depot is not None:
        return -INF
    seq = route.orders if route is not None else []
    a = sh.start_loc if pos == 0 else inst.orders[seq[pos - 1]].loc
    b = sh.end_loc if pos == len(seq) else inst.orders[seq[pos]].loc
    here = inst.orders[x]
    there, back, direct = inst.t(a, here.loc), inst.t(here.loc, b), inst.t(a, b)
    if there + here.duration + back < direct:
        return -INF  # not a metric here: the visits after x may start earlier
    used = inst.c_used if not seq else 0
    return inst.c_travel * (there + back - direct) + used + lateness(inst, x, lo)


def bounds_in(
    ins: Inserter, relaxed: Relaxed, x: int, lo: int, hi: int, provides: bool
) -> list[Bound]:
    """Placements of x into a route starting in [lo, hi], bounded from below by the route's
    relaxation: only the positions around that time are tried; a provider may add a depot
    stop for what its van lacks. Those that cannot start by `hi` are left out."""
    inst = ins.inst
    s = relaxed.shift
    seq = relaxed.orders
    base = ins.cost.get(s, 0)
    lower = fixed_start(lo) if lo == hi else lo
    own = relaxed.depot
    out: list[Bound] = []
    for rank, (pos, d) in enumerate(_positions(ins, s, seq, x, lo, provides), 1):
        via = None
        g = pos + 1 if own is not None and d == own and pos >= own[1] else pos
        if d is not None and own is None:
            via = (d[0], d[1] == 0)
        elif not relaxed.fits(inst, x, g, lo, hi):
            continue  # no timing starts x in [lo, hi] there
        quick = relaxed.quick(inst, x, g, via) - base
        out.append((quick, s, rank, pos, d, lower, g, via, False))
    return out


def cheapest(
    ins: Inserter,
    x: int,
    bounds: list[Bound],
    relaxed: dict[int, Relaxed | None],
    hi: int,
    provides: bool,
    limit: int | None = None,
    ties: Ties | None = None,
) -> Chosen | Pruned | None:
    """The cheapest placement of x starting in [lo, hi] (the first of equals by shift and
    rank) that is feasible and, when x's member provides, supplied: (cost delta, shift,
    timed route, start); `PRUNED` when none can cost less than `limit`. Placements are
    timed in order of their bounds, only while a bound can still beat the cheapest timed
    one not yet checked for supply. With `ties`, the route's tied visits may start later
    than they do (a pushed placement)."""
    inst, sol = ins.inst, ins.sol
    heapq.heapify(bounds)
    timed_ones: list[tuple[int, int, int, Timed, int]] = []
    cut = False
    while True:
        while bounds and (not timed_ones or bounds[0][0] <= timed_ones[0][0]):
            if limit is not None and bounds[0][0] >= limit:
                bounds.clear()  # none of them can cost less than the limit
                cut = True
                break
            _, s, rank, pos, d, lower, g, via, full = heapq.heappop(bounds)
            if not full:
                # Bounded in constant time so far: bound it through the relaxation.
                found = relaxed[s].bound(inst, x, lower, g, via)  # type: ignore[union-attr]
                if found is not None and found[1] <= hi:
                    lb = found[0] - ins.cost.get(s, 0)
                    heapq.heappush(bounds, (lb, s, rank, pos, d, lower, g, via, True))
                continue
            route = sol.routes.get(s)
            cand = [*(route.orders if route is not None else [])]
            cand.insert(pos, x)
            starts = ins.lower_bounds(cand)
            if ties is not None:
                for y in cand:
                    if ties.tied[y] and y != x:
                        starts[y] = sol.start[y]  # a bound, no longer a fixed start
            starts[x] = lower
            timed = schedule(inst, s, cand, starts, depot=d)
            if timed is None:
                continue
            st = timed.starts[pos]
            if st > hi or not allowed(inst, x, st) or not ins.dependents_ok(cand, timed):
                continue
            cost = route_cost(inst, timed) - ins.cost.get(s, 0)
            heapq.heappush(timed_ones, (cost, s, rank, timed, st))
        if not timed_ones:
            return PRUNED if cut else None
        cost, s, _, timed, st = heapq.heappop(timed_ones)
        if limit is not None and cost >= limit:
            return PRUNED
        if not provides or ins.supplied(inst.shifts[s].tech, timed.route, x):
            return cost, s, timed, st


def allowed(inst: Instance, x: int, start: int) -> bool:
    """A start of order x inside one of its windows and at its pinned start, if any."""
    order = inst.orders[x]
    if order.pin_start is not None and start != order.pin_start:
        return False
    return any(ws <= start <= we for ws, we in order.windows)
