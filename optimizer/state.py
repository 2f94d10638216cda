"""The solution an inserter changes and what it keeps beside it: route costs, depot stock and
pick-ups, segments of routes (`SegmentCache`, shared by the many inserters of one search), and
the bookkeeping and checks that insertion, exchanges and removal share."""

from __future__ import annotations

import copy
from typing import Self

import numpy as np

from optimizer.cp.objective import route_travel
from optimizer.instance import Instance
from optimizer.kernel import (
    RouteKernel,
    RouteSegments,
    kernel_member,
    kernel_order,
    order_plain,
    order_seg,
    order_window,
    segment,
)
from optimizer.params import MoveParams
from optimizer.schedule import Timed, fixed_start, route_cost
from optimizer.solution import RouteSol, Solution
from optimizer.supply import DepotStock, Pickup, tech_supply
from optimizer.timing import Relaxed

Stops = tuple[int, tuple[int, ...], tuple[int, int] | None]
"""A route by its shift, its orders in turn and its depot stop (depot, orders before it)."""
Bounded = tuple[int, tuple[int, ...], tuple[int, int] | None, tuple[tuple[int, int], ...]]
"""A route's `Stops` and its orders' lower bounds on their starts (order, bound)."""


class SegmentCache:
    """Which orders segments can price, and the segments of routes seen so far (shared by
    the many inserters of one search; a route's segments depend only on its stops)."""

    LIMIT = 20000

    def __init__(self, inst: Instance, moves: MoveParams | None = None):
        self.moves = moves if moves is not None else MoveParams()
        self.dependents: dict[int, list[int]] = {}
        for q, order in enumerate(inst.orders):
            for p in order.after:
                self.dependents.setdefault(p, []).append(q)
        self.plain = [order_plain(inst, o, o in self.dependents) for o in range(len(inst.orders))]
        self.all_plain = all(self.plain)
        # Route ends may be exchanged (2-opt*) where no preference is priced.
        self.exchange_ok = not any(order.preferred for order in inst.orders)
        self.order_segs = [
            order_seg(inst, o) if self.plain[o] else segment(0, 0, 0, 0, 0)
            for o in range(len(inst.orders))
        ]
        self.plain_shift = [not sh.breaks for sh in inst.shifts]
        # Orders the cost kernel prices (routes with breaks and SLA lateness; none where
        # idle time is priced, which depends on the departure).
        self.kernel = [
            self.moves.kernel and inst.c_idle == 0 and kernel_order(inst, o, o in self.dependents)
            for o in range(len(inst.orders))
        ]
        self.member = [
            inst.c_idle == 0 and kernel_member(inst, o) for o in range(len(inst.orders))
        ]
        self.all_unbounded = not self.dependents and not any(
            order.after or order.crew > 1 or order.links for order in inst.orders
        )
        self.kernels: dict[tuple[object, ...], RouteKernel | None] = {}
        # Depots with every item unlimited: their stock need not be copied before a check.
        self.unlimited = DepotStock.full(inst).unlimited()
        # Technicians with one shift: a route of theirs without a depot stop is supplied by
        # the van alone.
        self.single_shift = [len(t.shifts) == 1 for t in inst.techs]
        self.routes: dict[Stops, RouteSegments] = {}
        # See `Inserter.relaxed`.
        self.relaxed: dict[Bounded, Relaxed | None] = {}
        # Routes relaxed with every start free to move later (`optimizer.placement.loose`),
        # and the starts an order can take in a relaxation (`optimizer.placement.reach`), by
        # the order and the relaxation's id (kept with it, so the id stays its own).
        self.loose: dict[Bounded, Relaxed | None] = {}
        self.reach: dict[tuple[int, int], tuple[Relaxed, list[tuple[int, int]]]] = {}
        self.new_depots: dict[tuple[int, int], list[int]] = {}  # see Inserter._new_depots
        self._inst = inst
        self._near: list[list[int]] | None = None
        self._into: list[list[int]] | None = None
        # Per route object (kept with it, so its id stays its own): the locations it leaves
        # from (its shift's start and its stops) and the orders whose starts its orders
        # follow or precede (`after`), see `route_facts`.
        self.facts: dict[int, tuple[RouteSol, tuple[int, ...], tuple[int, ...]]] = {}
        # Per order, the routes of its eligible shifts as last measured, their distances to
        # it and the shifts (`Inserter.order_gaps`).
        self.gaps: dict[int, tuple[tuple[RouteSol | None, ...], list[int], list[int]]] = {}
        # Per order and shift, the route object and the order's openings in it
        # (`optimizer.groups._openings`).
        self.openings: dict[tuple[int, int], tuple[RouteSol | None, list[int]]] = {}

    def into(self, loc: int) -> list[int]:
        """Travel seconds from every location to `loc` (a column of the travel matrix)."""
        if self._into is None:
            self._into = self._inst.travel.seconds.T.tolist()
        return self._into[loc]

    def route_facts(self, route: RouteSol) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The locations route leaves from (its shift's start, then its stops) and the
        orders its orders follow or precede (`after`), made once per route object."""
        hit = self.facts.get(id(route))
        if hit is not None and hit[0] is route:
            return hit[1], hit[2]
        inst, dependents = self._inst, self.dependents
        locs = (inst.shifts[route.shift].start_loc, *(inst.orders[x].loc for x in route.orders))
        chained: list[int] = []
        for x in route.orders:
            chained += inst.orders[x].after
            chained += dependents.get(x, ())
        if len(self.facts) >= self.LIMIT:
            self.facts.clear()
        self.facts[id(route)] = (route, locs, tuple(chained))
        return locs, tuple(chained)

    def near(self, o: int) -> list[int]:
        """The orders from which o is nearest to reach, nearest first (`MoveParams.near`)."""
        if self._near is None:
            inst = self._inst
            locs = np.array([order.loc for order in inst.orders], dtype=int)
            into = inst.travel.seconds[np.ix_(locs, locs)].T  # into[o, x]: from x to o
            k = min(self.moves.near, len(locs))
            part = np.argpartition(into, k - 1, axis=1)[:, :k] if k else np.zeros((0, 0), int)
            rows = np.take_along_axis(into, part, axis=1)
            order = np.lexsort((part, rows), axis=1)
            self._near = np.take_along_axis(part, order, axis=1).tolist()
        return self._near[o]

    def relax(
        self,
        store: dict[Bounded, Relaxed | None],
        s: int,
        route: RouteSol | None,
        lower: dict[int, int],
    ) -> Relaxed | None:
        """The relaxation of shift s's route with these start bounds, kept in `store` by
        the route's stops and the bounds."""
        orders = tuple(route.orders) if route is not None else ()
        depot = route.depot[:2] if route is not None and route.depot is not None else None
        key = (s, orders, depot, tuple(lower.items()))
        if key not in store:
            if len(store) >= self.LIMIT:
                store.clear()
            store[key] = Relaxed.of(self._inst, s, route, lower)
        return store[key]

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

    def kernel_of(
        self,
        inst: Instance,
        s: int,
        route: RouteSol | None,
        bounds: dict[int, tuple[int, int]],
        loose: bool = False,
    ) -> RouteKernel | None:
        """The kernel of shift s's route (`bounds`, `loose`: see `RouteKernel.of`), or None
        when an order of it is not for the kernel (or it cannot be timed as it stands)."""
        if route is None or not route.orders:
            key: tuple[object, ...] = (s, loose)
        else:
            key = (s, loose, tuple(route.orders), route.depot[:2] if route.depot else None)
            key += (tuple(p for p, _ in route.breaks), tuple(bounds.items()))
        if key in self.kernels:
            return self.kernels[key]
        found = None
        if route is None or all(self.member[o] for o in route.orders):
            found = RouteKernel.of(inst, s, route, bounds, loose)
        if len(self.kernels) >= self.LIMIT:
            self.kernels.clear()
        self.kernels[key] = found
        return found


class RouteState:
    """A solution under change, with its route costs, supplies and segments; the moves are
    added by `InsertionSearch`, `Exchanges` and `Removal` (see `optimizer.inserter`)."""

    def __init__(
        self,
        inst: Instance,
        sol: Solution,
        eligible: dict[int, list[int]],
        granularity: int = 10,
        segments: SegmentCache | None = None,
        moves: MoveParams | None = None,
    ):
        """`moves` applies with no `segments` given (else the segments' own parameters)."""
        self.inst = inst
        self.sol = sol
        self.eligible = eligible
        self.granularity = granularity
        self.cost: dict[int, int] = {}
        self.segments = segments if segments is not None else SegmentCache(inst, moves)
        self.moves = self.segments.moves
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

    def clone(self) -> Self:
        """An independent inserter over a copy of the solution (cheaper than a new one)."""
        new = copy.copy(self)
        # The route objects are shared: a move replaces a route, never changes one (the
        # per-route caches, `InsertionSearch.per_route`, rely on it), so copying them all
        # on every move is wasted.
        sol = self.sol
        new.sol = Solution(dict(sol.routes), dict(sol.start), dict(sol.provider), sol.cost)
        new.cost = dict(self.cost)
        # Each technician's set is replaced, never changed, once the inserter is made.
        new.provided = dict(self.provided)
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

    def kernel_bounds(self, route: RouteSol) -> dict[int, tuple[int, int]]:
        """The windows of a route's orders narrowed by the rest of the solution: a crew's or
        linked order's start as it is, an `after` order from its predecessors' ends, and an
        order others wait for ending before they start (those in other routes; in the same
        route they follow it anyway, and an insertion never moves a stop earlier)."""
        inst, start = self.inst, self.sol.start
        out: dict[int, tuple[int, int]] = {}
        if self.segments.all_unbounded:
            return out
        for o in route.orders:
            order = inst.orders[o]
            if self.synced[o]:
                out[o] = (start[o], start[o])
            elif order.after or o in self.dependents:
                low = self._lower([o]).get(o, 0)
                early, late = order_window(inst, o)
                for q in self.dependents.get(o, ()):
                    if q in start and q not in route.orders:
                        late = min(late, start[q] - order.duration)
                out[o] = (max(early, low), late)
        return out

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
        tech = self.inst.shifts[s].tech
        self.provided[tech] = self.provided[tech] | {o}

    def drop_order(self, o: int) -> None:
        """Forget order o's start and provider (its routes no longer visit it)."""
        self.sol.start.pop(o, None)
        s = self.sol.provider.pop(o, None)
        if s is not None:
            tech = self.inst.shifts[s].tech
            self.provided[tech] = self.provided[tech] - {o}

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
