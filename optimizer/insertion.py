"""Fast route scheduling and cheapest insertion, in plain Python.

`schedule` times one route (earliest starts, breaks placed greedily where they cost nothing
or can wait no longer). `construct` builds a first solution by inserting orders, most valuable
first, at their cheapest feasible position; re-planning and recommendations use the same
insertion moves. Crew and linked orders are placed as a whole by `optimizer.groups`.
"""

from __future__ import annotations

import copy
import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.cp.objective import order_part, route_part, route_travel
from optimizer.instance import Instance
from optimizer.segments import (
    DEPOT,
    ExchangeView,
    RouteSegments,
    Segment,
    between,
    depot_segment,
    fold,
    join,
    order_plain,
    order_segment,
    segment_cost,
)
from optimizer.solution import RouteSol, Solution
from optimizer.supply import DepotStock, Pickup, tech_supply
from optimizer.timing import INF, Relaxed, start_at


def fixed_start(start: int) -> int:
    """A `lower` entry that fixes the start exactly (kept apart from bounds by its sign)."""
    return -start - 1


Priced = tuple[int, int, int, "tuple[int, int] | None", int]
"""A priced insertion: (delta, shift, position, depot stop, departure)."""

IDLE_ROUTES = 2
"""Empty routes offered to each insertion besides the nearest busy ones."""
EXCHANGES = 20
"""Most route-end exchanges (2-opt*) one call makes."""
EXCHANGE_NEAR = 10
"""Nearest orders whose routes an order's route tries to exchange ends with."""
NEAR = 50
"""Nearest orders looked at to find the routes that pass nearest to an order."""


@dataclass
class Timed:
    """A scheduled route: the route and its service starts."""

    route: RouteSol
    starts: list[int]
    travel: int


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
            later = schedule(inst, s, seq, lower, depart=start_time + delay, depot=depot)
            if later is not None and later.route.ret <= ret:
                return later
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
    """Cost of a scheduled route in objective units (what insertion minimises)."""
    r = timed.route
    if not r.orders:
        return 0
    alone = frozenset((inst.shifts[r.shift].tech,))
    cost = route_part(inst, r.shift, r, timed.travel)
    for o, st in zip(r.orders, timed.starts, strict=True):
        # A crew order's change is priced with its whole crew, by the group's placement.
        cost += order_part(inst, o, st, alone if inst.orders[o].crew == 1 else None)
    return cost


@dataclass
class Insertion:
    """Where and at what cost an order fits."""

    order: int
    shift: int
    position: int
    delta: int
    timed: Timed


