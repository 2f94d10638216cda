"""Insertion of synchronised orders: a crew order (one visit in each of `crew` routes of
distinct technicians, all at one start) and linked orders (each in its own route, their
starts within the links' gaps). Every member is placed at once, or none is.

The search keeps a placed member's start fixed when its route is re-timed (`fixed_start`),
so a crew still meets and a link's gap still holds; moving a group means taking all of it
out (`remove_group`) and placing it again (`best_group`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.cp.objective import unassigned_cost
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.placement import (
    PRUNED,
    Bound,
    Pruned,
    bounds_in,
    cheapest,
    pushed_bounds,
)
from optimizer.reach import Interval, covered, inside, intersect, loose, meets, reach
from optimizer.retime import Ties, delayed, peak, peak_rise
from optimizer.schedule import Timed, route_without, schedule
from optimizer.solution import RouteSol
from optimizer.state import SegmentCache
from optimizer.timing import Relaxed, lateness


@dataclass
class Slot:
    """One visit of a group: an order, and the gap of its start to the anchor's start."""

    order: int
    lo: int
    hi: int


@dataclass
class GroupInsertion:
    """Where and at what cost a group fits: each slot's shift and the timed routes."""

    orders: list[int]
    delta: int
    routes: dict[int, Timed]
    provider: dict[int, int]  # order -> providing shift


def is_grouped(inst: Instance, o: int) -> bool:
    """Order o is placed only with others: a crew order or a linked one."""
    order = inst.orders[o]
    return order.crew > 1 or bool(order.links)


def slots_of(inst: Instance, o: int) -> list[Slot] | None:
    """The visits of o's group with their gaps to the first one (the anchor), or None when
    the links' gaps contradict each other along a chain."""
    members = inst.linked_group(o)
    anchor = members[0]
    gap: dict[int, tuple[int, int]] = {anchor: (0, 0)}
    todo = [anchor]
    while todo:
        x = todo.pop()
        lo_x, hi_x = gap[x]
        for y, lo, hi in inst.orders[x].links:
            # start_x - start_y in [lo, hi], so start_y - anchor in [lo_x - hi, hi_x - lo]
            lo_y, hi_y = lo_x - hi, hi_x - lo
            if y in gap:
                lo_y, hi_y = max(lo_y, gap[y][0]), min(hi_y, gap[y][1])
                if lo_y > hi_y:
                    return None
                if (lo_y, hi_y) == gap[y]:
                    continue
            gap[y] = (lo_y, hi_y)
            todo.append(y)
    return [Slot(x, *gap[x]) for x in members for _ in range(inst.orders[x].crew)]


def group_value(inst: Instance, o: int) -> int:
    """What leaving o's whole group out costs."""
    return sum(unassigned_cost(inst, x) for x in inst.linked_group(o))


def _candidates(ins: Inserter, o: int) -> list[int]:
    """The eligible shifts nearest to order o: by the closest stop of their route (or their
    start location), so idle technicians near the site are offered as well as busy ones."""
    scored = sorted(zip(ins.order_gaps(o), ins.eligible[o], strict=True))
    return [s for _, s in scored[: ins.moves.crew_routes]]


def _openings(ins: Inserter, o: int, s: int) -> list[int]:
    """Starts of o worth trying in shift s: its earliest from the shift start, right after
    each order of the route and after each break (a visit that would cover a break's window
    fits only once the break is taken), each also through a depot that supplies what the
    van lacks, moved into o's next window. Kept with the route object (replaced whenever
    its orders or starts change)."""
    route = ins.sol.routes.get(s)
    memo = ins.segments.openings
    hit = memo.get((o, s))
    if hit is not None and hit[0] is route:
        return hit[1]
    found = _opening_times(ins, o, s, route)
    if len(memo) >= SegmentCache.LIMIT:
        memo.clear()
    memo[(o, s)] = (route, found)
    return found


