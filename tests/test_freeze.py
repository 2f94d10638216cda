"""Freezing the running plan: started and completed visits are recorded, a started visit keeps
its link, and a crew visit is held for every member or none."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import Plan, Problem, parse_model
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.replan import replan
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech
from tests.replan_cases import checked, day, events, solved_day, visit


@pytest.fixture(scope="module")
def base() -> tuple[Problem, Plan]:
    """The day solved at dawn."""
    return solved_day()


def test_started_and_completed_visits_are_recorded():
    """A visit reported started at 09:50 and completed at 10:30 keeps those times."""
    p = problem(
        [tech("W", 0, 0)],
        [order("A", 10, 0, 60, time_windows=[{"start": at("09:30"), "end": at("10:30")}])],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
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


def crew_visits(plan: Plan, oid: str) -> list[tuple[str, datetime]]:
    """(technician, start) of each visit of an order, by technician."""
    return sorted(
        (r.technician, it.start)
        for r in plan.routes
        for it in r.items
        if it.type == "visit" and it.order == oid
    )


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
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    now = datetime.fromisoformat(at("10:30"))
    res = replan(p, plan, now, [], SolveParams(time_limit=0, workers=1))
    crew = crew_visits(res.plan, "C")
    assert [t for t, _ in crew] == ["A", "B"]
    assert {s for _, s in crew} == {datetime.fromisoformat(at("11:00"))}
    assert res.plan.changes == []


def _late_partner_day() -> Problem:
    """A's visit A1 (09:30-10:30) comes before crew visit C next door with B (planned at
    11:00); B comes from far away with nothing before C, so B is on the way from 09:25."""
    return problem(
        [tech("A", 0, 0), tech("B", 100, 0)],
        [
            order("A1", 2, 0, 60, time_windows=[{"start": at("09:30"), "end": at("09:30")}]),
            order(
                "C",
                5,
                0,
                60,
                crew_size=2,
                priority=1,
                time_windows=[{"start": at("11:00"), "end": at("13:00")}],
            ),
        ],
    )


@pytest.mark.parametrize("now", ["10:20", "10:40"])
def test_a_crew_visit_is_not_held_for_a_member_still_busy_at_its_start(now: str) -> None:
    """A's visit before the crew visit overruns to 11:30: the crew visit is not held at 11:00
    (A cannot be there), both members are re-planned to it after 11:30, and the plan is
    feasible (at 10:40 A1 was planned to be over, so A seemed to be driving to C)."""
    p = _late_partner_day()
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    c_start = {it.start for r in plan.routes for it in r.items if getattr(it, "order", "") == "C"}
    assert c_start == {datetime.fromisoformat(at("11:00"))}
    when = datetime.fromisoformat(at(now))
    delayed = events({"type": "visit_delayed", "order": "A1", "expected_end": at("11:30")})
    res = replan(p, plan, when, delayed, SolveParams(time_limit=0, workers=1))
    ev = evaluate(res.problem, res.plan, previous=plan, frozen_before=when)
    assert ev.feasible, [str(v) for v in ev.violations]
    crew = crew_visits(res.plan, "C")
    assert [t for t, _ in crew] == ["A", "B"]
    assert min(s for _, s in crew) > datetime.fromisoformat(at("11:30"))