@dataclass
class Exchange:
    """A route-end exchange priced: route x keeps its nodes up to p and takes route y's from
    q on, y keeps those before q and takes x's after p; the new routes' orders, depot
    stops, segments and costs."""

    delta: int
    x: int
    p: int
    y: int
    q: int
    seq_x: list[int]
    seq_y: list[int]
    depot_x: tuple[int, int] | None
    depot_y: tuple[int, int] | None
    seg_x: Segment
    seg_y: Segment | None
    cost_x: int
    cost_y: int
    had_depot: bool  # either route had a depot stop before
    picks: tuple[dict[int, Pickup], dict[int, Pickup], DepotStock] | None = None


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
        self.all_plain = all(self.plain)
        # Route ends may be exchanged (2-opt*) where no preference is priced.
        self.exchange_ok = not any(order.preferred for order in inst.orders)
        self.order_segs = [
            order_segment(inst, o) if self.plain[o] else (0, 0, 0, 0, 0, 0, 0)
            for o in range(len(inst.orders))
        ]
        self.plain_shift = [not sh.breaks for sh in inst.shifts]
        # Depots with every item unlimited: their stock need not be copied before a check.
        self.unlimited = DepotStock.full(inst).unlimited()
        # Technicians with one shift: a route of theirs without a depot stop is supplied by
        # the van alone.
        self.single_shift = [len(t.shifts) == 1 for t in inst.techs]
        self.routes: dict[tuple, RouteSegments] = {}
        self.relaxed: dict[tuple, Relaxed | None] = {}  # see Inserter.relaxed
        self.new_depots: dict[tuple[int, int], list[int]] = {}  # see Inserter._new_depots
        self._inst = inst
        self._near: list[list[int]] | None = None

    def near(self, o: int) -> list[int]:
        """The orders from which o is nearest to reach, nearest first (`NEAR` of them)."""
        if self._near is None:
            inst = self._inst
            locs = np.array([order.loc for order in inst.orders], dtype=int)
            into = inst.travel.seconds[np.ix_(locs, locs)].T  # into[o, x]: from x to o
            k = min(NEAR, len(locs))
            part = np.argpartition(into, k - 1, axis=1)[:, :k] if k else np.zeros((0, 0), int)
            rows = np.take_along_axis(into, part, axis=1)
            order = np.lexsort((part, rows), axis=1)
            self._near = np.take_along_axis(part, order, axis=1).tolist()
        return self._near[o]

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
            found = self.routes[key] = RouteSegments.of(inst, route, s, self.order_segs)
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
        # Every order may go to every shift, from the van: route ends move freely.
        self.everyone = all(len(v) == len(inst.shifts) for v in eligible.values()) and bool(
            inst.van_ok.all()
        )
        self.dependents = self.segments.dependents
        self.synced = [order.crew > 1 or bool(order.links) for order in inst.orders]
        self._segs: dict[int, RouteSegments | None] = {}
        self._eligible_sets: dict[int, set[int]] = {}  # shared by clones
        self.provided: dict[int, set[int]] = {t: set() for t in range(len(inst.techs))}
        for o, s in sol.provider.items():
            self.provided[inst.shifts[s].tech].add(o)
        # Depot stock left after every technician's pick-ups, and each one's pick-ups. Where
        # no depot stock is limited, the pick-ups are not kept up to date: nothing runs short
        # there, so a route with an order less, or a checked insertion, stays supplied.
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
        new.stock = self.stock if self.segments.unlimited else self.stock.copy()
        new.picks = dict(self.picks)
        new._segs = dict(self._segs)
        return new

    def _segments_of(self, s: int) -> RouteSegments | None:
        if s in self._segs:
            return self._segs[s]
        found = self._segs[s] = self.segments.of(self.inst, s, self.sol.routes.get(s))
        return found

    def _timed_as_is(self, s: int, route: RouteSol) -> Timed:
        travel = route_travel(self.inst, s, route)
        return Timed(route, [self.sol.start[o] for o in route.orders], travel)

    def _routes_of(self, t: int, replace: RouteSol | None = None) -> list[RouteSol]:
        out = []
        for s in self.inst.techs[t].shifts:
            if replace is not None and replace.shift == s:
                out.append(replace)
            elif s in self.sol.routes:
                out.append(self.sol.routes[s])
        return out

    def _stock_without(self, *techs: int) -> DepotStock:
        """Depot stock as if these technicians had taken nothing."""
        if self.segments.unlimited:
            return self.stock
        stock = self.stock.copy()
        for s, pick in (item for t in techs for item in self.picks[t].items()):
            d = self.sol.routes[s].depot[0]  # type: ignore[index]
            for e in pick.equipment:
                if stock.equipment.get((d, e)) is not None:
                    stock.equipment[(d, e)] += 1  # type: ignore[operator]
            for k, q in pick.parts.items():
                if stock.parts.get((d, k)) is not None:
                    stock.parts[(d, k)] += q  # type: ignore[operator]
        return stock

    def lower_bounds(self, seq: list[int]) -> dict[int, int]:
        """Start bounds of a route's orders: predecessors' ends; crew and linked orders keep
        their start exactly (their crew must meet, their links' gaps hold)."""
        return self._lower(seq)

    def _lower(self, seq: list[int]) -> dict[int, int]:
        out = {}
        for o in seq:
            if self.synced[o] and o in self.sol.start:
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

    def depot_options(self, s: int, pos: int, o: int) -> list[tuple[int, int] | None]:
        """Depot stops to try when inserting o at pos: the route's own, moved along, or none;
        with no stop yet, none or a new one at the start or right before o."""
        route = self.sol.routes.get(s)
        if route is not None and route.depot is not None:
            d, k = route.depot[0], route.depot[1]
            if pos < k:
                return [(d, k + 1)]
            if pos > k:
                return [(d, k)]
            return [(d, k), (d, k + 1)]
        options: list[tuple[int, int] | None] = [None]
        for d in self._new_depots(o, s):
            options += [(d, 0)] + ([(d, pos)] if pos > 0 else [])
        return options

    def best(self, o: int, shifts: list[int] | None = None) -> Insertion | None:
        """The cheapest feasible insertion of unserved order o."""
        inst = self.inst
        order = inst.orders[o]
        if order.crew != 1 or not all(p in self.sol.start for p in order.after):
            return None
        plain = self.segments.plain[o]
        by_segments: list[RouteSegments] = []
        timed_routes: list[int] = []
        for s in shifts if shifts is not None else self.nearest_routes(o):
            segs = self._segments_of(s) if plain else None
            if segs is not None:
                by_segments.append(segs)
            else:
                timed_routes.append(s)
        best = self._best_timed(o, timed_routes) if timed_routes else None
        if not by_segments:
            return best
        priced: list[Priced] = []
        self._price(o, by_segments, priced)
        return self._confirm(o, priced, best) if priced else best

    def relaxed(self, s: int, seq: list[int] | None = None) -> Relaxed | None:
        """The relaxation of shift s's route (`optimizer.timing`), with its orders' start
        bounds as they are now."""
        route = self.sol.routes.get(s)
        orders = route.orders if route is not None else []
        lower = self._lower(orders if seq is None else seq)
        depot = route.depot[:2] if route is not None and route.depot is not None else None
        key = (s, tuple(orders), depot, tuple(lower.items()))
        cache = self.segments.relaxed
        if key not in cache:
            if len(cache) >= SegmentCache.LIMIT:
                cache.clear()
            cache[key] = Relaxed.of(self.inst, s, route, lower)
        return cache[key]

    def _best_timed(self, o: int, shifts: list[int]) -> Insertion | None:
        """The cheapest feasible insertion of order o into routes that segments cannot
        price: every position bounded by the routes' relaxations, then timed in full in
        order of bound while the bound can still beat the best (the first of equals in the
        order of routes, positions and depot stops, as when timing them all)."""
        inst = self.inst
        order = inst.orders[o]
        lower_o = self._lower([o]).get(o, 0)
        # (bound, rank, shift, position, depot stop, node gap, new depot stop, bounded fully)
        Rank = tuple[int, int, int]
        heap: list[tuple[int, Rank, int, int, Any, int, Any, bool]] = []
        relaxations: dict[int, Relaxed] = {}
        for i, s in enumerate(shifts):
            relaxed = self.relaxed(s)
            if relaxed is None:
                continue
            relaxations[s] = relaxed
            base = self.cost.get(s, 0)
            own = relaxed.depot
            new_depots = [] if own is not None else self._new_depots(o, s)
            for g in range(len(relaxed.locs) - 1):
                pos, depot = relaxed.position(g)
                if relaxed.fits(inst, o, g, lower_o, INF):
                    quick = relaxed.quick(inst, o, g) - base
                    first = own is None or pos != own[1] or depot == own
                    rank = (i, pos, 0 if first else 1)
                    heap.append((quick, rank, s, pos, depot, g, None, False))
                for j, d in enumerate(new_depots):
                    if g > 0:
                        least = relaxed.quick(inst, o, g, (d, False)) - base
                        heap.append(
                            (least, (i, pos, 2 + 2 * j), s, pos, (d, g), g, (d, False), False)
                        )
                    least = relaxed.quick(inst, o, g, (d, True)) - base
                    heap.append((least, (i, pos, 1 + 2 * j), s, pos, (d, 0), g, (d, True), False))
        heapq.heapify(heap)
        best: Insertion | None = None
        best_rank = (0, 0, 0)
        stocks: dict[int, DepotStock] = {}
        while heap:
            lb, r, s, pos, depot, g, via, full = heapq.heappop(heap)
            if best is not None and lb > best.delta:
                break
            if not full:
                found = relaxations[s].bound(inst, o, lower_o, g, via)
                if found is not None:
                    bound = found[0] - self.cost.get(s, 0)
                    heapq.heappush(heap, (bound, r, s, pos, depot, g, via, True))
                continue
            route = self.sol.routes.get(s)
            seq = route.orders if route is not None else []
            cand = [*seq[:pos], o, *seq[pos:]]
            lower = self._lower(cand)
            timed = schedule(inst, s, cand, lower, depot=depot)
            if timed is None or not self._dependents_ok(cand, timed):
                continue
            delta = route_cost(inst, timed) - self.cost.get(s, 0)
            if best is not None and (delta, r) >= (best.delta, best_rank):
                continue
            tech = inst.shifts[s].tech
            if order.parts or not order.equipment <= inst.techs[tech].equipment:
                if tech not in stocks:
                    stocks[tech] = self._stock_without(tech)
                if not self._supplied(tech, timed.route, o, stocks[tech]):
                    continue
            best, best_rank = Insertion(o, s, pos, delta, timed), r
        return best

    def _price(self, o: int, routes: list[RouteSegments], out: list[Priced]) -> None:
        """Append (delta, shift, position, depot stop, departure) of the feasible insertions
        of plain order o into plain routes, priced by segments.

        Insertions known to be supplied (o needs nothing, or the van alone supplies the
        route and o fits in it) bound the others: whatever costs more than one of them is
        never taken, and is left out."""
        inst = self.inst
        rows = inst.rows
        order = inst.orders[o]
        needs = bool(order.parts or order.equipment)
        x = self.segments.order_segs[o]
        dx, _, ex, lx, fx, _, _ = x
        from_x = rows[fx]
        c_travel, c_used, c_over, c_idle = inst.c_travel, inst.c_used, inst.c_overtime, inst.c_idle
        bound = float("inf")
        for segs in routes:
            s = segs.shift
            sh = inst.shifts[s]
            kd = segs.depot_node
            # Insertions without a new depot stop: surely supplied (final), or surely not.
            final = plain_ok = True
            if needs:
                if kd is None and self.segments.single_shift[sh.tech]:
                    van = inst.techs[sh.tech]
                    plain_ok = order.equipment <= van.equipment and all(
                        segs.load.get(k, 0) + q <= van.parts.get(k, 0)
                        for k, q in order.parts.items()
                    )
                else:
                    final = False
            vias = []
            if kd is None:
                vias = [(d, *segs.via_depot(inst, d)) for d in self._new_depots(o, s)]
            else:
                d_route = self.sol.routes[s].depot[0]  # type: ignore[index]
            if not plain_ok and not vias:
                continue
            base = self.cost.get(s, 0) - segs.preference
            if order.preferred and sh.tech not in order.preferred:
                base -= inst.c_preference
            service = segs.service + order.duration
            prefix, suffix = segs.prefix, segs.suffix
            end = sh.end
            # With neither idle time nor overtime to price, an insertion costs at least the
            # travel of its detour: skip positions whose detour alone costs more than the
            # best.
            detour_bound = final and not vias and not c_idle and not (c_over and sh.max_overtime)
            for g in range(len(prefix) - 1):
                d1, w1, e1, l1, _, z1, tr1 = prefix[g]
                leg = rows[z1][fx]
                if e1 + leg + d1 > lx:
                    break  # o's window has closed; later positions only arrive later
                tail = suffix[g + 1]
                d2, w2, e2, l2, f2, _, tr2 = tail
                if detour_bound and c_travel * (leg + from_x[f2] - rows[z1][f2]) > bound:
                    continue
                if kd is None:
                    pos, depot = g, None
                elif g < kd:
                    pos, depot = g, (d_route, kd)
                else:
                    pos, depot = g - 1, (d_route, kd - 1)
                # `between(rows, prefix[g], x, tail)` and `segment_cost` inlined: the
                # innermost loop of the search.
                at = d1 - w1 + leg
                if plain_ok and not w1 and not w2 and e1 + at <= lx:
                    wait = ex - at - l1
                    if wait < 0:
                        wait = 0
                    dur = d1 + dx + leg + wait
                    early = (ex - at if ex - at > e1 else e1) - wait
                    late = lx - at if lx - at < l1 else l1
                    leg2 = from_x[f2]
                    at = dur + leg2
                    if early + at <= l2:
                        wait = e2 - at - late
                        if wait < 0:
                            wait = 0
                        if e2 - at > early:
                            early = e2 - at
                        dur += d2 + leg2 + wait
                        travel = tr1 + leg + tr2 + leg2
                        early -= wait
                        cost = c_travel * travel + c_used
                        if early + dur > end:
                            cost += c_over * (early + dur - end)
                        if c_idle:
                            cost += c_idle * (dur - travel - service)
                        if cost - base <= bound:
                            out.append((cost - base, s, pos, depot, early))
                            if final:
                                bound = cost - base
                for d, after, ahead in vias:
                    stop = service + inst.depots[d].duration
                    options = [(after[g], (d, pos))]
                    if g > 0:
                        options.append((ahead[g], (d, 0)))
                    for lead, stop_at in options:
                        seg = between(rows, lead, x, tail)
                        price = None if seg is None else segment_cost(inst, s, seg, stop)
                        if price is not None and price - base <= bound:
                            out.append((price - base, s, pos, stop_at, seg[2]))  # type: ignore[index]

    def _new_depots(self, o: int, s: int) -> list[int]:
        """Depots where a new stop would supply order o in shift s (none when o needs no
        depot or the shift allows no stop)."""
        key = (o, s)
        found = self.segments.new_depots.get(key)
        if found is None:
            inst, sh = self.inst, self.inst.shifts[s]
            found = []
            limit = sh.max_depot_visits
            if inst.depots and (limit is None or limit > 0) and inst.needs_depot(o, sh.tech):
                van_ok = inst.van_ok[o, sh.tech]
                found = [
                    d
                    for d in range(len(inst.depots))
                    if not van_ok or inst.depot_supplies(o, sh.tech, d)
                ]
            self.segments.new_depots[key] = found
        return found

    def _confirm(
        self,
        o: int,
        priced: list[Priced],
        best: Insertion | None,
    ) -> Insertion | None:
        """Time the cheapest priced insertions, in order of price, until one is feasible
        with its supplies (or costs more than `best`). Segments price exactly, so the
        timing only places the stops."""
        inst = self.inst
        order = inst.orders[o]
        priced.sort(key=lambda p: (p[0], p[1], p[2], p[3] or (-1, -1)))
        stocks: dict[int, DepotStock] = {}
        supplied = bool(order.parts) or bool(order.equipment)
        for delta, s, pos, depot, depart in priced:
            if best is not None and delta >= best.delta:
                break
            route = self.sol.routes.get(s)
            seq = route.orders if route is not None else []
            timed = timed_from(inst, s, [*seq[:pos], o, *seq[pos:]], depot, depart)
            if timed is None:  # cannot happen when the segments are right
                continue
            tech = inst.shifts[s].tech
            if supplied and depot is None and self.segments.single_shift[tech]:
                # The van alone supplies the route: o's equipment, and parts for all.
                van = inst.techs[tech]
                load = self._segs[s].load  # type: ignore[union-attr]
                if not order.equipment <= van.equipment or any(
                    load.get(k, 0) + q > van.parts.get(k, 0) for k, q in order.parts.items()
                ):
                    continue
            elif supplied:
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
        start = start_at(inst, o, arrival, lower.get(o, 0))
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
        # The routes of the orders nearest to o, when enough of them are eligible.
        allowed = self._eligible_sets.get(o)
        if allowed is None:
            allowed = self._eligible_sets[o] = set(shifts)
        provider = self.sol.provider
        busy_routes = [s for s, r in self.sol.routes.items() if r.orders and s in allowed]
        idle = sorted(
            (rows[inst.shifts[s].start_loc][loc], s)
            for s in shifts
            if s not in self.sol.routes or not self.sol.routes[s].orders
        )
        nearest_idle = [s for _, s in idle[:IDLE_ROUTES]]
        if len(busy_routes) <= self.granularity:
            # Every busy route is offered: their order does not matter.
            return sorted(busy_routes) + nearest_idle
        near: list[int] = []
        for x in self.segments.near(o):
            s = provider.get(x)
            if s is not None and s in allowed and s not in near:
                near.append(s)
                if len(near) == self.granularity:
                    return near + nearest_idle
        busy = []
        for s in busy_routes:
            gap = rows[inst.shifts[s].start_loc][loc]
            for x in self.sol.routes[s].orders:
                gap = min(gap, rows[inst.orders[x].loc][loc])
            busy.append((gap, s))
        busy.sort()
        return [s for _, s in busy[: self.granularity]] + nearest_idle

    def supplied(self, tech: int, route: RouteSol, o: int) -> bool:
        """Technician `tech` can still provide every order of theirs, and o, with `route`
        in place of its shift's route."""
        return self._supplied(tech, route, o, self._stock_without(tech))

    def dependents_ok(self, seq: list[int], timed: Timed) -> bool:
        """Every `after` relation touching this route holds with its new starts."""
        return self._dependents_ok(seq, timed)

    def set_route(self, s: int, timed: Timed | None) -> None:
        """Put a timed route (None: an empty one) in shift s; supplies are not re-checked
        (see `release` and `resupply`)."""
        sol = self.sol
        self._segs.pop(s, None)
        if timed is None:
            sol.routes[s] = RouteSol(s)
            self.cost[s] = 0
            return
        sol.routes[s] = timed.route
        for x, st in zip(timed.route.orders, timed.starts, strict=True):
            sol.start[x] = st
        self.cost[s] = route_cost(self.inst, timed)

    def set_provider(self, o: int, s: int) -> None:
        """Shift s provides order o's equipment and parts."""
        self.sol.provider[o] = s
        self.provided[self.inst.shifts[s].tech].add(o)

    def drop_order(self, o: int) -> None:
        """Forget order o's start and provider (its routes no longer visit it)."""
        self.sol.start.pop(o, None)
        s = self.sol.provider.pop(o, None)
        if s is not None:
            self.provided[self.inst.shifts[s].tech].discard(o)

    def release(self, techs: set[int]) -> DepotStock:
        """Depot stock as if these technicians had taken nothing: taken before their routes
        change, handed to `resupply` after."""
        return self._stock_without(*sorted(techs))

    def resupply(self, techs: set[int], stock: DepotStock) -> None:
        """Recompute the depot pick-ups of these technicians after their routes changed,
        from the stock `release` gave."""
        if self.segments.unlimited:
            return
        for tech in sorted(techs):
            routes = self._routes_of(tech)
            picks = tech_supply(self.inst, tech, routes, self.provided[tech], stock)
            self.picks[tech] = picks or {}
        self.stock = stock

    def _supplied(self, tech: int, route: RouteSol, o: int, stock: DepotStock) -> bool:
        provided = self.provided[tech] | {o}
        routes = self._routes_of(tech, replace=route)
        if not self.segments.unlimited:
            stock = stock.copy()
        return tech_supply(self.inst, tech, routes, provided, stock) is not None

    def _dependents_ok(self, seq: list[int], timed: Timed) -> bool:
        """Every `after` relation touching this route holds with its new starts."""
        if not self.dependents:
            return True  # no order waits for another
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

    def exchange_tails(self, shifts: set[int], limit: int = EXCHANGES) -> int:
        """2-opt* (Potvin and Rousseau 1995) around the given routes: two routes swap their
        ends, after an order of one and before an order near it in the other, while that
        pays; returns the exchanges made. Routes priced by segments only, of technicians
        with one shift, no preferences priced. A depot stop goes with its part of the route
        (a route keeps one at most); a route with one has its supply checked again, a route
        without is supplied by the van alone."""
        if not self.segments.exchange_ok:
            return 0
        made = 0
        todo = set(shifts)
        while todo and made < limit:
            s1 = min(todo)
            todo.discard(s1)
            move = self._best_exchange(s1)
            if move is None:
                continue
            self._exchange(move)
            made += 1
            todo |= {move.x, move.y}
        return made

    def _exchange_view(self, s: int) -> ExchangeView | None:
        """What route-end exchanges of route s are priced from; None when it may not take
        part."""
        inst = self.inst
        segs = self._segments_of(s)
        if segs is None or not self.segments.single_shift[inst.shifts[s].tech]:
            return None
        if segs.exchange_view is not None:
            return segs.exchange_view
        route = self.sol.routes.get(s)
        stops = list(route.orders) if route is not None else []
        depot = None
        if route is not None and route.depot is not None:
            depot = route.depot[0]
            stops.insert(route.depot[1], DEPOT)
        service = [0]
        loads: list[dict[str, int]] = [{}]
        for o in stops:
            if o == DEPOT:
                service.append(service[-1] + inst.depots[depot].duration)  # type: ignore[index]
                loads.append(loads[-1])
                continue
            order = inst.orders[o]
            service.append(service[-1] + order.duration)
            if order.parts:
                load = dict(loads[-1])
                for k, q in order.parts.items():
                    load[k] = load.get(k, 0) + q
                loads.append(load)
            else:
                loads.append(loads[-1])
        node = {o: k + 1 for k, o in enumerate(stops) if o != DEPOT}
        segs.exchange_view = ExchangeView(segs, stops, node, service, loads, depot)
        return segs.exchange_view

    def _best_exchange(self, s1: int) -> Exchange | None:
        """The cheapest supplied exchange of route ends between s1 and a route near it."""
        view1 = self._exchange_view(s1)
        if view1 is None or not view1.node:
            return None
        views = {s1: view1}
        provider = self.sol.provider
        found: list[Exchange] = []
        bound = 0  # the cheapest exchange so far between van-only routes (surely supplied)
        for u, a in view1.node.items():
            for v in self.segments.near(u)[:EXCHANGE_NEAR]:
                s2 = provider.get(v)
                if s2 is None or s2 == s1:
                    continue
                if s2 not in views:
                    views[s2] = self._exchange_view(s2)
                view2 = views[s2]
                if view2 is None:
                    continue
                b = view2.node[v]
                for x, p, y, q, vx, vy in (
                    (s1, a, s2, b, view1, view2),
                    (s2, b, s1, a, view2, view1),
                ):
                    move = self._exchange_price(x, p, y, q, vx, vy, bound)
                    if move is not None:
                        found.append(move)
                        if move.depot_x is None and move.depot_y is None:
                            bound = move.delta  # supplied by the vans
        # A van-only exchange is supplied; one with a depot stop is checked, cheapest first.
        found.sort(key=lambda m: (m.delta, m.x, m.p, m.y, m.q))
        for move in found:
            if self._exchange_supplied(move):
                return move
        return None

    def _exchange_price(
        self, x: int, p: int, y: int, q: int, vx: ExchangeView, vy: ExchangeView, bound: int
    ) -> Exchange | None:
        """Route x keeps its stops up to node p and takes y's from node q on; y keeps those
        before node q and takes x's after p. The exchange if it costs less than `bound` and
        is feasible (a route with a depot stop: supply aside), else None."""
        inst = self.inst
        segs_x, segs_y = vx.segs, vy.segs
        # Where the depot stops go: (x's stays, y's comes) to x, (y's stays, x's comes) to y.
        dx, dy = segs_x.depot_node, segs_y.depot_node
        x_keeps, y_gives = dx is not None and dx <= p, dy is not None and dy >= q
        y_keeps, x_gives = dy is not None and dy < q, dx is not None and dx > p
        if (x_keeps and y_gives) or (y_keeps and x_gives):
            return None  # two depot stops in one route
        # Orders y keeps and x gives away: is y left empty (a depot stop alone dropped)?
        empty_y = q - 1 - y_keeps + len(vx.stops) - p - x_gives == 0
        rows = inst.rows
        new_x = join(rows, segs_x.prefix[p], segs_y.tails(inst)[q], segs_x.nodes[-1])
        if new_x is None:
            return None
        service_x = vx.service[p] + vy.service[-1] - vy.service[q - 1]
        cost_x = segment_cost(inst, x, new_x, service_x)
        if cost_x is None:
            return None
        new_y: Segment | None = None
        cost_y = 0
        if not empty_y:
            new_y = join(rows, segs_y.prefix[q - 1], segs_x.tails(inst)[p + 1], segs_y.nodes[-1])
            if new_y is None:
                return None
            service_y = vy.service[q - 1] + vx.service[-1] - vx.service[p]
            found = segment_cost(inst, y, new_y, service_y)
            if found is None:
                return None
            cost_y = found
        delta = cost_x + cost_y - self.cost.get(x, 0) - self.cost.get(y, 0)
        if delta >= bound:
            return None
        head_x, tail_x = vx.stops[:p], vx.stops[p:]
        head_y, tail_y = vy.stops[: q - 1], vy.stops[q - 1 :]
        moved_out = [o for o in tail_x if o != DEPOT]
        moved_in = [o for o in tail_y if o != DEPOT]
        depot_x = vx.depot if x_keeps else vy.depot if y_gives else None
        depot_y = None if new_y is None else vy.depot if y_keeps else vx.depot if x_gives else None
        if not self._may_take(x, moved_in, van=depot_x is None):
            return None
        if not self._may_take(y, moved_out, van=depot_y is None):
            return None
        if depot_x is None and not self._fits_van(x, vx.loads[p], vy.loads[-1], vy.loads[q - 1]):
            return None
        if depot_y is None and not self._fits_van(y, vy.loads[q - 1], vx.loads[-1], vx.loads[p]):
            return None
        stops_x = head_x + tail_y
        stops_y = (head_y + tail_x) if new_y is not None else []
        for s, depot in ((x, depot_x), (y, depot_y)):
            limit = inst.shifts[s].max_depot_visits
            if depot is not None and limit is not None and limit < 1:
                return None
        at_x = None if depot_x is None else (depot_x, stops_x.index(DEPOT))
        at_y = None if depot_y is None else (depot_y, stops_y.index(DEPOT))
        return Exchange(
            delta,
            x,
            p,
            y,
            q,
            [o for o in stops_x if o != DEPOT],
            [o for o in stops_y if o != DEPOT],
            at_x,
            at_y,
            new_x,
            new_y,
            cost_x,
            cost_y,
            dx is not None or dy is not None,
        )

    def _may_take(self, s: int, orders: list[int], van: bool) -> bool:
        """Shift s may serve every one of the orders (from its van alone when `van`)."""
        if self.everyone or not orders:
            return True
        tech = self.inst.shifts[s].tech
        van_ok = self.inst.van_ok
        for o in orders:
            allowed = self._eligible_sets.get(o)
            if allowed is None:
                allowed = self._eligible_sets[o] = set(self.eligible[o])
            if s not in allowed or (van and not van_ok[o, tech]):
                return False
        return True

    def _fits_van(
        self, s: int, head: dict[str, int], total: dict[str, int], before: dict[str, int]
    ) -> bool:
        """The parts of `head` plus those of another route's end (its `total` less what
        comes `before` the end) fit in shift s's van."""
        parts = self.inst.techs[self.inst.shifts[s].tech].parts
        for k in head.keys() | total.keys():
            if head.get(k, 0) + total.get(k, 0) - before.get(k, 0) > parts.get(k, 0):
                return False
        return True

    def _exchange_supplied(self, move: Exchange) -> bool:
        """Whether both new routes are supplied; fills in the move's pick-ups and the stock
        left when a route has a depot stop (a van-only exchange was checked when priced)."""
        if move.depot_x is None and move.depot_y is None and not move.had_depot:
            return True
        inst = self.inst
        tx, ty = inst.shifts[move.x].tech, inst.shifts[move.y].tech
        stock = self._stock_without(tx, ty)
        picks = []
        for s, seq, depot in (
            (move.x, move.seq_x, move.depot_x),
            (move.y, move.seq_y, move.depot_y),
        ):
            route = RouteSol(s, seq, depot=None if depot is None else (*depot, 0))
            got = tech_supply(inst, inst.shifts[s].tech, [route] if seq else [], set(seq), stock)
            if got is None:
                return False
            picks.append(got)
        move.picks = (picks[0], picks[1], stock)
        return True

    def _exchange(self, move: Exchange) -> None:
        """Make an exchange `_best_exchange` found."""
        inst, sol = self.inst, self.sol
        for s, seq, depot, seg, cost in (
            (move.x, move.seq_x, move.depot_x, move.seg_x, move.cost_x),
            (move.y, move.seq_y, move.depot_y, move.seg_y, move.cost_y),
        ):
            timed = timed_from(inst, s, seq, depot, seg[2]) if seg is not None else None
            tech = inst.shifts[s].tech
            sol.routes[s] = timed.route if timed is not None else RouteSol(s)
            self._segs.pop(s, None)
            self.cost[s] = cost
            for o, st in zip(seq, timed.starts if timed is not None else [], strict=True):
                sol.start[o] = st
                old = sol.provider.get(o)
                if old != s:
                    self.provided[inst.shifts[old].tech].discard(o)  # type: ignore[index]
                    self.provided[tech].add(o)
                    sol.provider[o] = s
        if move.picks is not None:
            picks_x, picks_y, self.stock = move.picks
            self.picks[inst.shifts[move.x].tech] = picks_x
            self.picks[inst.shifts[move.y].tech] = picks_y

    def remove(self, o: int) -> bool:
        """Take a single-technician order out of its route; False (nothing changed) when the
        rest of the route cannot be re-timed without it."""
        inst, sol = self.inst, self.sol
        s, pos, seq, depot = self.without(o)
        route = sol.routes[s]
        tech = inst.shifts[s].tech
        timed = self._timed_without(s, pos, seq, depot) if seq else None
        if seq and (timed is None or not self._dependents_ok(seq, timed)):
            return False
        provided = self.provided[tech] - {o}
        new_route = timed.route if timed is not None else RouteSol(s)
        if self.segments.unlimited or (route.depot is None and self.segments.single_shift[tech]):
            picks, stock = self.picks[tech], self.stock  # fewer orders, still supplied
        else:
            stock = self._stock_without(tech)
            routes = self._routes_of(tech, replace=new_route)
            picks = tech_supply(inst, tech, routes, provided, stock)
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

    def without(self, o: int) -> tuple[int, int, list[int], tuple[int, int] | None]:
        """Served order o's shift, and its route without it (`route_without`)."""
        s = self.sol.provider[o]
        return (s, *route_without(self.sol.routes[s], o))

    def _timed_without(
        self, s: int, pos: int, seq: list[int], depot: tuple[int, int] | None
    ) -> Timed | None:
        """Timing of shift s's route without its order at `pos` (`seq` is what is left)."""
        inst, cache = self.inst, self.segments
        if not cache.plain_shift[s] or not (cache.all_plain or all(cache.plain[x] for x in seq)):
            return schedule(inst, s, seq, self._lower(seq), depot=depot)
        sh = inst.shifts[s]
        nodes = [cache.order_segs[x] for x in seq]
        if depot is not None:
            nodes.insert(depot[1], depot_segment(inst, depot[0]))
        nodes.append((0, 0, 0, sh.end + sh.max_overtime, sh.end_loc, sh.end_loc, 0))
        start = (0, 0, sh.start, sh.end + sh.max_overtime, sh.start_loc, sh.start_loc, 0)
        merged = fold(inst.rows, start, nodes)[-1]
        if merged[1]:
            return None
        return timed_from(inst, s, seq, depot, merged[2])

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
        old = sol.routes.get(s)
        # A van-only route stays van-only: the insertion was checked against the van.
        van_only = (
            self.segments.single_shift[tech]
            and ins.timed.route.depot is None
            and (old is None or old.depot is None)
        )
        stock = self.stock if van_only else self._stock_without(tech)
        sol.routes[s] = ins.timed.route
        self._segs.pop(s, None)
        for o, st in zip(ins.timed.route.orders, ins.timed.starts, strict=True):
            sol.start[o] = st
        sol.provider[ins.order] = s
        self.provided[tech].add(ins.order)
        self.cost[s] = self.cost.get(s, 0) + ins.delta
        if not van_only and not self.segments.unlimited:
            self.picks[tech] = (
                tech_supply(inst, tech, self._routes_of(tech), self.provided[tech], stock) or {}
            )
            self.stock = stock