def _opening_times(ins: Inserter, o: int, s: int, route: RouteSol | None) -> list[int]:
    inst, sol = ins.inst, ins.sol
    order = inst.orders[o]
    sh = inst.shifts[s]
    # Where and when the technician could set off for o.
    free = [(sh.start, sh.start_loc)]
    if route is not None and route.orders:
        for x in route.orders:
            free.append((sol.start[x] + inst.orders[x].duration, inst.orders[x].loc))
        for rule, (after, begin) in zip(sh.breaks, route.breaks, strict=False):
            where = sh.start_loc if after < 0 else inst.orders[route.orders[after]].loc
            free.append((begin + rule.duration, where))
    else:
        free += [(max(sh.start, b.earliest) + b.duration, sh.start_loc) for b in sh.breaks]
    ready = [t + inst.t(loc, order.loc) for t, loc in free]
    tech = sh.tech
    if inst.depots and (route is None or route.depot is None) and inst.needs_depot(o, tech):
        for d, dep in enumerate(inst.depots):
            if not inst.depot_supplies(o, tech, d):
                continue
            leave = dep.duration + inst.t(dep.loc, order.loc)
            for t, loc in free:
                ready.append(max(t + inst.t(loc, dep.loc), dep.open_start) + leave)
    out = []
    for t in ready:
        if order.pin_start is not None:
            if t <= order.pin_start:
                out.append(order.pin_start)
            continue
        for ws, we in order.windows:
            if t <= we:
                out.append(max(t, ws))
                break
    return out


def _spread(times: list[int], most: int, gap: int = 300) -> list[int]:
    """Anchor times at least `gap` seconds apart, the earliest `most` / 2, then a sample of
    the rest spread over the day (2 * `most` in all). Each keeps the latest time of its
    cluster: a crew meets at the latest of its members' earliest starts."""
    kept: list[int] = []
    first = None
    for t in times:
        if first is None or t - first >= gap:
            first = t
            kept.append(t)
        else:
            kept[-1] = t
    head = most // 2
    if len(kept) <= 2 * most:
        return kept
    rest = kept[head:]
    step = len(rest) / (2 * most - head)
    return kept[:head] + [rest[int(k * step)] for k in range(2 * most - head)]


def anchor_room(
    ins: Inserter,
    slots: list[Slot],
    cands: dict[int, list[int]],
    relax: Callable[[int], Relaxed | None],
    near: set[int] | None = None,
) -> list[Interval]:
    """The anchor starts at which the group may fit, as sorted disjoint intervals: where
    each member's start (the anchor moved by its gap) lies in the `reach` of the routes
    (relaxed by `relax`) of as many technicians among its candidates as its crew needs. A
    necessary condition for every placement that the relaxations bound; empty when none
    can succeed. With `near`, only where a member can start in one of those shifts (a
    group that fit nowhere fits after a change only in a changed route)."""
    inst = ins.inst
    need: dict[int, int] = {}
    gaps: dict[int, tuple[int, int]] = {}
    for sl in slots:
        need[sl.order] = need.get(sl.order, 0) + 1
        gaps[sl.order] = (sl.lo, sl.hi)
    room: list[Interval] | None = None
    touch: list[list[Interval]] = []
    for x, crew in need.items():
        by_tech: dict[int, list[Interval]] = {}
        lo, hi = gaps[x]
        for s in cands[x]:
            spans = reach(ins, x, s, relax(s))
            by_tech.setdefault(inst.shifts[s].tech, []).extend(spans)
            if near is not None and s in near:
                touch.append([(a - hi, b - lo) for a, b in spans])
        here = [(a - hi, b - lo) for a, b in covered(list(by_tech.values()), crew)]
        room = here if room is None else intersect(room, here)
        if not room:
            return []
    if near is not None:
        room = intersect(room or [], covered(touch, 1))
    return room or []


def _kept(
    store: dict[int, Relaxed | None], s: int, make: Callable[[], Relaxed | None]
) -> Relaxed | None:
    """Shift s's relaxation from `store`, made once."""
    if s not in store:
        store[s] = make()
    return store[s]


