"""Fast route scheduling and cheapest insertion, in plain Python.

`schedule` times one route (earliest starts, breaks placed greedily where they cost nothing
or can wait no longer). `construct` builds a first solution by inserting orders, most valuable
first, at their cheapest feasible position; re-planning and recommendations use the same
insertion moves. Crew orders are left to the CP-SAT search.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from optimizer.cp.objective import unassigned_cost
from optimizer.instance import Instance
from optimizer.solution import RouteSol, Solution


@dataclass
class Timed:
    """A scheduled route: the route and its service starts."""

    route: RouteSol
    starts: list[int]
    travel: int


def _start_at(inst: Instance, o: int, arrival: int, lower: int) -> int | None:
    order = inst.orders[o]
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
) -> Timed | None:
    """Earliest feasible timing of visiting `seq` in shift s, or None.

    `lower` gives a lower bound on an order's start (its predecessors' ends); `depart` an
    earliest departure (re-planning: when the frozen part lets the technician go on).
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
    latest = sh.end + sh.max_overtime
    for pos in range(-1, len(seq)):
        if pos >= 0:
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
        nxt = seq[pos + 1] if pos + 1 < len(seq) else None
        while pending:
            b = pending[0]
            rule = rules[b]
            bstart = max(t, rule.earliest)
            if bstart + rule.duration > rule.latest_end:
                return None
            if nxt is None:
                take = True
            else:
                leg = inst.t(loc, inst.orders[nxt].loc)
                s0 = _start_at(inst, nxt, t + leg, lower.get(nxt, 0))
                s1 = _start_at(inst, nxt, bstart + rule.duration + leg, lower.get(nxt, 0))
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
    ret = t + inst.t(loc, sh.end_loc)
    if ret > latest or pending:
        return None
    return Timed(RouteSol(s, list(seq), start_time, ret, [x for x in taken if x]), starts, travel)


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
        cost += inst.c_idle * (r.ret - r.depart - timed.travel - service - brk)
    for o, st in zip(r.orders, timed.starts, strict=True):
        order = inst.orders[o]
        if order.due is not None and st > order.due:
            cost += inst.c_lateness[order.priority - 1] * (st - order.due)
        if order.preferred and sh.tech not in order.preferred:
            cost += inst.c_preference
    return cost


@dataclass
class Insertion:
    """Where and at what cost an order fits."""

    order: int
    shift: int
    position: int
    delta: int
    timed: Timed


