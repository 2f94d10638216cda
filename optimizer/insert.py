"""Cheapest insertion: where a single-technician order fits at the least cost, adding a depot
stop where the van lacks what it needs; priced on segments where they apply, by `schedule`
elsewhere."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from optimizer.kernel import (
    EARLY,
    Job,
    RouteKernel,
    RouteSegments,
    between,
    order_seg,
    seg_cost,
    time_route,
)
from optimizer.schedule import Timed, route_cost, schedule, timed_from
from optimizer.solution import RouteSol
from optimizer.state import RouteState
from optimizer.supply import DepotStock, tech_supply
from optimizer.timing import INF, Relaxed, start_at

T = TypeVar("T")

PER_ROUTE_LIMIT = 20000
"""Most entries `InsertionSearch.per_route` keeps (it starts again when full)."""

NO_STOP = (-1, False)
"""A kernel-priced insertion without a new depot stop (first among equals, see `_best_kernel`)."""
Priced = tuple[int, int, int, "tuple[int, int] | None", int]
"""A priced insertion: (delta, shift, position, depot stop, departure)."""


@dataclass
class Insertion:
    """Where and at what cost an order fits."""

    order: int
    shift: int
    position: int
    delta: int
    timed: Timed


class InsertionSearch(RouteState):
    """Cheapest feasible insertion of single-technician orders, and committing one."""

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
        kernel = self.segments.kernel[o]
        by_segments: list[RouteSegments] = []
        by_kernel: list[RouteKernel] = []
        timed_routes: list[int] = []
        for s in shifts if shifts is not None else self.nearest_routes(o):
            segs = self._segments_of(s) if plain else None
            if segs is not None:
                by_segments.append(segs)
                continue
            kern = self.kernel_route(o, s) if kernel else None
            if kern is not None:
                by_kernel.append(kern)
            else:
                timed_routes.append(s)
        best = self._best_timed(o, timed_routes) if timed_routes else None
        if by_kernel:
            found = self._best_kernel(o, by_kernel, None)
            if found is None:
                # The loose kernel moves a shift's one break anywhere (`RouteKernel.price`:
                # the earliest departure before o, or after any stop from o on); two or
                # more keep their places, and where o fits only with them moved, the timed
                # search finds it.
                found = self._best_timed(
                    o,
                    [
                        k.shift
                        for k in by_kernel
                        if k.other is None and inst.shifts[k.shift].breaks
                    ],
                )
            if found is not None and (best is None or found.delta < best.delta):
                best = found
        if not by_segments:
            return best
        priced: list[Priced] = []
        self._price(o, by_segments, priced)
        return self._confirm(o, priced, best) if priced else best

    def relaxed(self, s: int, seq: list[int] | None = None) -> Relaxed | None:
        """The relaxation of shift s's route (`optimizer.timing`), with its orders' start
        bounds as they are now."""
        if seq is None:
            return self.per_route("relaxed", s, lambda: self.relaxed(s, self._seq(s)))
        route = self.sol.routes.get(s)
        return self.segments.relax(self.segments.relaxed, s, route, self._lower(seq))

    def _seq(self, s: int) -> list[int]:
        """The orders of shift s's route (none when it has no route)."""
        route = self.sol.routes.get(s)
        return route.orders if route is not None else []

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

    def kernel_route(self, o: int, s: int) -> RouteKernel | None:
        """The kernel of shift s's route for inserting order o (None where it does not
        price an order of the route); a shift with one break keeps the loose kernel (see
        `RouteKernel.of`) in its `other`."""
        return self.per_route("kernel", s, lambda: self._kernel_route(s))

    def _kernel_route(self, s: int) -> RouteKernel | None:
        route = self.sol.routes.get(s)
        bounds = self.kernel_bounds(route) if route is not None else {}
        kern = self.segments.kernel_of(self.inst, s, route, bounds)
        if kern is not None and kern.other is None and len(self.inst.shifts[s].breaks) == 1:
            kern.other = self.segments.kernel_of(self.inst, s, route, bounds, loose=True)
        return kern

    _per_route: tuple[
        object,
        dict[tuple[str, int, int], tuple[RouteSol | None, tuple[int | None, ...], object]],
    ] = (None, {})
    """What `per_route` keeps, shared by the inserters over one search's segments (a clone
    shares its original's route objects, `RouteState.clone`)."""

    def per_route(self, kind: str, s: int, make: Callable[[], T]) -> T:
        """`make()`, what shift s's route gives of this `kind` (its kernel, relaxations),
        kept while the route stands (a route object is replaced whenever its orders or
        starts change) and the starts of the orders its orders follow or precede (`after`)
        in other routes stay."""
        route = self.sol.routes.get(s)
        if self._per_route[0] is not self.segments:
            self._per_route = (self.segments, {})
        memo = self._per_route[1]
        # By the route object too: the current solution's and a move's routes both stay.
        key = (kind, s, id(route))
        hit = memo.get(key)
        stamp = self._chained_starts(route)
        if hit is not None and hit[0] is route and hit[1] == stamp:
            return cast(T, hit[2])
        found = make()
        if len(memo) >= PER_ROUTE_LIMIT:
            memo.clear()
        memo[key] = (route, stamp, found)
        return found

    def _chained_starts(self, route: RouteSol | None) -> tuple[int | None, ...]:
        """The starts of the orders that the route's orders follow or precede (`after`)."""
        if route is None:
            return ()
        return tuple(map(self.sol.start.get, self.segments.route_facts(route)[1]))

    def _best_kernel(
        self, o: int, routes: list[RouteKernel], best: Insertion | None
    ) -> Insertion | None:
        """The cheapest feasible insertion of order o into the routes the kernel prices,
        or `best` when none is cheaper: every gap bounded, priced exactly where its bound may
        beat the cheapest so far, then the cheapest timed until one is supplied."""
        inst = self.inst
        order = inst.orders[o]
        x = order_seg(inst, o)
        supplied = bool(order.parts) or bool(order.equipment)
        loads: dict[int, dict[str, int]] = {}
        jobs = []
        for kern in routes:
            s = kern.shift
            route = self.sol.routes.get(s)
            own = route is not None and route.depot is not None
            depots = [] if own else self._new_depots(o, s)
            # Without a depot stop, a single shift's van alone supplies the route (the
            # parts of the orders it provides: a crew order may be another's).
            load: dict[str, int] = {}
            for y in route.orders if route is not None else ():
                if self.sol.provider.get(y) == s:
                    for k, q in inst.orders[y].parts.items():
                        load[k] = load.get(k, 0) + q
            loads[s] = load
            van = not supplied or own or not self.segments.single_shift[inst.shifts[s].tech]
            if not van:
                tech = inst.techs[inst.shifts[s].tech]
                van = order.equipment <= tech.equipment and all(
                    load.get(k, 0) + q <= tech.parts.get(k, 0) for k, q in order.parts.items()
                )
            jobs.append((kern, depots, van))
        # The break where it is first; then moved, where it may beat the best found so far.
        for loose in (False, True):
            heap: list[Any] = []
            kernels: list[tuple[RouteKernel, int, Job]] = []
            for kern, depots, van in jobs:
                kk = kern.other if loose else kern
                if kk is None:
                    continue
                base = self.cost.get(kk.shift, 0)
                limit = best.delta + base if best is not None else INF
                job = kk.job(inst, o, x, limit)
                i = len(kernels)
                kernels.append((kk, base, job))
                if van:
                    heap += [(lb - base, 0, kk.shift, g, i) for lb, g in kk.lower(inst, job)]
                if depots:
                    stops = kk.stops(inst, depots)
                    for g in kk.gaps(inst, x):
                        kk.price_gap(inst, job, g, False, stops)
                    heap += [
                        (cost - base, 1, kk.shift, g, via, brk, i) for cost, g, via, brk in job[2]
                    ]
            best = self._confirm_kernel(o, heap, kernels, best, loads)
        return best

    def _confirm_kernel(
        self,
        o: int,
        heap: list[Any],
        kernels: list[tuple[RouteKernel, int, Job]],
        best: Insertion | None,
        loads: dict[int, dict[str, int]],
    ) -> Insertion | None:
        """Time the cheapest kernel-priced insertions of order o, in order of price, until
        one is supplied (or costs `best` or more); `loads`: see `_supply_ok`. The heap holds
        (price, 1, shift, gap, new depot stop, break, kernel) and (bound, 0, shift, gap,
        kernel): a gap bounded (`RouteKernel.lower`) and priced only when its bound comes
        first, before any price as low (so that the first of equals is as if all were
        priced)."""
        inst = self.inst
        order = inst.orders[o]
        supplied = bool(order.parts) or bool(order.equipment)
        stocks: dict[int, DepotStock] = {}
        heapq.heapify(heap)
        while heap:
            item = heapq.heappop(heap)
            delta = item[0]
            if best is not None and delta >= best.delta:
                break
            kern, base, job = kernels[item[-1]]
            if not item[1]:
                out = job[2]
                out.clear()
                kern.price_gap(inst, job, item[3], True, [])
                for cost, g, _, brk in out:
                    heapq.heappush(heap, (cost - base, 1, item[2], g, NO_STOP, brk, item[-1]))
                continue
            _, _, s, g, via, brk, _ = item
            seq, depot, breaks_at = kern.place(o, g, via if via[0] >= 0 else None, brk)
            timed = time_route(inst, s, seq, depot, breaks_at, kern.bounds)
            if timed is None:  # cannot happen: the kernel prices exactly
                continue
            if supplied and not self._supply_ok(o, timed, loads[s], stocks):
                continue
            return Insertion(o, s, seq.index(o), delta, timed)
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
        dx, ex, lx, fx, _, _, _, _ = x
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
            suffix = segs.suffix
            end = sh.end
            # With neither idle time nor overtime to price, an insertion costs at least the
            # travel of its detour: skip positions whose detour alone costs more than the
            # best.
            detour_bound = final and not vias and not c_idle and not (c_over and sh.max_overtime)
            for g, gap in enumerate(segs.gaps()):
                if gap is None:
                    continue  # cannot happen in a plan's route
                d1, e1, l1, z1, tr1, d2, e2, l2, f2, tr2 = gap
                leg = rows[z1][fx]
                if e1 + leg + d1 > lx:
                    break  # o's window has closed; later positions only arrive later
                if detour_bound and c_travel * (leg + from_x[f2] - rows[z1][f2]) > bound:
                    continue
                if kd is None:
                    pos, depot = g, None
                elif g < kd:
                    pos, depot = g, (d_route, kd)
                else:
                    pos, depot = g - 1, (d_route, kd - 1)
                # `between(rows, prefix[g], x, tail)` and `seg_cost` inlined: the
                # innermost loop of the search.
                at = d1 + leg
                if plain_ok and e1 + at <= lx:
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
                    for head, stop_at in options:
                        tail = suffix[g + 1]
                        seg = None if head is None else between(rows, head, x, tail)  # type: ignore[arg-type]
                        if seg is None:
                            continue
                        price = seg_cost(inst, s, seg, stop)
                        if price - base <= bound:
                            out.append((price - base, s, pos, stop_at, seg[EARLY]))

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
            load = self._segs[s].load  # type: ignore[union-attr]
            if supplied and not self._supply_ok(o, timed, load, stocks):
                continue
            best = Insertion(o, s, pos, delta, timed)
        return best

    def _supply_ok(
        self, o: int, timed: Timed, load: dict[str, int], stocks: dict[int, DepotStock]
    ) -> bool:
        """Order o (which needs equipment or parts) is supplied in the timed route (`load`:
        the parts the route's other orders use; `stocks`: depot stock by technician, filled
        as needed)."""
        inst = self.inst
        order = inst.orders[o]
        tech = inst.shifts[timed.route.shift].tech
        if timed.route.depot is None and self.segments.single_shift[tech]:
            # The van alone supplies the route: o's equipment, and parts for all.
            van = inst.techs[tech]
            return order.equipment <= van.equipment and all(
                load.get(k, 0) + q <= van.parts.get(k, 0) for k, q in order.parts.items()
            )
        if tech not in stocks:
            stocks[tech] = self._stock_without(tech)
        return self._supplied(tech, timed.route, o, stocks[tech])

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

    def eligible_set(self, o: int) -> set[int]:
        """The shifts eligible for order o, as a set (made once, shared by clones)."""
        allowed = self._eligible_sets.get(o)
        if allowed is None:
            allowed = self._eligible_sets[o] = set(self.eligible[o])
        return allowed

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
        allowed = self.eligible_set(o)
        provider = self.sol.provider
        routes = self.sol.routes
        busy_routes: list[int] = []
        idle: list[tuple[int, int]] = []
        for s in shifts:
            route = routes.get(s)
            if route is not None and route.orders:
                busy_routes.append(s)
            else:
                idle.append((rows[inst.shifts[s].start_loc][loc], s))
        idle.sort()
        nearest_idle = [s for _, s in idle[: self.moves.idle_routes]]
        if len(busy_routes) <= self.granularity:
            # Every busy route is offered: their order does not matter.
            return sorted(busy_routes) + nearest_idle
        near: list[int] = []
        for x in self.segments.near(o):
            served_by = provider.get(x)
            if served_by is not None and served_by in allowed and served_by not in near:
                near.append(served_by)
                if len(near) == self.granularity:
                    return near + nearest_idle
        busy = [
            (g, s)
            for g, s in zip(self.order_gaps(o), shifts, strict=True)
            if (r := routes.get(s)) is not None and r.orders
        ]
        busy.sort()
        return [s for _, s in busy[: self.granularity]] + nearest_idle

    def order_gaps(self, o: int) -> list[int]:
        """`route_gap` of each of order o's eligible shifts to its site, in their order.

        Kept per order with the route objects measured (`SegmentCache.gaps`, shared by
        clones): a move replaces a few routes, so only those are measured again, and an
        order asked again before any of its routes changed is answered at once."""
        shifts = self.eligible[o]
        routes = tuple(map(self.sol.routes.get, shifts))
        memo = self.segments.gaps
        hit = memo.get(o)
        if hit is not None and hit[2] != shifts:
            hit = None  # another search's eligible shifts
        if hit is not None and hit[0] == routes:
            return hit[1]
        loc = self.inst.orders[o].loc
        if hit is None:
            gaps = [self.route_gap(s, loc) for s in shifts]
        else:
            gaps = [
                g if r is old else self.route_gap(s, loc)
                for s, r, old, g in zip(shifts, routes, hit[0], hit[1], strict=True)
            ]
        memo[o] = (routes, gaps, shifts)
        return gaps

    def route_gap(self, s: int, loc: int) -> int:
        """Travel seconds to `loc` from the nearest of shift s's start and its route's stops."""
        into = self.segments.into(loc)
        route = self.sol.routes.get(s)
        if route is None:
            return into[self.inst.shifts[s].start_loc]
        return min(map(into.__getitem__, self.segments.route_facts(route)[0]))

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
        self.provided[tech] = self.provided[tech] | {ins.order}
        self.cost[s] = self.cost.get(s, 0) + ins.delta
        if not van_only and not self.segments.unlimited:
            self.picks[tech] = (
                tech_supply(inst, tech, self._routes_of(tech), self.provided[tech], stock) or {}
            )
            self.stock = stock
