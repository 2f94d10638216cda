"""Tests of the solver-free evaluator: each rule family, the objective, the KPIs, re-planning.

Most tests use one hand-built problem on the plane (euclidean travel, speed 1: one unit is one
minute) and one hand-timed feasible plan; each rule test breaks one thing and expects exactly
the codes of that rule.

    T1 (0,0) 08:00-10:30, overtime <= 30 min, break 15 min in 10:00-11:00; van: ladder, 1 ont
    T2 (20,0) 09:00-12:00
    D  (5,10): stop 5 min, otdr x1 (shifts), ont x2
    A  (0,10) 30 min, fiber 3, 1 ont, window 08:00-09:00, prio 2, created 07:00, due 08:15,
       repair
    B  (10,10) 20 min, otdr, window 09:00-12:00, prio 3, created 08:00, due 08:50, installation
    C  (10,0) 40 min, crew of 2, copper 1, 1 ont, prio 1, created 06:00, due 10:00, prefers T1,
       emergency
    U  (20,20) 60 min, prio 4: unassigned

    T1: start 08:00 | A 08:10-08:40 | D 08:45-08:50 (otdr, 1 ont) | B arr 08:55, 09:00-09:20
        | C 09:30-10:10 | break 10:10-10:25 | end 10:35
        travel 10+5+5+10+10 = 40 min, working 155, service 90, break 15, depot 5, idle 5,
        overtime 5
    T2: start 09:20 | C 09:30-10:10 | end 10:20: travel 20, working 60, service 40, idle 0
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Plan, Problem, load_problem, parse_model
from models.problem import Link
from optimizer.evaluate import (
    Evaluation,
    Violation,
    changed_orders,
    evaluate,
    recompute_route_totals,
)

DAY = "2026-12-01"


def t(hhmm: str) -> str:
    """An ISO instant on the test day, UTC."""
    return f"{DAY}T{hhmm}:00+00:00"


def dt(hhmm: str) -> datetime:
    """An aware datetime on the test day, UTC."""
    return datetime.fromisoformat(t(hhmm))


def base_problem() -> dict[str, Any]:
    """The problem drawn in the module docstring."""
    return {
        "horizon": {"start": t("06:00"), "end": t("22:00")},
        "travel": {"model": "euclidean", "speed": 1.0},
        "technicians": [
            {
                "id": "T1",
                "skills": {"fiber": 3, "copper": 1},
                "equipment": ["ladder"],
                "parts": {"ont": 1},
                "shifts": [
                    {
                        "start": t("08:00"),
                        "end": t("10:30"),
                        "start_location": {"x": 0, "y": 0},
                        "max_overtime": "PT30M",
                        "breaks": [
                            {
                                "earliest_start": t("10:00"),
                                "latest_end": t("11:00"),
                                "duration": "PT15M",
                            }
                        ],
                    }
                ],
            },
            {
                "id": "T2",
                "skills": {"copper": 2},
                "shifts": [
                    {"start": t("09:00"), "end": t("12:00"), "start_location": {"x": 20, "y": 0}}
                ],
            },
        ],
        "depots": [
            {
                "id": "D",
                "location": {"x": 5, "y": 10},
                "visit_duration": "PT5M",
                "equipment": {"otdr": 1},
                "parts": {"ont": 2},
            }
        ],
        "orders": [
            {
                "id": "A",
                "kind": "repair",
                "location": {"x": 0, "y": 10},
                "duration": "PT30M",
                "required_skills": {"fiber": 3},
                "required_parts": {"ont": 1},
                "time_windows": [{"start": t("08:00"), "end": t("09:00")}],
                "priority": 2,
                "created_at": t("07:00"),
                "due": t("08:15"),
            },
            {
                "id": "B",
                "kind": "installation",
                "location": {"x": 10, "y": 10},
                "duration": "PT20M",
                "required_equipment": ["otdr"],
                "time_windows": [{"start": t("09:00"), "end": t("12:00")}],
                "priority": 3,
                "created_at": t("08:00"),
                "due": t("08:50"),
            },
            {
                "id": "C",
                "kind": "emergency",
                "location": {"x": 10, "y": 0},
                "duration": "PT40M",
                "crew_size": 2,
                "required_skills": {"copper": 1},
                "required_parts": {"ont": 1},
                "priority": 1,
                "created_at": t("06:00"),
                "due": t("10:00"),
                "preferred_technicians": ["T1"],
            },
            {"id": "U", "location": {"x": 20, "y": 20}, "duration": "PT1H", "priority": 4},
        ],
    }


def visit(order: str, arrival: str, start: str, end: str, crew: list[str]) -> dict[str, Any]:
    """A visit item."""
    return {
        "type": "visit",
        "order": order,
        "arrival": t(arrival),
        "start": t(start),
        "end": t(end),
        "crew": crew,
    }


def base_plan() -> dict[str, Any]:
    """The feasible plan drawn in the module docstring."""
    return {
        "status": "feasible",
        "objective": {"value": 0},
        "routes": [
            {
                "technician": "T1",
                "shift": "T1-1",
                "items": [
                    {"type": "start", "time": t("08:00")},
                    visit("A", "08:10", "08:10", "08:40", ["T1"]),
                    {
                        "type": "depot",
                        "depot": "D",
                        "arrival": t("08:45"),
                        "start": t("08:45"),
                        "end": t("08:50"),
                        "equipment": ["otdr"],
                        "parts": {"ont": 1},
                    },
                    visit("B", "08:55", "09:00", "09:20", ["T1"]),
                    visit("C", "09:30", "09:30", "10:10", ["T1", "T2"]),
                    {"type": "break", "start": t("10:10"), "end": t("10:25")},
                    {"type": "end", "arrival": t("10:35")},
                ],
                "travel_time": "PT40M",
                "working_time": "PT2H35M",
                "overtime": "PT5M",
            },
            {
                "technician": "T2",
                "shift": "T2-1",
                "items": [
                    {"type": "start", "time": t("09:20")},
                    visit("C", "09:30", "09:30", "10:10", ["T1", "T2"]),
                    {"type": "end", "arrival": t("10:20")},
                ],
                "travel_time": "PT20M",
                "working_time": "PT1H",
                "overtime": "PT0S",
            },
        ],
        "unassigned": [
            {"order": "U", "reasons": [{"code": "capacity", "detail": "No time left for it."}]}
        ],
    }


def run(problem: dict[str, Any], plan: dict[str, Any], **kwargs: Any) -> Evaluation:
    """Load both documents and evaluate."""
    return evaluate(load_problem(problem), Plan.model_validate(plan), **kwargs)


def synced(problem: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The plan with its route totals recomputed, to isolate the rule under test."""
    totals = recompute_route_totals(load_problem(problem), Plan.model_validate(plan))
    for route, (travel, working, overtime) in zip(plan["routes"], totals, strict=True):
        route["travel_time"] = travel.total_seconds()
        route["working_time"] = working.total_seconds()
        route["overtime"] = overtime.total_seconds()
    return plan


