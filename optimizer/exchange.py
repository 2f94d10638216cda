"""Route-end exchanges (2-opt*) between routes, priced by the cost kernel's segments."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.kernel import EARLY, RouteSegments, Seg, join, seg_cost
from optimizer.schedule import timed_from
from optimizer.solution import RouteSol
from optimizer.state import RouteState
from optimizer.supply import DepotStock, Pickup, tech_supply

DEPOT = -1
"""A depot stop among a route's orders in an exchange view."""


@dataclass
class ExchangeView:
    """A route as route-end exchanges see it: its segments, its stops (orders, and `DEPOT`
    where the depot stop is), each order's node in the segments, and by node the service
    time and parts used so far."""

    segs: RouteSegments
    stops: list[int]
    node: dict[int, int]
    service: list[int]
    loads: list[dict[str, int]]
    depot: int | None  # the depot of the route's stop
    tails: list[Seg | None]  # `RouteSegments.tails`


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
    seg_x: Seg
    seg_y: Seg | None
    cost_x: int
    cost_y: int
    had_depot: bool  # either route had a depot stop before
    picks: tuple[dict[int, Pickup], dict[int, Pickup], DepotStock] | None = None


class Exchanges(RouteState):
    """2-opt* around given routes."""

    def exchange_tails(self, shifts: set[int], limit: int | None = None) -> int:
        """2-opt* (Potvin and Rousseau 1995) around the given routes: two routes swap their
        ends, after an order of one and before an order near it in the other, while that
        pays; returns the exchanges made. Routes priced by segments only, of technicians
        with one shift, no preferences priced. A depot stop goes with its part of the route
        (a route keeps one at most); a route with one has its supply checked again, a route
        without is supplied by the van alone. At most `limit` exchanges (by default
        `MoveParams.exchanges`)."""
        if not self.segments.exchange_ok:
            return 0
        if limit is None:
            limit = self.moves.exchanges
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
        segs.exchange_view = ExchangeView(
            segs, stops, node, service, loads, depot, segs.tails(inst)
        )
        return segs.exchange_view

    def _best_exchange(self, s1: int) -> Exchange | None:
        """The cheapest supplied exchange of route ends between s1 and a route near it."""
        view1 = self._exchange_view(s1)
        if view1 is None or not view1.node:
            return None
        views: dict[int, ExchangeView | None] = {s1: view1}
        provider = self.sol.provider
        found: list[Exchange] = []
        bound = 0  # the cheapest exchange so far between van-only routes (surely supplied)
        for u, a in view1.node.items():
            for v in self.segments.near(u)[: self.moves.exchange_near]:
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
        lead_x = segs_x.prefix[p]
        if lead_x is None:
            return None
        new_x = join(rows, lead_x, vy.tails[q], segs_x.nodes[-1])
        if new_x is None:
            return None
        service_x = vx.service[p] + vy.service[-1] - vy.service[q - 1]
        cost_x = seg_cost(inst, x, new_x, service_x)
        base = self.cost.get(x, 0) + self.cost.get(y, 0)
        if cost_x - base >= bound:
            return None  # y's new route costs nothing or more
        new_y: Seg | None = None
        cost_y = 0
        if not empty_y:
            lead_y = segs_y.prefix[q - 1]
            if lead_y is None:
                return None
            new_y = join(rows, lead_y, vx.tails[p + 1], segs_y.nodes[-1])
            if new_y is None:
                return None
            service_y = vy.service[q - 1] + vx.service[-1] - vx.service[p]
            cost_y = seg_cost(inst, y, new_y, service_y)
        delta = cost_x + cost_y - base
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
            timed = timed_from(inst, s, seq, depot, seg[EARLY]) if seg is not None else None
            tech = inst.shifts[s].tech
            sol.routes[s] = timed.route if timed is not None else RouteSol(s)
            self._segs.pop(s, None)
            self.cost[s] = cost
            for o, st in zip(seq, timed.starts if timed is not None else [], strict=True):
                sol.start[o] = st
                old = sol.provider.get(o)
                if old != s:
                    was = inst.shifts[old].tech  # type: ignore[index]
                    self.provided[was] = self.provided[was] - {o}
                    self.provided[tech] = self.provided[tech] | {o}
                    sol.provider[o] = s
        if move.picks is not None:
            picks_x, picks_y, self.stock = move.picks
            self.picks[inst.shifts[move.x].tech] = picks_x
            self.picks[inst.shifts[move.y].tech] = picks_y
