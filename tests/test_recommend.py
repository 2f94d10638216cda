"""Recommendations: the cheapest ways to fit one new order into a running plan, best first."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import Order, Plan, Problem, parse_model
from optimizer.replan import recommend
from optimizer.solve import solve
from tests.factory import at, order, problem, tech
from tests.replan_cases import NOW, solved_day


@pytest.fixture(scope="module")
def base() -> tuple[Problem, Plan]:
    """The day solved at dawn."""
    return solved_day()


def test_recommendations_best_first(base):
    """Recommendations for an order near W come best first, each from a feasible insertion."""
    p, plan = base
    new = parse_model(Order, order("N", 25, 0, 30, due=at("12:30")))
    recs = recommend(p, plan, new, NOW, k=5)
    assert recs and [r.cost_delta for r in recs] == sorted(r.cost_delta for r in recs)
    assert recs[0].technician == "W"
    assert all(r.start >= r.arrival for r in recs)
    assert all(r.start >= NOW for r in recs)


def test_crew_order_gets_crew_recommendations():
    """A new crew outage in a running day: recommendations name two technicians each, led by
    different technicians, the cheapest first, and the first crew can be there by its due."""
    from models import Order, Plan
    from optimizer.replan import recommend

    p = problem(
        [tech("A", 0, 0), tech("B", 10, 0), tech("C", 40, 0)],
        [order("S1", 5, 5), order("S2", 35, 5)],
    )
    plan = solve(p).plan
    assert isinstance(plan, Plan)
    new = Order.model_validate(
        {
            "id": "OUT",
            "location": {"x": 5, "y": 0},
            "duration": "PT1H",
            "required_skills": {"fiber": 1},
            "crew_size": 2,
            "priority": 1,
            "due": at("09:00"),
        }
    )
    recs = recommend(p, plan, new, datetime.fromisoformat(at("08:00")), k=3)
    assert len(recs) >= 2
    assert all(r.crew is not None and len(set(r.crew)) == 2 for r in recs)
    assert all(r.crew[0] == r.technician for r in recs)  # type: ignore[index]
    assert len({r.technician for r in recs}) == len(recs)
    assert [r.cost_delta for r in recs] == sorted(r.cost_delta for r in recs)
    assert recs[0].sla_met is True
