"""Re-planning a running day: every event type, the frozen part, stability, emergencies,
and recommendations. Every new plan is held against the evaluator on the updated problem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from models import InvalidInput, Order, Plan, Problem, parse_model
from models.events import Event
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.replan import ReplanResult, recommend, replan
from optimizer.solve import solve
from tests.factory import at, order, problem, tech

NOW = datetime.fromisoformat(at("10:00"))


def day() -> Problem:
    """Two technicians west and east; three orders each side, one started before 10:00."""
    return problem(
        [tech("W", 0, 0), tech("E", 100, 0)],
        [
            order("W1", 10, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("W2", 20, 0, 60, time_windows=[{"start": at("11:00"), "end": at("12:00")}]),
            order("W3", 30, 0, 60, time_windows=[{"start": at("13:00"), "end": at("14:00")}]),
            order("E1", 90, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("E2", 80, 0, 60, time_windows=[{"start": at("11:00"), "end": at("12:00")}]),
            order("E3", 70, 0, 60, time_windows=[{"start": at("13:00"), "end": at("14:00")}]),
        ],
    )


@pytest.fixture(scope="module")
def base() -> tuple[Problem, Plan]:
    """The day solved at dawn."""
    p = day()
    plan = solve(p, SolveParams(time_limit=5, workers=1)).plan
    assert plan.kpis["orders_served"] == 6
    return p, plan


def events(*raw: dict[str, Any]) -> list[Event]:
    """Parse events as the contract gives them."""
    from pydantic import TypeAdapter

    return TypeAdapter(list[Event]).validate_python(list(raw))


def checked(p: Problem, plan: Plan, evs: list[Event], **params: Any) -> ReplanResult:
    """Re-plan and hold the result against the evaluator, frozen part included."""
    res = replan(p, plan, NOW, evs, SolveParams(**{"time_limit": 2, "workers": 1, **params}))
    ev = evaluate(res.problem, res.plan, previous=plan, frozen_before=NOW)
    assert ev.feasible, [str(v) for v in ev.violations]
    assert res.plan.changes is not None
    return res


def visit(plan: Plan, oid: str) -> tuple[str, Any] | None:
    """(technician, visit item) of an order, or None."""
    for r in plan.routes:
        for it in r.items:
            if it.type == "visit" and it.order == oid:
                return r.technician, it
    return None


def frozen_items(plan: Plan) -> list[tuple[str, Any]]:
    """Every item of the plan that began before NOW, with its technician."""
    out = []
    for r in plan.routes:
        for it in r.items:
            begin = it.time if it.type == "start" else getattr(it, "start", it.arrival)
            if begin < NOW:
                out.append((r.technician, it))
    return out


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
    plan = solve(p2, SolveParams(time_limit=5, workers=1)).plan
    res = checked(
        p2, plan, events({"type": "visit_delayed", "order": "W1", "expected_end": at("11:30")})
    )
    _, w1 = visit(res.plan, "W1")
    assert w1.end == datetime.fromisoformat(at("11:30"))
    served = visit(res.plan, "W2")
    if served is not None and served[0] == "W":
        assert served[1].start >= datetime.fromisoformat(at("11:40"))


def test_started_and_completed_visits_are_recorded():
    """A visit reported started at 09:50 and completed at 10:30 keeps those times."""
    p = problem(
        [tech("W", 0, 0)],
        [order("A", 10, 0, 60, time_windows=[{"start": at("09:30"), "end": at("10:30")}])],
    )
    plan = solve(p, SolveParams(time_limit=2, workers=1)).plan
    res = checked(
        p,
        plan,
        events(
            {"type": "visit_started", "order": "A", "at": at("09:50")},
            {"type": "visit_completed", "order": "A", "at": at("10:30")},
        ),
    )
    _, item = visit(res.plan, "A")
    assert (item.start, item.end) == (
        datetime.fromisoformat(at("09:50")),
        datetime.fromisoformat(at("10:30")),
    )


def test_reported_position_is_where_the_technician_goes_on_from(base):
    """W reports being at x=50 at 10:00: W2 at x=20 is reached 30 minutes later at best."""
    p, plan = base
    res = checked(
        p,
        plan,
        events(
            {
                "type": "technician_position",
                "technician": "W",
                "location": {"x": 50, "y": 0},
                "at": at("10:00"),
            }
        ),
    )
    served = visit(res.plan, "W2")
    if served is not None and served[0] == "W":
        assert served[1].arrival >= datetime.fromisoformat(at("10:30"))


def test_emergency_needing_a_crew_of_two():
    """An outage for two at 10:00 gets both technicians at one start."""
    p = problem([tech("A", 0, 0), tech("B", 10, 0)], [order("O", 50, 0, 30)])
    plan = solve(p, SolveParams(time_limit=2, workers=1)).plan
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
    plan = solve(p, SolveParams(time_limit=2, workers=1)).plan
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


def test_unknown_ids_in_events_are_input_errors(base):
    """Events naming unknown orders or technicians are reported with their paths."""
    p, plan = base
    with pytest.raises(InvalidInput) as err:
        replan(
            p,
            plan,
            NOW,
            events(
                {"type": "order_cancelled", "order": "NOPE"},
                {
                    "type": "technician_unavailable",
                    "technician": "Z",
                    "from": at("10:00"),
                    "until": at("11:00"),
                },
            ),
        )
    assert [e.path for e in err.value.errors] == ["events[0].order", "events[1].technician"]


def test_recommendations_best_first(base):
    """Recommendations for an order near W come best first, each from a feasible insertion."""
    p, plan = base
    new = parse_model(Order, order("N", 25, 0, 30, due=at("12:30")))
    recs = recommend(p, plan, new, NOW, k=5)
    assert recs and [r.cost_delta for r in recs] == sorted(r.cost_delta for r in recs)
    assert recs[0].technician == "W"
    assert all(r.start >= r.arrival for r in recs)
    assert all(r.start >= NOW for r in recs)


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
    plan = solve(p, SolveParams(time_limit=2, workers=1)).plan
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


def test_position_of_the_wrong_kind_is_an_input_error(base):
    """A lat/lon position on a planar (euclidean) day is reported with its path."""
    p, plan = base
    with pytest.raises(InvalidInput) as err:
        replan(
            p,
            plan,
            NOW,
            events(
                {
                    "type": "technician_position",
                    "technician": "W",
                    "location": {"lat": 1, "lon": 2},
                    "at": at("09:00"),
                }
            ),
        )
    assert [e.path for e in err.value.errors] == ["events[0].location"]


def linked_day(on: str = "W2") -> Problem:
    """`day()` with W2 linked to W1 (W2 starts 2 h 15 to 2 h 30 after W1), declared on `on`."""
    data = day().model_dump(mode="json", exclude_none=True)
    gap = {"min_gap": "PT2H15M", "max_gap": "PT2H30M"}
    if on == "W2":
        data["orders"][1]["linked"] = [{"order": "W1", **gap}]
    else:  # the same link seen from W1: W1 - W2 in [-2 h 30, -2 h 15]
        data["orders"][0]["linked"] = [
            {"order": "W2", "min_gap": "-PT2H30M", "max_gap": "-PT2H15M"}
        ]
    data["orders"][1]["customer"] = {"name": "Li Wei", "phone": "+86 27 5555 0100"}
    return parse_model(Problem, data)


@pytest.mark.parametrize("on", ["W2", "W1"])
def test_a_started_visit_keeps_its_link(base, on):
    """W1 started at 09:00: W2, linked 2 h 15 to 2 h 30 after it, must now be served and
    starts in 11:15-11:30, whichever order declares the link; the customer block passes."""
    p = linked_day(on)
    _, plan = base  # the dawn plan, W2 at 11:00
    res = checked(p, plan, [])
    _, item = visit(res.plan, "W2")
    assert at("11:15") <= item.start.isoformat() <= at("11:30")
    w2 = next(o for o in res.problem.orders if o.id == "W2")
    assert w2.mandatory  # its partner is under way: both or neither leaves no choice
    assert w2.customer is not None and w2.customer.name == "Li Wei"
    assert res.problem.orders[0].linked == p.orders[0].linked  # the link stays in the problem


def test_cancelling_one_of_a_linked_pair_drops_the_link(base):
    """Cancelling W3, to which W2 is linked, removes the link: W2 is planned on its own."""
    data = day().model_dump(mode="json", exclude_none=True)
    data["orders"][1]["linked"] = [{"order": "W3", "min_gap": "-PT3H", "max_gap": "PT3H"}]
    p = parse_model(Problem, data)
    _, plan = base
    res = checked(p, plan, events({"type": "order_cancelled", "order": "W3"}))
    w2 = next(o for o in res.problem.orders if o.id == "W2")
    assert w2.linked == []
    assert visit(res.plan, "W2") is not None


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
    plan = solve(p, SolveParams(time_limit=2, workers=1)).plan
    assert visit(plan, "X")[0] == "C"
    calm = order(
        "X", 10, 0, 30, priority=3, time_windows=[{"start": at("10:00"), "end": at("12:00")}]
    )
    for limit in (0, 2):
        res = checked(p, plan, events({"type": "order_updated", "order": calm}), time_limit=limit)
        assert visit(res.plan, "X")[0] == "A"


@pytest.fixture(scope="module")
def example_day() -> tuple[Problem, Plan]:
    """The shipped example day, solved on a deterministic budget."""
    import json
    from pathlib import Path

    from models import load_problem

    path = Path(__file__).resolve().parents[1] / "examples" / "telecom-day.json"
    p = load_problem(json.loads(path.read_text()))
    params = SolveParams(time_limit=120, deterministic_limit=1, workers=1, seed=0)
    return p, solve(p, params).plan


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


def test_a_crew_visit_is_held_for_every_member_or_none():
    """When one member is already on the way to a crew visit and it is the other's next
    stop too, both are held to it; the visit keeps its crew and start."""
    p = problem(
        [tech("A", 0, 0), tech("B", 10, 0)],
        [
            order("A1", 2, 0, 30, time_windows=[{"start": at("08:00"), "end": at("08:30")}]),
            order(
                "C",
                50,
                0,
                60,
                crew_size=2,
                priority=1,
                time_windows=[{"start": at("11:00"), "end": at("11:00")}],
            ),
        ],
    )
    plan = solve(p, SolveParams(time_limit=2, workers=1)).plan
    now = datetime.fromisoformat(at("10:30"))
    res = replan(p, plan, now, [], SolveParams(time_limit=0, workers=1))
    crew = sorted(
        (r.technician, it.start)
        for r in res.plan.routes
        for it in r.items
        if it.type == "visit" and it.order == "C"
    )
    assert [t for t, _ in crew] == ["A", "B"]
    assert {s for _, s in crew} == {datetime.fromisoformat(at("11:00"))}
    assert res.plan.changes == []