# --- The base plan ------------------------------------------------------------------------------


def test_base_plan_is_feasible() -> None:
    """The hand-timed plan satisfies every rule."""
    result = run(base_problem(), base_plan())
    assert result.violations == []
    assert result.feasible


def test_objective_terms_are_hand_derived() -> None:
    """Every objective term under the default weights, derived by hand."""
    terms = run(base_problem(), base_plan()).objective.terms
    assert terms == {
        "unassigned": 3000.0,  # U, priority 4
        "lateness": 100.0,  # B starts 09:00, due 08:50: 10 min x 10 (priority 3)
        "overtime": 25.0,  # T1 ends 10:35, shift end 10:30: 5 min x 5
        "travel": 60.0,  # 40 + 20 min x 1
        "idle": 0.0,  # 5 idle minutes x 0
        "technician_used": 0.0,  # 2 routes x 0
        "preference": 60.0,  # C prefers T1; T2's visit x 60
        "max_lateness": 0.0,  # weight 0
    }
    assert run(base_problem(), base_plan()).objective.value == 3245.0
    assert run(base_problem(), base_plan()).objective.bound is None


def test_objective_uses_problem_weights() -> None:
    """Changed weights change the terms: idle and route costs count, lateness by priority."""
    problem = base_problem()
    problem["weights"] = {"idle": 2, "technician_used": 7, "lateness": {"3": 1.5}, "travel": 0.5}
    terms = run(problem, base_plan()).objective.terms
    assert terms["idle"] == 10.0  # T1 waits 08:55-09:00: 5 min x 2
    assert terms["technician_used"] == 14.0  # 2 routes x 7
    assert terms["lateness"] == 15.0  # 10 min x 1.5
    assert terms["travel"] == 30.0  # 60 min x 0.5
    assert "change" not in terms


