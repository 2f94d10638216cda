"""Re-timing routes tied by crews, links and `after` relations.

Insertion keeps every crew or linked visit at its start (`optimizer.groups`), so a visit
placed before one in a busy route fits only where the route has slack, and starts freed by a
removal stay where they were. Here starts move across routes instead:

- a push: an order inserted into a route may delay the tied visits after it; each delayed
  start delays its partners (the crew's other routes, the linked orders, the dependents) in
  their routes, and so on until every relation holds again (starts only move later);
- compaction: every route at its earliest, tied starts together: the least starts that
  satisfy travel, windows and every relation (the constraints are monotone: each bounds a
  start from below by a nondecreasing function of another start, so iterating from the
  earliest timing reaches the least fixed point).

Both re-time only with `schedule` and bounds, so breaks, depot stops and windows are kept as
insertion keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.cp.objective import max_lateness, unassigned_cost
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.reach import loose
from optimizer.schedule import Timed, fixed_start, route_cost, schedule


@dataclass
class Pushed:
    """An insertion of a single order that delays tied visits: its order and shift, cost
    delta, and every route re-timed."""

    order: int
    shift: int
    delta: int
    routes: dict[int, Timed]


class Ties:
    """Which starts bound which: `pulls[x]` = [(y, k)] where start_y >= start_x + k."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.pulls: list[list[tuple[int, int]]] = [[] for _ in inst.orders]
        for x, order in enumerate(inst.orders):
            # start_x - start_y in [lo, hi]: start_y >= start_x - hi.
            for y, _, hi in order.links:
                self.pulls[x].append((y, -hi))
            for p in order.after:
                self.pulls[p].append((x, inst.orders[p].duration))
        self.tied = [bool(self.pulls[x]) or order.crew > 1 for x, order in enumerate(inst.orders)]
        self.active = any(self.tied)
        self.tied_orders = [x for x, tied in enumerate(self.tied) if tied]
        # Starts a push may move: the tied ones and those they pull.
        self.movable = list(self.tied)
        for pulls in self.pulls:
            for y, _ in pulls:
                self.movable[y] = True


def _propagate(
    ins: Inserter,
    ties: Ties,
    seqs: dict[int, list[int]],
    depots: dict[int, tuple[int, int] | None],
    bounds: dict[int, int],
    work: list[int],
    most: int | None = None,
) -> dict[int, Timed] | None:
    """Time the routes in `work` with `bounds` on starts, raising the bounds of tied starts
    and re-timing their routes until every relation holds; the routes timed, or None."""
    inst, sol = ins.inst, ins.sol
    # The routes of each start a push may move.
    tied = ties.movable
    routes_of: dict[int, list[int]] = {}
    for s, r in sol.routes.items():
        for x in seqs.get(s, r.orders):
            if tied[x]:
                routes_of.setdefault(x, []).append(s)
    for s, seq in seqs.items():
        for x in seq:
            if tied[x] and s not in routes_of.setdefault(x, []):
                routes_of[x].append(s)
    timed: dict[int, Timed] = {}
    queued = set(work)
    retimes = 0
    if most is None:
        most = ins.moves.max_retimes
    while work:
        s = work.pop()
        queued.discard(s)
        retimes += 1
        if retimes > most:
            return None
        seq = seqs[s] if s in seqs else sol.routes[s].orders
        if s in depots:
            depot = depots[s]
        else:
            d = sol.routes[s].depot
            depot = None if d is None else (d[0], d[1])
        # From the shift start: leaving later to wait less could delay a tied start.
        t = schedule(inst, s, seq, bounds, depart=inst.shifts[s].start, depot=depot)
        if t is None:
            return None
        timed[s] = t
        here = dict(zip(seq, t.starts, strict=True))
        for x, st in here.items():
            if not ties.tied[x]:
                continue
            # A crew's other routes start it no earlier; each partner moves by its gap.
            for y, at in [(x, st), *((y, st + k) for y, k in ties.pulls[x])]:
                if at <= bounds.get(y, 0):
                    continue
                bounds[y] = at
                for s2 in routes_of.get(y, ()):
                    if s2 not in queued and not (s2 == s and here.get(y, at - 1) >= at):
                        queued.add(s2)
                        work.append(s2)
    # Each route then leaves as late as its tied starts allow (as `schedule` times routes).
    for s, t in timed.items():
        seq = t.route.orders
        fixed = {x: fixed_start(st) for x, st in zip(seq, t.starts, strict=True) if ties.tied[x]}
        later = schedule(inst, s, seq, {**bounds, **fixed}, depot=depots.get(s, _depot(t)))
        if later is not None and route_cost(inst, later) <= route_cost(inst, t):
            timed[s] = later
    return timed


def _depot(t: Timed) -> tuple[int, int] | None:
    d = t.route.depot
    return None if d is None else (d[0], d[1])


