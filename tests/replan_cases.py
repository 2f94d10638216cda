"""The small day the re-planning tests share: two technicians west and east, solved at dawn,
and helpers to parse events, re-plan against the evaluator and find visits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Plan, Problem
from models.events import Event
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.replan import ReplanResult, replan
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech

NOW = datetime.fromisoformat(at("10:00"))


def day() -> Problem:
    """Two technicians west and east; three orders each side, one started before 10:00."""
    return problem(
        [tech("W", 0, 0), tech("E", 100, 0)],
        [
            order("W1", 10, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("W2", 20, 0, 60, time_windows=[{"start": at("11:00"), "end": at("12:00")}]),
            order("W3", 30, 0, 60, time_windows=[{"start": at("13:00"), "end": at("14:00")}]),
            order("E1", 90, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("E2", 80, 0, 60, time_windows=[{"start": at("11:00"), "end": at("12:00")}]),
            order("E3", 70, 0, 60, time_windows=[{"start": at("13:00"), "end": at("14:00")}]),
        ],
    )


def solved_day() -> tuple[Problem, Plan]:
    """The day solved at dawn."""
    p = day()
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    assert plan.kpis["orders_served"] == 6
    return p, plan


def events(*raw: dict[str, Any]) -> list[Event]:
    """Parse events as the contract gives them."""
    from pydantic import TypeAdapter

    return TypeAdapter(list[Event]).validate_python(list(raw))


def checked(p: Problem, plan: Plan, evs: list[Event], **params: Any) -> ReplanResult:
    """Re-plan (on the deterministic budget unless `params` say otherwise) and hold the
    result against the evaluator, frozen part included."""
    res = replan(p, plan, NOW, evs, SolveParams(**{**DETERMINISTIC, **params}))
    ev = evaluate(res.problem, res.plan, previous=plan, frozen_before=NOW)
    assert ev.feasible, [str(v) for v in ev.violations]
    assert res.plan.changes is not None
    return res


def visit(plan: Plan, oid: str) -> tuple[str, Any] | None:
    """(technician, visit item) of an order, or None."""
    for r in plan.routes:
        for it in r.items:
            if it.type == "visit" and it.order == oid:
                return r.technician, it
    return None


def frozen_items(plan: Plan) -> list[tuple[str, Any]]:
    """Every item of the plan that began before NOW, with its technician."""
    out = []
    for r in plan.routes:
        for it in r.items:
            begin = it.time if it.type == "start" else getattr(it, "start", it.arrival)
            if begin < NOW:
                out.append((r.technician, it))
    return out
