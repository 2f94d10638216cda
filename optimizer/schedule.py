"""Timing one route: `schedule` gives its earliest starts, breaks placed greedily where they cost
nothing or can wait no longer; `route_cost` prices it in objective units (what insertion
minimises)."""

from __future__ import annotations

from optimizer.instance import Instance
from optimizer.kernel import Timed as Timed  # re-exported: routes are timed here
from optimizer.kernel import timed_cost
from optimizer.solution import RouteSol
from optimizer.timing import start_at


def fixed_start(start: int) -> int:
    """A `lower` entry that fixes the start exactly (kept apart from bounds by its sign)."""
    return -start - 1


def schedule(
    inst: Instance,
    s: int,
    seq: list[int],
    lower: dict[int, int] | None = None,
    depart: int | None = None,
    depot: tuple[int, int] | None = None,
) -> Timed | None:
    """Earliest feasible timing of visiting `seq` in shift s, or None.

    `lower` gives a lower bound on an order's start (its predecessors' ends), or with
    `fixed_start` an exact start (crew orders, whose crew must meet); `depart` an
    earliest departure (re-planning: when the frozen part lets the technician go on);
    `depot` = (depot, k) adds a depot stop before the k-th order (k = len(seq): at the end).
    Breaks are taken at the start location or after a visit, never right after a depot stop.
    """
    sh = inst.shifts[s]
    lower = lower or {}
    rules = sh.breaks
    taken: list[tuple[int, int] | None] = [None] * len(rules)
    pending = list(range(len(rules)))
    t = sh.start if depart is None else max(sh.start, depart)
    start_time = t
    loc = sh.start_loc
    starts: list[int] = []
    travel = 0
    depot_stop: tuple[int, int, int] | None = None
    latest = sh.end + sh.max_overtime

    def through_depot(t: int, loc: int, k: int) -> tuple[int, int, int] | None:
        """(time, location, travel) after the depot stop if it comes before order k."""
        if depot is None or depot[1] != k:
            return t, loc, 0
        dep = inst.depots[depot[0]]
        leg = inst.t(loc, dep.loc)
        ds = max(t + leg, dep.open_start)
        if ds + dep.duration > dep.open_end:
            return None
        return ds + dep.duration, dep.loc, leg

    def next_start(t: int, loc: int, k: int) -> int | None:
        moved = through_depot(t, loc, k)
        if moved is None or k >= len(seq):
            return None if moved is None else moved[0]
        t2, loc2, _ = moved
        o = seq[k]
        return start_at(inst, o, t2 + inst.t(loc2, inst.orders[o].loc), lower.get(o, 0))

    if not rules and not lower:
        # The common case: no breaks and no bounds, every stop as early as it can be.
        found = timed_from(inst, s, seq, depot, t)
        if found is None:
            return None
        timed = found
    else:
        for pos in range(-1, len(seq)):
            if pos >= 0:
                moved = through_depot(t, loc, pos)
                if moved is None:
                    return None
                if depot is not None and depot[1] == pos:
                    dep = inst.depots[depot[0]]
                    depot_stop = (depot[0], pos, moved[0] - dep.duration)
                    travel += moved[2]
                t, loc = moved[0], moved[1]
                o = seq[pos]
                leg = inst.t(loc, inst.orders[o].loc)
                st = start_at(inst, o, t + leg, lower.get(o, 0))
                if st is None:
                    return None
                travel += leg
                starts.append(st)
                t = st + inst.orders[o].duration
                loc = inst.orders[o].loc
            # Breaks taken here, at this stop's location, before moving on.
            last = pos + 1 >= len(seq)
            while pending:
                b = pending[0]
                rule = rules[b]
                bstart = max(t, rule.earliest)
                if bstart + rule.duration > rule.latest_end:
                    return None
                if last:
                    take = True
                else:
                    nxt = seq[pos + 1]
                    s0 = next_start(t, loc, pos + 1)
                    s1 = next_start(bstart + rule.duration, loc, pos + 1)
                    if s0 is None:
                        return None
                    later = s0 + inst.orders[nxt].duration
                    forced = max(later, rule.earliest) + rule.duration > rule.latest_end
                    take = forced or (s1 is not None and s1 == s0)
                if not take:
                    break
                taken[b] = (pos, bstart)
                t = bstart + rule.duration
                pending.pop(0)
        moved = through_depot(t, loc, len(seq))
        if moved is None:
            return None
        if depot is not None and depot[1] == len(seq):
            depot_stop = (depot[0], len(seq), moved[0] - inst.depots[depot[0]].duration)
            travel += moved[2]
        t, loc = moved[0], moved[1]
        leg = inst.t(loc, sh.end_loc)
        travel += leg
        ret = t + leg
        if ret > latest or pending:
            return None
        route = RouteSol(s, list(seq), start_time, ret, [x for x in taken if x], depot_stop)
        timed = Timed(route, starts, travel)
    ret = timed.route.ret
    if depart is None and seq:
        # Leave later by as much waiting as can be avoided without moving a start past its
        # window (Savelsbergh's forward slack), so that idle time is what it must be.
        delay = _avoidable_wait(inst, s, seq, timed, lower)
        first_wait = _first_wait(inst, timed)
        if 0 < delay <= first_wait:
            # Only the wait before the first stop goes: every start stays as it is.
            timed.route.depart = start_time + delay
        elif delay > 0:
            shifted = schedule(inst, s, seq, lower, depart=start_time + delay, depot=depot)
            if shifted is not None and shifted.route.ret <= ret:
                return shifted
    if seq:
        timed.route.depart = _plan_departure(inst, timed)
    return timed