def best_group(
    ins: Inserter, o: int, ties: Ties | None = None, near: set[int] | None = None
) -> GroupInsertion | None:
    """The cheapest feasible placement of o's whole group (nothing else moves but the
    starts of the routes it joins), or None. With `ties`, placements that delay the tied
    visits after it (and their partners, `optimizer.retime`) are tried as well. With
    `near`, only placements with a member in one of those shifts (`anchor_room`)."""
    inst, sol = ins.inst, ins.sol
    slots = slots_of(inst, o)
    if slots is None:
        return None
    members = sorted({sl.order for sl in slots})
    if any(x in sol.start for x in members):
        return None
    for x in members:
        if not ins.eligible[x] or not all(p in sol.start for p in inst.orders[x].after):
            return None
    cands = {x: _candidates(ins, x) for x in members}
    # Anchors at which a plain placement may fit (crew and linked starts where they are),
    # and with `ties` a pushed one (those starts free to move later): others fail.
    # (The first relaxation is the tighter: no room in the second, none in the first.)
    relaxed: dict[int, Relaxed | None] = {}  # each route's, while nothing changes
    loosened: dict[int, Relaxed | None] = {}
    room_pushed = (
        anchor_room(ins, slots, cands, lambda s: _kept(loosened, s, lambda: loose(ins, s)), near)
        if ties
        else []
    )
    if ties is not None and not room_pushed:
        return None
    room = anchor_room(
        ins, slots, cands, lambda s: _kept(relaxed, s, lambda: ins.relaxed(s)), near
    )
    if not room and not room_pushed:
        return None
    # Anchor starts: when each member could start in each candidate shift (from the shift
    # start, or after each order of its route), moved to the anchor by the member's gap.
    anchors: set[int] = set()
    for sl in slots:
        for s in cands[sl.order]:
            for e in _openings(ins, sl.order, s):
                anchors.add(e - sl.lo)
    if not anchors:
        return None
    best: GroupInsertion | None = None
    tried = 0
    worst = peak(ins)
    spread = _spread(sorted(anchors), ins.moves.crew_starts)
    for t in spread:
        if tried >= ins.moves.crew_starts:
            break
        if not inside(room, t):
            continue  # no member's route has room then: it would fit nowhere
        bound = None if best is None else best.delta
        found = _place_at(ins, slots, cands, t, relaxed, bound, worst)
        if found is None:
            continue
        tried += 1
        if isinstance(found, GroupInsertion) and (best is None or found.delta < best.delta):
            best = found
    if ties is not None:
        for t in spread[: ins.moves.pushed_starts]:
            if not inside(room_pushed, t):
                continue
            bound = None if best is None else best.delta
            found = _place_pushed(ins, slots, cands, t, ties, loosened, bound, worst)
            if isinstance(found, GroupInsertion) and (best is None or found.delta < best.delta):
                best = found
    return best


def _place_at(
    ins: Inserter,
    slots: list[Slot],
    cands: dict[int, list[int]],
    anchor: int,
    relaxed: dict[int, Relaxed | None],
    bound: int | None = None,
    worst: int = 0,
) -> Placed:
    """The cheapest placement of the group with the anchor starting at `anchor`: each slot
    in a route of its own (crew members on distinct technicians), or `PRUNED` when it
    cannot cost less than `bound`. `relaxed` keeps the routes' relaxations
    (`optimizer.timing`) between anchors."""

    def bounded(x: int, shifts: list[int], lo: int, hi: int, provides: bool) -> list[Bound]:
        bounds: list[Bound] = []
        for s in shifts:
            if s not in relaxed:
                relaxed[s] = ins.relaxed(s)
            relaxation = relaxed[s]
            # A route in which x can start at no time in [lo, hi] (`reach`) has no position.
            if relaxation is not None and meets(reach(ins, x, s, relaxation), lo, hi):
                bounds += bounds_in(ins, relaxation, x, lo, hi, provides)
        return bounds

    return _place(ins, slots, cands, anchor, bounded, relaxed, bound=bound, worst=worst)


