"""Re-planning a running day: every event type, the frozen part, stability, emergencies,
and the fast path. Every new plan is held against the evaluator on the updated problem."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import Plan, Problem
from optimizer.params import SolveParams
from optimizer.replan import replan
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech
from tests.replan_cases import checked, day, events, frozen_items, solved_day, visit


@pytest.fixture(scope="module")
def base() -> tuple[Problem, Plan]:
    """The day solved at dawn."""
    return solved_day()


def test_nothing_happened_keeps_the_plan(base):
    """With no events the frozen part is identical and nothing changes."""
    p, plan = base
    res = checked(p, plan, [])
    assert frozen_items(res.plan) == frozen_items(plan)
    assert res.plan.changes == []


def test_emergency_added_is_served_by_its_due(base):
    """A priority-1 outage near W at 10:00, due 11:00, is served by then and listed as new."""
    p, plan = base
    emergency = order("X", 15, 0, 30, priority=1, kind="emergency", due=at("11:00"))
    res = checked(p, plan, events({"type": "order_added", "order": emergency}))
    tech_id, item = visit(res.plan, "X")
    assert item.start <= datetime.fromisoformat(at("11:00"))
    new = [c for c in res.plan.changes if c.order == "X"]
    assert new and new[0].from_technician is None and new[0].to_technician == tech_id
    assert frozen_items(res.plan) == frozen_items(plan)


def test_fast_path_alone_with_zero_time_limit(base):
    """time_limit 0 runs only the fast path and still fits the emergency."""
    p, plan = base
    emergency = order("X", 15, 0, 30, priority=1, due=at("11:00"))
    res = checked(p, plan, events({"type": "order_added", "order": emergency}), time_limit=0)
    assert res.stats.mode == "fast-path"
    assert visit(res.plan, "X") is not None


def test_cancelled_order_vanishes(base):
    """A cancelled order is neither served nor unassigned, and the rest stays put."""
    p, plan = base
    res = checked(p, plan, events({"type": "order_cancelled", "order": "W3"}))
    assert visit(res.plan, "W3") is None
    assert "W3" not in {u.order for u in res.plan.unassigned}
    assert res.plan.changes == []


def test_updated_order_moves_to_its_new_window(base):
    """W3's window moves to 15:00; its visit follows."""
    p, plan = base
    moved = order("W3", 30, 0, 60, time_windows=[{"start": at("15:00"), "end": at("15:30")}])
    res = checked(p, plan, events({"type": "order_updated", "order": moved}))
    _, item = visit(res.plan, "W3")
    assert item.start >= datetime.fromisoformat(at("15:00"))
    assert [c.order for c in res.plan.changes] == ["W3"]


def test_technician_falling_ill_mid_route(base):
    """W falls ill at 10:00: the finished W1 stays with W; W2 and W3 go to E or are
    unassigned with a reason; W's route ends after its frozen part."""
    p, plan = base
    res = checked(
        p,
        plan,
        events(
            {
                "type": "technician_unavailable",
                "technician": "W",
                "from": at("10:00"),
                "until": at("23:00"),
            }
        ),
    )
    assert visit(res.plan, "W1")[0] == "W"
    for oid in ("W2", "W3"):
        served = visit(res.plan, oid)
        assert (served is not None and served[0] == "E") or oid in {
            u.order for u in res.plan.unassigned
        }
    w_route = next(r for r in res.plan.routes if r.technician == "W")
    assert [it.type for it in w_route.items if it.type == "visit"] == ["visit"]
    assert {c.order for c in res.plan.changes} == {"W2", "W3"}


def test_delayed_visit_pushes_the_next_one():
    """W1 started 09:40 and now ends 11:30: W2 (window to 12:00) starts after 11:30 + 10."""
    p = day()
    p2 = problem(
        [tech("W", 0, 0), tech("E", 100, 0)],
        [
            order("W1", 10, 0, 60, time_windows=[{"start": at("09:40"), "end": at("09:40")}]),
            *[o.model_dump(mode="json", exclude_none=True) for o in p.orders[1:]],
        ],
    )
    plan = solve(p2, SolveParams(**DETERMINISTIC)).plan
    res = checked(
        p2, plan, events({"type": "visit_delayed", "order": "W1", "expected_end": at("11:30")})
    )
    _, w1 = visit(res.plan, "W1")
    assert w1.end == datetime.fromisoformat(at("11:30"))
    # E cannot take W2 (from E1 at x=90 it reaches x=20 at 11:10 and E2's window has closed
    # when it is back), so W serves it, 10 minutes after W1's new end.
    tech_id, w2 = visit(res.plan, "W2")
    assert tech_id == "W"
    assert w2.start >= datetime.fromisoformat(at("11:40"))


