"""The cost kernel: one typed segment and one merge that price a route with breaks, SLA
lateness and hard time windows exactly as the evaluator prices the plan built from it.

A `Seg` summarises consecutive stops the way Vidal et al. (2013) do (least duration, the
window [early, late] in which its first stop may start, first and last location, travel),
plus its lateness: served as early as it can be from a start t <= late, every stop i starts
at max(t + A_i, B_i), so the segment's weighted minutes past the stops' due times are

    lateness(t) = const + sum over knees (tau, w) of w * max(0, t - tau),

a convex piecewise-linear function kept as a constant and its sorted knees. `concat` merges
two segments exactly, lateness included, in time linear in their knees (constant without).

Plain routes (`RouteSegments`: single-technician orders with one window, no breaks, no
priced lateness, no `after`, outside a previous plan) keep every prefix and suffix merged,
so an insertion, a removal or a route-end exchange (2-opt*) is priced by two merges
(`between`, `join`; the insertion's innermost loop has them inlined, for plain segments).
`seg_cost` prices a whole route's segment; `timed_cost` prices a timed route
(`optimizer.schedule.route_cost`) from the segment of its stops at their starts.

A break is a stop of its own (its window: earliest start to latest end less its length),
taken at the location of the stop before it: no travel to it, and the leg after it is the
one from that stop. A route's breaks sit where its `RouteSol.breaks` says (after an order,
or at the start location, before a depot stop in the same gap, as `optimizer.plan_builder`
writes them). `RouteKernel` keeps a route's stops timed from the shift start and the segment
of every suffix that begins at a visit, depot stop or the end; an insertion between two
stops is then priced in constant time (plus the breaks right after the new stop and the
suffix's knees up to its arrival), and `RouteKernel.timed` places the stops of the one taken.

Where `RouteKernel` applies (`kernel_order`, `RouteKernel.of`): single-technician orders
with one window or a pinned start, no `after` or links, outside a previous plan; and no
idle time priced (the departure then changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from optimizer.instance import Instance
from optimizer.solution import RouteSol
from optimizer.timing import INF
from optimizer.timing import lateness as order_lateness

if TYPE_CHECKING:
    from optimizer.exchange import ExchangeView

Knees = tuple[tuple[int, int], ...]
"""A lateness function's knees, sorted: (start from which it grows, weight per second)."""

Gap = tuple[int, int, int, int, int, int, int, int, int, int]
"""A plain route's gap as insertion reads it (`RouteSegments.gaps`): the prefix's duration,
early, late, last location and travel, then the suffix's duration, early, late, first
location and travel."""


@dataclass
class Timed:
    """A scheduled route: the route and its service starts."""

    route: RouteSol
    starts: list[int]
    travel: int


Seg = tuple[int, int, int, int, int, int, int, Knees]
"""Consecutive stops: least duration, earliest and latest start of the first stop (the
earliest one without avoidable waiting), first and last location, travel inside, and
lateness as a function of the start (a constant and knees, see the module); read by the
index constants below or unpacked whole. A plain tuple: CPython 3.11 unpacks and indexes
exact tuples on its fast paths (a named tuple takes the slow ones), and the innermost loops
do little else."""

# The fields of a `Seg`, by index (final, so that the type checker knows each one's type).
DURATION: Final = 0
EARLY: Final = 1
LATE: Final = 2
FIRST: Final = 3
LAST: Final = 4
TRAVEL: Final = 5
CONST: Final = 6
KNEES: Final = 7


def segment(
    duration: int,
    early: int,
    late: int,
    first: int,
    last: int,
    travel: int = 0,
    const: int = 0,
    knees: Knees = (),
) -> Seg:
    """A `Seg` from its fields (the innermost loops build the tuple in place)."""
    return (duration, early, late, first, last, travel, const, knees)


def lateness(seg: Seg, t: int) -> int:
    """The segment's weighted lateness when its first stop is reached at t (<= its late)."""
    cost = seg[CONST]
    for tau, w in seg[KNEES]:
        if tau >= t:
            break
        cost += w * (t - tau)
    return cost


def seg_end(seg: Seg, t: int) -> int:
    """When the segment's last stop ends if its first is reached at t (<= its late)."""
    early = seg[EARLY]
    return (t if t > early else early) + seg[DURATION]


def concat(rows: list[list[int]], a: Seg, b: Seg) -> Seg | None:
    """Segment a followed by segment b (None when b cannot be reached in its window).
    Knees at or past the merged segment's latest start are left out: it is never reached
    later, so they add nothing."""
    d1, e1, l1, f1, z1, tr1, c1, k1 = a
    d2, e2, l2, _, z2, tr2, c2, k2 = b
    leg = rows[z1][b[FIRST]]
    at = d1 + leg
    if e1 + at > l2:
        return None
    wait = e2 - at - l1
    if wait < 0:
        wait = 0
    early = (e2 - at if e2 - at > e1 else e1) - wait
    late = l2 - at if l2 - at < l1 else l1
    if not k2:
        # No lateness grows in b (the plain case): a's knees stand as they are.
        return (d1 + d2 + leg + wait, early, late, f1, z2, tr1 + tr2 + leg, c1 + c2, k1)
    # b is reached at max(t, a[EARLY]) + at: its knees move by -at and those below a[EARLY]
    # fold into a constant and one knee at a[EARLY].
    const = c1 + c2
    moved: list[tuple[int, int]] = []
    folded = 0
    for tau, w in k2:
        tau -= at
        if tau <= e1:
            const += w * (e1 - tau)
            folded += w
        elif tau < late:
            moved.append((tau, w))
    if folded and e1 < late:
        moved.insert(0, (e1, folded))
    knees = tuple(sorted(k1 + tuple(moved)) if k1 else moved)
    return (d1 + d2 + leg + wait, early, late, f1, z2, tr1 + tr2 + leg, const, knees)