def _place_pushed(
    ins: Inserter,
    slots: list[Slot],
    cands: dict[int, list[int]],
    anchor: int,
    ties: Ties,
    relaxed: dict[int, Relaxed | None],
    bound: int | None = None,
    worst: int = 0,
) -> Placed:
    """`_place_at` with the tied visits after each member allowed to start later (and their
    partners with them, `optimizer.retime`), positions timed in full in order of their
    bounds (the routes' `loose` relaxations, kept in `relaxed` between anchors, or
    `push_bound` where they have none); priced only while its routes' own costs stay under
    `bound`."""

    def bounded(x: int, shifts: list[int], lo: int, hi: int, provides: bool) -> list[Bound]:
        bounds: list[Bound] = []
        for s in shifts:
            if s not in relaxed:
                relaxed[s] = loose(ins, s)
            relaxation = relaxed[s]
            if relaxation is None:
                bounds += pushed_bounds(ins, x, s, lo, hi, provides)
            elif meets(reach(ins, x, s, relaxation), lo, hi):
                bounds += bounds_in(ins, relaxation, x, lo, hi, provides)
        return bounds

    return _place(ins, slots, cands, anchor, bounded, relaxed, ties, bound, worst)


def _refined(
    ins: Inserter, x: int, bounds: list[Bound], relaxed: dict[int, Relaxed | None], hi: int
) -> list[Bound]:
    """`bounds` of x's positions as a heap whose least is bounded in full: the least ones
    bounded through their routes' relaxations (as `cheapest` does), those that cannot
    start x by `hi` left out."""
    heapq.heapify(bounds)
    while bounds and not bounds[0][8]:
        _, s, rank, pos, d, lower, g, via, _ = heapq.heappop(bounds)
        found = relaxed[s].bound(ins.inst, x, lower, g, via)  # type: ignore[union-attr]
        if found is not None and found[1] <= hi:
            lb = found[0] - ins.cost.get(s, 0)
            heapq.heappush(bounds, (lb, s, rank, pos, d, lower, g, via, True))
    return bounds


Placed = GroupInsertion | Pruned | None
"""A group's placement at an anchor, `PRUNED` when it cannot beat the bound, or None when
it fits nowhere."""


def _place(
    ins: Inserter,
    slots: list[Slot],
    cands: dict[int, list[int]],
    anchor: int,
    bounded: Callable[[int, list[int], int, int, bool], list[Bound]],
    relaxed: dict[int, Relaxed | None],
    ties: Ties | None = None,
    bound: int | None = None,
    worst: int = 0,
) -> Placed:
    """Each slot of the group in the cheapest of the positions `bounded` offers among its
    candidates (crew members on distinct technicians, a crew pinned to its first member's
    technician), the anchor starting at `anchor`; with `ties`, the tied visits it delays
    are pushed along (`optimizer.retime`). Only while the routes' own costs stay under
    `bound`: a member's cost only adds (its detour and lateness; delaying others, a crew's
    later members at its lateness), and is at least the least bound of its positions, so
    `PRUNED` once what is placed and those bounds of the members still to place reach it.
    The cost includes what the placement adds to the largest lateness (`worst` now,
    `optimizer.retime.peak`)."""
    inst = ins.inst
    heads: list[bool] = []
    for sl in slots:
        heads.append(all(sl.order != other.order for other in slots[: len(heads)]))

    def positions(k: int) -> list[Bound]:
        """Slot k's positions, a crew's first member (a pinned crew's on its technician)."""
        sl = slots[k]
        order = inst.orders[sl.order]
        shifts = cands[sl.order]
        if order.pin_tech is not None and order.crew > 1:
            shifts = [s for s in shifts if inst.shifts[s].tech == order.pin_tech]
        provides = bool(order.parts) or bool(order.equipment)
        return bounded(sl.order, shifts, anchor + sl.lo, anchor + sl.hi, provides)

    # Against a bound, each order's first member is bounded before any is timed: the least
    # bounds of the members after a slot cut its own search, and their sum the group's.
    first: dict[int, list[Bound]] = {}
    least = [0] * (len(slots) + 1)
    if bound is not None:
        total = 0
        for k, sl in enumerate(slots):
            if not heads[k]:
                continue
            found = _refined(ins, sl.order, positions(k), relaxed, anchor + sl.hi)
            if not found:
                return None
            first[sl.order] = found
            total += max(found[0][0], 0)
            if total >= bound:
                return PRUNED
        for k in range(len(slots) - 1, -1, -1):
            own = max(first[slots[k].order][0][0], 0) if heads[k] else 0
            least[k] = least[k + 1] + own
    used_shifts: set[int] = set()
    used_techs: dict[int, set[int]] = {}
    starts: dict[int, int] = {}
    routes: dict[int, Timed] = {}
    provider: dict[int, int] = {}
    delta = 0
    for k, sl in enumerate(slots):
        x = sl.order
        order = inst.orders[x]
        taken = used_techs.setdefault(x, set())
        # The first member placed of an order provides its equipment and parts.
        provides = x not in provider and (bool(order.parts) or bool(order.equipment))
        if heads[k]:
            bounds = [b for b in first.get(x) or positions(k) if b[1] not in used_shifts]
            hi = anchor + sl.hi
        else:
            # A crew's later members join the first one's start.
            shifts = [
                s for s in cands[x] if s not in used_shifts and inst.shifts[s].tech not in taken
            ]
            hi = starts[x]
            bounds = bounded(x, shifts, hi, hi, provides)
        # A crew's lateness is counted in each of its routes, once in its cost: a later
        # member's own lateness (at the first one's start) does not count towards the bound.
        again = lateness(inst, x, starts[x]) if x in starts else 0
        limit = None if bound is None else bound - delta + again - least[k + 1]
        chosen = cheapest(ins, x, bounds, relaxed, hi, provides, limit, ties)
        if chosen is None or chosen is PRUNED:
            return chosen
        cost, s, timed, start = chosen  # type: ignore[misc]
        delta += cost - again
        if bound is not None and delta + least[k + 1] >= bound:
            return PRUNED
        routes[s] = timed
        used_shifts.add(s)
        taken.add(inst.shifts[s].tech)
        starts[x] = start
        provider.setdefault(x, s)
    if ties is not None:
        pushed = delayed(ins, ties, routes, starts)
        if pushed is None:
            return None
        routes, delta = pushed
        for x in starts:
            starts[x] = routes[provider[x]].starts[routes[provider[x]].route.orders.index(x)]
        # Re-timed routes count a crew's lateness in each of them again: once is its cost.
        for x, st in starts.items():
            delta -= (inst.orders[x].crew - 1) * lateness(inst, x, st)
    delta += peak_rise(ins, routes, worst)
    return GroupInsertion(sorted(starts), delta, routes, provider)