def timed_from(
    inst: Instance, s: int, seq: list[int], depot: tuple[int, int] | None, depart: int
) -> Timed | None:
    """Timing of a route without breaks, bounds or fixed starts leaving at `depart`: each
    stop as early as it can be (`schedule`'s common case). For a plain route the segments
    give the departure (their earliest start), so this is what `schedule` finds, without
    its search for the departure."""
    sh = inst.shifts[s]
    rows, orders = inst.rows, inst.orders
    t, loc, travel = depart, sh.start_loc, 0
    starts: list[int] = []
    depot_stop = None
    at = -1 if depot is None else depot[1]
    for k in range(len(seq) + 1):
        if k == at:
            dep = inst.depots[depot[0]]  # type: ignore[index]
            leg = rows[loc][dep.loc]
            ds = t + leg if t + leg > dep.open_start else dep.open_start
            if ds + dep.duration > dep.open_end:
                return None
            depot_stop = (depot[0], k, ds)  # type: ignore[index]
            travel += leg
            t, loc = ds + dep.duration, dep.loc
        if k == len(seq):
            break
        order = orders[seq[k]]
        leg = rows[loc][order.loc]
        arrival = t + leg
        if order.pin_start is None and len(order.windows) == 1:
            ws, we = order.windows[0]
            if arrival > we:
                return None
            st = arrival if arrival > ws else ws
        else:
            found = start_at(inst, seq[k], arrival, 0)
            if found is None:
                return None
            st = found
        travel += leg
        starts.append(st)
        t, loc = st + order.duration, order.loc
    leg = rows[loc][sh.end_loc]
    ret = t + leg
    if ret > sh.end + sh.max_overtime:
        return None
    return Timed(RouteSol(s, list(seq), depart, ret, [], depot_stop), starts, travel + leg)


def _plan_departure(inst: Instance, timed: Timed) -> int:
    """When the plan built from the route leaves (`optimizer.plan_builder`): as late as its
    first stop, or a break at the start location, allows. Waiting before it is no idle time,
    to the plan and so to the route's cost."""
    r = timed.route
    sh = inst.shifts[r.shift]
    at_start = [start for pos, start in r.breaks if pos < 0]
    if at_start:
        depart = min(at_start)
    elif r.depot is not None and r.depot[1] == 0:
        depart = r.depot[2] - inst.t(sh.start_loc, inst.depots[r.depot[0]].loc)
    else:
        depart = timed.starts[0] - inst.t(sh.start_loc, inst.orders[r.orders[0]].loc)
    return max(sh.start, r.depart, depart)


def _first_wait(inst: Instance, timed: Timed) -> int:
    """Waiting before the route's first stop (a depot stop or the first visit)."""
    r = timed.route
    sh = inst.shifts[r.shift]
    if r.breaks and r.breaks[0][0] < 0:
        return 0
    if r.depot is not None and r.depot[1] == 0:
        dep = inst.depots[r.depot[0]]
        return r.depot[2] - (r.depart + inst.t(sh.start_loc, dep.loc))
    first = r.orders[0]
    return timed.starts[0] - (r.depart + inst.t(sh.start_loc, inst.orders[first].loc))


def _avoidable_wait(
    inst: Instance, s: int, seq: list[int], timed: Timed, lower: dict[int, int]
) -> int:
    """How much later the route may leave without delaying its return."""
    sh = inst.shifts[s]
    if sh.breaks:
        return 0  # breaks make waiting useful; keep the greedy timing
    slack = None
    waited = 0
    t = timed.route.depart
    loc = sh.start_loc
    stops = list(zip(seq, timed.starts, strict=True))
    depot = timed.route.depot
    for pos, (o, st) in enumerate(stops):
        if depot is not None and depot[1] == pos:
            dep = inst.depots[depot[0]]
            arrival = t + inst.t(loc, dep.loc)
            waited += depot[2] - arrival
            room = dep.open_end - dep.duration - depot[2]
            slack = room + waited if slack is None else min(slack, room + waited)
            t, loc = depot[2] + dep.duration, dep.loc
        order = inst.orders[o]
        arrival = t + inst.t(loc, order.loc)
        waited += st - arrival
        if lower.get(o, 0) < 0:
            latest = st  # a crew order's start is fixed
        elif order.pin_start is not None:
            latest = order.pin_start
        elif len(order.windows) == 1:
            latest = order.windows[0][1]
        else:
            latest = next(we for ws, we in order.windows if ws <= st <= we)
        if order.due is not None and inst.c_lateness[order.priority - 1]:
            latest = min(latest, max(st, order.due))  # later than due is priced lateness
        room = latest - st
        slack = room + waited if slack is None else min(slack, room + waited)
        if slack <= 0:
            return 0  # the slack only shrinks along the route
        t, loc = st + order.duration, order.loc
    return max(0, min(slack or 0, waited))


def route_without(route: RouteSol, o: int) -> tuple[int, list[int], tuple[int, int] | None]:
    """Order o's position in the route, and what the route's stops would be without it:
    the orders and the depot stop (depot, orders before it)."""
    pos = route.orders.index(o)
    seq = route.orders[:pos] + route.orders[pos + 1 :]
    depot = None
    if route.depot is not None:
        k = route.depot[1]
        depot = (route.depot[0], k - 1 if pos < k else k)
    return pos, seq, depot


def route_cost(inst: Instance, timed: Timed) -> int:
    """Cost of a scheduled route in objective units (what insertion minimises), priced by
    the cost kernel (`optimizer.kernel.timed_cost`)."""
    return timed_cost(inst, timed)
