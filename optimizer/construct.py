"""The first plan: orders inserted one by one, mandatory, pinned and priority-1 work first
(crews and linked orders placed as a whole), room made for the urgent ones that fit nowhere.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterable

from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.groups import apply_group, best_group, group_value, is_grouped, remove_group
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.params import MoveParams
from optimizer.retime import Ties
from optimizer.solution import Solution


def urgent(inst: Instance, o: int) -> bool:
    """Order o is mandatory, pinned or priority 1: placed first, and room is made for it."""
    order = inst.orders[o]
    return (
        order.mandatory
        or order.pin_tech is not None
        or order.pin_start is not None
        or order.priority == 1
    )


def insert(ins: Inserter, o: int, shifts: list[int] | None = None) -> list[int] | None:
    """Insert unserved order o (its whole group, for crew and linked orders) where it is
    cheapest, when that costs less than leaving it out: the shifts it went to, or None. A
    single order goes to one of `shifts` when given (else its nearest routes)."""
    inst = ins.inst
    if is_grouped(inst, o):
        g = best_group(ins, o)
        if g is None or g.delta >= group_value(inst, o):
            return None
        apply_group(ins, g)
        return sorted(g.routes)
    best = ins.best(o, shifts)
    if best is None or best.delta >= unassigned_cost(inst, o):
        return None
    ins.apply(best)
    return [best.shift]


def take_out(ins: Inserter, o: int) -> list[int] | None:
    """Take served order o out (with its group): the shifts touched, or None."""
    if is_grouped(ins.inst, o):
        return remove_group(ins, o)
    s = ins.sol.provider[o]
    return [s] if ins.remove(o) else None


Rank = Callable[[int], tuple[object, ...]]
"""The key by which construction offers the orders (the smallest first)."""


def first_rank(
    inst: Instance,
    eligible: dict[int, list[int]],
    spread: float = 0.0,
    seed: int = 0,
    tight_first: bool = False,
) -> Rank:
    """Construction's key: pinned visits first (each has one place only), then the other
    must-serve work, then by value; among equals, urgent work by its due time (earliest
    first), then the hardest to place: crews, tight windows, few technicians. With `spread`,
    each due time is moved later by up to that share of its window (a draw of `seed`); with
    `tight_first`, the hardest to place come before the due times."""
    noise = random.Random(seed)
    late = [noise.random() * spread for _ in inst.orders]

    def key(o: int) -> tuple[object, ...]:
        order = inst.orders[o]
        close = min(order.due or inst.horizon, order.windows[-1][1])
        width = sum(we - ws for ws, we in order.windows)
        pinned = order.pin_tech is not None or order.pin_start is not None
        due = 0.0
        if order.due is not None and urgent(inst, o):
            due = order.due + late[o] * max(order.due - order.windows[0][0], 0)
        hard = (-order.crew, width * len(eligible[o]))
        if tight_first:
            return (not pinned, -unassigned_cost(inst, o), *hard, due, close)
        return (not pinned, -unassigned_cost(inst, o), due, *hard, close)

    return key


def first_plan(
    inst: Instance,
    eligible: dict[int, list[int]],
    sol: Solution | None = None,
    deadline: float | None = None,
    moves: MoveParams | None = None,
    *,
    tries: int = 1,
    until: float | None = None,
    shared: bool = True,
) -> Solution:
    """The cheapest of up to `tries` constructions (`construct`) from sol, each offering the
    orders in another order of the same value classes (`first_rank`: due times, then the
    hardest to place first, then due times drawn later within their windows). The tries
    after the first stop at `until` (a `time.monotonic()` instant). More than one try only
    on a day with linked or crew orders, whose greedy first plans differ most by the order
    of insertion (hhcrsp D and E: the cheapest of six 77% above `bks` on average, the first
    alone 99%)."""
    best = construct(inst, eligible, sol, deadline=deadline, moves=moves, shared=shared)
    if tries <= 1 or not any(o.links or o.crew > 1 for o in inst.orders):
        return best
    best.cost = solution_cost(inst, best)
    for k in range(1, tries):
        if until is not None and time.monotonic() > until:
            break
        rank = (
            first_rank(inst, eligible, tight_first=True)
            if k == 1
            else first_rank(inst, eligible, spread=0.25, seed=k - 2)
        )
        trial = construct(
            inst, eligible, sol, deadline=deadline, moves=moves, rank=rank, shared=shared
        )
        trial.cost = solution_cost(inst, trial)
        if trial.cost < best.cost:
            best = trial
    return best


def construct(
    inst: Instance,
    eligible: dict[int, list[int]],
    sol: Solution | None = None,
    only: set[int] | None = None,
    deadline: float | None = None,
    moves: MoveParams | None = None,
    rank: Rank | None = None,
    shared: bool = True,
) -> Solution:
    """Insert every unserved order (or those in `only`), most valuable and most urgent first,
    at its cheapest feasible position when that costs less than leaving it out; an urgent
    order that fits nowhere has room made for it by moving less valuable work aside.
    Orders not reached by `deadline` (a `time.monotonic()` instant) stay unserved; with
    `shared`, an ejection chain gets a share of the time left (`_Clock`), else the deadline
    only stops it (under a deterministic limit, where the plan must not depend on the
    machine's speed). `moves` says how far insertion looks (the defaults when not given)."""
    sol = sol.copy() if sol is not None else Solution()
    ins = Inserter(inst, sol, eligible, moves=moves)

    key = rank if rank is not None else first_rank(inst, eligible)
    todo = range(len(inst.orders)) if only is None else only
    queue = sorted(todo, key=key)
    clock = _Clock(deadline, sum(1 for o in queue if urgent(inst, o)), len(queue), shared)
    clock.must = sum(1 for o in queue if _must(inst, o))
    for o in queue:
        if deadline is not None and time.monotonic() > deadline:
            break
        clock.next(urgent(inst, o))
        clock.must -= _must(inst, o)
        if o in ins.sol.start or not eligible[o]:
            continue
        if not urgent(inst, o):
            clock.insert(ins, o)
            continue
        # Urgent work fits where it is cheapest, or where room is made for it when it fits
        # nowhere or only late.
        before = ins.clone()
        if clock.insert(ins, o) is None or _late(inst, ins.sol, o):
            better = make_room(before, o)
            if better is not None and (
                o not in ins.sol.start
                or solution_cost(inst, better.sol) < solution_cost(inst, ins.sol)
            ):
                ins = better
        chain = clock.chain(_must(inst, o))
        if o not in ins.sol.start and chain != 0.0:
            # It fits nowhere even with less valuable work moved aside: an ejection chain
            # (which may move work as valuable as o, another outage, further along).
            from optimizer.eject import eject_insert  # eject builds on this module's moves

            ejected = eject_insert(ins, o, ties=Ties(inst), deadline=chain)
            if ejected is not None:
                ins = ejected
    return ins.sol


class _Clock:
    """Construction's time, when it has a deadline: what an insertion takes on average, and
    so the share of the time left that an ejection chain may take while the rest of the
    orders still get their insertion (the urgent orders still to come, each as much). Not
    `shared`: the deadline is only a stop for the chains."""

    def __init__(
        self, deadline: float | None, urgent: int, total: int, shared: bool = True
    ) -> None:
        self.deadline = deadline if shared else None
        self.stop = deadline
        self.urgent, self.left = urgent, total
        self.inserts, self.spent = 0, 0.0
        self.must = 0  # mandatory or pinned orders still to come (they come first)

    def next(self, is_urgent: bool) -> None:
        """One more order offered."""
        self.left -= 1
        self.urgent -= is_urgent

    def insert(self, ins: Inserter, o: int) -> list[int] | None:
        """`insert`, timed."""
        if self.deadline is None:
            return insert(ins, o)
        began = time.monotonic()
        try:
            return insert(ins, o)
        finally:
            self.inserts += 1
            self.spent += time.monotonic() - began

    def chain(self, must: bool = False) -> float | None:
        """When an ejection chain must stop: None (no deadline: the chain's own trial budget
        bounds it), or an instant (the deadline itself when not shared); 0.0 when the rest
        of the orders need the time left. A mandatory or pinned order's chain shares the
        time with the mandatory and pinned orders still to come only."""
        if self.deadline is None:
            return self.stop
        now = time.monotonic()
        rest = self.left * self.spent / max(self.inserts, 1)
        share = (self.deadline - now - rest) / ((self.must if must else self.urgent) + 1)
        return now + share if share > 0 else 0.0


def _must(inst: Instance, o: int) -> bool:
    """Order o is mandatory or pinned."""
    order = inst.orders[o]
    return order.mandatory or order.pin_tech is not None or order.pin_start is not None


def make_room(ins: Inserter, o: int) -> Inserter | None:
    """An inserter in which urgent order o is served, made by taking less valuable work out
    of the routes nearest to it around the time it could start there, placing o, then
    offering that work back; the cheapest such solution, or None."""
    inst = ins.inst
    members = inst.linked_group(o)
    need = sum(inst.orders[x].crew for x in members)
    value = max(unassigned_cost(inst, x) for x in members)
    near: list[int] = []
    for x in members:
        for s in _nearest(ins, x):
            if s not in near:
                near.append(s)
    near = near[: max(ins.moves.room_routes, need + 1)]
    best: Inserter | None = None
    best_cost: int | None = None
    for combo in itertools.combinations(near, min(need, len(near))):
        trial = ins.clone()
        moved = take_out_around(
            trial,
            o,
            combo,
            lambda x: x in members or urgent(inst, x) or unassigned_cost(inst, x) >= value,
        )
        if not moved:
            continue  # nothing made room: o would go where it went (or fit nowhere) again
        if insert(trial, o) is None:
            continue
        for x in sorted(moved, key=lambda y: -unassigned_cost(inst, y)):
            if x not in trial.sol.start:
                insert(trial, x)
        cost = solution_cost(inst, trial.sol)
        if best_cost is None or cost < best_cost:
            best, best_cost = trial, cost
    if best is None or best_cost is None:
        return None
    before = solution_cost(inst, ins.sol)
    return best if best_cost < before else None


def take_out_around(
    ins: Inserter, o: int, shifts: Iterable[int], keep: Callable[[int], bool]
) -> list[int]:
    """Take out of the routes of `shifts` the visits around the time o's group could be
    served (from its earliest start to its closing, `room_margin` either side), except those
    `keep` holds: the orders taken out, with their groups, in the order they came out."""
    inst = ins.inst
    group = inst.linked_group(o)
    margin = ins.moves.room_margin
    lo = min(_reachable(inst, x) for x in group) - margin
    hi = max(_closing(inst, x) for x in group) + margin
    moved: list[int] = []
    for s in shifts:
        route = ins.sol.routes.get(s)
        for x in list(route.orders) if route is not None else []:
            if x not in ins.sol.start or keep(x):
                continue
            start = ins.sol.start[x]
            if start + inst.orders[x].duration < lo or start > hi:
                continue
            if take_out(ins, x) is not None:
                moved += [y for y in inst.linked_group(x) if y not in moved]
    return moved


def _late(inst: Instance, sol: Solution, o: int) -> bool:
    """Served order o (or a member of its group) starts past its due time."""
    for x in inst.linked_group(o):
        due = inst.orders[x].due
        if due is not None and sol.start.get(x, 0) > due:
            return True
    return False


def _nearest(ins: Inserter, o: int) -> list[int]:
    """Eligible shifts of o nearest to its site (by their start or closest stop)."""
    inst, sol = ins.inst, ins.sol
    loc = inst.orders[o].loc
    scored = []
    for s in ins.eligible[o]:
        gap = inst.t(inst.shifts[s].start_loc, loc)
        route = sol.routes.get(s)
        for x in route.orders if route is not None else []:
            gap = min(gap, inst.t(inst.orders[x].loc, loc))
        scored.append((gap, s))
    scored.sort()
    return [s for _, s in scored]


def _reachable(inst: Instance, o: int) -> int:
    """The earliest o may start (its first window)."""
    order = inst.orders[o]
    return order.pin_start if order.pin_start is not None else order.windows[0][0]


def _closing(inst: Instance, o: int) -> int:
    """When o should have ended: by its due (or the end of its windows) plus its duration."""
    order = inst.orders[o]
    if order.pin_start is not None:
        return order.pin_start + order.duration
    close = order.windows[-1][1] if order.due is None else min(order.due, order.windows[-1][1])
    return close + order.duration
