"""Taking orders out of routes, and dropping depot stops no longer needed."""

from __future__ import annotations

from optimizer.kernel import EARLY, depot_seg, fold, shift_ends
from optimizer.schedule import Timed, route_cost, route_without, schedule, timed_from
from optimizer.solution import RouteSol
from optimizer.state import RouteState
from optimizer.supply import tech_supply


class Removal(RouteState):
    """Removing a single-technician order, or an idle depot stop, from a route."""

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
            supplied = tech_supply(inst, tech, routes, provided, stock)
            if supplied is None:
                return False
            picks = supplied
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
        start, end = shift_ends(inst, s)
        nodes = [cache.order_segs[x] for x in seq]
        if depot is not None:
            nodes.insert(depot[1], depot_seg(inst, depot[0]))
        nodes.append(end)
        merged = fold(inst.rows, start, nodes)[-1]
        if merged is None:
            return None
        return timed_from(inst, s, seq, depot, merged[EARLY])

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
