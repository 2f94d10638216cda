"""Where an order can start in a route at all: the start intervals that a route's relaxation
(`optimizer.timing.Relaxed`) leaves it, kept per route state, so that insertions that cannot
succeed are cut before any position is timed (a failed group insertion on a busy day costs
thirty placements otherwise), and the interval algebra that combines them over the members
of a crew or linked group (`optimizer.groups.anchor_room`).

Two relaxations per route: `Inserter.relaxed` keeps crew and linked starts where they are
(plain placements), `loose` lets them move later (pushed placements, `optimizer.retime`).
Both are necessary conditions: a start outside the intervals is timed by no placement of
the same kind, so cutting there changes no result.
"""

from __future__ import annotations

import bisect

from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.state import SegmentCache
from optimizer.timing import INF, NEVER, Relaxed, latest_start

Interval = tuple[int, int]
"""Starts from the first to the last, both included."""


def loose(ins: Inserter, s: int) -> Relaxed | None:
    """Shift s's route relaxed with its crew and linked starts free to move later (bounded
    below by where they are, as a push moves them): every placement, plain or pushed,
    starts its orders no earlier than this relaxation does (None when it cannot be timed
    even so)."""
    return ins.per_route("loose", s, lambda: _loose(ins, s))


def _loose(ins: Inserter, s: int) -> Relaxed | None:
    route = ins.sol.routes.get(s)
    orders = route.orders if route is not None else []
    lower = {x: -v - 1 if v < 0 else v for x, v in ins.lower_bounds(orders).items()}
    return ins.segments.relax(ins.segments.loose, s, route, lower)


EVER: list[Interval] = [(-INF, INF)]
"""Any start: what `reach` says of a route it cannot relax."""


def reach(ins: Inserter, x: int, s: int, relaxed: Relaxed | None) -> list[Interval]:
    """The starts order x may take in shift s's route in any placement that its relaxation
    bounds (`Inserter.relaxed` for plain placements, `loose` for pushed ones too), a new
    depot stop for what the van lacks included, as sorted disjoint intervals: empty when x
    fits there at no time. Kept with the relaxation, so a route that did not change is
    never looked at again."""
    if relaxed is None:
        return EVER  # no relaxation to tell: no cut
    memo = ins.segments.reach
    hit = memo.get((x, id(relaxed)))
    if hit is not None and hit[0] is relaxed:
        return hit[1]
    inst = ins.inst
    spans: list[Interval] = []
    depots: list[int] = []
    if relaxed.depot is None:
        depots = [d[0] for d in ins.depot_options(s, 0, x) if d is not None]
    order = inst.orders[x]
    plain = not inst.shifts[s].breaks and order.pin_start is None and len(order.windows) == 1
    for g in range(len(relaxed.locs) - 1):
        if plain:
            spans += _plain_starts(inst, x, relaxed, g)
        else:
            spans += relaxed.starts(inst, x, g)
        if not depots:
            continue
        # Through a new depot stop (right before x, or first thing): x is reached on
        # another path, so the earliest start is the relaxation's through it; the latest
        # is the one the stops after x allow, whatever came before.
        top = max(relaxed.latest[g + 1])
        if top <= NEVER:
            continue
        leg = inst.rows[order.loc][relaxed.locs[g + 1]]
        last = latest_start(inst, x, 0, top - leg - order.duration)
        for d in depots:
            for first in (False, True) if g > 0 else (True,):
                found = relaxed.bound(inst, x, 0, g, (d, first))
                if found is not None and found[1] <= last:
                    spans.append((found[1], last))
    spans.sort()
    out: list[Interval] = []
    for a, b in spans:
        if out and a <= out[-1][1] + 1:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    if len(memo) >= SegmentCache.LIMIT:
        memo.clear()
    memo[(x, id(relaxed))] = (relaxed, out)
    return out


def _plain_starts(inst: Instance, x: int, relaxed: Relaxed, g: int) -> list[Interval]:
    """`Relaxed.starts` of order x between nodes g and g + 1 of a route without breaks, x
    with one window and no pinned start: the same interval, worked out inline (not kept in
    the relaxation's memo)."""
    dep = relaxed.departures[g][0]
    top = relaxed.latest[g + 1][0]
    if dep >= INF or top <= NEVER:
        return []
    order = inst.orders[x]
    ws, we = order.windows[0]
    rows = inst.rows
    arrive = dep + rows[relaxed.locs[g]][order.loc]
    arrive = arrive if arrive > 0 else 0
    if arrive > we:
        return []
    first = arrive if arrive > ws else ws
    last = top - rows[order.loc][relaxed.locs[g + 1]] - order.duration
    last = we if we < last else last
    if (ws if ws > 0 else 0) > last or first > last:
        return []
    return [(first, last)]


def covered(spans: list[list[Interval]], most: int) -> list[Interval]:
    """The times inside intervals of at least `most` of the lists (each list's intervals
    sorted and disjoint), as sorted disjoint intervals."""
    events: list[tuple[int, int]] = []
    for own in spans:
        merged: list[Interval] = []
        for a, b in sorted(own):
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        for a, b in merged:
            events += [(a, 1), (b + 1, -1)]
    events.sort()
    out: list[Interval] = []
    count = 0
    begin = 0
    for t, step in events:
        before = count
        count += step
        if before < most <= count:
            begin = t
        elif count < most <= before and t - 1 >= begin:
            if out and begin <= out[-1][1] + 1:
                out[-1] = (out[-1][0], t - 1)
            else:
                out.append((begin, t - 1))
    return out


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The common part of two sorted lists of disjoint intervals."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def meets(spans: list[Interval], lo: int, hi: int) -> bool:
    """One of the sorted disjoint intervals has a time in [lo, hi]."""
    k = bisect.bisect_right(spans, (hi, INF)) - 1
    return k >= 0 and spans[k][1] >= lo


def inside(spans: list[Interval], t: int) -> bool:
    """Time t lies in one of the sorted disjoint intervals."""
    k = bisect.bisect_right(spans, (t, INF)) - 1
    return k >= 0 and spans[k][0] <= t <= spans[k][1]
