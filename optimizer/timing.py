"""Lower bounds on the cost of inserting a stop into a route that segments cannot price.

A route with breaks, SLA lateness, fixed crew starts, `after` bounds or several windows per
order is timed by `optimizer.schedule.schedule`, in time linear in its length. Pricing every
position that way makes an insertion quadratic. `Relaxed` summarises a route once, in linear
time, by its relaxation: every stop as early as its windows and bounds allow, each break a
flexible stop that may be taken anywhere it fits (at the start or after a visit, as
`schedule` takes them, inside its window), tracked by how many breaks are taken so far; and
backwards, the latest arrival at each stop, by breaks taken, from which the rest can still be
timed. It then bounds the cost of the route with one more stop at any position, first in
constant time (`quick`), then through the relaxation (`bound`). The insertion code times
exactly only the positions whose bound can still beat the best found, cheapest bound first,
so it finds the same insertion as timing every position.

Why the bound holds, for any timing `schedule` may choose: whichever break that timing takes
before a stop, the relaxation with that many breaks taken reaches the stop no later, and a
stop's start (`start_at`) never decreases when its arrival grows; so in every feasible timing
each stop starts no earlier than the earliest of its relaxed starts, and the route returns no
earlier. Lateness and overtime grow with the starts and the return, so their relaxed values
bound them from below; travel, use and preferences do not depend on the timing; idle time and
changes (re-planning) are never negative and are bounded by 0. A position that the relaxation
cannot time cannot be timed by `schedule` either. The bound is on the new route's cost, never
on the change: the route's current cost (with its breaks placed greedily) may be above its
relaxation, so an insertion may even make a route cheaper, and comparing bounds with the
current cost stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.instance import DepotData, Instance
from optimizer.solution import RouteSol

NEVER = -(1 << 60)
"""A latest arrival that no arrival meets."""


def start_at(inst: Instance, o: int, arrival: int, lower: int) -> int | None:
    """Order o's start when it is reached at `arrival`: in its first window still open, at
    its pinned start, or at a fixed start (`lower` < 0, see `schedule.fixed_start`); None when
    it is too late. Never earlier for a later arrival."""
    order = inst.orders[o]
    if lower < 0:
        return -lower - 1 if arrival <= -lower - 1 else None
    t = arrival if arrival > lower else lower
    if order.pin_start is not None:
        return order.pin_start if t <= order.pin_start else None
    for ws, we in order.windows:
        if t <= we:
            return t if t > ws else ws
    return None


def latest_start(inst: Instance, o: int, lower: int, bound: int) -> int:
    """The latest start of order o no later than `bound` that some arrival gives (`NEVER`
    when none): every arrival up to it starts o in time."""
    order = inst.orders[o]
    if lower < 0:
        fixed = -lower - 1
        return fixed if fixed <= bound else NEVER
    if order.pin_start is not None:
        return order.pin_start if lower <= order.pin_start <= bound else NEVER
    for ws, we in reversed(order.windows):
        top = we if we < bound else bound
        if max(ws, lower) <= top:
            return top
    return NEVER


def lateness(inst: Instance, o: int, start: int) -> int:
    """What order o costs for starting at `start` past its due time."""
    order = inst.orders[o]
    if order.due is None or start <= order.due:
        return 0
    return inst.c_lateness[order.priority - 1] * (start - order.due)


INF = 1 << 60
"""A departure or arrival that no timing reaches."""


def after_break(inst: Instance, s: int, b: int, t: int) -> int:
    """When shift s's break b ends if it is taken from `t` on (`INF` when it cannot be)."""
    rule = inst.shifts[s].breaks[b]
    end = (t if t > rule.earliest else rule.earliest) + rule.duration
    return end if end <= rule.latest_end else INF


