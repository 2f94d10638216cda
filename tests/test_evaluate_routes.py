"""Tests of the route rules (optimizer/evaluate/routes.py): shape, owner, timing, travel and
the recomputed totals.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Plan, load_problem
from optimizer.evaluate import evaluate, recompute_route_totals
from tests.evaluate_cases import (
    DAY,
    P_SHIFT1,
    ROUTES,
    T1,
    T2,
    Mutation,
    Stop,
    assert_breaks,
    assert_feasible,
    base_plan,
    base_problem,
    both,
    broken_rules,
    feasible_twins,
    forward_route,
    plan_of,
    put,
    random_problem,
    run,
    t,
)


def test_totals_are_recomputed() -> None:
    """Route totals and plan totals come from the travel matrix and the item times."""
    result = run(base_problem(), base_plan())
    assert [(r.travel, r.working, r.overtime) for r in result.routes] == [
        (timedelta(minutes=40), timedelta(minutes=155), timedelta(minutes=5)),
        (timedelta(minutes=20), timedelta(minutes=60), timedelta(0)),
    ]
    assert result.routes[0].idle == timedelta(minutes=5)
    assert result.travel_seconds == 3600
    assert result.service_seconds == 130 * 60
    recomputed = recompute_route_totals(
        load_problem(base_problem()), Plan.model_validate(base_plan())
    )
    assert recomputed == [(r.travel, r.working, r.overtime) for r in result.routes]


def test_fill_totals_sets_the_recomputed_totals() -> None:
    """`fill_totals` writes each route's recomputed totals into the plan instead of checking
    the given ones, which are reported without it."""
    doc = base_plan()
    for route in doc["routes"]:
        route |= {"travel_time": "PT0S", "working_time": "PT0S", "overtime": "PT0S"}
    problem, plan = load_problem(base_problem()), Plan.model_validate(doc)
    assert "route_totals" in evaluate(problem, plan).codes
    filled = evaluate(problem, plan, fill_totals=True)
    assert filled.feasible, filled.violations
    assert [(r.travel_time, r.working_time, r.overtime) for r in plan.routes] == [
        (timedelta(minutes=40), timedelta(minutes=155), timedelta(minutes=5)),
        (timedelta(minutes=20), timedelta(minutes=60), timedelta(0)),
    ]
    assert filled == evaluate(problem, plan)


CASES: list[tuple[str, Mutation, set[str]]] = [
    ("travel", put(f"{T1}.items[1].arrival", t("08:09")), {"travel"}),
    ("travel-one-second", put(f"{T1}.items[1].arrival", f"{DAY}T08:09:59+00:00"), {"travel"}),
    ("travel-into-end", put(f"{T2}.items[2].arrival", t("10:19")), {"travel", "route_totals"}),
    ("arrival", put(f"{T1}.items[3].arrival", t("09:01")), {"arrival"}),
    (
        "overtime",
        both(
            put(f"{P_SHIFT1}.max_overtime", "PT4M"),
            put(f"{P_SHIFT1}.breaks[0].latest_end", t("10:34")),
        ),
        {"overtime"},
    ),
    ("shift-start", put("problem.technicians[1].shifts[0].start", t("09:25")), {"shift_start"}),
    (
        "horizon",
        put(f"{T1}.items[0].time", "2026-12-01T05:59:00+00:00"),
        {"horizon", "shift_start", "route_totals"},
    ),
    ("totals-travel", put(f"{T1}.travel_time", 2401), {"route_totals"}),
    ("totals-working", put(f"{T2}.working_time", "PT59M"), {"route_totals"}),
    ("totals-overtime", put(f"{T1}.overtime", "PT0S"), {"route_totals"}),
    (
        "unknown-technician",
        put(f"{T2}.technician", "T9"),
        {"unknown_id", "shift_owner", "crew_mismatch"},
    ),
    (
        "route-without-visit",
        both(
            put(
                f"{T2}.items",
                [{"type": "start", "time": t("09:20")}, {"type": "end", "arrival": t("09:20")}],
            ),
            put(f"{T2}.travel_time", 0),
            put(f"{T2}.working_time", 0),
        ),
        {"route_shape", "crew_mismatch"},
    ),
    # Without its start item, T1's travel loses the first leg (30 != 40 min).
    ("route-without-start", put(f"{T1}.items[0]", None), {"route_shape", "route_totals"}),
]


@broken_rules(CASES)
def test_each_broken_rule_is_detected(mutate: Mutation, expected: set[str]) -> None:
    """Breaking one rule of the feasible plan yields exactly that rule's codes."""
    assert_breaks(mutate, expected)


FEASIBLE_VARIANTS: list[tuple[str, Mutation]] = [
    (
        "overtime-exactly-allowed",
        both(
            put(f"{P_SHIFT1}.max_overtime", "PT5M"),
            put(f"{P_SHIFT1}.breaks[0].latest_end", t("10:35")),
        ),
    ),
]


@feasible_twins(FEASIBLE_VARIANTS)
def test_feasible_twins_pass(mutate: Mutation) -> None:
    """The feasible half of each pair: the rule binds exactly at the plan's values."""
    assert_feasible(mutate)


def test_duplicate_route_and_shift_owner() -> None:
    """A second route on T1's shift, driven by T2, is reported as both."""
    problem, plan = base_problem(), base_plan()
    plan["routes"].append(copy.deepcopy(plan["routes"][0]) | {"technician": "T2"})
    result = run(problem, plan)
    assert {"duplicate_route", "shift_owner"} <= result.codes
    assert any(v.where == "routes[2]" and v.code == "duplicate_route" for v in result.violations)


@settings(max_examples=60, deadline=None)
@given(ROUTES)
def test_forward_scheduled_routes_are_feasible(route: Any) -> None:
    """A route scheduled forward is feasible; travel and idle terms are its legs and waits."""
    points, minutes, waits = route
    problem = random_problem(points, minutes)
    stops: list[Stop] = [("visit", o.id) for o in problem.orders]
    built, legs = forward_route(problem, "T1", stops, waits=waits)
    result = evaluate(problem, plan_of(problem, [built]))
    assert result.violations == []
    assert result.objective.terms["travel"] == pytest.approx(sum(legs) / 60)
    assert result.objective.terms["idle"] == pytest.approx(sum(waits) / 60)
    assert result.travel_seconds == sum(legs)


@settings(max_examples=60, deadline=None)
@given(ROUTES, st.data())
def test_shifted_items_break_travel_exactly_when_they_overlap(route: Any, data: Any) -> None:
    """Moving whole items in time yields a travel violation iff some item begins before the
    one before it ends plus the leg between them (legs computed independently)."""
    points, minutes, waits = route
    problem = random_problem(points, minutes)
    stops: list[Stop] = [("visit", o.id) for o in problem.orders]
    built, legs = forward_route(problem, "T1", stops, waits=waits)
    items = built["items"]
    offsets = data.draw(st.lists(st.integers(-300, 300), min_size=len(items), max_size=len(items)))
    for item, off in zip(items, offsets, strict=True):
        for key in ("time", "arrival", "start", "end"):
            if key in item:
                moved = datetime.fromisoformat(item[key]) + timedelta(seconds=off)
                item[key] = moved.isoformat()

    def begin(item: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(item.get("time") or item["arrival"])

    def finish(item: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(item.get("end") or item.get("time") or item["arrival"])

    overlap = any(
        begin(items[i]) < finish(items[i - 1]) + timedelta(seconds=legs[i])
        for i in range(1, len(items))
    )
    result = evaluate(problem, plan_of(problem, [built]))
    assert ("travel" in result.codes) == overlap
    assert not result.feasible or not overlap
