"""Tests of the coverage rules (optimizer/evaluate/coverage.py): the plan's status and the
unassigned list.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

from typing import Any

from tests.evaluate_cases import (
    Mutation,
    add_unassigned,
    assert_breaks,
    base_plan,
    base_problem,
    broken_rules,
    put,
    run,
    t,
)


def _all_unassigned(status: str, flagged: str = "") -> dict[str, Any]:
    """A plan with no route, every order unassigned; `flagged` orders marked mandatory."""
    reason = [{"code": "capacity", "detail": "No technician is free."}]
    return {
        "status": status,
        "objective": {"value": 0},
        "unassigned": [
            {"order": o, "reasons": reason} | ({"mandatory": True} if o in flagged else {})
            for o in "ABCU"
        ],
    }


def test_all_unassigned_plan_is_feasible_without_mandatory_orders() -> None:
    """A plan with every order unassigned breaks no rule; it costs them all."""
    result = run(base_problem(), _all_unassigned("feasible"))
    assert result.feasible
    assert result.valid
    # A (2) 30000 + B (3) 10000 + C (1) 100000 + U (4) 3000
    assert result.objective.value == 143000.0
    assert result.kpis["sla_met_rate"] == 0.0
    assert result.kpis["sla_met_rate_by_kind"]["repair"] == 0.0  # A unserved: missed
    assert result.kpis["response_time_mean_minutes"] is None
    assert result.kpis["restore_time_by_kind"]["emergency"] == {
        "mean_minutes": None,
        "p90_minutes": None,
    }
    assert result.kpis["utilisation_by_technician"] == {"T1": 0.0, "T2": 0.0}


def test_infeasible_status_needs_an_unserved_mandatory_order() -> None:
    """`infeasible` says some mandatory or pinned order is left out: a plan serving them all
    (here: there are none) misstates its status."""
    result = run(base_problem(), _all_unassigned("infeasible"))
    assert result.codes == {"status"}
    assert not result.valid
    plan = base_plan() | {"status": "infeasible"}
    assert run(base_problem(), plan).codes == {"status"}


def test_infeasible_plan_lists_its_unserved_mandatory_orders() -> None:
    """An infeasible plan is valid when its only fault is a mandatory order left out, flagged
    `"mandatory": true`; without the flag, or with it on another order, it is not."""
    problem = base_problem()
    problem["orders"][1]["mandatory"] = True
    result = run(problem, _all_unassigned("infeasible", flagged="B"))
    assert result.codes == {"mandatory"}
    assert not result.feasible
    assert result.valid
    unflagged = run(problem, _all_unassigned("infeasible"))
    assert unflagged.codes == {"mandatory", "unassigned"}
    assert ("unassigned", "unassigned[1].mandatory") in {
        (v.code, v.where) for v in unflagged.violations
    }
    assert not unflagged.valid
    overflagged = run(problem, _all_unassigned("infeasible", flagged="BU"))
    assert overflagged.codes == {"mandatory", "unassigned"}
    # The same plan with status feasible promises what it does not hold.
    assert not run(problem, _all_unassigned("feasible", flagged="B")).valid


def test_infeasible_plan_keeps_its_routes_and_every_other_rule() -> None:
    """An infeasible plan keeps the routes for everything else: valid when they follow every
    rule, not when one of them breaks another rule."""
    problem = base_problem()
    problem["orders"][3]["pinned"] = {"technician": "T2"}
    plan = base_plan() | {"status": "infeasible"}
    plan["unassigned"][0]["mandatory"] = True
    result = run(problem, plan)
    assert [(v.code, v.where) for v in result.violations] == [("mandatory", "orders/U")]
    assert result.valid
    assert result.objective.value == 3245.0  # the routes count as in the feasible plan
    plan["routes"][0]["items"][1]["arrival"] = t("08:09")
    broken = run(problem, plan)
    assert broken.codes == {"mandatory", "travel"}
    assert not broken.valid


def test_no_solution_plan_has_no_routes() -> None:
    """`no_solution` means no plan was built: routes are a status violation, none are valid."""
    assert run(base_problem(), _all_unassigned("no_solution")).valid
    result = run(base_problem(), base_plan() | {"status": "no_solution"})
    assert result.codes == {"status"}
    assert not result.valid


CASES: list[tuple[str, Mutation, set[str]]] = [
    ("flagged-not-mandatory", put("plan.unassigned[0].mandatory", True), {"unassigned"}),
    ("unassigned-missing", put("plan.unassigned", []), {"unassigned"}),
    (
        "unassigned-and-served",
        add_unassigned("A"),
        {"unassigned"},
    ),
    ("unassigned-no-reason", put("plan.unassigned[0].reasons", []), {"unassigned_reason"}),
    (
        "unassigned-unknown",
        add_unassigned("ZZZ"),
        {"unknown_id"},
    ),
    ("status", put("plan.status", "no_solution"), {"status"}),
    ("status-infeasible", put("plan.status", "infeasible"), {"status"}),
]


@broken_rules(CASES)
def test_each_broken_rule_is_detected(mutate: Mutation, expected: set[str]) -> None:
    """Breaking one rule of the feasible plan yields exactly that rule's codes."""
    assert_breaks(mutate, expected)