def fold(rows: list[list[int]], first: Seg, nodes: list[Seg]) -> list[Seg | None]:
    """[first, first+nodes[0], first+nodes[0]+nodes[1], ...]: `concat` along a route (None
    from where a stop cannot be reached in its window); inlined for nodes without knees
    (routes' prefixes are the next most frequent work after insertion)."""
    out: list[Seg | None] = [first]
    seg: Seg | None = first
    d1, e1, l1, f1, z1, tr1, c1, k1 = first
    for node in nodes:
        d2, e2, l2, f2, z2, tr2, c2, k2 = node
        if k2:
            seg = concat(rows, seg, node)  # type: ignore[arg-type]
            if seg is None:
                break
            d1, e1, l1, f1, z1, tr1, c1, k1 = seg
            out.append(seg)
            continue
        leg = rows[z1][f2]
        at = d1 + leg
        if e1 + at > l2:
            break
        wait = e2 - at - l1
        if wait < 0:
            wait = 0
        if e2 - at > e1:
            e1 = e2 - at
        if l2 - at < l1:
            l1 = l2 - at
        d1 += d2 + leg + wait
        e1 -= wait
        tr1 += tr2 + leg
        c1 += c2
        z1 = z2
        seg = (d1, e1, l1, f1, z1, tr1, c1, k1)
        out.append(seg)
    out += [None] * (len(nodes) + 1 - len(out))
    return out


def fold_back(rows: list[list[int]], nodes: list[Seg], last: Seg) -> list[Seg | None]:
    """[..., nodes[-2]+nodes[-1]+last, nodes[-1]+last, last]: `concat` backwards along a
    route (None up to where a stop cannot be reached in its window); inlined, as `fold`,
    while no knee is met."""
    out: list[Seg | None] = [last]
    seg: Seg | None = last
    d2, e2, l2, f2, z2, tr2, c2, k2 = last
    for node in reversed(nodes):
        d1, e1, l1, f1, z1, tr1, c1, k1 = node
        if k1 or k2:
            seg = concat(rows, node, seg)  # type: ignore[arg-type]
            if seg is None:
                break
            d2, e2, l2, f2, z2, tr2, c2, k2 = seg
            out.append(seg)
            continue
        leg = rows[z1][f2]
        at = d1 + leg
        if e1 + at > l2:
            break
        wait = e2 - at - l1
        if wait < 0:
            wait = 0
        e2 = (e2 - at if e2 - at > e1 else e1) - wait
        l2 = l2 - at if l2 - at < l1 else l1
        d2 += d1 + leg + wait
        f2 = f1
        tr2 += tr1 + leg
        c2 += c1
        seg = (d2, e2, l2, f2, z2, tr2, c2, ())
        out.append(seg)
    out += [None] * (len(nodes) + 1 - len(out))
    out.reverse()
    return out


def join(rows: list[list[int]], a: Seg, x: Seg | None, b: Seg) -> Seg | None:
    """a, then x (several stops, or none), then b (None when a stop cannot be reached in
    its window): `concat` twice, inlined where no segment has knees (route-end exchanges
    and new depot stops price with it)."""
    if x is None:
        return concat(rows, a, b)
    d1, e1, l1, f1, z1, tr1, c1, k1 = a
    dx, ex, lx, fx, zx, trx, cx, kx = x
    if k1 or kx:
        ax = concat(rows, a, x)
        return concat(rows, ax, b) if ax is not None else None
    leg = rows[z1][fx]
    at = d1 + leg
    if e1 + at > lx:
        return None
    wait = ex - at - l1
    if wait < 0:
        wait = 0
    d1 += dx + leg + wait
    e1 = (ex - at if ex - at > e1 else e1) - wait
    l1 = lx - at if lx - at < l1 else l1
    d2, e2, l2, f2, z2, tr2, c2, k2 = b
    if k2:
        return concat(rows, (d1, e1, l1, f1, zx, tr1 + trx + leg, c1 + cx, ()), b)
    leg2 = rows[zx][f2]
    at = d1 + leg2
    if e1 + at > l2:
        return None
    wait = e2 - at - l1
    if wait < 0:
        wait = 0
    early = (e2 - at if e2 - at > e1 else e1) - wait
    late = l2 - at if l2 - at < l1 else l1
    return (
        d1 + d2 + leg2 + wait,
        early,
        late,
        f1,
        z2,
        tr1 + trx + tr2 + leg + leg2,
        c1 + cx + c2,
        (),
    )


def between(rows: list[list[int]], a: Seg, x: Seg, b: Seg) -> Seg | None:
    """a, then x, then b (None when a stop cannot be reached in its window): `join`."""
    return join(rows, a, x, b)


def seg_cost(inst: Instance, s: int, seg: Seg, service: int) -> int:
    """Cost of shift s's whole route in objective units, from its segment (start to end)
    left at its earliest start, and its service and stop time: travel, use, overtime, idle
    and lateness, as `optimizer.schedule.route_cost` counts them, preferences aside."""
    duration, early, _, _, _, travel, const, _ = seg
    cost = inst.c_travel * travel + inst.c_used + const
    over = early + duration - inst.shifts[s].end
    if over > 0:
        cost += inst.c_overtime * over
    if inst.c_idle:
        cost += inst.c_idle * (duration - travel - service)
    return cost


