"""Tests of `evaluate` as a whole: the base plan passes, and every broken rule is collected.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

from tests.evaluate_cases import base_plan, base_problem, run, t


def test_base_plan_is_feasible() -> None:
    """The hand-timed plan satisfies every rule."""
    result = run(base_problem(), base_plan())
    assert result.violations == []
    assert result.feasible


def test_violations_are_all_collected() -> None:
    """Several broken rules are all reported, each with its place."""
    problem, plan = base_problem(), base_plan()
    plan["routes"][0]["items"][1]["arrival"] = t("08:09")
    plan["routes"][0]["items"][2]["equipment"] = []
    problem["orders"][3]["mandatory"] = True
    where = {(v.code, v.where) for v in run(problem, plan).violations}
    assert where == {
        ("travel", "routes[0].items[1]"),
        ("equipment", "routes[0].items[3]"),
        ("mandatory", "orders/U"),
        ("unassigned", "unassigned[0].mandatory"),
    }
