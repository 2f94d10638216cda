"""The residual problem and the warm start of a re-plan (`optimizer.replan.residual`), on their
own: what is left to plan from where each technician is, and the previous plan on it."""

from __future__ import annotations

from datetime import timedelta

from models import Plan, Problem
from optimizer.cp.build import eligible_shifts
from optimizer.instance import compile_problem
from optimizer.params import SolveParams
from optimizer.replan.freeze import freeze
from optimizer.replan.residual import day_matrix, matrix, previous_solution, residual_problem
from optimizer.solve import solve
from optimizer.travel import TravelMatrix
from tests.factory import at, order, problem, tech
from tests.replan_cases import NOW, day, visit

BUDGET = SolveParams(deterministic_limit=0.5, workers=1, seed=0, time_limit=60)


def _solved(p: Problem) -> Plan:
    plan = solve(p, BUDGET).plan
    assert plan.kpis["orders_served"] == len(p.orders)
    return plan


def test_started_orders_leave_and_each_shift_starts_where_its_technician_is_free() -> None:
    """W1 and E1 began at 09:00: they are not in the residual day, and W's and E's shifts
    start when and where those visits end; the other orders stay as they were."""
    p = day()
    plan = _solved(p)
    res = residual_problem(p, freeze(p, plan, NOW, []), NOW)
    assert sorted(o.id for o in res.orders) == ["E2", "E3", "W2", "W3"]
    for tid, first in (("W", "W1"), ("E", "E1")):
        found = visit(plan, first)
        assert found is not None and found[0] == tid
        (shift,) = next(t for t in res.technicians if t.id == tid).shifts
        assert shift.start == found[1].end
        assert shift.start_location == next(o for o in p.orders if o.id == first).location
    assert {o.id: o for o in res.orders}["W3"] == {o.id: o for o in p.orders}["W3"]


def test_a_shift_that_is_over_is_dropped_and_one_under_way_starts_now() -> None:
    """A technician whose shift ended at 09:30 has none left; one who has done nothing yet
    since 08:00 starts at now, with the break that can no longer be taken dropped."""
    p = problem(
        [
            tech("EARLY", 0, 0, start="06:00", end="09:30"),
            tech(
                "IDLE",
                50,
                0,
                breaks=[
                    {
                        "earliest_start": at("08:30"),
                        "latest_end": at("09:30"),
                        "duration": "PT30M",
                    },
                    {
                        "earliest_start": at("12:00"),
                        "latest_end": at("13:00"),
                        "duration": "PT30M",
                    },
                ],
            ),
        ],
        [order("LATE", 60, 0, 30, time_windows=[{"start": at("15:00"), "end": at("16:00")}])],
    )
    plan = _solved(p)
    res = residual_problem(p, freeze(p, plan, NOW, []), NOW)
    by_id = {t.id: t for t in res.technicians}
    assert by_id["EARLY"].shifts == []
    (shift,) = by_id["IDLE"].shifts
    assert shift.start == NOW
    assert [b.earliest_start for b in shift.breaks] == [NOW.replace(hour=12)]


def test_a_prerequisite_under_way_bounds_the_start_of_what_follows() -> None:
    """AFTER must follow W1, which is under way until 10:00: its window now opens when W1
    ends, and its `after` no longer names the order that left the day."""
    p = problem(
        [tech("W", 0, 0)],
        [
            order("W1", 10, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("AFTER", 20, 0, 30, after=["W1"]),
        ],
    )
    plan = _solved(p)
    res = residual_problem(p, freeze(p, plan, NOW, []), NOW)
    (rest,) = res.orders
    assert rest.id == "AFTER" and rest.after == []
    found = visit(plan, "W1")
    assert found is not None
    assert rest.time_windows is not None
    assert min(w.start for w in rest.time_windows) == found[1].end


def test_a_link_to_a_started_order_becomes_a_range_for_the_start() -> None:
    """LINKED starts 30 to 90 minutes after W1, which began at 09:00: its window becomes
    09:30-10:30 and the link to the started order goes."""
    link = {"order": "W1", "min_gap": "PT30M", "max_gap": "PT90M"}
    p = problem(
        [tech("W", 0, 0), tech("E", 100, 0)],
        [
            order("W1", 10, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("LINKED", 90, 0, 30, linked=[link]),
        ],
    )
    plan = _solved(p)
    res = residual_problem(p, freeze(p, plan, NOW.replace(hour=9, minute=10), []), NOW)
    (rest,) = res.orders
    assert rest.linked == []
    found = visit(plan, "W1")
    assert found is not None
    begun = found[1].start
    assert rest.time_windows is not None
    assert [(w.start, w.end) for w in rest.time_windows] == [
        (begun + timedelta(minutes=30), begun + timedelta(minutes=90))
    ]


def test_the_previous_plan_is_the_warm_start_on_the_residual_day() -> None:
    """Every unstarted visit of the dawn plan is in the warm start, with the same technician,
    in the same order, no earlier than planned."""
    p = day()
    plan = _solved(p)
    frozen = freeze(p, plan, NOW, [])
    res = residual_problem(p, frozen, NOW)
    inst = compile_problem(res)
    sol = previous_solution(inst, plan, frozen)
    for route in plan.routes:
        planned = [it for it in route.items if it.type == "visit" and it.start >= NOW]
        s = inst.shift_idx[route.shift]
        assert [inst.orders[o].id for o in sol.routes[s].orders] == [it.order for it in planned]
        for it in planned:
            assert sol.start[inst.order_idx[it.order]] >= inst.seconds(it.start)
    assert set(sol.provider) == set(sol.start) and len(sol.start) == 4
    assert all(eligible_shifts(inst)[o] for o in sol.start)


def test_a_kept_day_matrix_gives_the_seconds_of_a_fresh_one() -> None:
    """The day's matrix extended by a new location holds the same seconds as a matrix built
    for the residual day from nothing."""
    p = day()
    plan = _solved(p)
    res = residual_problem(p, freeze(p, plan, NOW, []), NOW)
    extra = [next(o for o in p.orders if o.id == "W1").location.model_copy(update={"x": 55.5})]
    kept = matrix(res, extra, day_matrix(p))
    fresh = TravelMatrix.from_problem(res, extra=extra)
    for a in fresh.keys:
        for b in fresh.keys:
            assert (
                kept.seconds[kept._index[a], kept._index[b]]
                == fresh.seconds[fresh._index[a], fresh._index[b]]
            )
