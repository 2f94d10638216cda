"""The plan's status: an enum whose values are the contract's strings."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from models import Plan, SolveStatus


def test_a_status_reads_and_writes_as_its_contract_string():
    """A plan's status parses from its JSON string and is written back as that string."""
    plan = Plan.model_validate({"status": "no_solution", "objective": {"value": 3}})
    assert plan.status is SolveStatus.no_solution
    assert json.loads(plan.model_dump_json())["status"] == "no_solution"
    assert plan.model_dump(mode="json")["status"] == "no_solution"


def test_only_optimal_and_feasible_plans_keep_every_hard_rule():
    """`is_feasible` holds for optimal and feasible, not for infeasible or no_solution."""
    assert {s.value for s in SolveStatus if s.is_feasible} == {"optimal", "feasible"}


def test_an_unknown_status_is_refused():
    """A status outside the contract's four is an input error."""
    with pytest.raises(ValidationError, match="status"):
        Plan.model_validate({"status": "done", "objective": {"value": 0}})


def test_the_schema_lists_the_four_statuses():
    """The plan's JSON Schema still enumerates exactly the four contract statuses."""
    schema = Plan.model_json_schema()
    assert schema["$defs"]["SolveStatus"]["enum"] == [
        "optimal",
        "feasible",
        "infeasible",
        "no_solution",
    ]
