"""Route segments: the cost and feasibility of an insertion in constant time.

A segment of consecutive stops is summarised by its least duration (travel, service and the
waiting it cannot avoid), its time warp (how late it must be somewhere; 0 = feasible) and the
window in which its first stop may start without either growing (Vidal et al. 2013, "A
unified solution framework for multi-attribute vehicle routing problems", Eur. J. Oper.
Res. 234(3)). Two segments concatenate in O(1), so with every route's prefixes and suffixes
at hand an insertion is priced exactly, including a late departure, without re-timing the
route.

This covers the plain case, which is most of the work in a ruin-and-recreate search: a
route of single-technician orders with one window each, no breaks, no `after` relations,
no SLA lateness priced and no previous plan; the insertion code times everything else with
`optimizer.schedule.schedule`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.instance import Instance
from optimizer.solution import RouteSol

Segment = tuple[int, int, int, int, int, int, int]
"""(duration, time warp, earliest start, latest start, first location, last location,
travel)."""


def concat(rows: list[list[int]], a: Segment, b: Segment) -> Segment:
    """Segment a followed by segment b."""
    return fold(rows, a, [b])[1]


def between(rows: list[list[int]], a: Segment, x: Segment, b: Segment) -> Segment | None:
    """a, then x, then b (`concat` twice, inlined: the innermost loop of insertion); None
    when that is late somewhere."""
    d1, w1, e1, l1, f1, z1, tr1 = a
    dx, _, ex, lx, fx, _, _ = x
    leg = rows[z1][fx]
    at = d1 - w1 + leg
    if w1 or e1 + at > lx:
        return None
    wait = ex - at - l1
    if wait < 0:
        wait = 0
    d1 += dx + leg + wait
    e1 = (ex - at if ex - at > e1 else e1) - wait
    l1 = lx - at if lx - at < l1 else l1
    tr1 += leg
    d2, w2, e2, l2, f2, z2, tr2 = b
    leg = rows[fx][f2]
    at = d1 + leg
    if w2 or e1 + at > l2:
        return None
    wait = e2 - at - l1
    if wait < 0:
        wait = 0
    early = e2 - at if e2 - at > e1 else e1
    late = l2 - at if l2 - at < l1 else l1
    return (d1 + d2 + leg + wait, 0, early - wait, late, f1, z2, tr1 + tr2 + leg)


def join(rows: list[list[int]], a: Segment, x: Segment | None, b: Segment) -> Segment | None:
    """a, then x (several stops, or none), then b; None when that is late somewhere. The
    segments themselves are on time (`concat` twice, inlined for route-end exchanges)."""
    d1, _, e1, l1, f1, z1, tr1 = a
    if x is not None:
        d2, _, e2, l2, f2, z2, tr2 = x
        leg = rows[z1][f2]
        at = d1 + leg
        if e1 + at > l2:
            return None
        wait = e2 - at - l1
        if wait < 0:
            wait = 0
        e1 = (e2 - at if e2 - at > e1 else e1) - wait
        l1 = l2 - at if l2 - at < l1 else l1
        d1 += d2 + leg + wait
        tr1 += tr2 + leg
        z1 = z2
    d3, _, e3, l3, f3, z3, tr3 = b
    leg = rows[z1][f3]
    at = d1 + leg
    if e1 + at > l3:
        return None
    wait = e3 - at - l1
    if wait < 0:
        wait = 0
    early = e3 - at if e3 - at > e1 else e1
    late = l3 - at if l3 - at < l1 else l1
    return (d1 + d3 + leg + wait, 0, early - wait, late, f1, z3, tr1 + tr3 + leg)


def fold(rows: list[list[int]], first: Segment, nodes: list[Segment]) -> list[Segment]:
    """[first, first+nodes[0], first+nodes[0]+nodes[1], ...]: `concat` along a route, inlined
    (building routes' prefixes is the next most frequent work after insertion)."""
    out = [first]
    d1, w1, e1, l1, f1, z1, tr1 = first
    for d2, w2, e2, l2, f2, z2, tr2 in nodes:
        leg = rows[z1][f2]
        at = d1 - w1 + leg
        wait = e2 - at - l1
        if wait < 0:
            wait = 0
        warp = e1 + at - l2
        if warp < 0:
            warp = 0
        if e2 - at > e1:
            e1 = e2 - at
        if l2 - at < l1:
            l1 = l2 - at
        d1 += d2 + leg + wait
        w1 += w2 + warp
        e1 -= wait
        l1 += warp
        z1 = z2
        tr1 += tr2 + leg
        out.append((d1, w1, e1, l1, f1, z1, tr1))
    return out


def fold_back(rows: list[list[int]], nodes: list[Segment], last: Segment) -> list[Segment]:
    """[..., nodes[-2]+nodes[-1]+last, nodes[-1]+last, last]: `concat` backwards along a
    route, inlined."""
    out = [last]
    d2, w2, e2, l2, f2, z2, tr2 = last
    for d1, w1, e1, l1, f1, z1, tr1 in reversed(nodes):
        leg = rows[z1][f2]
        at = d1 - w1 + leg
        wait = e2 - at - l1
        if wait < 0:
            wait = 0
        warp = e1 + at - l2
        if warp < 0:
            warp = 0
        early = e2 - at if e2 - at > e1 else e1
        late = l2 - at if l2 - at < l1 else l1
        d2 += d1 + leg + wait
        w2 += w1 + warp
        e2 = early - wait
        l2 = late + warp
        f2 = f1
        tr2 += tr1 + leg
        out.append((d2, w2, e2, l2, f2, z2, tr2))
    out.reverse()
    return out


def route_orders(inst: Instance, s: int, orders: list[int]) -> tuple[int, dict[str, int]]:
    """Of the orders of shift s's route: how many are served against their preference,
    and the parts they use."""
    tech = inst.shifts[s].tech
    unpreferred = sum(
        1 for o in orders if inst.orders[o].preferred and tech not in inst.orders[o].preferred
    )
    load: dict[str, int] = {}
    for o in orders:
        for k, q in inst.orders[o].parts.items():
            load[k] = load.get(k, 0) + q
    return unpreferred, load


def order_plain(inst: Instance, o: int, has_dependents: bool) -> bool:
    """Order o can be priced by segments."""
    order = inst.orders[o]
    if order.crew != 1 or order.links or order.after or has_dependents or o in inst.prev_known:
        return False
    if order.due is not None and inst.c_lateness[order.priority - 1] > 0:
        return False
    return order.pin_start is not None or len(order.windows) == 1


def order_segment(inst: Instance, o: int) -> Segment:
    """The one-stop segment of order o."""
    order = inst.orders[o]
    if order.pin_start is not None:
        early = late = order.pin_start
    else:
        early, late = order.windows[0]
    return (order.duration, 0, early, late, order.loc, order.loc, 0)


def depot_segment(inst: Instance, d: int) -> Segment:
    """The one-stop segment of a depot visit."""
    dep = inst.depots[d]
    return (dep.duration, 0, dep.open_start, dep.open_end - dep.duration, dep.loc, dep.loc, 0)


@dataclass
class RouteSegments:
    """A route's stops (start, orders with the depot stop among them, end) and the segments
    of its prefixes and suffixes."""

    shift: int
    nodes: list[Segment]
    prefix: list[Segment]
    suffix: list[Segment]
    depot_node: int | None  # index in `nodes` of the depot stop
    service: int  # service and depot stop time of the route
    preference: int  # cost of the route's orders served against their preference
    load: dict[str, int]  # parts the route's orders use
    _via: dict[int, tuple[list[Segment], list[Segment]]] = field(default_factory=dict)
    _tails: list[Segment | None] | None = None
    exchange_view: ExchangeView | None = None  # see `Inserter._exchange_view` (insertion)

    def tails(self, inst: Instance) -> list[Segment | None]:
        """By node k: the segment of the stops from k to the last before the end (None
        from the end on); for exchanging route ends between shifts."""
        if self._tails is None:
            inner = self.nodes[1:-1]
            self._tails = [None]
            if inner:
                self._tails += fold_back(inst.rows, inner[:-1], inner[-1])
            self._tails.append(None)
        return self._tails

    def via_depot(self, inst: Instance, d: int) -> tuple[list[Segment], list[Segment]]:
        """For a new stop at depot d, by gap g: the prefix up to g followed by the stop, and
        the start, the stop, then the orders up to g (the stop first)."""
        found = self._via.get(d)
        if found is None:
            rows = inst.rows
            dseg = depot_segment(inst, d)
            after = [concat(rows, p, dseg) for p in self.prefix[:-1]]
            first = concat(rows, self.nodes[0], dseg)
            ahead = [first]
            for node in self.nodes[1:-1]:
                ahead.append(concat(rows, ahead[-1], node))
            found = self._via[d] = (after, ahead)
        return found

    @classmethod
    def of(
        cls,
        inst: Instance,
        route: RouteSol | None,
        s: int,
        order_segs: list[Segment] | None = None,
    ) -> RouteSegments:
        """The segments of shift s's route (an empty route when None); `order_segs`, when
        given, holds every order's `order_segment`."""
        sh = inst.shifts[s]
        last = sh.end + sh.max_overtime
        rows = inst.rows
        nodes: list[Segment] = [(0, 0, sh.start, last, sh.start_loc, sh.start_loc, 0)]
        orders = route.orders if route is not None else []
        if order_segs is None:
            nodes += [order_segment(inst, o) for o in orders]
        else:
            nodes += [order_segs[o] for o in orders]
        depot_node = None
        service = sum(inst.orders[o].duration for o in orders)
        if route is not None and route.depot is not None:
            depot_node = route.depot[1] + 1
            nodes.insert(depot_node, depot_segment(inst, route.depot[0]))
            service += inst.depots[route.depot[0]].duration
        nodes.append((0, 0, 0, last, sh.end_loc, sh.end_loc, 0))
        unpreferred, load = route_orders(inst, s, orders)
        prefix = fold(rows, nodes[0], nodes[1:])
        suffix = fold_back(rows, nodes[:-1], nodes[-1])
        return cls(
            s, nodes, prefix, suffix, depot_node, service, inst.c_preference * unpreferred, load
        )


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


def segment_cost(inst: Instance, s: int, seg: Segment, service: int) -> int | None:
    """Cost of a whole route's segment in objective units (None when infeasible), as
    `optimizer.schedule.route_cost` counts it, preferences aside."""
    duration, warp, early, _, _, _, travel = seg
    if warp:
        return None
    sh = inst.shifts[s]
    cost = inst.c_travel * travel + inst.c_used
    over = early + duration - sh.end
    if over > 0:
        cost += inst.c_overtime * over
    if inst.c_idle:
        cost += inst.c_idle * (duration - travel - service)
    return cost
