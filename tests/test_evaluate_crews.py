"""Tests of the rules between visits (optimizer/evaluate/crews.py): crews, mandatory and
pinned orders, `after` relations, links.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models import load_problem, parse_model
from models.problem import Link
from optimizer.evaluate import Violation, evaluate
from tests.evaluate_cases import (
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
    line_problem,
    plan_of,
    put,
    random_problem,
    run,
    sync,
    synced,
    t,
    visit,
)

CASES: list[tuple[str, Mutation, set[str]]] = [
    (
        "mandatory",
        both(put("problem.orders[3].mandatory", True), put("plan.unassigned[0].mandatory", True)),
        {"mandatory"},
    ),
    (
        "mandatory-unflagged",
        put("problem.orders[3].mandatory", True),
        {"mandatory", "unassigned"},
    ),
    (
        "pinned-unserved",
        both(
            put("problem.orders[3].pinned", {"start": t("12:00")}),
            put("plan.unassigned[0].mandatory", True),
        ),
        {"mandatory"},
    ),
    ("pinned-technician", put("problem.orders[0].pinned", {"technician": "T2"}), {"pinned"}),
    ("pinned-start", put("problem.orders[0].pinned", {"start": t("08:15")}), {"pinned"}),
    ("after-unserved", put("problem.orders[1].after", ["U"]), {"after"}),
    ("after-too-early", put("problem.orders[0].after", ["B"]), {"after"}),
    ("crew-one-route", put(T2, None), {"crew_mismatch"}),
    ("single-visit-other-crew", put(f"{T1}.items[1].crew", ["T2"]), {"crew_mismatch"}),
    ("single-visit-crew-twice", put(f"{T1}.items[1].crew", ["T1", "T1"]), {"crew_mismatch"}),
    ("single-visit-no-crew", put(f"{T1}.items[1].crew", []), {"crew_mismatch"}),
    ("single-visit-crew-of-two", put(f"{T1}.items[1].crew", ["T1", "T2"]), {"crew_mismatch"}),
    (
        "crew-too-small",
        both(put(T2, None), put(f"{T1}.items[4].crew", ["T1"])),
        {"crew_mismatch"},
    ),
    # Each visit names its provider: T2's visit now says T2, who has no ont.
    (
        "crew-lists-differ",
        put(f"{T2}.items[1].crew", ["T2", "T1"]),
        {"crew_mismatch", "parts"},
    ),
    (
        "crew-wrong-members",
        both(put(f"{T1}.items[4].crew", ["T1", "T3"]), put(f"{T2}.items[1].crew", ["T1", "T3"])),
        {"crew_mismatch"},
    ),
    (
        "crew-times-differ",
        sync(
            both(
                put(f"{T2}.items[1]", visit("C", "09:30", "09:35", "10:15", ["T1", "T2"])),
                put(f"{T2}.items[2].arrival", t("10:25")),
            )
        ),
        {"crew_mismatch"},
    ),
    # B starts 50 min after A: a link of B to A allowing at most 45 min is broken.
    (
        "linked-gap-too-long",
        put("problem.orders[1].linked", [{"order": "A", "min_gap": 0, "max_gap": "PT45M"}]),
        {"linked"},
    ),
    (
        "linked-gap-too-short",
        put("problem.orders[1].linked", [{"order": "A", "min_gap": "PT55M", "max_gap": "PT1H"}]),
        {"linked"},
    ),
    # A starts 50 min before B: its gap to B is -50 min, outside [-40, 0].
    (
        "linked-gap-negative",
        put("problem.orders[0].linked", [{"order": "B", "min_gap": "-PT40M", "max_gap": 0}]),
        {"linked"},
    ),
    (
        "linked-partner-unserved",
        put("problem.orders[0].linked", [{"order": "U", "max_gap": "PT8H"}]),
        {"linked"},
    ),
    (
        "linked-unserved-partner-served",
        put("problem.orders[3].linked", [{"order": "A", "min_gap": "-PT8H"}]),
        {"linked"},
    ),
]


@broken_rules(CASES)
def test_each_broken_rule_is_detected(mutate: Mutation, expected: set[str]) -> None:
    """Breaking one rule of the feasible plan yields exactly that rule's codes."""
    assert_breaks(mutate, expected)