def order_window(inst: Instance, o: int) -> tuple[int, int]:
    """Order o's one window, or its pinned start."""
    order = inst.orders[o]
    if order.pin_start is not None:
        return order.pin_start, order.pin_start
    return order.windows[0]


def order_seg(inst: Instance, o: int, window: tuple[int, int] | None = None) -> Seg:
    """The one-stop segment of order o: its one window or pinned start (or `window`, see
    `RouteKernel.of`), its due time."""
    order = inst.orders[o]
    early, late = order_window(inst, o) if window is None else window
    due = order.due
    weight = inst.c_lateness[order.priority - 1] if due is not None else 0
    if due is not None and weight:
        # Starting at max(t, early): weight * max(0, max(t, early) - due).
        const = weight * max(0, early - due)
        knees = ((max(early, due), weight),)
        return (order.duration, early, late, order.loc, order.loc, 0, const, knees)
    return (order.duration, early, late, order.loc, order.loc, 0, 0, ())


def break_seg(inst: Instance, s: int, k: int, loc: int) -> Seg:
    """Shift s's break k taken at location loc."""
    rule = inst.shifts[s].breaks[k]
    return (rule.duration, rule.earliest, rule.latest_end - rule.duration, loc, loc, 0, 0, ())


def depot_seg(inst: Instance, d: int) -> Seg:
    """A stop at depot d."""
    dep = inst.depots[d]
    return (dep.duration, dep.open_start, dep.open_end - dep.duration, dep.loc, dep.loc, 0, 0, ())


def order_plain(inst: Instance, o: int, has_dependents: bool) -> bool:
    """Order o may be in a plain route (`RouteSegments`): the kernel's case with no
    lateness priced."""
    order = inst.orders[o]
    if order.due is not None and inst.c_lateness[order.priority - 1] > 0:
        return False
    return kernel_order(inst, o, has_dependents)


def route_orders(inst: Instance, s: int, orders: list[int]) -> tuple[int, dict[str, int]]:
    """Of the orders of shift s's route: how many are served against their preference,
    and the parts they use."""
    load: dict[str, int] = {}
    for o in orders:
        for k, q in inst.orders[o].parts.items():
            load[k] = load.get(k, 0) + q
    return against_preference(inst, s, orders), load


def against_preference(inst: Instance, s: int, orders: list[int]) -> int:
    """How many of the orders shift s serves against their preference."""
    tech = inst.shifts[s].tech
    return sum(
        1 for o in orders if inst.orders[o].preferred and tech not in inst.orders[o].preferred
    )


def shift_ends(inst: Instance, s: int) -> tuple[Seg, Seg]:
    """The segments of shift s's start and end (the end reached by its overtime's end)."""
    sh = inst.shifts[s]
    last = sh.end + sh.max_overtime
    return (
        (0, sh.start, last, sh.start_loc, sh.start_loc, 0, 0, ()),
        (0, 0, last, sh.end_loc, sh.end_loc, 0, 0, ()),
    )


@dataclass
class RouteSegments:
    """A plain route's stops (start, orders with the depot stop among them, end) and the
    segments of its prefixes and suffixes (None where a stop is missed: never in a route
    of a plan)."""

    shift: int
    nodes: list[Seg]
    prefix: list[Seg | None]
    suffix: list[Seg | None]
    depot_node: int | None  # index in `nodes` of the depot stop
    service: int  # service and depot stop time of the route
    preference: int  # cost of the route's orders served against their preference
    load: dict[str, int]  # parts the route's orders use
    _via: dict[int, tuple[list[Seg | None], list[Seg | None]]] = field(default_factory=dict)
    _tails: list[Seg | None] | None = None
    _gaps: list[Gap | None] | None = None
    exchange_view: ExchangeView | None = None  # see `Exchanges._exchange_view`

    def gaps(self) -> list[Gap | None]:
        """By gap g, up to the first missing prefix: what insertion's innermost loop reads
        of the prefix to g and the suffix from g + 1 (`Gap`; None where the suffix is
        missing). A plain tuple, unpacked faster than two named tuples (CPython unpacks
        only exact tuples without the iterator protocol)."""
        if self._gaps is None:
            self._gaps = []
            suffix = self.suffix
            for g, lead in enumerate(self.prefix[:-1]):
                if lead is None:
                    break
                tail = suffix[g + 1]
                if tail is None:
                    self._gaps.append(None)
                    continue
                d1, e1, l1, _, z1, tr1, _, _ = lead
                d2, e2, l2, f2, _, tr2, _, _ = tail
                self._gaps.append((d1, e1, l1, z1, tr1, d2, e2, l2, f2, tr2))
        return self._gaps

    def tails(self, inst: Instance) -> list[Seg | None]:
        """By node k: the segment of the stops from k to the last before the end (None
        from the end on); for exchanging route ends between shifts."""
        if self._tails is None:
            inner = self.nodes[1:-1]
            self._tails = [None]
            if inner:
                self._tails += fold_back(inst.rows, inner[:-1], inner[-1])
            self._tails.append(None)
        return self._tails

    def via_depot(self, inst: Instance, d: int) -> tuple[list[Seg | None], list[Seg | None]]:
        """For a new stop at depot d, by gap g: the prefix up to g followed by the stop, and
        the start, the stop, then the orders up to g (the stop first)."""
        found = self._via.get(d)
        if found is None:
            rows = inst.rows
            dseg = depot_seg(inst, d)
            after = [concat(rows, p, dseg) if p is not None else None for p in self.prefix[:-1]]
            first = concat(rows, self.nodes[0], dseg)
            ahead = fold(rows, first, self.nodes[1:-1]) if first is not None else []
            ahead += [None] * (len(self.nodes) - 1 - len(ahead))
            found = self._via[d] = (after, ahead)
        return found

    @classmethod
    def of(
        cls,
        inst: Instance,
        route: RouteSol | None,
        s: int,
        order_segs: list[Seg] | None = None,
    ) -> RouteSegments:
        """The segments of shift s's route (an empty route when None); `order_segs`, when
        given, holds every order's `order_seg`."""
        rows = inst.rows
        start, end = shift_ends(inst, s)
        orders = route.orders if route is not None else []
        if order_segs is None:
            nodes = [start] + [order_seg(inst, o) for o in orders]
        else:
            nodes = [start] + [order_segs[o] for o in orders]
        depot_node = None
        service = sum(inst.orders[o].duration for o in orders)
        if route is not None and route.depot is not None:
            depot_node = route.depot[1] + 1
            nodes.insert(depot_node, depot_seg(inst, route.depot[0]))
            service += inst.depots[route.depot[0]].duration
        nodes.append(end)
        unpreferred, load = route_orders(inst, s, orders)
        prefix = fold(rows, start, nodes[1:])
        suffix = fold_back(rows, nodes[:-1], end)
        return cls(
            s, nodes, prefix, suffix, depot_node, service, inst.c_preference * unpreferred, load
        )


