"""Lower bounds on the cost of inserting a stop into a route that segments cannot price.

A route with breaks, SLA lateness, fixed crew starts, `after` bounds or several windows per
order is timed by `optimizer.insertion.schedule`, in time linear in its length. Pricing every
position that way makes an insertion quadratic. `Relaxed` summarises a route once, in linear
time, by its relaxation without breaks (every stop as early as its windows and bounds allow),
and then bounds the cost of the route with one more stop at any position in constant time.
The insertion code times exactly only the positions whose bound can still beat the best
found, cheapest bound first, so it finds the same insertion as timing every position.

Why the bound holds, for any timing `schedule` may choose: breaks only delay the stops after
them, and a stop's start (`_start_at`) never decreases when its arrival grows, so in every
feasible timing each stop starts no earlier than in the relaxation, and the route returns no
earlier. Lateness and overtime grow with the starts and the return, so their relaxed values
bound them from below; travel, use and preferences do not depend on the timing; idle time and
changes (re-planning) are never negative and are bounded by 0. A position that the relaxation
cannot time cannot be timed with breaks either. The bound is on the new route's cost, never on
the change: the route's current cost (with its breaks placed greedily) may be above its
relaxation, so an insertion may even make a route cheaper, and comparing bounds with the
current cost stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.instance import Instance
from optimizer.solution import RouteSol

NEVER = -(1 << 60)
"""A latest arrival that no arrival meets."""


def start_at(inst: Instance, o: int, arrival: int, lower: int) -> int | None:
    """Order o's start when it is reached at `arrival`: in its first window still open, at
    its pinned start, or at a fixed start (`lower` < 0, see `insertion.fixed_start`); None when
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