def test_reported_position_is_where_the_technician_goes_on_from(base):
    """W reports being at x=100 at 10:00: W2 at x=20 is reached 80 minutes later at best, at
    11:20, after its plan's 11:00 start (from W1 at x=10 it could still start at 11:00)."""
    p, plan = base
    res = checked(
        p,
        plan,
        events(
            {
                "type": "technician_position",
                "technician": "W",
                "location": {"x": 100, "y": 0},
                "at": at("10:00"),
            }
        ),
    )
    # E cannot take W2 and keep E2 (see above).
    tech_id, w2 = visit(res.plan, "W2")
    assert tech_id == "W"
    assert w2.start >= datetime.fromisoformat(at("11:20"))


def test_emergency_needing_a_crew_of_two():
    """An outage for two at 10:00 gets both technicians at one start."""
    p = problem([tech("A", 0, 0), tech("B", 10, 0)], [order("O", 50, 0, 30)])
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    crew = order("X", 5, 0, 60, priority=1, crew_size=2, due=at("11:00"))
    res = checked(p, plan, events({"type": "order_added", "order": crew}))
    visits = [
        (r.technician, it)
        for r in res.plan.routes
        for it in r.items
        if it.type == "visit" and it.order == "X"
    ]
    assert sorted(t for t, _ in visits) == ["A", "B"]
    assert len({it.start for _, it in visits}) == 1


def test_emergency_nobody_qualified_can_reach():
    """A radio emergency with no radio technician is unassigned and says why."""
    p = day()
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    x = order("X", 5, 0, 30, priority=1, required_skills={"radio": 3})
    res = checked(p, plan, events({"type": "order_added", "order": x}))
    reasons = {u.order: {r.code for r in u.reasons} for u in res.plan.unassigned}
    assert reasons["X"] == {"no_qualified_technician"}


def test_low_priority_addition_changes_nothing_else(base):
    """A far, low-priority order added for the afternoon moves no planned order."""
    p, plan = base
    extra = order(
        "L", 50, 0, 30, priority=5, time_windows=[{"start": at("15:00"), "end": at("16:00")}]
    )
    res = checked(p, plan, events({"type": "order_added", "order": extra}))
    assert {c.order for c in res.plan.changes} <= {"L"}


def test_planned_crew_order_survives_a_fast_path_replan():
    """A crew order in the morning plan keeps its crew and start through a fast-path
    re-plan that adds other work."""
    p = problem(
        [tech("A", 0, 0), tech("B", 10, 0)],
        [
            order(
                "C",
                5,
                0,
                60,
                crew_size=2,
                priority=1,
                time_windows=[{"start": at("13:00"), "end": at("13:00")}],
            )
        ],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    extra = order("N", 20, 0, 30, time_windows=[{"start": at("15:00"), "end": at("16:00")}])
    res = checked(p, plan, events({"type": "order_added", "order": extra}), time_limit=0)
    crew = [
        (r.technician, it.start)
        for r in res.plan.routes
        for it in r.items
        if it.type == "visit" and it.order == "C"
    ]
    assert sorted(t for t, _ in crew) == ["A", "B"]
    assert {s for _, s in crew} == {datetime.fromisoformat(at("13:00"))}
    assert "C" not in {c.order for c in res.plan.changes}


def test_an_order_no_longer_urgent_leaves_the_on_call_shift():
    """X, priority 1, is planned on C's on-call shift; updated to priority 3 it may no longer
    be served there: it moves to A's regular shift."""
    p = problem(
        [tech("A", 0, 0, start="10:00"), tech("C", 10, 0, on_call=True)],
        [
            order(
                "X",
                10,
                0,
                30,
                priority=1,
                time_windows=[{"start": at("10:00"), "end": at("12:00")}],
            )
        ],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    assert visit(plan, "X")[0] == "C"
    calm = order(
        "X", 10, 0, 30, priority=3, time_windows=[{"start": at("10:00"), "end": at("12:00")}]
    )
    for fast_path_only in (True, False):
        limit = {"time_limit": 0} if fast_path_only else {}
        res = checked(p, plan, events({"type": "order_updated", "order": calm}), **limit)
        assert visit(res.plan, "X")[0] == "A"


@pytest.fixture(scope="module")
def example_day() -> tuple[Problem, Plan]:
    """The shipped example day, solved on a deterministic budget."""
    import json
    from pathlib import Path

    from models import load_problem

    path = Path(__file__).resolve().parents[1] / "examples" / "telecom-day.json"
    p = load_problem(json.loads(path.read_text()))
    return p, solve(p, SolveParams(**DETERMINISTIC)).plan


@pytest.mark.parametrize("hhmm", ["09:30", "10:05", "11:05", "12:30", "14:00"])
def test_nothing_happened_keeps_the_plan_all_day(example_day, hhmm):
    """A fast-path re-plan with no events keeps every order where it was at any time of the
    day, technicians driving to their next stop and crews waiting for each other included."""
    p, plan = example_day
    now = datetime.fromisoformat(f"2026-12-01T{hhmm}:00+08:00")
    res = replan(p, plan, now, [], SolveParams(time_limit=0, workers=1, seed=0))
    assert res.plan.changes == []
    assert [u.order for u in res.plan.unassigned] == [u.order for u in plan.unassigned]
    assert res.plan.objective.value == pytest.approx(plan.objective.value)