def apply_group(ins: Inserter, g: GroupInsertion) -> None:
    """Commit a group insertion."""
    techs = {ins.inst.shifts[s].tech for s in g.routes}
    stock = ins.release(techs)
    for s, timed in g.routes.items():
        ins.set_route(s, timed)
    for x, s in g.provider.items():
        ins.set_provider(x, s)
    ins.resupply(techs, stock)


def remove_group(ins: Inserter, o: int) -> list[int] | None:
    """Take o's whole group out of the solution; the shifts touched, or None (nothing
    changed) when a route cannot be re-timed without it."""
    inst, sol = ins.inst, ins.sol
    members = set(inst.linked_group(o))
    touched = {s: r for s, r in sol.routes.items() if members & set(r.orders)}
    new: dict[int, Timed | None] = {}
    for s, route in touched.items():
        seq, depot = list(route.orders), route.depot[:2] if route.depot is not None else None
        for x in [y for y in route.orders if y in members]:
            _, seq_x, depot_x = route_without(
                RouteSol(s, seq, depot=None if depot is None else (*depot, 0)), x
            )
            seq, depot = seq_x, depot_x
        if not seq:
            new[s] = None
            continue
        timed = schedule(inst, s, seq, ins.lower_bounds(seq), depot=depot)
        if timed is None or not ins.dependents_ok(seq, timed):
            return None
        new[s] = timed
    techs = {inst.shifts[s].tech for s in touched}
    stock = ins.release(techs)
    for s, timed in new.items():
        ins.set_route(s, timed)
    for x in members:
        ins.drop_order(x)
    ins.resupply(techs, stock)
    return sorted(touched)


def insert_group(
    ins: Inserter, o: int, ties: Ties, near: set[int] | None = None
) -> list[int] | None:
    """Insert unserved o's whole group where it is cheapest, tied visits delayed where that
    pays, when that costs less than leaving it out (with `near`, a member in one of those
    shifts): the shifts touched, or None."""
    g = best_group(ins, o, ties, near)
    if g is None or g.delta >= group_value(ins.inst, o):
        return None
    apply_group(ins, g)
    return sorted(g.routes)
