"""Tests of re-planning changes (optimizer/evaluate/changes.py) and the change term.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models import Plan, load_problem
from optimizer.evaluate import changed_orders
from tests.evaluate_cases import base_plan, base_problem, dt, run, visit


def _moved(plan: dict[str, Any], minutes: int) -> dict[str, Any]:
    """The plan with B's visit moved later by some minutes."""
    item = plan["routes"][0]["items"][3]
    for key in ("arrival", "start", "end"):
        item[key] = (datetime.fromisoformat(item[key]) + timedelta(minutes=minutes)).isoformat()
    return plan


def test_changes_against_a_previous_plan() -> None:
    """Moves beyond the tolerance, new technicians and lost orders count; small moves do not."""
    problem = load_problem(base_problem())
    previous = Plan.model_validate(base_plan())

    def changes(plan: dict[str, Any], **kw: Any) -> list[str]:
        return changed_orders(problem, Plan.model_validate(plan), previous, **kw)

    assert changes(base_plan()) == []
    assert changes(_moved(base_plan(), 15)) == []  # exactly the tolerance
    assert changes(_moved(base_plan(), 16)) == ["B"]
    assert changes(_moved(base_plan(), 16), tolerance=timedelta(minutes=20)) == []
    swapped = base_plan()
    swapped["routes"][1]["technician"] = "T9"
    assert changes(swapped) == ["C"]
    dropped = base_plan()
    del dropped["routes"][0]["items"][1]
    assert changes(dropped) == ["A"]
    assert changes(dropped, frozen_before=dt("08:30")) == []  # A started 08:10: frozen
    gained = base_plan()
    gained["routes"][1]["items"].insert(2, visit("U", "10:40", "10:40", "11:40", ["T2"]))
    assert changes(gained) == ["U"]


def test_new_orders_are_not_changes() -> None:
    """An order the previous plan does not mention is new, not changed."""
    data = base_problem()
    data["orders"].append({"id": "N", "location": {"x": 20, "y": 0}, "duration": "PT5M"})
    problem = load_problem(data)
    plan = base_plan()
    plan["routes"][1]["items"].insert(2, visit("N", "10:30", "10:30", "10:35", ["T2"]))
    assert (
        changed_orders(problem, Plan.model_validate(plan), Plan.model_validate(base_plan())) == []
    )


def test_change_term_in_the_objective() -> None:
    """With a previous plan the objective has a change term: one change x 120."""
    result = run(
        base_problem(), _moved(base_plan(), 30), previous=Plan.model_validate(base_plan())
    )
    assert result.changed_orders == ("B",)
    assert result.objective.terms["change"] == 120.0
    # B also starts 30 min later: lateness 40 min x 10 instead of 10 x 10.
    assert result.objective.value == 3245.0 + 120.0 + 300.0