def kernel_order(inst: Instance, o: int, has_dependents: bool) -> bool:
    """Order o can be priced by the kernel."""
    order = inst.orders[o]
    if order.crew != 1 or order.links or order.after or has_dependents or o in inst.prev_known:
        return False
    return order.pin_start is not None or len(order.windows) == 1


def kernel_member(inst: Instance, o: int) -> bool:
    """Order o may be in a route the kernel prices (a crew, linked or `after` order, its
    start bounded by the others', included)."""
    order = inst.orders[o]
    if o in inst.prev_known and order.crew == 1:
        return False  # its change is priced by the route, and depends on its start
    return order.pin_start is not None or len(order.windows) == 1


BREAK, ORDER, DEPOT, END = 0, 1, 2, 3
"""Kinds of a route's nodes (the start is node 0)."""

Via = tuple[int, bool] | None
"""A new depot stop: (depot, before the first visit rather than right before the order)."""
Priced = list[tuple[int, int, Via, int]]
"""Priced insertions: (cost, gap, new depot stop, where the break goes)."""
Head = tuple[int, int, int, int]
"""Leaving a place: (time, lateness so far, location, travel so far)."""
Stop = tuple[int, "Seg", "tuple[int, list[int | None], list[int], list[int]] | None"]
"""A new depot stop to price: the depot, its segment, the route with it first."""
Job = tuple["Seg", int, Priced, float]
"""An insertion being priced: the order's segment, the route's fixed cost with it, the
insertions priced so far, and the cost from which they may be left out."""

LATER = 10
"""A loose break taken after node k past the new order is priced as LATER + k."""