def _consistent(ins: Inserter, ties: Ties, timed: dict[int, Timed]) -> bool:
    """Every crew meets and every link and `after` relation holds with the new starts."""
    sol = ins.sol
    new: dict[int, list[int]] = {}
    for t in timed.values():
        for x, st in zip(t.route.orders, t.starts, strict=True):
            new.setdefault(x, []).append(st)
    changed = [x for x in new if ties.tied[x]]

    def start(x: int) -> int | None:
        return new[x][0] if x in new else sol.start.get(x)

    for x in changed:
        if len(set(new[x])) > 1:
            return False
        for y, k in ties.pulls[x]:
            sy = start(y)
            if sy is not None and sy < new[x][0] + k:
                return False
        for y, _, _ in ins.inst.orders[x].links:
            sy = start(y)
            for z, k in ties.pulls[y]:
                if z == x and sy is not None and new[x][0] < sy + k:
                    return False
    return True


def peak(ins: Inserter) -> int:
    """The largest lateness of the solution, when the largest is priced (else 0)."""
    return max_lateness(ins.inst, ins.sol) if ins.inst.c_max_lateness else 0


def peak_rise(ins: Inserter, timed: dict[int, Timed], before: int) -> int:
    """What re-timing these routes adds to the price of the largest lateness (`before`,
    `peak`): an insertion only delays starts, so the largest is the routes' or the old."""
    inst = ins.inst
    if not inst.c_max_lateness:
        return 0
    worst = before
    for t in timed.values():
        for x, st in zip(t.route.orders, t.starts, strict=True):
            due = inst.orders[x].due
            if due is not None and st - due > worst:
                worst = st - due
    return inst.c_max_lateness * (worst - before)


def _delta(ins: Inserter, timed: dict[int, Timed]) -> int:
    return sum(route_cost(ins.inst, t) - ins.cost.get(s, 0) for s, t in timed.items())


def best_pushed(
    ins: Inserter, ties: Ties, o: int, bound: int, shifts: list[int] | None = None
) -> Pushed | None:
    """The cheapest insertion of unserved single order o into one of `shifts` (its nearest
    routes when not given) that delays tied visits, when it costs less than `bound`, or None.

    Each position of o's nearest routes is timed in its own route first, tied starts there
    allowed to move later; that cost is a lower bound of the full one (delaying a partner
    never pays where lateness and overtime are what is priced), so the full push across
    routes is priced only for the cheapest few, while they may still beat the best. A
    position is timed only when the route's `loose` relaxation (`optimizer.reach`) lets o
    start there at a cost that may stay under `bound`."""
    inst, sol = ins.inst, ins.sol
    order = inst.orders[o]
    if order.crew != 1 or ties.tied[o] or not all(p in sol.start for p in order.after):
        return None
    local: list[tuple[int, int, int, tuple[int, int] | None]] = []
    bounds = _bounds(ins, ties, o)  # read only: the same for every route
    lower = bounds.get(o, 0)
    for s in ins.nearest_routes(o) if shifts is None else shifts:
        route = sol.routes.get(s)
        seq = route.orders if route is not None else []
        if not any(ties.tied[x] for x in seq):
            continue  # nothing to delay: plain insertion prices it
        relaxed = loose(ins, s)
        base = ins.cost.get(s, 0)
        sh = inst.shifts[s]
        stops = [sh.start_loc, *(inst.orders[x].loc for x in seq), sh.end_loc]
        # A depot stop changes the legs, and priced idle time may fall: no bound then.
        prune = not inst.c_idle and (route is None or route.depot is None)
        # Past the last tied visit, o delays none: plain insertion prices those positions.
        last = max(k for k, x in enumerate(seq) if ties.tied[x])
        for pos in range(last + 1):
            a, b = stops[pos], stops[pos + 1]
            detour = inst.t(a, order.loc) + inst.t(order.loc, b) - inst.t(a, b)
            if prune and inst.c_travel * detour >= bound:
                continue  # the detour alone costs more (nothing else gets cheaper)
            depot = ins.depot_options(s, pos, o)[0]
            if relaxed is not None:
                # The node before o in the relaxation: past the route's depot stop, one on.
                g = pos + 1 if depot is not None and pos >= depot[1] else pos
                least = relaxed.bound(inst, o, lower, g)
                if least is None or least[0] - base >= bound:
                    continue  # no timing, or none cheap enough, even relaxed
            cand = [*seq[:pos], o, *seq[pos:]]
            t = schedule(inst, s, cand, bounds, depot=depot)
            if t is None:
                continue
            if all(
                st == sol.start[x]
                for x, st in zip(cand, t.starts, strict=True)
                if x != o and ties.tied[x]
            ):
                continue  # no tied start moves: the plain insertion covers it
            delta = route_cost(inst, t) - ins.cost.get(s, 0)
            if delta < bound:
                local.append((delta, s, pos, depot))
    local.sort(key=lambda c: (c[0], c[1], c[2]))
    best: Pushed | None = None
    for lower, s, pos, depot in local[: ins.moves.push_tries]:
        if lower >= (bound if best is None else best.delta):
            break
        route = sol.routes.get(s)
        seq = route.orders if route is not None else []
        cand = [*seq[:pos], o, *seq[pos:]]
        # A copy: the push raises the bounds it is given.
        timed = _propagate(ins, ties, {s: cand}, {s: depot}, dict(bounds), [s])
        if timed is None or not _consistent(ins, ties, timed):
            continue
        if not ins.dependents_ok(cand, timed[s]):
            continue
        delta = _delta(ins, timed)
        if delta >= (bound if best is None else best.delta):
            continue
        tech = inst.shifts[s].tech
        if (order.parts or order.equipment) and not ins.supplied(tech, timed[s].route, o):
            continue
        best = Pushed(o, s, delta, timed)
    return best


