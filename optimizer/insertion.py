"""Fast route scheduling and cheapest insertion, in plain Python.

`schedule` times one route (earliest starts, breaks placed greedily where they cost nothing
or can wait no longer). `construct` builds a first solution by inserting orders, most valuable
first, at their cheapest feasible position; re-planning and recommendations use the same
insertion moves. Crew orders are left to the CP-SAT search.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

from optimizer.cp.objective import unassigned_cost
from optimizer.instance import Instance
from optimizer.segments import (
    RouteSegments,
    between,
    order_plain,
    order_segment,
    segment_cost,
)
from optimizer.solution import RouteSol, Solution
from optimizer.supply import DepotStock, Pickup, tech_supply


def fixed_start(start: int) -> int:
    """A `lower` entry that fixes the start exactly (kept apart from bounds by its sign)."""
    return -start - 1


IDLE_ROUTES = 2
"""Empty routes offered to each insertion besides the nearest busy ones."""


@dataclass
class Timed:
    """A scheduled route: the route and its service starts."""

    route: RouteSol
    starts: list[int]
    travel: int


def _start_at(inst: Instance, o: int, arrival: int, lower: int) -> int | None:
    order = inst.orders[o]
    if lower < 0:  # a fixed start (a crew order held where the CP-SAT search put it)
        return -lower - 1 if arrival <= -lower - 1 else None
    t = max(arrival, lower)
    if order.pin_start is not None:
        return order.pin_start if t <= order.pin_start else None
    for ws, we in order.windows:
        if t <= we:
            return max(t, ws)
    return None


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
        return _start_at(inst, o, t2 + inst.t(loc2, inst.orders[o].loc), lower.get(o, 0))

    if not rules and depot is None and not lower:
        # The common case, kept tight: no breaks, no depot stop, no bounds.
        rows, orders = inst.rows, inst.orders
        for o in seq:
            order = orders[o]
            leg = rows[loc][order.loc]
            arrival = t + leg
            if order.pin_start is None and len(order.windows) == 1:
                ws, we = order.windows[0]
                if arrival > we:
                    return None
                st = arrival if arrival > ws else ws
            else:
                found = _start_at(inst, o, arrival, 0)
                if found is None:
                    return None
                st = found
            travel += leg
            starts.append(st)
            t = st + order.duration
            loc = order.loc
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
                st = _start_at(inst, o, t + leg, lower.get(o, 0))
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
    if depart is None and seq:
        # Leave later by as much waiting as can be avoided without moving a start past its
        # window (Savelsbergh's forward slack), so that idle time is what it must be.
        delay = _avoidable_wait(inst, s, seq, timed, lower)
        first_wait = _first_wait(inst, timed)
        if 0 < delay <= first_wait:
            # Only the wait before the first stop goes: every start stays as it is.
            route.depart = start_time + delay
        elif delay > 0:
            later = schedule(inst, s, seq, lower, depart=start_time + delay, depot=depot)
            if later is not None and later.route.ret <= ret:
                return later
    return timed


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
        room = latest - st
        slack = room + waited if slack is None else min(slack, room + waited)
        if slack <= 0:
            return 0  # the slack only shrinks along the route
        t, loc = st + order.duration, order.loc
    return max(0, min(slack or 0, waited))


def route_cost(inst: Instance, timed: Timed) -> int:
    """Cost of a scheduled route in objective units (what insertion minimises)."""
    r = timed.route
    if not r.orders:
        return 0
    sh = inst.shifts[r.shift]
    cost = inst.c_travel * timed.travel + inst.c_used
    cost += inst.c_overtime * max(0, r.ret - sh.end)
    if inst.c_idle:
        service = sum(inst.orders[o].duration for o in r.orders)
        brk = sum(b.duration for b in sh.breaks)
        stop = inst.depots[r.depot[0]].duration if r.depot else 0
        cost += inst.c_idle * (r.ret - r.depart - timed.travel - service - brk - stop)
    for o, st in zip(r.orders, timed.starts, strict=True):
        order = inst.orders[o]
        if order.due is not None and st > order.due:
            cost += inst.c_lateness[order.priority - 1] * (st - order.due)
        if order.preferred and sh.tech not in order.preferred:
            cost += inst.c_preference
        if inst.prev_known and order.crew == 1:
            cost += inst.change_cost(o, frozenset((sh.tech,)), st)
    return cost


@dataclass
class Insertion:
    """Where and at what cost an order fits."""

    order: int
    shift: int
    position: int
    delta: int
    timed: Timed


class SegmentCache:
    """Which orders segments can price, and the segments of routes seen so far (shared by
    the many inserters of one search; a route's segments depend only on its stops)."""

    LIMIT = 20000

    def __init__(self, inst: Instance):
        self.dependents: dict[int, list[int]] = {}
        for q, order in enumerate(inst.orders):
            for p in order.after:
                self.dependents.setdefault(p, []).append(q)
        self.plain = [order_plain(inst, o, o in self.dependents) for o in range(len(inst.orders))]
        self.plain_shift = [not sh.breaks for sh in inst.shifts]
        self.routes: dict[tuple, RouteSegments] = {}

    def of(self, inst: Instance, s: int, route: RouteSol | None) -> RouteSegments | None:
        """Segments of shift s's route, or None when a stop of it is not plain."""
        if not self.plain_shift[s]:
            return None
        orders = tuple(route.orders) if route is not None else ()
        key = (s, orders, route.depot[:2] if route is not None and route.depot else None)
        found = self.routes.get(key)
        if found is None:
            if not all(self.plain[o] for o in orders):
                return None
            if len(self.routes) >= self.LIMIT:
                self.routes.clear()
            found = self.routes[key] = RouteSegments.of(inst, route, s)
        return found


class Inserter:
    """Cheapest feasible insertion of single-technician orders into a solution, adding a
    depot stop where the van lacks what the order needs."""

    def __init__(
        self,
        inst: Instance,
        sol: Solution,
        eligible: dict[int, list[int]],
        granularity: int = 10,
        segments: SegmentCache | None = None,
    ):
        self.inst = inst
        self.sol = sol
        self.eligible = eligible
        self.granularity = granularity
        self.cost: dict[int, int] = {}
        self.segments = segments if segments is not None else SegmentCache(inst)
        self.dependents = self.segments.dependents
        self._segs: dict[int, RouteSegments | None] = {}
        self.provided: dict[int, set[int]] = {t: set() for t in range(len(inst.techs))}
        for o, s in sol.provider.items():
            self.provided[inst.shifts[s].tech].add(o)
        # Depot stock left after every technician's pick-ups, and each one's pick-ups.
        self.stock = DepotStock.full(inst)
        self.picks: dict[int, dict[int, Pickup]] = {}
        for t in range(len(inst.techs)):
            got = tech_supply(inst, t, self._routes_of(t), self.provided[t], self.stock)
            self.picks[t] = got or {}
        for s, route in sol.routes.items():
            self.cost[s] = route_cost(inst, self._timed_as_is(s, route))

    def clone(self) -> Inserter:
        """An independent inserter over a copy of the solution (cheaper than a new one)."""
        new = copy.copy(self)
        new.sol = self.sol.copy()
        new.cost = dict(self.cost)
        new.provided = {t: set(v) for t, v in self.provided.items()}
        new.stock = self.stock.copy()
        new.picks = dict(self.picks)
        new._segs = dict(self._segs)
        return new

    def _segments_of(self, s: int) -> RouteSegments | None:
        if s in self._segs:
            return self._segs[s]
        found = self._segs[s] = self.segments.of(self.inst, s, self.sol.routes.get(s))
        return found

    def _timed_as_is(self, s: int, route: RouteSol) -> Timed:
        sh = self.inst.shifts[s]
        locs = [sh.start_loc] + [self.inst.orders[o].loc for o in route.orders] + [sh.end_loc]
        if route.depot is not None:
            locs.insert(route.depot[1] + 1, self.inst.depots[route.depot[0]].loc)
        travel = sum(self.inst.t(a, b) for a, b in itertools.pairwise(locs))
        return Timed(route, [self.sol.start[o] for o in route.orders], travel)

    def _routes_of(self, t: int, replace: RouteSol | None = None) -> list[RouteSol]:
        out = []
        for s in self.inst.techs[t].shifts:
            if replace is not None and replace.shift == s:
                out.append(replace)
            elif s in self.sol.routes:
                out.append(self.sol.routes[s])
        return out

    def _stock_without(self, t: int) -> DepotStock:
        """Depot stock as if technician t had taken nothing."""
        stock = self.stock.copy()
        for s, pick in self.picks[t].items():
            d = self.sol.routes[s].depot[0]  # type: ignore[index]
            for e in pick.equipment:
                if stock.equipment.get((d, e)) is not None:
                    stock.equipment[(d, e)] += 1  # type: ignore[operator]
            for k, q in pick.parts.items():
                if stock.parts.get((d, k)) is not None:
                    stock.parts[(d, k)] += q  # type: ignore[operator]
        return stock

    def _lower(self, seq: list[int]) -> dict[int, int]:
        """Start bounds: predecessors' ends; crew orders keep their start exactly."""
        out = {}
        for o in seq:
            if self.inst.orders[o].crew > 1 and o in self.sol.start:
                out[o] = fixed_start(self.sol.start[o])
                continue
            ends = [
                self.sol.start[p] + self.inst.orders[p].duration
                for p in self.inst.orders[o].after
                if p in self.sol.start
            ]
            if ends:
                out[o] = max(ends)
        return out

    def _depot_options(self, s: int, pos: int, o: int) -> list[tuple[int, int] | None]:
        """Depot stops to try when inserting o at pos: the route's own, moved along, or none;
        with no stop yet, none or a new one at the start or right before o."""
        route = self.sol.routes.get(s)
        inst = self.inst
        if route is not None and route.depot is not None:
            d, k = route.depot[0], route.depot[1]
            if pos < k:
                return [(d, k + 1)]
            if pos > k:
                return [(d, k)]
            return [(d, k), (d, k + 1)]
        options: list[tuple[int, int] | None] = [None]
        tech = inst.shifts[s].tech
        limit = inst.shifts[s].max_depot_visits
        if inst.depots and (limit is None or limit > 0) and inst.needs_depot(o, tech):
            for d in range(len(inst.depots)):
                if inst.depot_supplies(o, tech, d) or not inst.van_ok[o, tech]:
                    options += [(d, 0)] + ([(d, pos)] if pos > 0 else [])
        return options

    def best(self, o: int, shifts: list[int] | None = None) -> Insertion | None:
        """The cheapest feasible insertion of unserved order o."""
        inst = self.inst
        order = inst.orders[o]
        if order.crew != 1 or not all(p in self.sol.start for p in order.after):
            return None
        best: Insertion | None = None
        plain = self.segments.plain[o]
        priced: list[tuple[int, int, int, tuple[int, int] | None]] = []
        for s in shifts if shifts is not None else self.nearest_routes(o):
            segs = self._segments_of(s) if plain else None
            if segs is not None:
                self._price(o, segs, priced)
                continue
            tech = inst.shifts[s].tech
            seq = self.sol.routes[s].orders if s in self.sol.routes else []
            lower = self._lower([*seq, o])
            supplied = bool(order.parts) or not order.equipment <= inst.techs[tech].equipment
            stock = self._stock_without(tech) if supplied else None
            latest = order.windows[-1][1] if order.pin_start is None else order.pin_start
            sh = inst.shifts[s]
            # A route leaving late (no avoidable wait) starts each order up to that much
            # later than it could: the bounds below must use the earliest starts.
            late = max(0, self.sol.routes[s].depart - sh.start) if seq else 0
            for pos in range(len(seq) + 1):
                if pos > 0:
                    # Later positions only start later: stop once o's windows have closed.
                    prev = seq[pos - 1]
                    ready = self.sol.start[prev] - late + inst.orders[prev].duration
                    arrival = ready + inst.t(inst.orders[prev].loc, order.loc)
                    if arrival > latest:
                        break
                else:
                    arrival = sh.start + inst.t(sh.start_loc, order.loc)
                if pos < len(seq) and not self._successor_fits(o, arrival, seq[pos], lower):
                    continue
                cand = [*seq[:pos], o, *seq[pos:]]
                for depot in self._depot_options(s, pos, o):
                    timed = schedule(inst, s, cand, lower, depot=depot)
                    if timed is None or not self._dependents_ok(cand, timed):
                        continue
                    delta = route_cost(inst, timed) - self.cost.get(s, 0)
                    if best is not None and delta >= best.delta:
                        continue
                    if stock is not None and not self._supplied(tech, timed.route, o, stock):
                        continue
                    best = Insertion(o, s, pos, delta, timed)
        return self._confirm(o, priced, best) if priced else best

    def _price(
        self,
        o: int,
        segs: RouteSegments,
        out: list[tuple[int, int, int, tuple[int, int] | None]],
    ) -> None:
        """Append (delta, shift, position, depot stop) of every feasible insertion of plain
        order o into a plain route, priced by segments."""
        inst = self.inst
        rows = inst.rows
        s = segs.shift
        sh = inst.shifts[s]
        order = inst.orders[o]
        tech = inst.techs[sh.tech]
        alone = order.parts and not inst.depots and len(tech.shifts) == 1
        # The van alone supplies this route: skip it when o does not fit in the van.
        if alone and any(
            segs.load.get(k, 0) + q > tech.parts.get(k, 0) for k, q in order.parts.items()
        ):
            return
        x = order_segment(inst, o)
        base = self.cost.get(s, 0) - segs.preference
        if order.preferred and sh.tech not in order.preferred:
            base -= inst.c_preference
        service = segs.service + order.duration
        prefix, suffix, nodes = segs.prefix, segs.suffix, segs.nodes
        kd = segs.depot_node
        new_depots: list[int] = []
        if kd is None:
            limit = sh.max_depot_visits
            if inst.depots and (limit is None or limit > 0) and inst.needs_depot(o, sh.tech):
                van_ok = self.inst.van_ok[o, sh.tech]
                new_depots = [
                    d
                    for d in range(len(inst.depots))
                    if inst.depot_supplies(o, sh.tech, d) or not van_ok
                ]
        else:
            d_route = self.sol.routes[s].depot[0]  # type: ignore[index]
        vias = [(d, *segs.via_depot(inst, d)) for d in new_depots]
        for g in range(len(nodes) - 1):
            head = prefix[g]
            if head[2] + rows[head[5]][x[4]] + head[0] > x[3]:
                break  # o's window has closed; later positions only arrive later
            if kd is None:
                pos, depot = g, None
            elif g < kd:
                pos, depot = g, (d_route, kd)
            else:
                pos, depot = g - 1, (d_route, kd - 1)
            tail = suffix[g + 1]
            options = [(head, depot, service)]
            for d, after, ahead in vias:
                stop = service + inst.depots[d].duration
                options.append((after[g], (d, pos), stop))
                if g > 0:
                    options.append((ahead[g], (d, 0), stop))
            for lead, stop_at, busy in options:
                seg = between(rows, lead, x, tail)
                cost = None if seg is None else segment_cost(inst, s, seg, busy)
                if cost is not None:
                    out.append((cost - base, s, pos, stop_at))

    def _confirm(
        self,
        o: int,
        priced: list[tuple[int, int, int, tuple[int, int] | None]],
        best: Insertion | None,
    ) -> Insertion | None:
        """Time the cheapest priced insertions for real, in order of price, until one is
        feasible with its supplies (or costs more than `best`)."""
        inst = self.inst
        order = inst.orders[o]
        priced.sort(key=lambda p: (p[0], p[1], p[2], p[3] or (-1, -1)))
        stocks: dict[int, DepotStock] = {}
        for estimate, s, pos, depot in priced:
            if best is not None and estimate >= best.delta:
                break
            route = self.sol.routes.get(s)
            seq = route.orders if route is not None else []
            timed = schedule(inst, s, [*seq[:pos], o, *seq[pos:]], depot=depot)
            if timed is None:
                continue
            delta = route_cost(inst, timed) - self.cost.get(s, 0)
            if best is not None and delta >= best.delta:
                continue
            tech = inst.shifts[s].tech
            if order.parts or not order.equipment <= inst.techs[tech].equipment:
                if tech not in stocks:
                    stocks[tech] = self._stock_without(tech)
                if not self._supplied(tech, timed.route, o, stocks[tech]):
                    continue
            best = Insertion(o, s, pos, delta, timed)
        return best

    def _successor_fits(self, o: int, arrival: int, nxt: int, lower: dict[int, int]) -> bool:
        """A necessary condition: serving o from `arrival` still lets the next order start
        inside its windows (breaks and depot stops only delay it more)."""
        inst = self.inst
        start = _start_at(inst, o, arrival, lower.get(o, 0))
        if start is None:
            return False
        after = start + inst.orders[o].duration + inst.t(inst.orders[o].loc, inst.orders[nxt].loc)
        following = inst.orders[nxt]
        if lower.get(nxt, 0) < 0:
            latest = -lower[nxt] - 1
        elif following.pin_start is not None:
            latest = following.pin_start
        else:
            latest = following.windows[-1][1]
        return after <= latest

    def nearest_routes(self, o: int) -> list[int]:
        """The eligible shifts whose routes pass nearest to o, plus the nearest idle ones
        (all of them when few)."""
        shifts = self.eligible[o]
        if len(shifts) <= self.granularity:
            return shifts
        inst = self.inst
        loc = inst.orders[o].loc
        rows = inst.rows
        busy, idle = [], []
        for s in shifts:
            route = self.sol.routes.get(s)
            gap = rows[inst.shifts[s].start_loc][loc]
            if route and route.orders:
                for x in route.orders:
                    gap = min(gap, rows[inst.orders[x].loc][loc])
                busy.append((gap, s))
            else:
                idle.append((gap, s))
        busy.sort()
        idle.sort()
        return [s for _, s in busy[: self.granularity]] + [s for _, s in idle[:IDLE_ROUTES]]

    def _supplied(self, tech: int, route: RouteSol, o: int, stock: DepotStock) -> bool:
        provided = self.provided[tech] | {o}
        routes = self._routes_of(tech, replace=route)
        return tech_supply(self.inst, tech, routes, provided, stock.copy()) is not None

    def _dependents_ok(self, seq: list[int], timed: Timed) -> bool:
        """Every `after` relation touching this route holds with its new starts."""
        inst = self.inst
        new = dict(zip(seq, timed.starts, strict=True))

        def start(o: int) -> int | None:
            return new[o] if o in new else self.sol.start.get(o)

        for o, st in new.items():
            for p in inst.orders[o].after:
                sp = start(p)
                if sp is None or sp + inst.orders[p].duration > st:
                    return False
            end = st + inst.orders[o].duration
            for q in self.dependents.get(o, ()):
                sq = start(q)
                if sq is not None and sq < end:
                    return False
        return True

    def remove(self, o: int) -> bool:
        """Take a single-technician order out of its route; False (nothing changed) when the
        rest of the route cannot be re-timed without it."""
        inst, sol = self.inst, self.sol
        s = sol.provider[o]
        route = sol.routes[s]
        pos = route.orders.index(o)
        seq = route.orders[:pos] + route.orders[pos + 1 :]
        depot = None
        if route.depot is not None:
            k = route.depot[1]
            depot = (route.depot[0], k - 1 if pos < k else k)
        tech = inst.shifts[s].tech
        timed = schedule(inst, s, seq, self._lower(seq), depot=depot) if seq else None
        if seq and (timed is None or not self._dependents_ok(seq, timed)):
            return False
        stock = self._stock_without(tech)
        provided = self.provided[tech] - {o}
        new_route = timed.route if timed is not None else RouteSol(s)
        picks = tech_supply(inst, tech, self._routes_of(tech, replace=new_route), provided, stock)
        if picks is None:
            return False
        sol.routes[s] = new_route
        self._segs.pop(s, None)
        sol.start.pop(o, None)
        sol.provider.pop(o, None)
        if timed is not None:
            for x, st in zip(seq, timed.starts, strict=True):
                sol.start[x] = st
        self.provided[tech] = provided
        self.cost[s] = route_cost(inst, timed) if timed is not None else 0
        self.picks[tech], self.stock = picks, stock
        return True

    def drop_idle_depot_stop(self, s: int) -> None:
        """Remove a route's depot stop when the orders no longer need it."""
        inst, sol = self.inst, self.sol
        route = sol.routes.get(s)
        if route is None or route.depot is None or not route.orders:
            return
        tech = inst.shifts[s].tech
        timed = schedule(inst, s, route.orders, self._lower(route.orders))
        if timed is None or not self._dependents_ok(route.orders, timed):
            return
        stock = self._stock_without(tech)
        routes = self._routes_of(tech, replace=timed.route)
        picks = tech_supply(inst, tech, routes, self.provided[tech], stock)
        if picks is None or route_cost(inst, timed) > self.cost.get(s, 0):
            return
        sol.routes[s] = timed.route
        self._segs.pop(s, None)
        for x, st in zip(route.orders, timed.starts, strict=True):
            sol.start[x] = st
        self.cost[s] = route_cost(inst, timed)
        self.picks[tech], self.stock = picks, stock

    def apply(self, ins: Insertion) -> None:
        """Commit an insertion into the solution."""
        sol, s, inst = self.sol, ins.shift, self.inst
        tech = inst.shifts[s].tech
        stock = self._stock_without(tech)
        sol.routes[s] = ins.timed.route
        self._segs.pop(s, None)
        for o, st in zip(ins.timed.route.orders, ins.timed.starts, strict=True):
            sol.start[o] = st
        sol.provider[ins.order] = s
        self.provided[tech].add(ins.order)
        self.cost[s] = route_cost(inst, ins.timed)
        self.picks[tech] = (
            tech_supply(inst, tech, self._routes_of(tech), self.provided[tech], stock) or {}
        )
        self.stock = stock


def construct(
    inst: Instance,
    eligible: dict[int, list[int]],
    sol: Solution | None = None,
    only: set[int] | None = None,
) -> Solution:
    """Insert every unserved single-technician order (or those in `only`), most valuable and
    most urgent first, at its cheapest feasible position, when that costs less than leaving
    it out."""
    sol = sol.copy() if sol is not None else Solution()
    ins = Inserter(inst, sol, eligible)
    served = sol.served()

    def urgency(o: int) -> tuple:
        order = inst.orders[o]
        close = min(order.due or inst.horizon, order.windows[-1][1])
        width = sum(we - ws for ws, we in order.windows)
        # Most valuable first; then the hardest to place: tight windows, few technicians.
        return (-unassigned_cost(inst, o), width * len(eligible[o]), close)

    for o in sorted(range(len(inst.orders)) if only is None else only, key=urgency):
        if o in served or not eligible[o]:
            continue
        best = ins.best(o)
        if best is not None and best.delta < unassigned_cost(inst, o):
            ins.apply(best)
            served.add(o)
    return sol