@dataclass
class RouteKernel:
    """A route's nodes (start, visits, depot stop and breaks in their places, end) timed
    from the shift start, and the suffix segments from each visit, depot stop or the end."""

    shift: int
    kinds: list[int]  # by node; node 0 is the start
    index: list[int]  # by node: order, depot or break rule
    locs: list[int]  # by node: where it is (a break: where the stop before it is)
    departs: list[int]  # by node: when it is left (the start: the shift start)
    late_before: list[int]  # by node: lateness of the visits up to it
    travel_to: list[int]  # by node: travel up to it
    suffix: list[Seg | None]  # by node: from it to the end (None for breaks)
    travel: int
    fixed: int  # use and preferences
    orders: list[int]
    bounds: dict[int, tuple[int, int]]
    loose: bool  # the shift's one break left out, to be taken next to the new order
    # When loose, by node: the earliest departure with the break taken by then (and the
    # lateness so far, and the node it follows), None when it cannot be.
    taken: list[tuple[int, int, int] | None] = field(default_factory=list)
    other: RouteKernel | None = None  # the loose kernel of the same route, once asked for
    nodes: list[Seg] = field(default_factory=list)  # by node but the end: its own segment
    _firsts: dict[int, tuple[int, list[int | None], list[int], list[int]] | None] = field(
        default_factory=dict
    )

    @classmethod
    def of(
        cls,
        inst: Instance,
        s: int,
        route: RouteSol | None,
        bounds: dict[int, tuple[int, int]] | None = None,
        loose: bool = False,
    ) -> RouteKernel | None:
        """The kernel of shift s's route (None when it cannot be timed as it stands);
        `bounds` narrows some orders' windows (a crew's start fixed, `after` relations).
        `loose` (a shift with one break): the route without its break, which `price` then
        takes right before or right after the new order."""
        bounds = bounds or {}
        sh = inst.shifts[s]
        rows = inst.rows
        orders = list(route.orders) if route is not None else []
        depot = route.depot if route is not None else None
        taken = route.breaks if route is not None and orders else []
        if len(taken) != len(sh.breaks):
            taken = [(-1, 0)] * len(sh.breaks)  # an empty route: breaks at the start
        after: dict[int, list[int]] = {}
        for k, (pos, _) in enumerate(taken):
            if not loose:
                after.setdefault(pos, []).append(k)
        kinds, index, locs = [-1], [-1], [sh.start_loc]

        def take_breaks(pos: int) -> None:
            for k in after.get(pos, ()):
                kinds.append(BREAK)
                index.append(k)
                locs.append(locs[-1])

        take_breaks(-1)
        for p, o in enumerate(orders):
            if depot is not None and depot[1] == p:
                kinds.append(DEPOT)
                index.append(depot[0])
                locs.append(inst.depots[depot[0]].loc)
            kinds.append(ORDER)
            index.append(o)
            locs.append(inst.orders[o].loc)
            take_breaks(p)
        if depot is not None and depot[1] >= len(orders):
            kinds.append(DEPOT)
            index.append(depot[0])
            locs.append(inst.depots[depot[0]].loc)
        kinds.append(END)
        index.append(-1)
        locs.append(sh.end_loc)
        n = len(kinds)
        # Forward, from the shift start.
        departs, late_before, travel_to = [sh.start], [0], [0]
        t, late, travel = sh.start, 0, 0
        last = sh.end + sh.max_overtime
        segs = [segment(0, sh.start, last, sh.start_loc, sh.start_loc)]
        for j in range(1, n - 1):
            seg = _node_seg(inst, s, kinds[j], index[j], locs[j], bounds)
            segs.append(seg)
            leg = rows[locs[j - 1]][locs[j]]
            arrival = t + leg
            if arrival > seg[LATE]:
                return None
            late += lateness(seg, arrival)
            t = seg_end(seg, arrival)
            travel += leg
            departs.append(t)
            late_before.append(late)
            travel_to.append(travel)
        leg = rows[locs[-2]][locs[-1]]
        if t + leg > last:
            return None
        departs.append(t + leg)
        late_before.append(late)
        travel_to.append(travel + leg)
        # Backward: suffixes from every node but a break.
        suffix: list[Seg | None] = [None] * n
        seg = segment(0, 0, last, sh.end_loc, sh.end_loc)
        suffix[-1] = seg
        for j in range(n - 2, 0, -1):
            merged = concat(rows, segs[j], seg)
            if merged is None:
                return None
            seg = merged
            if kinds[j] != BREAK:
                suffix[j] = seg
        unpreferred, _ = route_orders(inst, s, orders)
        kern = cls(
            s,
            kinds,
            index,
            locs,
            departs,
            late_before,
            travel_to,
            suffix,
            travel + leg,
            inst.c_used + inst.c_preference * unpreferred,
            orders,
            bounds,
            loose,
        )
        kern.nodes = segs
        if loose and sh.breaks:
            kern.taken = kern._taken_early(inst)
        return kern

    def _taken_early(self, inst: Instance) -> list[tuple[int, int, int] | None]:
        """By node: the earliest departure from it with the loose break taken after it or
        after a node before it (never right after a depot stop), its lateness so far and
        the node the break follows (see `taken`)."""
        rows = inst.rows
        rule = inst.shifts[self.shift].breaks[0]
        out: list[tuple[int, int, int] | None] = []
        for g in range(len(self.kinds) - 1):
            best = None
            prev = out[-1] if out else None
            if prev is not None:
                node = self.nodes[g]
                arrival = prev[0] + rows[self.locs[g - 1]][self.locs[g]]
                if arrival <= node[LATE]:
                    best = (seg_end(node, arrival), prev[1] + lateness(node, arrival), prev[2])
            if self.kinds[g] != DEPOT:
                t = self.departs[g]
                end = (t if t > rule.earliest else rule.earliest) + rule.duration
                if end <= rule.latest_end and (best is None or end < best[0]):
                    best = (end, self.late_before[g], g)
            out.append(best)
        return out

    def cost(self, inst: Instance) -> int:
        """The route's cost in objective units, as `optimizer.schedule.route_cost` counts it
        (0 for an empty route)."""
        if not self.orders:
            return 0
        return self._priced(inst, self.travel, self.late_before[-1], self.departs[-1], self.fixed)

    def _priced(self, inst: Instance, travel: int, late: int, ret: int, fixed: int) -> int:
        """The route's cost with this travel and weighted lateness, back at `ret`, and
        `fixed` for its use and preferences: `seg_cost` of it as one segment from the shift
        start (the kernel applies where no idle time is priced, so the departure is
        immaterial)."""
        sh = inst.shifts[self.shift]
        seg = (ret - sh.start, sh.start, sh.start, sh.start_loc, sh.end_loc, travel, late, ())
        return seg_cost(inst, self.shift, seg, 0) - inst.c_used + fixed

    def price(
        self, inst: Instance, o: int, x: Seg, depots: list[int] | None = None, limit: float = INF
    ) -> Priced:
        """(cost, g, new depot stop, break) of the route with order o after node g, for
        every gap g and stop where it fits (x: o's segment): with no new stop, then for
        each of `depots` (a route without a stop) one right before o, and one before the
        first visit, as (depot, first); the break where it is (0), or in a loose kernel
        right before (1) or after (2) o, where it lets the route leave node g earliest (3,
        see `taken`), or after the stop past o where it costs least (`LATER` + that
        node). The cost holds o's preference; the change is the caller's. Without a new
        stop, a loose kernel leaves out what surely costs `limit` or more."""
        job = self.job(inst, o, x, limit)
        stops = self.stops(inst, depots or [])
        for g in self.gaps(inst, x):
            self.price_gap(inst, job, g, True, stops)
        return job[2]

    def job(self, inst: Instance, o: int, x: Seg, limit: float = INF) -> Job:
        """Pricing order o (segment x) into the route: see `price`."""
        fixed = self.fixed
        prefer = inst.orders[o].preferred
        if prefer and inst.shifts[self.shift].tech not in prefer:
            fixed += inst.c_preference
        return (x, fixed, [], limit)

    def stops(self, inst: Instance, depots: list[int]) -> list[Stop]:
        """A new stop at each of `depots`: the depot, its segment, the route with it first
        (see `_first_stop`)."""
        return [(d, depot_seg(inst, d), self._first_stop(inst, d)) for d in depots]

    def gaps(self, inst: Instance, x: Seg) -> range:
        """The gaps after which a stop x may be reached in its window (the route's nodes
        are left no earlier with it, so later gaps reach x later still)."""
        rows, departs, locs, first, late = inst.rows, self.departs, self.locs, x[FIRST], x[LATE]
        n = len(self.kinds) - 1
        for g in range(n):
            if departs[g] + rows[locs[g]][first] > late:
                return range(g)
        return range(n)

    def lower(self, inst: Instance, job: Job) -> list[tuple[int, int]]:
        """(bound, g) for the gaps g of `gaps` where the job's order may go with no new
        depot stop: a lower bound of what the route costs with it after node g, wherever
        the break goes (the route timed without the breaks between o and the next stop:
        they, and a loose break anywhere, only delay the stops after it)."""
        x, fixed = job[0], job[1]
        rows, departs, locs, kinds = inst.rows, self.departs, self.locs, self.kinds
        late_before, suffix, first, last = self.late_before, self.suffix, x[FIRST], x[LAST]
        early, duration = x[EARLY], x[DURATION]
        # `_priced` inlined: the bound of every gap of every insertion on rich days.
        c_travel, c_over, end = inst.c_travel, inst.c_overtime, inst.shifts[self.shift].end
        base = c_travel * self.travel + fixed
        out = []
        for g in self.gaps(inst, x):
            loc = locs[g]
            r = g + 1
            while kinds[r] == BREAK:
                r += 1
            seg = suffix[r]
            assert seg is not None
            nxt = seg[FIRST]
            to_x, from_x = rows[loc][first], rows[last][nxt]
            arrival = departs[g] + to_x
            u = (arrival if arrival > early else early) + duration + from_x
            if u > seg[LATE]:
                continue
            cost = (
                base
                + c_travel * (to_x + from_x - rows[loc][nxt])
                + late_before[g]
                + lateness(x, arrival)
                + lateness(seg, u)
            )
            ret = seg_end(seg, u)
            if ret > end:
                cost += c_over * (ret - end)
            out.append((cost, g))
        return out

    def price_gap(self, inst: Instance, job: Job, g: int, plain: bool, stops: list[Stop]) -> None:
        """Append to the job's list the insertions after node g (see `price`): with no new
        depot stop when `plain`, then with each of `stops`."""
        x, fixed, _, limit = job
        rows = inst.rows
        t, loc = self.departs[g], self.locs[g]
        late_before, travel_to = self.late_before[g], self.travel_to[g]
        early = self.taken[g] if self.loose else None
        # Where the break goes: where it is (0), or when loose right before o (1; never
        # right after a depot stop) or right after it (2).
        moves = (1, 2, LATER) if self.loose else (0,)
        if plain:
            # A loose kernel has no break among its nodes: node g + 1 is the next stop. The
            # break only delays, so the detour and the lateness so far bound every option.
            nxt = self.locs[g + 1]
            detour = rows[loc][x[FIRST]] + rows[x[LAST]][nxt] - rows[loc][nxt]
            if (
                not self.loose
                or inst.c_travel * (self.travel + detour) + fixed + late_before < limit
            ):
                for brk in moves:
                    if brk != 1 or self.kinds[g] != DEPOT:
                        self._tail(inst, job, g, (t, late_before, loc, travel_to), None, brk)
                if early is not None and early[2] != g:
                    self._tail(inst, job, g, (early[0], early[1], loc, travel_to), None, 3)
        for d, seg, first in stops:
            leg = rows[loc][seg[FIRST]]
            if t + leg <= seg[LATE]:
                for brk in moves:
                    if brk != 1:
                        head = (seg_end(seg, t + leg), late_before, seg[LAST], travel_to + leg)
                        self._tail(inst, job, g, head, (d, False), brk)
            if early is not None and early[2] != g and early[0] + leg <= seg[LATE]:
                head = (seg_end(seg, early[0] + leg), early[1], seg[LAST], travel_to + leg)
                self._tail(inst, job, g, head, (d, False), 3)
            if first is not None and g > first[0]:
                ft, flate, ftravel = first[1][g], first[2][g], first[3][g]
                if ft is not None:
                    for brk in moves:
                        self._tail(inst, job, g, (ft, flate, loc, ftravel), (d, True), brk)

    def _first_stop(
        self, inst: Instance, d: int
    ) -> tuple[int, list[int | None], list[int], list[int]] | None:
        """The route with a stop at depot d before its first visit (after the breaks at
        the start): the node it follows and, by node from there on, departure, lateness and
        travel (departure None where the route cannot be timed so); None when the route has
        no visit."""
        found = self._firsts.get(d)
        if found is None and self.orders:
            rows = inst.rows
            k = self.kinds.index(ORDER) - 1
            seg = depot_seg(inst, d)
            leg = rows[self.locs[k]][seg[FIRST]]
            n = len(self.kinds)
            departs: list[int | None] = [None] * n
            lates, travels = [0] * n, [0] * n
            t: int | None = None
            if self.departs[k] + leg <= seg[LATE]:
                t, loc = seg_end(seg, self.departs[k] + leg), seg[LAST]
                late, travel = self.late_before[k], self.travel_to[k] + leg
            for j in range(k + 1, n - 1):
                if t is None:
                    break
                node = _node_seg(
                    inst, self.shift, self.kinds[j], self.index[j], self.locs[j], self.bounds
                )
                leg = rows[loc][self.locs[j]] if self.kinds[j] != BREAK else 0
                if t + leg > node[LATE]:
                    break
                late += lateness(node, t + leg)
                t = seg_end(node, t + leg)
                travel += leg
                loc = self.locs[j] if self.kinds[j] != BREAK else loc
                departs[j], lates[j], travels[j] = t, late, travel
            found = self._firsts[d] = (k, departs, lates, travels)
        return found

    def _tail(self, inst: Instance, job: Job, g: int, head: Head, via: Via, brk: int) -> None:
        """From `head` after node g: o (with the loose break before or after it, `brk`), the
        breaks after node g, then the rest of the route; appends (cost, g, via, brk) to the
        job's list when it fits."""
        x, fixed, out, _ = job
        t, late, loc, travel = head
        rows = inst.rows
        sh = inst.shifts[self.shift]
        if brk == 1:
            rule = sh.breaks[0]
            t = (t if t > rule.earliest else rule.earliest) + rule.duration
            if t > rule.latest_end:
                return
        arrival = t + rows[loc][x[FIRST]]
        if arrival > x[LATE]:
            return
        travel += rows[loc][x[FIRST]]
        late += lateness(x, arrival)
        t = seg_end(x, arrival)
        if brk == LATER:
            self._later(inst, job, g, (t, late, x[LAST], travel), via)
            return
        if brk == 2:
            rule = sh.breaks[0]
            t = (t if t > rule.earliest else rule.earliest) + rule.duration
            if t > rule.latest_end:
                return
        r = g + 1
        kinds = self.kinds
        while kinds[r] == BREAK:
            rule = sh.breaks[self.index[r]]
            t = (t if t > rule.earliest else rule.earliest) + rule.duration
            if t > rule.latest_end:
                return
            r += 1
        seg = self.suffix[r]
        assert seg is not None
        leg = rows[x[LAST]][seg[FIRST]]
        u = t + leg
        if u > seg[LATE]:
            return
        ret = seg_end(seg, u)
        late += lateness(seg, u)
        travel += leg + self.travel - self.travel_to[r]
        out.append((self._priced(inst, travel, late, ret, fixed), g, via, brk))

    def _later(self, inst: Instance, job: Job, g: int, head: Head, via: Via) -> None:
        """The loose break after a stop past the new one (`head`: leaving it, after node g):
        appends the cheapest to the job's list, as (cost, g, via, LATER + the node it
        follows)."""
        _, fixed, out, limit = job
        t, late, loc, travel = head
        rows = inst.rows
        # Every option travels as much: the route's legs, the detour through o.
        c_travel = inst.c_travel * (
            travel + rows[loc][self.locs[g + 1]] + self.travel - self.travel_to[g + 1]
        )
        sh = inst.shifts[self.shift]
        rule = sh.breaks[0]
        kinds, locs, nodes, suffix = self.kinds, self.locs, self.nodes, self.suffix
        best = None
        for r in range(g + 1, len(kinds) - 1):
            node = nodes[r]
            leg = rows[loc][locs[r]]
            arrival = t + leg
            if arrival > node[LATE]:
                break
            late += lateness(node, arrival)
            if c_travel + fixed + late >= limit:
                break  # lateness only grows
            t = seg_end(node, arrival)
            travel += leg
            loc = locs[r]
            if kinds[r] == DEPOT:
                continue
            end = (t if t > rule.earliest else rule.earliest) + rule.duration
            if end > rule.latest_end:
                break  # later stops end later still
            seg = suffix[r + 1]
            assert seg is not None
            leg = rows[loc][seg[FIRST]]
            u = end + leg
            if u > seg[LATE]:
                continue
            cost = self._priced(
                inst,
                travel + leg + self.travel - self.travel_to[r + 1],
                late + lateness(seg, u),
                seg_end(seg, u),
                fixed,
            )
            if best is None or cost < best[0]:
                best = (cost, r)
        if best is not None:
            out.append((best[0], g, via, LATER + best[1]))

    def place(
        self, o: int, g: int, via: tuple[int, bool] | None = None, brk: int = 0
    ) -> tuple[list[int], tuple[int, int] | None, list[int]]:
        """The route with order o after node g (a new depot stop `via` and the break `brk`,
        see `price`): its orders, its depot stop (depot, orders before it) and each break's
        position (the order it follows, -1: the start)."""
        seq: list[int] = [o] if g == 0 else []
        depot = None
        pos = [-1] * (1 if self.loose else sum(1 for k in self.kinds if k == BREAK))
        for j in range(1, len(self.kinds) - 1):
            kind = self.kinds[j]
            if kind == ORDER:
                seq.append(self.index[j])
            elif kind == DEPOT:
                depot = (self.index[j], len(seq))
            else:
                pos[self.index[j]] = len(seq) - 1
            if j == g:
                seq.append(o)
        at = seq.index(o)
        if via is not None:
            depot = (via[0], 0 if via[1] else at)
        if brk >= LATER:
            # After node brk - LATER, which comes after o.
            pos[0] = sum(1 for k in self.kinds[1 : brk - LATER + 1] if k == ORDER)
        elif brk == 3:
            h = self.taken[g][2]  # type: ignore[index]
            pos[0] = sum(1 for k in self.kinds[1 : h + 1] if k == ORDER) - 1
        elif brk:
            pos[0] = at - 1 if brk == 1 else at
        return seq, depot, pos