def _bounds(ins: Inserter, ties: Ties, o: int) -> dict[int, int]:
    """Every served tied start bounded below by where it is now (a push only delays), and
    order o's (unless negative) by its predecessors' ends."""
    start = ins.sol.start
    out = {x: start[x] for x in ties.tied_orders if x in start}
    if o < 0:
        return out
    ends = [start[p] + ins.inst.orders[p].duration for p in ins.inst.orders[o].after]
    if ends:
        out[o] = max(ends)
    return out


def delayed(
    ins: Inserter, ties: Ties, routes: dict[int, Timed], starts: dict[int, int]
) -> tuple[dict[int, Timed], int] | None:
    """A group placed in `routes` (its members at `starts`), with the tied visits they
    delay moved later across routes until every relation holds: every route re-timed and
    the cost delta, or None."""
    seqs = {s: t.route.orders for s, t in routes.items()}
    depots = {s: _depot(t) for s, t in routes.items()}
    bounds = {**_bounds(ins, ties, -1), **starts}
    timed = _propagate(ins, ties, seqs, depots, bounds, sorted(routes))
    if timed is None or not _consistent(ins, ties, timed):
        return None
    if not all(ins.dependents_ok(t.route.orders, t) for t in timed.values()):
        return None
    return timed, _delta(ins, timed)


def apply_pushed(ins: Inserter, p: Pushed) -> None:
    """Commit a pushed insertion."""
    techs = {ins.inst.shifts[s].tech for s in p.routes}
    stock = ins.release(techs)
    for s, t in p.routes.items():
        ins.set_route(s, t)
    ins.set_provider(p.order, p.shift)
    ins.resupply(techs, stock)


def insert_pushed(
    ins: Inserter, ties: Ties, o: int, shifts: list[int] | None = None
) -> list[int] | None:
    """Insert unserved single order o where it is cheapest (in one of `shifts` when given,
    else of its nearest routes), tied visits delayed where that pays, when that costs less
    than leaving it out: the shifts it touched, or None. The plain and the pushed insertion
    are compared with what each adds to the largest lateness."""
    value = unassigned_cost(ins.inst, o)
    shifts = ins.nearest_routes(o) if shifts is None else shifts
    plain = ins.best(o, shifts)
    worst = peak(ins)
    bound = value
    if plain is not None:
        bound = min(value, plain.delta + peak_rise(ins, {plain.shift: plain.timed}, worst))
    pushed = best_pushed(ins, ties, o, bound, shifts)
    if pushed is not None and pushed.delta + peak_rise(ins, pushed.routes, worst) < bound:
        apply_pushed(ins, pushed)
        return sorted(pushed.routes)
    if plain is None or plain.delta >= value:
        return None
    ins.apply(plain)
    return [plain.shift]


def compact(ins: Inserter, ties: Ties) -> list[int]:
    """Move every tied start as early as the routes allow (see the module docstring) when
    that does not cost more; the shifts re-timed."""
    sol = ins.sol
    busy = sorted(s for s, r in sol.routes.items() if r.orders)
    if not busy:
        return []
    seqs = {s: sol.routes[s].orders for s in busy}
    depots = {
        s: None if sol.routes[s].depot is None else sol.routes[s].depot[:2]  # type: ignore[index]
        for s in busy
    }
    most = ins.moves.max_retimes + 4 * len(busy)
    timed = _propagate(ins, ties, seqs, depots, {}, list(reversed(busy)), most)
    if timed is None or not _consistent(ins, ties, timed):
        return []
    moved = [
        s
        for s, t in timed.items()
        if t.starts != [sol.start[x] for x in t.route.orders]
        or t.route.depart != sol.routes[s].depart
    ]
    if not moved or _delta(ins, {s: timed[s] for s in moved}) > 0:
        return []
    for s in moved:
        ins.set_route(s, timed[s])
    return moved
