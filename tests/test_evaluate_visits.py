"""Tests of the visit and break rules (optimizer/evaluate/visits.py): durations, windows,
skills, on-call shifts, breaks.

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

from tests.evaluate_cases import (
    P_SHIFT1,
    T1,
    Mutation,
    assert_breaks,
    assert_feasible,
    both,
    broken_rules,
    feasible_twins,
    put,
    sync,
    t,
)

CASES: list[tuple[str, Mutation, set[str]]] = [
    ("visit-duration", put(f"{T1}.items[3].end", t("09:15")), {"duration"}),
    (
        "time-window",
        put("problem.orders[0].time_windows", [{"start": t("08:20"), "end": t("09:00")}]),
        {"time_window"},
    ),
    ("skill", put("problem.orders[0].required_skills", {"fiber": 4}), {"skill"}),
    ("skill-crew-member", put("problem.orders[2].required_skills", {"copper": 2}), {"skill"}),
    ("break-missing", put(f"{T1}.items[5]", None), {"break_missing"}),
    ("break-window", put(f"{P_SHIFT1}.breaks[0].earliest_start", t("10:15")), {"break_window"}),
    ("break-duration", put(f"{T1}.items[5].end", t("10:20")), {"duration"}),
    (
        "break-extra",
        sync(
            both(
                lambda _, plan: plan["routes"][0]["items"].insert(
                    6, {"type": "break", "start": t("10:25"), "end": t("10:40")}
                ),
                put(f"{T1}.items[7].arrival", t("10:50")),
            )
        ),
        {"break_extra"},
    ),
    # The unknown order has no location: legs into and out of it count 0 (travel 25 != 40).
    (
        "unknown-order",
        put(f"{T1}.items[1].order", "ZZZ"),
        {"unknown_id", "unassigned", "route_totals"},
    ),
    # T2's shift is on call; C, now a priority-2 repair, may not be served by it.
    (
        "on-call",
        both(
            put("problem.technicians[1].shifts[0].on_call", True),
            put("problem.orders[2].priority", 2),
            put("problem.orders[2].kind", "repair"),
        ),
        {"on_call"},
    ),
]


@broken_rules(CASES)
def test_each_broken_rule_is_detected(mutate: Mutation, expected: set[str]) -> None:
    """Breaking one rule of the feasible plan yields exactly that rule's codes."""
    assert_breaks(mutate, expected)


FEASIBLE_VARIANTS: list[tuple[str, Mutation]] = [
    (
        "window-edge",
        put("problem.orders[0].time_windows", [{"start": t("08:10"), "end": t("08:10")}]),
    ),
    ("crew-member-skill-exact", put("problem.orders[2].required_skills", {"copper": 1})),
    # On call: C is a priority-1 order (then a priority-2 emergency); either may be served.
    ("on-call-priority-1", put("problem.technicians[1].shifts[0].on_call", True)),
    (
        "on-call-emergency",
        both(
            put("problem.technicians[1].shifts[0].on_call", True),
            put("problem.orders[2].priority", 2),
        ),
    ),
]


@feasible_twins(FEASIBLE_VARIANTS)
def test_feasible_twins_pass(mutate: Mutation) -> None:
    """The feasible half of each pair: the rule binds exactly at the plan's values."""
    assert_feasible(mutate)
