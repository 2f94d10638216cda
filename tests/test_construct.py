"""The first plan (`optimizer.construct`): most valuable and urgent work first, room made for
urgent work that fits nowhere, `only` and the deadline. Travel is one unit a minute."""

from __future__ import annotations

import time
from typing import Any

from optimizer.construct import _Clock, construct, urgent
from optimizer.cp.build import eligible_shifts
from optimizer.instance import Instance, compile_problem
from optimizer.solution import Solution
from tests.factory import order, problem, tech


def _short_shift(*orders: dict[str, Any]) -> Instance:
    """One technician from 08:00 to 10:00: room for one 90-minute order only."""
    return compile_problem(problem([tech("T", 0, 0, end="10:00")], list(orders)))


def _served(inst: Instance, sol: Solution) -> list[str]:
    return sorted(inst.orders[o].id for o in sol.start)


def test_the_more_valuable_of_two_orders_that_cannot_both_fit_goes_in() -> None:
    """Priority 1 against priority 4, in either order of the input: priority 1 is served."""
    low = order("LOW", 10, 0, 90, priority=4)
    high = order("HIGH", -10, 0, 90, priority=1)
    for orders in ((low, high), (high, low)):
        inst = _short_shift(*orders)
        assert _served(inst, construct(inst, eligible_shifts(inst))) == ["HIGH"]


def test_an_urgent_order_that_fits_nowhere_has_room_made_by_moving_lesser_work() -> None:
    """The day already holds a priority-4 order; a mandatory one arriving later takes its
    place, and the priority-4 order is left out (it fits nowhere else)."""
    inst = _short_shift(
        order("LOW", 10, 0, 90, priority=4), order("MUST", -10, 0, 90, mandatory=True)
    )
    eligible = eligible_shifts(inst)
    first = construct(inst, eligible, only={0})
    assert _served(inst, first) == ["LOW"]
    assert urgent(inst, 1) and not urgent(inst, 0)
    assert _served(inst, construct(inst, eligible, first, only={1})) == ["MUST"]


def test_work_of_equal_value_is_not_moved_aside() -> None:
    """Two priority-1 orders: the one placed first keeps its place."""
    inst = _short_shift(order("P1A", 10, 0, 90, priority=1), order("P1B", -10, 0, 90, priority=1))
    eligible = eligible_shifts(inst)
    first = construct(inst, eligible, only={0})
    assert _served(inst, construct(inst, eligible, first, only={1})) == ["P1A"]


def test_only_the_given_orders_are_placed_and_none_after_the_deadline() -> None:
    """`only` keeps the others out; a deadline already past places nothing."""
    inst = compile_problem(
        problem([tech("T", 0, 0)], [order("A", 10, 0), order("B", 20, 0), order("C", 30, 0)])
    )
    eligible = eligible_shifts(inst)
    assert _served(inst, construct(inst, eligible, only={0, 2})) == ["A", "C"]
    assert _served(inst, construct(inst, eligible)) == ["A", "B", "C"]
    assert _served(inst, construct(inst, eligible, deadline=time.monotonic() - 1)) == []


def test_first_plan_is_the_cheapest_of_its_tries_on_a_day_with_linked_orders() -> None:
    """On hhcrsp C1 (linked visits) the plan kept is served in full, no dearer than the first
    construction and as cheap as the cheapest of the orderings tried; a second call gives
    the same plan."""
    from benchmarks import hhcrsp
    from optimizer.construct import first_plan, first_rank
    from optimizer.cp.objective import solution_cost

    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load("C1")))
    eligible = eligible_shifts(inst)
    costs = [solution_cost(inst, construct(inst, eligible))]
    for rank in (
        first_rank(inst, eligible, tight_first=True),
        first_rank(inst, eligible, spread=0.25, seed=0),
    ):
        costs.append(solution_cost(inst, construct(inst, eligible, rank=rank)))
    best = first_plan(inst, eligible, tries=3)
    assert len(best.start) == len(inst.orders)
    assert best.cost == min(costs) and len(set(costs)) > 1
    assert first_plan(inst, eligible, tries=3).start == best.start
    assert first_plan(inst, eligible, tries=3, until=time.monotonic() - 1).cost == costs[0]


def test_first_plan_builds_one_plan_on_a_day_without_crews_or_links() -> None:
    """Without crew or linked orders the first construction is the plan, whatever `tries`
    says; the default rank offers pinned work first, then by value and due time."""
    from optimizer.construct import first_plan, first_rank

    inst = compile_problem(
        problem(
            [tech("T", 0, 0)],
            [order("A", 10, 0, priority=4), order("B", 20, 0, priority=1), order("C", 30, 0)],
        )
    )
    eligible = eligible_shifts(inst)
    assert first_plan(inst, eligible, tries=5).start == construct(inst, eligible).start
    rank = first_rank(inst, eligible)
    assert sorted(range(3), key=rank)[0] == 1


def test_a_chain_gets_no_time_that_the_remaining_insertions_need() -> None:
    """With 100 orders left at 0.1 s an insertion and 1 s to go, an ejection chain gets no
    time (0.0); with 2 left, it shares what they leave with the one urgent order to come."""
    now = time.monotonic()
    clock = _Clock(now + 1.0, urgent=2, total=101)
    clock.inserts, clock.spent = 1, 0.1
    clock.next(True)
    assert clock.chain() == 0.0
    clock.left = 2
    chain = clock.chain()
    assert chain is not None and now < chain < now + 0.5
    assert _Clock(None, 1, 1).chain() is None


def test_an_unshared_clock_stops_chains_at_the_deadline_only() -> None:
    """Under a deterministic limit (not shared) a chain stops at the deadline, whatever the
    insertions still to come would need."""
    now = time.monotonic()
    clock = _Clock(now + 1.0, urgent=2, total=101, shared=False)
    assert clock.chain() == now + 1.0


def test_a_mandatory_chain_shares_the_time_with_the_mandatory_orders_only() -> None:
    """One mandatory order among 100 urgent ones to come: its chain gets half the time left,
    a priority-1 order's chain a hundred-and-first."""
    now = time.monotonic()
    clock = _Clock(now + 10.0, urgent=100, total=100)
    clock.must = 1
    must, other = clock.chain(True), clock.chain(False)
    assert must is not None and other is not None
    assert now + 4.0 < must < now + 5.5 and other < now + 0.2