@dataclass
class Relaxed:
    """A route (stops: the start, its orders with the depot stop among them, the end) timed
    as early as it can be, each break anywhere it fits (at the start or after a visit, as
    `schedule` takes them), by how many breaks are taken: by node and count, the earliest
    departure and arrival and the latest arrival from which the rest can be timed; by node,
    the lateness so far (each order at its earliest start over the counts), the least
    lateness from there on (each order as early as it can be alone) and the least service,
    depot and travel time from arriving there to the return."""

    shift: int
    orders: list[int]
    depot: tuple[int, int] | None
    stops: list[int]  # by node from 1: an order, or -1 - depot
    lower: dict[int, int]
    locs: list[int]
    travel_to: list[int]  # travel up to each node
    departures: list[list[int]]
    arrivals: list[list[int]]
    latest: list[list[int]]
    late_before: list[int]
    least_after: list[int]
    rest: list[int]
    pending: list[int]  # by breaks taken: the time the others take
    travel: int
    ret: int
    fixed: int  # the route's cost that no timing changes (travel aside): use, preferences
    # Memos of `starts`, `quick` and `bound`, by their arguments.
    memo_starts: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)
    memo_quick: dict[tuple[int, int, tuple[int, bool] | None], int] = field(default_factory=dict)
    memo_bound: dict[tuple[int, int, int, tuple[int, bool] | None], tuple[int, int] | None] = (
        field(default_factory=dict)
    )

    @classmethod
    def of(
        cls,
        inst: Instance,
        s: int,
        route: RouteSol | None,
        lower: dict[int, int],
    ) -> Relaxed | None:
        """The relaxation of shift s's route (None when even that cannot be timed)."""
        sh = inst.shifts[s]
        rows = inst.rows
        nb = len(sh.breaks)
        orders = list(route.orders) if route is not None else []
        depot = route.depot[:2] if route is not None and route.depot is not None else None
        stops: list[int] = list(orders)  # order index, or -1 - depot
        if depot is not None:
            stops.insert(depot[1], -1 - depot[0])
        locs = [sh.start_loc]
        for x in stops:
            locs.append(inst.orders[x].loc if x >= 0 else inst.depots[-1 - x].loc)
        locs.append(sh.end_loc)
        n = len(locs)
        last = sh.end + sh.max_overtime
        # Backward: the latest arrival at each node, by breaks taken before it.
        latest = [[NEVER] * (nb + 1) for _ in range(n)]
        latest[-1][nb] = last
        least_after = [0] * (n + 1)
        rest = [0] * n
        for k in range(n - 2, 0, -1):
            x = stops[k - 1]
            leg = rows[locs[k]][locs[k + 1]]
            leave = [t - leg for t in latest[k + 1]]
            if x >= 0:
                order = inst.orders[x]
                leave = _latest_leave(inst, s, leave)
                low = lower.get(x, 0)
                latest[k] = [
                    latest_start(inst, x, low, t - order.duration) if t > NEVER else NEVER
                    for t in leave
                ]
                earliest = start_at(inst, x, 0, low)
                least = 0 if earliest is None else lateness(inst, x, earliest)
                least_after[k] = least_after[k + 1] + least
                rest[k] = rest[k + 1] + leg + order.duration
            else:
                dep = inst.depots[-1 - x]
                for j, t in enumerate(leave):
                    top = min(dep.open_end, t) - dep.duration
                    latest[k][j] = top if dep.open_start <= top and t > NEVER else NEVER
                least_after[k] = least_after[k + 1]
                rest[k] = rest[k + 1] + leg + dep.duration
        # Forward: the earliest departure from each node, by breaks taken.
        first = [INF] * (nb + 1)
        first[0] = sh.start
        departures = [_take_breaks(inst, s, first)]
        arrivals = [first]
        late_before = [0]
        travel = 0
        travel_to = [0]
        for k in range(1, n):
            leg = rows[locs[k - 1]][locs[k]]
            travel += leg
            travel_to.append(travel)
            # Not cut by the latest arrivals: another stop before them may change those.
            arrive = [t + leg if t < INF else INF for t in departures[-1]]
            arrivals.append(arrive)
            if k == n - 1:
                break
            x = stops[k - 1]
            if x >= 0:
                ends, start = _visit(inst, s, x, arrive, lower.get(x, 0))
                if start is None:
                    return None
                departures.append(ends)
                late_before.append(late_before[-1] + lateness(inst, x, start))
            else:
                dep = inst.depots[-1 - x]
                departures.append([_at_depot(dep, t) if t < INF else INF for t in arrive])
                late_before.append(late_before[-1])
        ret = arrivals[-1][nb]
        if ret > last:
            return None
        pending = [sum(b.duration for b in sh.breaks[j:]) for j in range(nb + 1)]
        unpreferred = sum(
            1
            for x in orders
            if inst.orders[x].preferred and sh.tech not in inst.orders[x].preferred
        )
        return cls(
            s,
            orders,
            depot,
            stops,
            lower,
            locs,
            travel_to,
            departures,
            arrivals,
            latest,
            late_before,
            least_after[:n],
            rest,
            pending,
            travel,
            ret,
            inst.c_used + inst.c_preference * unpreferred,
        )

    def starts(self, inst: Instance, o: int, g: int) -> list[tuple[int, int]]:
        """Bounds on order o's start between nodes g and g + 1 (the route's own depot stop
        kept) in any timing, start bounds aside, by breaks taken before it: (earliest,
        latest), empty when the first is larger."""
        key = (o, g)
        found = self.memo_starts.get(key)
        if found is None:
            rows = inst.rows
            order = inst.orders[o]
            leg_in = rows[self.locs[g]][order.loc]
            leg_out = rows[order.loc][self.locs[g + 1]]
            leave = [t - leg_out if t > NEVER else NEVER for t in self.latest[g + 1]]
            found = []
            tops = _latest_leave(inst, self.shift, leave)
            for t, top in zip(self.departures[g], tops, strict=True):
                st = start_at(inst, o, t + leg_in, 0) if t < INF else None
                last = latest_start(inst, o, 0, top - order.duration) if top > NEVER else NEVER
                if st is not None and st <= last:
                    found.append((st, last))
            self.memo_starts[key] = found
        return found

    def fits(self, inst: Instance, o: int, g: int, lo: int, hi: int) -> bool:
        """Some timing may start order o in [lo, hi] between nodes g and g + 1 (the
        route's own depot stop kept)."""
        return any(e <= hi and lo <= last for e, last in self.starts(inst, o, g))

    def quick(self, inst: Instance, o: int, g: int, via: tuple[int, bool] | None = None) -> int:
        """A first lower bound for `bound`, in constant time: travel, use, preferences and
        the lateness that the stops before the change keep and the others cannot avoid."""
        key = (o, g, via)
        found = self.memo_quick.get(key)
        if found is None:
            found = self.memo_quick[key] = self._quick(inst, o, g, via)
        return found

    def _quick(self, inst: Instance, o: int, g: int, via: tuple[int, bool] | None) -> int:
        rows = inst.rows
        order = inst.orders[o]
        x = order.loc
        a, b = self.locs[g], self.locs[g + 1]
        travel = self.travel + rows[a][x] + rows[x][b] - rows[a][b]
        late = self.late_before[g] + self.least_after[g + 1]
        if via is not None:
            dl = inst.depots[via[0]].loc
            if via[1] and g > 0:
                s0, s1 = self.locs[0], self.locs[1]
                travel += rows[s0][dl] + rows[dl][s1] - rows[s0][s1]
                late = self.least_after[1]
            else:
                travel += rows[a][dl] + rows[dl][x] - rows[a][x]
        cost = self.fixed + inst.c_travel * travel + late
        if order.preferred and inst.shifts[self.shift].tech not in order.preferred:
            cost += inst.c_preference
        return cost

    def bound(
        self,
        inst: Instance,
        o: int,
        lower: int,
        g: int,
        via: tuple[int, bool] | None = None,
    ) -> tuple[int, int] | None:
        """A lower bound on the route's cost with order o between nodes g and g + 1, and
        o's earliest start; None when no timing exists. `via` = (depot, first) adds a stop
        at that depot (a route without one): right before o, or `first`, at the start."""
        key = (o, lower, g, via)
        if key in self.memo_bound:
            return self.memo_bound[key]
        found = self.memo_bound[key] = self._bound(inst, o, lower, g, via)
        return found

    def _bound(
        self, inst: Instance, o: int, lower: int, g: int, via: tuple[int, bool] | None
    ) -> tuple[int, int] | None:
        rows = inst.rows
        order = inst.orders[o]
        s = self.shift
        path: list[tuple[int, int]] = [(o, lower)]
        begin = g
        if via is not None:
            d, first = via
            if first:
                begin = 0
                path = [(x, self.lower.get(x, 0)) for x in self.stops[:g]] + path
            path.insert(0, (-1 - d, 0))
        states, loc = self.departures[begin], self.locs[begin]
        travel = self.travel - self.travel_to[g + 1] + self.travel_to[begin]
        late = self.late_before[begin]
        st = None
        for x, low in path:
            if x >= 0:
                where = inst.orders[x].loc
                leg = rows[loc][where]
                states, start = _visit(
                    inst, s, x, [t + leg if t < INF else INF for t in states], low
                )
                if start is None:
                    return None
                late += lateness(inst, x, start)
                st = start
            else:
                dep = inst.depots[-1 - x]
                where = dep.loc
                leg = rows[loc][where]
                states = [_at_depot(dep, t + leg) if t < INF else INF for t in states]
            travel += leg
            loc = where
        assert st is not None
        leg_out = rows[loc][self.locs[g + 1]]
        travel += leg_out
        old = self.arrivals[g + 1]
        later = True
        ret = INF
        for j, t in enumerate(states):
            if t >= INF or t + leg_out > self.latest[g + 1][j]:
                continue  # a count out of reach leaves the others, no earlier than before
            arrival = t + leg_out
            if arrival < old[j]:
                later = False
            least = arrival + self.rest[g + 1] + self.pending[j]
            if least < ret:
                ret = least
        if ret >= INF:
            return None
        if later:
            # Everything after o starts no earlier than it did.
            late += self.late_before[-1] - self.late_before[g]
            if self.ret > ret:
                ret = self.ret
        else:
            late += self.least_after[g + 1]
        cost = self.fixed + inst.c_travel * travel + late
        over = ret - inst.shifts[s].end
        if over > 0:
            cost += inst.c_overtime * over
        if order.preferred and inst.shifts[s].tech not in order.preferred:
            cost += inst.c_preference
        return cost, st

    def position(self, g: int) -> tuple[int, tuple[int, int] | None]:
        """Order position and depot stop of an insertion between nodes g and g + 1 that
        keeps the route's own depot stop (see `Inserter.depot_options`)."""
        if self.depot is None:
            return g, None
        d, k = self.depot
        if g <= k:
            return g, (d, k + 1)
        return g - 1, (d, k)