def _node_seg(
    inst: Instance, s: int, kind: int, idx: int, loc: int, bounds: dict[int, tuple[int, int]]
) -> Seg:
    if kind == ORDER:
        return order_seg(inst, idx, bounds.get(idx))
    if kind == DEPOT:
        return depot_seg(inst, idx)
    return break_seg(inst, s, idx, loc)


def time_route(
    inst: Instance,
    s: int,
    seq: list[int],
    depot: tuple[int, int] | None,
    breaks_at: list[int],
    bounds: dict[int, tuple[int, int]] | None = None,
) -> Timed | None:
    """Time shift s's route: visits `seq`, the depot stop (depot, orders before it) and
    break k after the order at position breaks_at[k] (-1: at the start location, before a
    depot stop in the same gap), every stop as early as it can be from the shift start
    (`bounds`: narrower windows of some orders, see `RouteKernel.of`); None when a stop
    misses its window or the route ends past its overtime."""
    sh = inst.shifts[s]
    rows = inst.rows
    rules = sh.breaks
    t, loc, travel = sh.start, sh.start_loc, 0
    taken: list[tuple[int, int]] = [(0, 0)] * len(rules)
    starts: list[int] = []
    depot_stop = None

    def take_breaks(pos: int) -> bool:
        nonlocal t
        for k, p in enumerate(breaks_at):
            if p == pos:
                rule = rules[k]
                bs = t if t > rule.earliest else rule.earliest
                if bs + rule.duration > rule.latest_end:
                    return False
                taken[k] = (pos, bs)
                t = bs + rule.duration
        return True

    if not take_breaks(-1):
        return None
    for p in range(len(seq) + 1):
        if depot is not None and depot[1] == p:
            dep = inst.depots[depot[0]]
            leg = rows[loc][dep.loc]
            ds = t + leg if t + leg > dep.open_start else dep.open_start
            if ds + dep.duration > dep.open_end:
                return None
            depot_stop = (depot[0], p, ds)
            travel += leg
            t, loc = ds + dep.duration, dep.loc
        if p == len(seq):
            break
        order = inst.orders[seq[p]]
        leg = rows[loc][order.loc]
        arrival = t + leg
        if bounds and seq[p] in bounds:
            ws, we = bounds[seq[p]]
        elif order.pin_start is not None:
            ws = we = order.pin_start
        else:
            ws, we = order.windows[0]
        if arrival > we:
            return None
        st = arrival if arrival > ws else ws
        travel += leg
        starts.append(st)
        t, loc = st + order.duration, order.loc
        if not take_breaks(p):
            return None
    leg = rows[loc][sh.end_loc]
    ret = t + leg
    if ret > sh.end + sh.max_overtime:
        return None
    route = RouteSol(s, list(seq), sh.start, ret, taken, depot_stop)
    return Timed(route, starts, travel + leg)