def test_kpis_are_hand_derived() -> None:
    """Every KPI of the base plan, derived by hand."""
    kpis = run(base_problem(), base_plan()).kpis
    assert kpis["orders_total"] == 4
    assert kpis["orders_served"] == 3
    assert kpis["orders_unassigned"] == 1
    assert kpis["served_by_priority"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0}
    assert kpis["unassigned_by_priority"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    # A (08:10 <= 08:15) and C (09:30 <= 10:00) are met, B (09:00 > 08:50) is missed.
    assert kpis["sla_met_rate"] == pytest.approx(2 / 3)
    assert kpis["sla_met_rate_by_priority"] == {
        "1": 1.0,
        "2": 1.0,
        "3": 0.0,
        "4": None,
        "5": None,
    }
    assert kpis["sla_met_rate_by_kind"] == {
        "installation": 0.0,  # B
        "repair": 1.0,  # A
        "maintenance": None,
        "emergency": 1.0,  # C
        "other": None,  # U has no due
    }
    # Responses (first arrival - created) of the repair A (08:10 - 07:00) and the emergency C
    # (09:30 - 06:00): 70 and 210 min; B is an installation and has none.
    # p90 of [70, 210] = 70 + 0.9 x 140.
    assert kpis["response_time_mean_minutes"] == pytest.approx(140.0)
    assert kpis["response_time_p90_minutes"] == pytest.approx(196.0)
    # Restores (end - created): A 08:40 - 07:00 = 100, C 10:10 - 06:00 = 250 min.
    assert kpis["restore_time_mean_minutes"] == pytest.approx(175.0)
    assert kpis["restore_time_p90_minutes"] == pytest.approx(235.0)
    assert kpis["response_time_by_kind"] == {
        "repair": {"mean_minutes": 70.0, "p90_minutes": 70.0},
        "emergency": {"mean_minutes": 210.0, "p90_minutes": 210.0},
    }
    assert kpis["restore_time_by_kind"] == {
        "repair": {"mean_minutes": 100.0, "p90_minutes": 100.0},
        "emergency": {"mean_minutes": 250.0, "p90_minutes": 250.0},
    }
    # B starts 09:00, due 08:50: 10 min late, priority 3.
    assert kpis["lateness_minutes_by_priority"] == {
        "1": 0.0,
        "2": 0.0,
        "3": 10.0,
        "4": 0.0,
        "5": 0.0,
    }
    assert kpis["max_lateness_minutes"] == 10.0
    assert kpis["travel_minutes"] == 60.0
    assert kpis["service_minutes"] == 130.0  # 90 (T1) + 40 (T2)
    assert kpis["working_minutes"] == 215.0  # 155 + 60
    assert kpis["idle_minutes"] == 5.0
    assert kpis["overtime_minutes"] == 5.0
    assert kpis["break_minutes"] == 15.0
    assert kpis["depot_minutes"] == 5.0
    # Service over shift length: T1 90 / 150, T2 40 / 180, all 130 / 330.
    assert kpis["utilisation_by_technician"] == pytest.approx({"T1": 0.6, "T2": 40 / 180})
    assert kpis["utilisation"] == pytest.approx(130 / 330)
    assert kpis["routes_used"] == 2


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


# --- One broken rule at a time ------------------------------------------------------------------

Mutation = Callable[[dict[str, Any], dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting `problem.` or `plan.` path (dots and [n]) to value; None deletes."""

    def apply(problem: dict[str, Any], plan: dict[str, Any]) -> None:
        root, *keys = path.replace("[", ".").replace("]", "").split(".")
        node: Any = problem if root == "problem" else plan
        parts: list[Any] = [int(k) if k.isdigit() else k for k in keys]
        for key in parts[:-1]:
            node = node[key]
        if value is None:
            del node[parts[-1]]
        else:
            node[parts[-1]] = copy.deepcopy(value)

    return apply


def _both(*mutations: Mutation) -> Mutation:
    """Several mutations in order."""

    def apply(problem: dict[str, Any], plan: dict[str, Any]) -> None:
        for m in mutations:
            m(problem, plan)

    return apply


def _add_unassigned(order: str) -> Mutation:
    """A mutation listing one more order as unassigned."""

    def apply(_: dict[str, Any], plan: dict[str, Any]) -> None:
        plan["unassigned"].append({"order": order, "reasons": [{"code": "crew", "detail": "x"}]})

    return apply


def _sync(mutation: Mutation) -> Mutation:
    """A mutation followed by recomputing the route totals."""

    def apply(problem: dict[str, Any], plan: dict[str, Any]) -> None:
        mutation(problem, plan)
        synced(problem, plan)

    return apply


T1 = "plan.routes[0]"
T2 = "plan.routes[1]"
P_T1 = "problem.technicians[0]"
P_SHIFT1 = "problem.technicians[0].shifts[0]"

CASES: list[tuple[str, Mutation, set[str]]] = [
    ("travel", _set(f"{T1}.items[1].arrival", t("08:09")), {"travel"}),
    ("travel-one-second", _set(f"{T1}.items[1].arrival", f"{DAY}T08:09:59+00:00"), {"travel"}),
    ("travel-into-end", _set(f"{T2}.items[2].arrival", t("10:19")), {"travel", "route_totals"}),
    ("arrival", _set(f"{T1}.items[3].arrival", t("09:01")), {"arrival"}),
    ("visit-duration", _set(f"{T1}.items[3].end", t("09:15")), {"duration"}),
    (
        "time-window",
        _set("problem.orders[0].time_windows", [{"start": t("08:20"), "end": t("09:00")}]),
        {"time_window"},
    ),
    ("skill", _set("problem.orders[0].required_skills", {"fiber": 4}), {"skill"}),
    ("skill-crew-member", _set("problem.orders[2].required_skills", {"copper": 2}), {"skill"}),
    ("equipment", _set(f"{T1}.items[2].equipment", []), {"equipment"}),
    ("parts-van", _set(f"{P_T1}.parts", {}), {"parts"}),
    ("parts-pickup", _set(f"{T1}.items[2].parts", {}), {"parts"}),
    ("depot-type", _set("problem.depots[0].equipment", {}), {"depot_stock"}),
    ("depot-quantity", _set("problem.depots[0].parts", {"ont": 0}), {"depot_stock"}),
    ("depot-negative", _set(f"{T1}.items[2].parts", {"ont": 1, "sfp": -1}), {"depot_stock"}),
    (
        "depot-opening",
        _set("problem.depots[0].opening", {"start": t("08:46"), "end": t("12:00")}),
        {"depot_opening"},
    ),
    ("depot-duration", _set(f"{T1}.items[2].end", t("08:49")), {"duration"}),
    ("depot-visits", _set(f"{P_SHIFT1}.max_depot_visits", 0), {"depot_visits"}),
    ("break-missing", _set(f"{T1}.items[5]", None), {"break_missing"}),
    ("break-window", _set(f"{P_SHIFT1}.breaks[0].earliest_start", t("10:15")), {"break_window"}),
    ("break-duration", _set(f"{T1}.items[5].end", t("10:20")), {"duration"}),
    (
        "break-extra",
        _sync(
            _both(
                lambda _, plan: plan["routes"][0]["items"].insert(
                    6, {"type": "break", "start": t("10:25"), "end": t("10:40")}
                ),
                _set(f"{T1}.items[7].arrival", t("10:50")),
            )
        ),
        {"break_extra"},
    ),
    (
        "overtime",
        _both(
            _set(f"{P_SHIFT1}.max_overtime", "PT4M"),
            _set(f"{P_SHIFT1}.breaks[0].latest_end", t("10:34")),
        ),
        {"overtime"},
    ),
    ("shift-start", _set("problem.technicians[1].shifts[0].start", t("09:25")), {"shift_start"}),
    (
        "horizon",
        _set(f"{T1}.items[0].time", "2026-12-01T05:59:00+00:00"),
        {"horizon", "shift_start", "route_totals"},
    ),
    (
        "mandatory",
        _both(
            _set("problem.orders[3].mandatory", True), _set("plan.unassigned[0].mandatory", True)
        ),
        {"mandatory"},
    ),
    (
        "mandatory-unflagged",
        _set("problem.orders[3].mandatory", True),
        {"mandatory", "unassigned"},
    ),
    (
        "pinned-unserved",
        _both(
            _set("problem.orders[3].pinned", {"start": t("12:00")}),
            _set("plan.unassigned[0].mandatory", True),
        ),
        {"mandatory"},
    ),
    ("flagged-not-mandatory", _set("plan.unassigned[0].mandatory", True), {"unassigned"}),
    ("pinned-technician", _set("problem.orders[0].pinned", {"technician": "T2"}), {"pinned"}),
    ("pinned-start", _set("problem.orders[0].pinned", {"start": t("08:15")}), {"pinned"}),
    ("after-unserved", _set("problem.orders[1].after", ["U"]), {"after"}),
    ("after-too-early", _set("problem.orders[0].after", ["B"]), {"after"}),
    ("crew-one-route", _set(T2, None), {"crew_mismatch"}),
    (
        "crew-too-small",
        _both(_set(T2, None), _set(f"{T1}.items[4].crew", ["T1"])),
        {"crew_mismatch"},
    ),
    # Each visit names its provider: T2's visit now says T2, who has no ont.
    (
        "crew-lists-differ",
        _set(f"{T2}.items[1].crew", ["T2", "T1"]),
        {"crew_mismatch", "parts"},
    ),
    (
        "crew-wrong-members",
        _both(
            _set(f"{T1}.items[4].crew", ["T1", "T3"]), _set(f"{T2}.items[1].crew", ["T1", "T3"])
        ),
        {"crew_mismatch"},
    ),
    (
        "crew-times-differ",
        _sync(
            _both(
                _set(f"{T2}.items[1]", visit("C", "09:30", "09:35", "10:15", ["T1", "T2"])),
                _set(f"{T2}.items[2].arrival", t("10:25")),
            )
        ),
        {"crew_mismatch"},
    ),
    (
        # T2, now first in the crew, provides C's ont and has none.
        "crew-provider",
        _both(
            _set(f"{T1}.items[4].crew", ["T2", "T1"]), _set(f"{T2}.items[1].crew", ["T2", "T1"])
        ),
        {"parts"},
    ),
    ("totals-travel", _set(f"{T1}.travel_time", 2401), {"route_totals"}),
    ("totals-working", _set(f"{T2}.working_time", "PT59M"), {"route_totals"}),
    ("totals-overtime", _set(f"{T1}.overtime", "PT0S"), {"route_totals"}),
    # The unknown order has no location: legs into and out of it count 0 (travel 25 != 40).
    (
        "unknown-order",
        _set(f"{T1}.items[1].order", "ZZZ"),
        {"unknown_id", "unassigned", "route_totals"},
    ),
    (
        "unknown-technician",
        _set(f"{T2}.technician", "T9"),
        {"unknown_id", "shift_owner", "crew_mismatch"},
    ),
    (
        "route-without-visit",
        _both(
            _set(
                f"{T2}.items",
                [{"type": "start", "time": t("09:20")}, {"type": "end", "arrival": t("09:20")}],
            ),
            _set(f"{T2}.travel_time", 0),
            _set(f"{T2}.working_time", 0),
        ),
        {"route_shape", "crew_mismatch"},
    ),
    # Without its start item, T1's travel loses the first leg (30 != 40 min).
    ("route-without-start", _set(f"{T1}.items[0]", None), {"route_shape", "route_totals"}),
    ("unassigned-missing", _set("plan.unassigned", []), {"unassigned"}),
    (
        "unassigned-and-served",
        _add_unassigned("A"),
        {"unassigned"},
    ),
    ("unassigned-no-reason", _set("plan.unassigned[0].reasons", []), {"unassigned_reason"}),
    (
        "unassigned-unknown",
        _add_unassigned("ZZZ"),
        {"unknown_id"},
    ),
    ("status", _set("plan.status", "no_solution"), {"status"}),
    ("status-infeasible", _set("plan.status", "infeasible"), {"status"}),
    # B starts 50 min after A: a link of B to A allowing at most 45 min is broken.
    (
        "linked-gap-too-long",
        _set("problem.orders[1].linked", [{"order": "A", "min_gap": 0, "max_gap": "PT45M"}]),
        {"linked"},
    ),
    (
        "linked-gap-too-short",
        _set("problem.orders[1].linked", [{"order": "A", "min_gap": "PT55M", "max_gap": "PT1H"}]),
        {"linked"},
    ),
    # A starts 50 min before B: its gap to B is -50 min, outside [-40, 0].
    (
        "linked-gap-negative",
        _set("problem.orders[0].linked", [{"order": "B", "min_gap": "-PT40M", "max_gap": 0}]),
        {"linked"},
    ),
    (
        "linked-partner-unserved",
        _set("problem.orders[0].linked", [{"order": "U", "max_gap": "PT8H"}]),
        {"linked"},
    ),
    (
        "linked-unserved-partner-served",
        _set("problem.orders[3].linked", [{"order": "A", "min_gap": "-PT8H"}]),
        {"linked"},
    ),
    # T2's shift is on call; C, now a priority-2 repair, may not be served by it.
    (
        "on-call",
        _both(
            _set("problem.technicians[1].shifts[0].on_call", True),
            _set("problem.orders[2].priority", 2),
            _set("problem.orders[2].kind", "repair"),
        ),
        {"on_call"},
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_broken_rule_is_detected(mutate: Mutation, expected: set[str]) -> None:
    """Breaking one rule of the feasible plan yields exactly that rule's codes."""
    problem, plan = base_problem(), base_plan()
    mutate(problem, plan)
    result = run(problem, plan)
    assert not result.feasible
    assert result.codes == expected, [str(v) for v in result.violations]


FEASIBLE_VARIANTS: list[tuple[str, Mutation]] = [
    ("depot-unlimited-parts", _set("problem.depots[0].parts", {"ont": None})),
    ("depot-unlimited-equipment", _set("problem.depots[0].equipment", {"otdr": None})),
    ("depot-visits-enough", _set(f"{P_SHIFT1}.max_depot_visits", 1)),
    (
        "pinned-honoured",
        _set("problem.orders[0].pinned", {"technician": "T1", "start": t("08:10")}),
    ),
    ("pinned-crew-member", _set("problem.orders[2].pinned", {"technician": "T2"})),
    ("after-honoured", _set("problem.orders[2].after", ["A", "B"])),
    (
        "overtime-exactly-allowed",
        _both(
            _set(f"{P_SHIFT1}.max_overtime", "PT5M"),
            _set(f"{P_SHIFT1}.breaks[0].latest_end", t("10:35")),
        ),
    ),
    (
        "window-edge",
        _set("problem.orders[0].time_windows", [{"start": t("08:10"), "end": t("08:10")}]),
    ),
    ("crew-member-skill-exact", _set("problem.orders[2].required_skills", {"copper": 1})),
    (
        "linked-gap-exact",
        _set("problem.orders[1].linked", [{"order": "A", "min_gap": "PT50M", "max_gap": "PT50M"}]),
    ),
    (
        "linked-gap-negative-exact",
        _set("problem.orders[0].linked", [{"order": "B", "min_gap": "-PT50M", "max_gap": 0}]),
    ),
    # On call: C is a priority-1 order (then a priority-2 emergency); either may be served.
    ("on-call-priority-1", _set("problem.technicians[1].shifts[0].on_call", True)),
    (
        "on-call-emergency",
        _both(
            _set("problem.technicians[1].shifts[0].on_call", True),
            _set("problem.orders[2].priority", 2),
        ),
    ),
]


@pytest.mark.parametrize(
    "mutate", [c[1] for c in FEASIBLE_VARIANTS], ids=[c[0] for c in FEASIBLE_VARIANTS]
)
def test_feasible_twins_pass(mutate: Mutation) -> None:
    """The feasible half of each pair: the rule binds exactly at the plan's values."""
    problem, plan = base_problem(), base_plan()
    mutate(problem, plan)
    assert run(problem, plan).violations == []


def test_duplicate_route_and_shift_owner() -> None:
    """A second route on T1's shift, driven by T2, is reported as both."""
    problem, plan = base_problem(), base_plan()
    plan["routes"].append(copy.deepcopy(plan["routes"][0]) | {"technician": "T2"})
    result = run(problem, plan)
    assert {"duplicate_route", "shift_owner"} <= result.codes
    assert any(v.where == "routes[2]" and v.code == "duplicate_route" for v in result.violations)


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


def test_linked_orders_both_left_out_break_no_rule() -> None:
    """Linked orders that are both unserved keep their link; one served alone breaks it."""
    problem, plan = base_problem(), base_plan()
    problem["orders"][0]["linked"] = [{"order": "U", "min_gap": "-PT1H", "max_gap": "PT1H"}]
    del plan["routes"][0]["items"][1]  # A leaves T1's route: T1 drives straight to the depot
    plan["unassigned"].append({"order": "A", "reasons": [{"code": "dependency", "detail": "U"}]})
    assert run(problem, synced(problem, plan)).violations == []
    violations = run(problem, base_plan()).violations
    assert [(v.code, v.where) for v in violations] == [("linked", "orders/A/linked[0]")]


def test_max_lateness_term_weighs_the_latest_start() -> None:
    """The max_lateness term is its weight times the largest lateness over served orders."""
    problem = base_problem()
    problem["weights"] = {"max_lateness": 2}
    problem["orders"][0]["due"] = t("08:00")  # A starts 08:10: 10 min late, priority 2
    problem["orders"][1]["due"] = t("08:45")  # B starts 09:00: 15 min late, priority 3
    result = run(problem, base_plan())
    assert result.objective.terms["max_lateness"] == 30.0  # 15 min x 2
    assert result.objective.terms["lateness"] == 450.0  # 10 x 30 + 15 x 10
    assert result.kpis["max_lateness_minutes"] == 15.0
    assert result.kpis["lateness_minutes_by_priority"] == {
        "1": 0.0,
        "2": 10.0,
        "3": 15.0,
        "4": 0.0,
        "5": 0.0,
    }
    problem["orders"][1]["due"] = t("09:00")  # B on time: A's 10 min are the largest
    assert run(problem, base_plan()).objective.terms["max_lateness"] == 20.0


def test_response_time_counts_the_first_arrival_of_a_crew() -> None:
    """A crew order's response is its first technician's arrival, not the service start."""
    problem, plan = base_problem(), base_plan()
    # T2 leaves at 09:00 and waits at C from 09:10: C's response is 09:10 - 06:00 = 190 min.
    plan["routes"][1]["items"][0]["time"] = t("09:00")
    plan["routes"][1]["items"][1]["arrival"] = t("09:10")
    kpis = run(problem, synced(problem, plan)).kpis
    assert kpis["response_time_by_kind"]["emergency"]["mean_minutes"] == 190.0
    assert kpis["restore_time_by_kind"]["emergency"]["mean_minutes"] == 250.0


# --- Vans over several shifts, depots shared by several technicians -----------------------------


def line_problem(num_techs: int = 1, num_shifts: int = 1, **depot: Any) -> dict[str, Any]:
    """Technicians at (0,0) with 08:00-12:00 (and 13:00-17:00) shifts, one ont in the van;
    orders X (0,1) and Y (0,2) of 10 min needing one ont, Z (0,3) needing an otdr; depot E at
    (0,1), no stop time, stocking otdr and ont (overridable)."""
    hours = [("08:00", "12:00"), ("13:00", "17:00")][:num_shifts]
    return {
        "horizon": {"start": t("06:00"), "end": t("22:00")},
        "travel": {"model": "euclidean", "speed": 1.0},
        "technicians": [
            {
                "id": f"T{k + 1}",
                "parts": {"ont": 1},
                "shifts": [
                    {"start": t(a), "end": t(b), "start_location": {"x": 0, "y": 0}}
                    for a, b in hours
                ],
            }
            for k in range(num_techs)
        ],
        "depots": [
            {
                "id": "E",
                "location": {"x": 0, "y": 1},
                "equipment": depot.get("equipment", {"otdr": 1}),
                "parts": depot.get("parts", {"ont": None}),
            }
        ],
        "orders": [
            {
                "id": "X",
                "location": {"x": 0, "y": 1},
                "duration": 600,
                "required_parts": {"ont": 1},
            },
            {
                "id": "Y",
                "location": {"x": 0, "y": 2},
                "duration": 600,
                "required_parts": {"ont": 1},
            },
            {
                "id": "Z",
                "location": {"x": 0, "y": 3},
                "duration": 600,
                "required_equipment": ["otdr"],
            },
        ],
    }


Stop = tuple[Any, ...]


def forward_route(
    problem: Problem,
    tech_id: str,
    stops: list[Stop],
    shift: int = 0,
    waits: list[int] | None = None,
) -> tuple[dict[str, Any], list[int]]:
    """A route that goes to each stop as early as it can (plus the given waits, seconds), with
    its legs computed independently of the evaluator; returns the route and its legs.

    Stops: ("visit", order[, crew]), ("depot", depot, equipment, parts), ("break",).
    """
    tech = next(x for x in problem.technicians if x.id == tech_id)
    sh = tech.shifts[shift]
    orders = {o.id: o for o in problem.orders}
    depots = {d.id: d for d in problem.depots}
    speed = problem.travel.speed  # type: ignore[union-attr]
    breaks = iter(sorted(sh.breaks, key=lambda b: b.earliest_start))

    def leg(a: Any, b: Any) -> int:
        return math.floor(math.hypot(a.x - b.x, a.y - b.y) / speed * 60 + 0.5)

    now, here, legs = sh.start, sh.start_location, [0]
    items: list[dict[str, Any]] = [{"type": "start", "time": now.isoformat()}]
    for k, stop in enumerate(stops):
        if stop[0] == "break":
            brk = next(breaks)
            begin = max(now, brk.earliest_start)
            now = begin + brk.duration
            items.append({"type": "break", "start": begin.isoformat(), "end": now.isoformat()})
            legs.append(0)
            continue
        place = orders[stop[1]] if stop[0] == "visit" else depots[stop[1]]
        legs.append(leg(here, place.location))
        arrival = now + timedelta(seconds=legs[-1])
        begin = arrival + timedelta(seconds=waits[k] if waits else 0)
        item: dict[str, Any] = {"type": stop[0], "arrival": arrival.isoformat()}
        if stop[0] == "visit":
            now = begin + orders[stop[1]].duration
            item |= {"order": stop[1], "crew": list(stop[2]) if len(stop) > 2 else [tech_id]}
        else:
            now = begin + depots[stop[1]].visit_duration
            item |= {"depot": stop[1], "equipment": list(stop[2]), "parts": dict(stop[3])}
        items.append(item | {"start": begin.isoformat(), "end": now.isoformat()})
        here = place.location
    legs.append(leg(here, sh.final_location))
    arrival = now + timedelta(seconds=legs[-1])
    items.append({"type": "end", "arrival": arrival.isoformat()})
    route = {
        "technician": tech_id,
        "shift": sh.id,
        "items": items,
        "travel_time": sum(legs),
        "working_time": (arrival - sh.start).total_seconds(),
        "overtime": max(0.0, (arrival - sh.end).total_seconds()),
    }
    return route, legs


def plan_of(problem: Problem, routes: list[dict[str, Any]]) -> Plan:
    """A plan with the given routes and every other order unassigned."""
    served = {i["order"] for r in routes for i in r["items"] if i["type"] == "visit"}
    reason = [{"code": "capacity", "detail": "Left out."}]
    return Plan.model_validate(
        {
            "status": "feasible",
            "objective": {"value": 0},
            "routes": routes,
            "unassigned": [
                {"order": o.id, "reasons": reason} for o in problem.orders if o.id not in served
            ],
        }
    )


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


# --- Re-planning ---------------------------------------------------------------------------------


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


# --- Properties ---------------------------------------------------------------------------------

POINT = st.tuples(st.integers(0, 20), st.integers(0, 20))


def _random_problem(points: list[tuple[int, int]], minutes: list[int]) -> Problem:
    """One technician at (3,4), 08:00-20:00; one order per point, of the given minutes."""
    return load_problem(
        {
            "horizon": {"start": t("06:00"), "end": t("22:00")},
            "travel": {"model": "euclidean", "speed": 1.0},
            "technicians": [
                {
                    "id": "T1",
                    "shifts": [
                        {
                            "start": t("08:00"),
                            "end": t("20:00"),
                            "start_location": {"x": 3, "y": 4},
                        }
                    ],
                }
            ],
            "orders": [
                {"id": f"O{k}", "location": {"x": x, "y": y}, "duration": m * 60}
                for k, ((x, y), m) in enumerate(zip(points, minutes, strict=True))
            ],
            "weights": {"idle": 1},
        }
    )


ROUTES = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(POINT, min_size=n, max_size=n),
        st.lists(st.integers(0, 60), min_size=n, max_size=n),
        st.lists(st.integers(0, 600), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(ROUTES)
def test_forward_scheduled_routes_are_feasible(route: Any) -> None:
    """A route scheduled forward is feasible; travel and idle terms are its legs and waits."""
    points, minutes, waits = route
    problem = _random_problem(points, minutes)
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
    problem = _random_problem(points, minutes)
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


@settings(max_examples=60, deadline=None)
@given(ROUTES.filter(lambda r: len(r[0]) >= 2), st.integers(-600, 600), st.integers(0, 600))
def test_link_gap_is_broken_exactly_when_the_starts_fall_outside_it(
    route: Any, least: int, width: int
) -> None:
    """The last order linked to the first with a random gap [least, least + width] minutes: a
    `linked` violation iff its start minus the first's start (read off the route) is outside."""
    points, minutes, waits = route
    problem = _random_problem(points, minutes)
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