class Inserter:
    """Cheapest feasible insertion of single-technician orders into a solution."""

    def __init__(self, inst: Instance, sol: Solution, eligible: dict[int, list[int]]):
        self.inst = inst
        self.sol = sol
        self.eligible = eligible
        self.timed: dict[int, Timed] = {}
        self.cost: dict[int, int] = {}
        self.parts_left: dict[int, dict[str, int]] = {
            t: dict(tech.parts) for t, tech in enumerate(inst.techs)
        }
        for o, s in sol.provider.items():
            self._consume(inst.shifts[s].tech, o, -1)
        for s, route in sol.routes.items():
            self._retime(s, route.orders)

    def _consume(self, tech: int, o: int, sign: int) -> None:
        left = self.parts_left[tech]
        for part, qty in self.inst.orders[o].parts.items():
            left[part] = left.get(part, 0) + sign * qty

    def _retime(self, s: int, seq: list[int]) -> None:
        timed = schedule(self.inst, s, seq, self._lower(seq))
        if timed is None:  # keep the solver's own timing when the greedy one cannot hold it
            route = self.sol.routes[s]
            starts = [self.sol.start[o] for o in seq]
            sh = self.inst.shifts[s]
            locs = [sh.start_loc] + [self.inst.orders[o].loc for o in seq] + [sh.end_loc]
            travel = sum(self.inst.t(a, b) for a, b in itertools.pairwise(locs))
            timed = Timed(route, starts, travel)
        self.timed[s] = timed
        self.cost[s] = route_cost(self.inst, timed)

    def _lower(self, seq: list[int]) -> dict[int, int]:
        out = {}
        for o in seq:
            ends = [
                self.sol.start[p] + self.inst.orders[p].duration
                for p in self.inst.orders[o].after
                if p in self.sol.start
            ]
            if ends:
                out[o] = max(ends)
        return out

    def _deps_ok(self, o: int, s: int) -> bool:
        """Predecessors of o are served (their timing is checked by `schedule`)."""
        return all(p in self.sol.start for p in self.inst.orders[o].after)

    def best(self, o: int, shifts: list[int] | None = None) -> Insertion | None:
        """The cheapest feasible insertion of unserved order o."""
        inst = self.inst
        order = inst.orders[o]
        if order.crew != 1 or not self._deps_ok(o, -1):
            return None
        best: Insertion | None = None
        for s in shifts if shifts is not None else self.eligible[o]:
            tech = inst.shifts[s].tech
            left = self.parts_left[tech]
            if any(left.get(k, 0) < q for k, q in order.parts.items()):
                continue
            seq = self.sol.routes[s].orders if s in self.sol.routes else []
            lower = self._lower([*seq, o])
            for pos in range(len(seq) + 1):
                cand = [*seq[:pos], o, *seq[pos:]]
                timed = schedule(inst, s, cand, lower)
                if timed is None or not self._dependents_ok(cand, timed):
                    continue
                delta = route_cost(inst, timed) - self.cost.get(s, 0)
                if best is None or delta < best.delta:
                    best = Insertion(o, s, pos, delta, timed)
        return best

    def _dependents_ok(self, seq: list[int], timed: Timed) -> bool:
        """Orders elsewhere that wait for an order of this route still start after it ends."""
        for o, st in zip(seq, timed.starts, strict=True):
            end = st + self.inst.orders[o].duration
            for q in self.dependents.get(o, ()):
                if q in self.sol.start and q not in seq and self.sol.start[q] < end:
                    return False
        return True

    @property
    def dependents(self) -> dict[int, list[int]]:
        """Order -> orders that must come after it."""
        if not hasattr(self, "_dependents"):
            deps: dict[int, list[int]] = {}
            for q, order in enumerate(self.inst.orders):
                for p in order.after:
                    deps.setdefault(p, []).append(q)
            self._dependents = deps
        return self._dependents

    def apply(self, ins: Insertion) -> None:
        """Commit an insertion into the solution."""
        sol, s = self.sol, ins.shift
        sol.routes[s] = ins.timed.route
        for o, st in zip(ins.timed.route.orders, ins.timed.starts, strict=True):
            sol.start[o] = st
        sol.provider[ins.order] = s
        self._consume(self.inst.shifts[s].tech, ins.order, -1)
        self.timed[s] = ins.timed
        self.cost[s] = route_cost(self.inst, ins.timed)

    def remove(self, o: int) -> None:
        """Take a single-technician order out of its route."""
        s = self.sol.provider.pop(o)
        seq = [x for x in self.sol.routes[s].orders if x != o]
        self.sol.start.pop(o, None)
        self._consume(self.inst.shifts[s].tech, o, +1)
        timed = schedule(self.inst, s, seq, self._lower(seq))
        if timed is not None:
            self.sol.routes[s] = timed.route
            for x, st in zip(seq, timed.starts, strict=True):
                self.sol.start[x] = st
            self.timed[s] = timed
            self.cost[s] = route_cost(self.inst, timed)
        else:
            self.sol.routes[s].orders = seq
            self._retime(s, seq)


def construct(
    inst: Instance, eligible: dict[int, list[int]], sol: Solution | None = None
) -> Solution:
    """Insert every unserved single-technician order, most valuable and most urgent first,
    at its cheapest feasible position, when that costs less than leaving it out."""
    sol = sol.copy() if sol is not None else Solution()
    ins = Inserter(inst, sol, eligible)
    served = sol.served()

    def urgency(o: int) -> tuple:
        order = inst.orders[o]
        close = min(order.due or inst.horizon, order.windows[-1][1])
        return (-unassigned_cost(inst, o), len(eligible[o]), close)

    for o in sorted(range(len(inst.orders)), key=urgency):
        if o in served or not eligible[o]:
            continue
        best = ins.best(o)
        if best is not None and best.delta < unassigned_cost(inst, o):
            ins.apply(best)
            served.add(o)
    return sol