def _take_breaks(inst: Instance, s: int, ends: list[int]) -> list[int]:
    """Earliest departures by breaks taken, from the ends of a visit (or the shift start)
    by breaks taken before it: each further break may be taken right there."""
    out = list(ends)
    for j in range(1, len(out)):
        if out[j - 1] < INF:
            t = after_break(inst, s, j - 1, out[j - 1])
            if t < out[j]:
                out[j] = t
    return out


def _latest_leave(inst: Instance, s: int, leave: list[int]) -> list[int]:
    """Latest ends of a visit by breaks taken before it, from the latest departures by
    breaks taken: a further break may be taken right after the visit."""
    out = list(leave)
    rules = inst.shifts[s].breaks
    for j in range(len(out) - 2, -1, -1):
        rule = rules[j]
        top = min(rule.latest_end, out[j + 1]) - rule.duration
        if rule.earliest <= top and out[j + 1] > NEVER and top > out[j]:
            out[j] = top
    return out


def _at_depot(dep: DepotData, arrival: int) -> int:
    """When a depot stop reached at `arrival` ends (`INF` when the depot closes first)."""
    st = arrival if arrival > dep.open_start else dep.open_start
    return st + dep.duration if st + dep.duration <= dep.open_end else INF


def _visit(
    inst: Instance, s: int, o: int, arrivals: list[int], lower: int
) -> tuple[list[int], int | None]:
    """Earliest departures from order o by breaks taken, from its arrivals by breaks taken
    before it, and its earliest start over them (None when it cannot start at all)."""
    duration = inst.orders[o].duration
    ends = []
    first = None
    for t in arrivals:
        st = start_at(inst, o, t, lower) if t < INF else None
        if st is None:
            ends.append(INF)
            continue
        ends.append(st + duration)
        if first is None or st < first:
            first = st
    return _take_breaks(inst, s, ends), first