@dataclass
class Relaxed:
    """A route (stops: the start, its orders with the depot stop among them, the end) timed
    without breaks, every stop as early as it can be; by node: locations, ends, arrivals,
    latest arrivals, lateness so far, least lateness from there on, and the least time from
    arriving there to the return."""

    shift: int
    orders: list[int]
    depot: tuple[int, int] | None
    locs: list[int]
    ends: list[int]
    arrivals: list[int]
    latest: list[int]
    late_before: list[int]  # lateness of the orders at nodes 1..k, at their relaxed starts
    least_after: list[int]  # least lateness of the orders at nodes k.. (each as early as it can)
    rest: list[int]  # service, depot stop and travel from node k to the end
    travel: int
    ret: int
    fixed: int  # the route's cost that no timing changes (travel aside): use, preferences

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
        orders = list(route.orders) if route is not None else []
        depot = route.depot[:2] if route is not None and route.depot is not None else None
        stops: list[int] = list(orders)  # order index, or -1 - depot
        if depot is not None:
            stops.insert(depot[1], -1 - depot[0])
        locs = [sh.start_loc]
        for x in stops:
            locs.append(inst.orders[x].loc if x >= 0 else inst.depots[-1 - x].loc)
        locs.append(sh.end_loc)
        ends = [sh.start]
        arrivals = [sh.start]
        late_before = [0]
        travel = 0
        for k, x in enumerate(stops, 1):
            leg = rows[locs[k - 1]][locs[k]]
            travel += leg
            arrival = ends[-1] + leg
            arrivals.append(arrival)
            if x >= 0:
                st = start_at(inst, x, arrival, lower.get(x, 0))
                if st is None:
                    return None
                ends.append(st + inst.orders[x].duration)
                late_before.append(late_before[-1] + lateness(inst, x, st))
            else:
                dep = inst.depots[-1 - x]
                st = arrival if arrival > dep.open_start else dep.open_start
                if st + dep.duration > dep.open_end:
                    return None
                ends.append(st + dep.duration)
                late_before.append(late_before[-1])
        leg = rows[locs[-2]][locs[-1]]
        travel += leg
        ret = ends[-1] + leg
        last = sh.end + sh.max_overtime
        if ret > last:
            return None
        arrivals.append(ret)
        n = len(locs)
        latest = [NEVER] * n
        least_after = [0] * (n + 1)
        rest = [0] * n
        latest[-1] = last
        for k in range(n - 2, 0, -1):
            x = stops[k - 1]
            leg = rows[locs[k]][locs[k + 1]]
            if x >= 0:
                order = inst.orders[x]
                bound = latest[k + 1] - leg - order.duration
                latest[k] = latest_start(inst, x, lower.get(x, 0), bound)
                earliest = start_at(inst, x, 0, lower.get(x, 0))
                least = 0 if earliest is None else lateness(inst, x, earliest)
                least_after[k] = least_after[k + 1] + least
                rest[k] = rest[k + 1] + leg + order.duration
            else:
                dep = inst.depots[-1 - x]
                top = min(dep.open_end - dep.duration, latest[k + 1] - leg - dep.duration)
                latest[k] = top if dep.open_start <= top else NEVER
                least_after[k] = least_after[k + 1]
                rest[k] = rest[k + 1] + leg + dep.duration
        fixed = inst.c_used + inst.c_preference * sum(
            1 for x in orders if inst.orders[x].preferred and sh.tech not in inst.orders[x].preferred
        )
        return cls(
            s, orders, depot, locs, ends, arrivals, latest, late_before, least_after[:n], rest,
            travel, ret, fixed,
        )

    def depot_node(self) -> int | None:
        """Node index of the route's depot stop."""
        return None if self.depot is None else self.depot[1] + 1

    def bound(self, inst: Instance, o: int, lower: int, g: int) -> tuple[int, int] | None:
        """A lower bound on the route's cost with order o between nodes g and g + 1 (the
        route's own depot stop kept), and o's relaxed start; None when no timing exists."""
        rows = inst.rows
        order = inst.orders[o]
        a, b = self.locs[g], self.locs[g + 1]
        st = start_at(inst, o, self.ends[g] + rows[a][order.loc], lower)
        if st is None:
            return None
        leg = rows[order.loc][b]
        arrival = st + order.duration + leg
        if arrival > self.latest[g + 1]:
            return None
        travel = self.travel - rows[a][b] + rows[a][order.loc] + leg
        late = self.late_before[g] + lateness(inst, o, st)
        ret = arrival + self.rest[g + 1]
        if arrival >= self.arrivals[g + 1]:
            # Everything after o starts no earlier than it did.
            late += self.late_before[-1] - self.late_before[g]
            if self.ret > ret:
                ret = self.ret
        else:
            late += self.least_after[g + 1]
        cost = self.fixed + inst.c_travel * travel + late
        over = ret - inst.shifts[self.shift].end
        if over > 0:
            cost += inst.c_overtime * over
        if order.preferred and inst.shifts[self.shift].tech not in order.preferred:
            cost += inst.c_preference
        return cost, st

    def bound_via(self, inst: Instance, o: int, g: int, d: int, first: bool) -> int:
        """A lower bound on the route's cost (a route without a depot stop) with order o
        between nodes g and g + 1 and a new stop at depot d: right before o, or `first`, at
        the start of the route."""
        rows = inst.rows
        loc, dloc = inst.orders[o].loc, inst.depots[d].loc
        a, b = self.locs[g], self.locs[g + 1]
        travel = self.travel - rows[a][b]
        if first and g > 0:
            s0, s1 = self.locs[0], self.locs[1]
            travel += rows[a][loc] + rows[loc][b] - rows[s0][s1] + rows[s0][dloc] + rows[dloc][s1]
            changed = 0
        elif first or g == 0:
            travel += rows[a][dloc] + rows[dloc][loc] + rows[loc][b]
            changed = 0
        else:
            travel += rows[a][dloc] + rows[dloc][loc] + rows[loc][b]
            changed = g
        earliest = start_at(inst, o, 0, 0)
        late = self.late_before[changed] + self.least_after[changed + 1]
        late += 0 if earliest is None else lateness(inst, o, earliest)
        cost = self.fixed + inst.c_travel * travel + late
        order = inst.orders[o]
        if order.preferred and inst.shifts[self.shift].tech not in order.preferred:
            cost += inst.c_preference
        return cost

    def position(self, g: int) -> tuple[int, tuple[int, int] | None]:
        """Order position and depot stop of an insertion between nodes g and g + 1 that
        keeps the route's own depot stop (see `Inserter.depot_options`)."""
        if self.depot is None:
            return g, None
        d, k = self.depot
        if g <= k:
            return g, (d, k + 1)
        return g - 1, (d, k)
