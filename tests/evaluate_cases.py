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
from hypothesis import strategies as st

from models import Plan, Problem, load_problem
from optimizer.evaluate import Evaluation, evaluate, recompute_route_totals

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


# --- One broken rule at a time ------------------------------------------------------------------

Mutation = Callable[[dict[str, Any], dict[str, Any]], None]


def put(path: str, value: Any) -> Mutation:
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


def both(*mutations: Mutation) -> Mutation:
    """Several mutations in order."""

    def apply(problem: dict[str, Any], plan: dict[str, Any]) -> None:
        for m in mutations:
            m(problem, plan)

    return apply


def add_unassigned(order: str) -> Mutation:
    """A mutation listing one more order as unassigned."""

    def apply(_: dict[str, Any], plan: dict[str, Any]) -> None:
        plan["unassigned"].append({"order": order, "reasons": [{"code": "crew", "detail": "x"}]})

    return apply


def sync(mutation: Mutation) -> Mutation:
    """A mutation followed by recomputing the route totals."""

    def apply(problem: dict[str, Any], plan: dict[str, Any]) -> None:
        mutation(problem, plan)
        synced(problem, plan)

    return apply


T1 = "plan.routes[0]"
T2 = "plan.routes[1]"
P_T1 = "problem.technicians[0]"
P_SHIFT1 = "problem.technicians[0].shifts[0]"


def broken_rules(cases: list[tuple[str, Mutation, set[str]]]) -> pytest.MarkDecorator:
    """Parametrize a test by (mutate, expected codes) over named cases."""
    return pytest.mark.parametrize(
        ("mutate", "expected"), [c[1:] for c in cases], ids=[c[0] for c in cases]
    )


def feasible_twins(variants: list[tuple[str, Mutation]]) -> pytest.MarkDecorator:
    """Parametrize a test by mutate over named variants that keep the plan feasible."""
    return pytest.mark.parametrize(
        "mutate", [c[1] for c in variants], ids=[c[0] for c in variants]
    )


def assert_breaks(mutate: Mutation, expected: set[str]) -> None:
    """Apply the mutation to the base problem and plan; expect exactly the given codes."""
    problem, plan = base_problem(), base_plan()
    mutate(problem, plan)
    result = run(problem, plan)
    assert not result.feasible
    assert result.codes == expected, [str(v) for v in result.violations]


def assert_feasible(mutate: Mutation) -> None:
    """Apply the mutation to the base problem and plan; expect no violation."""
    problem, plan = base_problem(), base_plan()
    mutate(problem, plan)
    assert run(problem, plan).violations == []


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


# --- Random routes for the properties ----------------------------------------------------------

POINT = st.tuples(st.integers(0, 20), st.integers(0, 20))


def random_problem(points: list[tuple[int, int]], minutes: list[int]) -> Problem:
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