def route_seg(inst: Instance, s: int, r: RouteSol, travel: int, late: int) -> Seg:
    """A timed route as one segment from its departure to its return, with its travel and
    its weighted lateness: what `concat` gives merging its stops, each with its start as the
    earliest and no latest, after the start held at the departure (see the tests)."""
    sh = inst.shifts[s]
    return (r.ret - r.depart, r.depart, r.depart, sh.start_loc, sh.end_loc, travel, late, ())


def stop_time(inst: Instance, s: int, r: RouteSol) -> int:
    """Time a non-empty route spends at its stops (visits, breaks, the depot stop): neither
    travel nor idle."""
    service = sum(inst.orders[o].duration for o in r.orders)
    service += sum(b.duration for b in inst.shifts[s].breaks)
    if r.depot is not None:
        service += inst.depots[r.depot[0]].duration
    return service


def route_price(inst: Instance, s: int, r: RouteSol, travel: int, late: int) -> int:
    """Cost of a timed non-empty route in objective units, given its travel and its
    orders' weighted lateness: `seg_cost` of its `route_seg`, and its preferences (what
    `timed_cost` and the solution's cost, `optimizer.cp.objective.solution_cost`, both
    price a route by)."""
    service = stop_time(inst, s, r) if inst.c_idle else 0
    cost = seg_cost(inst, s, route_seg(inst, s, r, travel, late), service)
    return cost + inst.c_preference * against_preference(inst, s, r.orders)


def timed_cost(inst: Instance, timed: Timed) -> int:
    """Cost of a timed route in objective units (0 for an empty route): `route_price` with
    its orders' lateness (`optimizer.timing.lateness`), and its single-technician orders'
    changes (a crew order's change is priced with its whole crew, by the group's
    placement)."""
    r = timed.route
    if not r.orders:
        return 0
    late = change = 0
    alone = frozenset((inst.shifts[r.shift].tech,)) if inst.prev_known else None
    for o, st in zip(r.orders, timed.starts, strict=True):
        late += order_lateness(inst, o, st)
        if alone is not None and inst.orders[o].crew == 1:
            change += inst.change_cost(o, alone, st)
    return route_price(inst, r.shift, r, timed.travel, late) + change
