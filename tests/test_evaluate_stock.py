"""Tests of the stock rules (optimizer/evaluate/stock.py): depot stops, vans over several
shifts, depots shared by several technicians.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

from models import load_problem
from optimizer.evaluate import evaluate
from tests.evaluate_cases import (
    P_SHIFT1,
    P_T1,
    T1,
    T2,
    Mutation,
    Stop,
    assert_breaks,
    assert_feasible,
    both,
    broken_rules,
    feasible_twins,
    forward_route,
    line_problem,
    plan_of,
    put,
    t,
)

CASES: list[tuple[str, Mutation, set[str]]] = [
    ("equipment", put(f"{T1}.items[2].equipment", []), {"equipment"}),
    ("parts-van", put(f"{P_T1}.parts", {}), {"parts"}),
    ("parts-pickup", put(f"{T1}.items[2].parts", {}), {"parts"}),
    ("depot-type", put("problem.depots[0].equipment", {}), {"depot_stock"}),
    ("depot-quantity", put("problem.depots[0].parts", {"ont": 0}), {"depot_stock"}),
    ("depot-negative", put(f"{T1}.items[2].parts", {"ont": 1, "sfp": -1}), {"depot_stock"}),
    (
        "depot-opening",
        put("problem.depots[0].opening", {"start": t("08:46"), "end": t("12:00")}),
        {"depot_opening"},
    ),
    ("depot-duration", put(f"{T1}.items[2].end", t("08:49")), {"duration"}),
    ("depot-visits", put(f"{P_SHIFT1}.max_depot_visits", 0), {"depot_visits"}),
    (
        # T2, now first in the crew, provides C's ont and has none.
        "crew-provider",
        both(put(f"{T1}.items[4].crew", ["T2", "T1"]), put(f"{T2}.items[1].crew", ["T2", "T1"])),
        {"parts"},
    ),
]


@broken_rules(CASES)
def test_each_broken_rule_is_detected(mutate: Mutation, expected: set[str]) -> None:
    """Breaking one rule of the feasible plan yields exactly that rule's codes."""
    assert_breaks(mutate, expected)


FEASIBLE_VARIANTS: list[tuple[str, Mutation]] = [
    ("depot-unlimited-parts", put("problem.depots[0].parts", {"ont": None})),
    ("depot-unlimited-equipment", put("problem.depots[0].equipment", {"otdr": None})),
    ("depot-visits-enough", put(f"{P_SHIFT1}.max_depot_visits", 1)),
]


@feasible_twins(FEASIBLE_VARIANTS)
def test_feasible_twins_pass(mutate: Mutation) -> None:
    """The feasible half of each pair: the rule binds exactly at the plan's values."""
    assert_feasible(mutate)


def test_parts_are_carried_across_shifts_in_time_order() -> None:
    """The one ont is used in the first shift, so the later shift is short, even listed first."""
    problem = load_problem(line_problem(num_shifts=2))
    late, _ = forward_route(problem, "T1", [("visit", "Y")], shift=1)
    early, _ = forward_route(problem, "T1", [("visit", "X")], shift=0)
    result = evaluate(problem, plan_of(problem, [late, early]))
    assert [(v.code, v.where) for v in result.violations] == [("parts", "routes[0].items[1]")]


def test_parts_picked_up_stay_in_the_van_for_later_shifts() -> None:
    """An ont picked up after X in the first shift serves Y in the second."""
    problem = load_problem(line_problem(num_shifts=2))
    early, _ = forward_route(
        problem, "T1", [("visit", "X"), ("depot", "E", [], {"ont": 1})], shift=0
    )
    late, _ = forward_route(problem, "T1", [("visit", "Y")], shift=1)
    assert evaluate(problem, plan_of(problem, [late, early])).violations == []


def test_parts_picked_up_later_do_not_count() -> None:
    """Stock is checked at the visit: a pick-up after both visits comes too late."""
    problem = load_problem(line_problem())
    stops: list[Stop] = [("visit", "X"), ("visit", "Y"), ("depot", "E", [], {"ont": 1})]
    route, _ = forward_route(problem, "T1", stops)
    result = evaluate(problem, plan_of(problem, [route]))
    assert [(v.code, v.where) for v in result.violations] == [("parts", "routes[0].items[2]")]


def test_equipment_is_kept_for_the_shift_only() -> None:
    """An otdr picked up in the first shift serves Z in that shift but not in the next one."""
    problem = load_problem(line_problem(num_shifts=2))
    same, _ = forward_route(problem, "T1", [("depot", "E", ["otdr"], {}), ("visit", "Z")])
    assert evaluate(problem, plan_of(problem, [same])).violations == []
    early, _ = forward_route(problem, "T1", [("depot", "E", ["otdr"], {}), ("visit", "X")])
    late, _ = forward_route(problem, "T1", [("visit", "Z")], shift=1)
    result = evaluate(problem, plan_of(problem, [early, late]))
    assert [(v.code, v.where) for v in result.violations] == [("equipment", "routes[1].items[1]")]


def test_depot_equipment_count_is_per_shift() -> None:
    """One otdr: one shift may take it twice, two shifts may not; two otdrs allow both."""
    problem = load_problem(line_problem(num_techs=2))
    twice, _ = forward_route(
        problem,
        "T1",
        [("depot", "E", ["otdr"], {}), ("visit", "Z"), ("depot", "E", ["otdr"], {})],
    )
    assert evaluate(problem, plan_of(problem, [twice])).violations == []
    first, _ = forward_route(problem, "T1", [("depot", "E", ["otdr"], {}), ("visit", "Z")])
    other, _ = forward_route(problem, "T2", [("depot", "E", ["otdr"], {}), ("visit", "X")])
    result = evaluate(problem, plan_of(problem, [first, other]))
    assert [(v.code, v.where) for v in result.violations] == [("depot_stock", "depots/E")]
    roomy = load_problem(line_problem(num_techs=2, equipment={"otdr": 2}))
    assert evaluate(roomy, plan_of(roomy, [first, other])).violations == []


def test_depot_part_totals_add_up_over_routes() -> None:
    """Two technicians taking 2 ont each exceed a depot quantity of 3."""
    problem = load_problem(line_problem(num_techs=2, parts={"ont": 3}))
    first, _ = forward_route(problem, "T1", [("depot", "E", [], {"ont": 2}), ("visit", "X")])
    other, _ = forward_route(problem, "T2", [("depot", "E", [], {"ont": 2}), ("visit", "Y")])
    result = evaluate(problem, plan_of(problem, [first, other]))
    assert result.codes == {"depot_stock"}