FEASIBLE_VARIANTS: list[tuple[str, Mutation]] = [
    (
        "pinned-honoured",
        put("problem.orders[0].pinned", {"technician": "T1", "start": t("08:10")}),
    ),
    ("pinned-crew-member", put("problem.orders[2].pinned", {"technician": "T2"})),
    ("after-honoured", put("problem.orders[2].after", ["A", "B"])),
    (
        "linked-gap-exact",
        put("problem.orders[1].linked", [{"order": "A", "min_gap": "PT50M", "max_gap": "PT50M"}]),
    ),
    (
        "linked-gap-negative-exact",
        put("problem.orders[0].linked", [{"order": "B", "min_gap": "-PT50M", "max_gap": 0}]),
    ),
]


@feasible_twins(FEASIBLE_VARIANTS)
def test_feasible_twins_pass(mutate: Mutation) -> None:
    """The feasible half of each pair: the rule binds exactly at the plan's values."""
    assert_feasible(mutate)


def test_one_technician_twice_on_one_shift_is_not_a_crew() -> None:
    """C (crew of 2) on T1's route and on a copy of it for the same shift is no crew."""
    problem, plan = base_problem(), base_plan()
    del plan["routes"][1]
    plan["routes"][0]["items"][4]["crew"] = ["T1"]
    plan["routes"].append(copy.deepcopy(plan["routes"][0]))
    violations = run(problem, plan).violations
    assert (
        Violation("crew_mismatch", "orders/C", "one technician serves it in more than one route")
        in violations
    )


def test_linked_orders_both_left_out_break_no_rule() -> None:
    """Linked orders that are both unserved keep their link; one served alone breaks it."""
    problem, plan = base_problem(), base_plan()
    problem["orders"][0]["linked"] = [{"order": "U", "min_gap": "-PT1H", "max_gap": "PT1H"}]
    del plan["routes"][0]["items"][1]  # A leaves T1's route: T1 drives straight to the depot
    plan["unassigned"].append({"order": "A", "reasons": [{"code": "dependency", "detail": "U"}]})
    assert run(problem, synced(problem, plan)).violations == []
    violations = run(problem, base_plan()).violations
    assert [(v.code, v.where) for v in violations] == [("linked", "orders/A/linked[0]")]


def test_duplicate_visit_in_one_route() -> None:
    """One route visiting X twice is a duplicate visit, not a crew."""
    problem = load_problem(line_problem())
    problem.technicians[0].parts["ont"] = 2
    route, _ = forward_route(problem, "T1", [("visit", "X"), ("visit", "X")])
    result = evaluate(problem, plan_of(problem, [route]))
    assert [(v.code, v.where) for v in result.violations] == [
        ("duplicate_visit", "routes[0].items[2]")
    ]


def test_same_technician_twice_is_not_a_crew() -> None:
    """A crew of 2 served by one technician in two shifts is a crew mismatch, whatever the
    crew list says."""
    data = line_problem(num_techs=2, num_shifts=2)
    data["orders"][0]["crew_size"] = 2
    data["technicians"][0]["parts"]["ont"] = 2
    problem = load_problem(data)
    for crew in (["T1", "T1"], ["T1"]):
        early, _ = forward_route(problem, "T1", [("visit", "X", crew)], shift=0)
        late, _ = forward_route(problem, "T1", [("visit", "X", crew)], shift=1)
        result = evaluate(problem, plan_of(problem, [early, late]))
        assert result.codes == {"crew_mismatch"}


@settings(max_examples=60, deadline=None)
@given(ROUTES.filter(lambda r: len(r[0]) >= 2), st.integers(-600, 600), st.integers(0, 600))
def test_link_gap_is_broken_exactly_when_the_starts_fall_outside_it(
    route: Any, least: int, width: int
) -> None:
    """The last order linked to the first with a random gap [least, least + width] minutes: a
    `linked` violation iff its start minus the first's start (read off the route) is outside."""
    points, minutes, waits = route
    problem = random_problem(points, minutes)
    gap = {"min_gap": least * 60, "max_gap": (least + width) * 60}
    last = problem.orders[-1].model_copy(
        update={"linked": [parse_model(Link, {"order": problem.orders[0].id, **gap})]}
    )
    problem.orders[-1] = last
    stops: list[Stop] = [("visit", o.id) for o in problem.orders]
    built, _ = forward_route(problem, "T1", stops, waits=waits)
    visits = [i for i in built["items"] if i["type"] == "visit"]
    diff = datetime.fromisoformat(visits[-1]["start"]) - datetime.fromisoformat(visits[0]["start"])
    inside = timedelta(minutes=least) <= diff <= timedelta(minutes=least + width)
    result = evaluate(problem, plan_of(problem, [built]))
    assert result.codes == (set() if inside else {"linked"})
