"""Insertion of synchronised orders: a crew order (one visit in each of `crew` routes of
distinct technicians, all at one start) and linked orders (each in its own route, their
starts within the links' gaps). Every member is placed at once, or none is.

The search keeps a placed member's start fixed when its route is re-timed (`fixed_start`),
so a crew still meets and a link's gap still holds; moving a group means taking all of it
out (`remove_group`) and placing it again (`best_group`).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.cp.objective import unassigned_cost
from optimizer.insertion import Inserter, Timed, fixed_start, route_cost, route_without, schedule
from optimizer.instance import Instance
from optimizer.retime import Ties, delayed
from optimizer.solution import RouteSol

CANDIDATE_ROUTES = 10
"""Routes tried for each member of a group (the nearest eligible ones, idle ones included)."""
CANDIDATE_STARTS = 12
"""Anchor starts tried for a group (the earliest a member could start, in order)."""
PUSHED_STARTS = 6
"""Anchor starts at which a group is also tried with the tied visits after it delayed."""


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
    inst, sol = ins.inst, ins.sol
    loc = inst.orders[o].loc
    rows = inst.rows
    scored = []
    for s in ins.eligible[o]:
        sh = inst.shifts[s]
        gap = rows[sh.start_loc][loc]
        route = sol.routes.get(s)
        if route is not None:
            for x in route.orders:
                gap = min(gap, rows[inst.orders[x].loc][loc])
        scored.append((gap, s))
    scored.sort()
    return [s for _, s in scored[:CANDIDATE_ROUTES]]


def _openings(ins: Inserter, o: int, s: int) -> list[int]:
    """Starts of o worth trying in shift s: its earliest from the shift start, and right
    after each order of the route (each moved into o's next window)."""
    inst, sol = ins.inst, ins.sol
    order = inst.orders[o]
    sh = inst.shifts[s]
    ready = [sh.start + inst.t(sh.start_loc, order.loc)]
    route = sol.routes.get(s)
    for x in route.orders if route is not None else []:
        prev = inst.orders[x]
        ready.append(sol.start[x] + prev.duration + inst.t(prev.loc, order.loc))
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


def _spread(times: list[int], gap: int = 300) -> list[int]:
    """Anchor times at least `gap` seconds apart: the earliest few, then a sample of the
    rest spread over the day."""
    kept: list[int] = []
    for t in times:
        if not kept or t - kept[-1] >= gap:
            kept.append(t)
    head = CANDIDATE_STARTS // 2
    if len(kept) <= 2 * CANDIDATE_STARTS:
        return kept
    rest = kept[head:]
    step = len(rest) / (2 * CANDIDATE_STARTS - head)
    return kept[:head] + [rest[int(k * step)] for k in range(2 * CANDIDATE_STARTS - head)]


def best_group(ins: Inserter, o: int, ties: Ties | None = None) -> GroupInsertion | None:
    """The cheapest feasible placement of o's whole group (nothing else moves but the
    starts of the routes it joins), or None. With `ties`, placements that delay the tied
    visits after it (and their partners, `optimizer.retime`) are tried as well."""
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
    spread = _spread(sorted(anchors))
    for t in spread:
        if tried >= CANDIDATE_STARTS:
            break
        found = _place_at(ins, slots, cands, t)
        if found is None:
            continue
        tried += 1
        if best is None or found.delta < best.delta:
            best = found
    if ties is not None:
        for t in spread[:PUSHED_STARTS]:
            found = _place_at(ins, slots, cands, t, ties, None if best is None else best.delta)
            if found is not None and (best is None or found.delta < best.delta):
                best = found
    return best


def _place_at(
    ins: Inserter,
    slots: list[Slot],
    cands: dict[int, list[int]],
    anchor: int,
    ties: Ties | None = None,
    bound: int | None = None,
) -> GroupInsertion | None:
    """The cheapest placement of the group with the anchor starting at `anchor`: each slot
    in a route of its own (crew members on distinct technicians). With `ties`, tied visits
    after a member may be delayed (and their partners with them); such a placement is
    priced in full only while its routes' own costs stay under `bound`."""
    inst = ins.inst
    used_shifts: set[int] = set()
    used_techs: dict[int, set[int]] = {}
    starts: dict[int, int] = {}
    routes: dict[int, Timed] = {}
    provider: dict[int, int] = {}
    delta = 0
    for sl in slots:
        x = sl.order
        order = inst.orders[x]
        lo, hi = anchor + sl.lo, anchor + sl.hi
        if x in starts:
            lo = hi = starts[x]  # a crew's later members join the first one's start
        taken = used_techs.setdefault(x, set())
        # The first member placed of an order provides its equipment and parts.
        provides = x not in provider and (bool(order.parts) or bool(order.equipment))
        options = []
        for s in cands[x]:
            tech = inst.shifts[s].tech
            if s in used_shifts or tech in taken:
                continue
            pinned = order.pin_tech is not None and order.crew > 1 and not taken
            if pinned and tech != order.pin_tech:  # the pinned technician is the crew's first
                continue
            for cost, timed, start in _in_route(ins, x, s, lo, hi, provides, ties):
                options.append((cost, s, timed, start))
        options.sort(key=lambda op: (op[0], op[1]))
        chosen = None
        for op in options:
            if not provides or ins.supplied(inst.shifts[op[1]].tech, op[2].route, x):
                chosen = op
                break
        if chosen is None:
            return None
        cost, s, timed, start = chosen
        delta += cost
        if ties is not None and bound is not None and delta >= bound:
            return None  # delaying others only adds to the routes' own costs
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
    # A crew's lateness is counted in each of its routes: once is its cost.
    for x, st in starts.items():
        order = inst.orders[x]
        if order.crew > 1 and order.due is not None and st > order.due:
            delta -= (order.crew - 1) * inst.c_lateness[order.priority - 1] * (st - order.due)
    return GroupInsertion(sorted(starts), delta, routes, provider)


def _in_route(
    ins: Inserter, x: int, s: int, lo: int, hi: int, provides: bool, ties: Ties | None = None
) -> list[tuple[int, Timed, int]]:
    """Insertions of x into shift s's route starting in [lo, hi]: (cost delta, timed route,
    start), cheapest first. Only the positions around that time are tried; a provider may
    add a depot stop for what its van lacks. With `ties`, the route's tied visits may start
    later than they do."""
    inst, sol = ins.inst, ins.sol
    route = sol.routes.get(s)
    seq = route.orders if route is not None else []
    # The position after the last order that starts before lo, and the one before it.
    at = 0
    for k, y in enumerate(seq):
        if sol.start[y] < lo:
            at = k + 1
    out: list[tuple[int, Timed, int]] = []
    for pos in sorted({at, max(0, at - 1)}):
        cand = [*seq[:pos], x, *seq[pos:]]
        lower = ins.lower_bounds(cand)
        if ties is not None:
            for y in seq:
                if ties.tied[y]:
                    lower[y] = sol.start[y]  # a bound, no longer a fixed start
        lower[x] = fixed_start(lo) if lo == hi else lo
        depots = ins.depot_options(s, pos, x)
        if not provides:
            depots = depots[:1]  # the route's own stop moved along, or none
        for d in depots:
            timed = schedule(inst, s, cand, lower, depot=d)
            if timed is None:
                continue
            st = timed.starts[pos]
            if st > hi or not _allowed(inst, x, st) or not ins.dependents_ok(cand, timed):
                continue
            out.append((route_cost(inst, timed) - ins.cost.get(s, 0), timed, st))
    out.sort(key=lambda c: c[0])
    return out


def _allowed(inst: Instance, x: int, start: int) -> bool:
    """A start of order x inside one of its windows and at its pinned start, if any."""
    order = inst.orders[x]
    if order.pin_start is not None and start != order.pin_start:
        return False
    return any(ws <= start <= we for ws, we in order.windows)


def insert_group(ins: Inserter, o: int, ties: Ties) -> list[int] | None:
    """Insert unserved o's whole group where it is cheapest, tied visits delayed where that
    pays, when that costs less than leaving it out: the shifts touched, or None."""
    g = best_group(ins, o, ties)
    if g is None or g.delta >= group_value(ins.inst, o):
        return None
    apply_group(ins, g)
    return sorted(g.routes)


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
