"""The small day the re-planning tests share: two technicians west and east, solved at dawn,
and helpers to parse events, re-plan against the evaluator and find visits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from benchmarks.generator import BadDay, generate_day
from models import Plan, Problem, load_problem
from models.events import Event
from models.problem import Order
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


def small_bad_day() -> tuple[Problem, Plan]:
    """A small generated bad day (crews, links, chains, pins, late shifts) and its plan."""
    p = load_problem(generate_day(60, 10, seed=4, bad_day=BadDay.realistic()))
    quick_probes = {"probe_deterministic": 0.02}  # for the orders the day leaves out
    params = {**DETERMINISTIC, "seed": 4, "deterministic_limit": 0.5}
    return p, solve(p, SolveParams(**params, timing=quick_probes)).plan


def emergency(p: Problem, k: int, prefix: str = "EMG-T") -> tuple[Order, datetime]:
    """A new single-technician emergency at the k-th order's place, and the moment it comes."""
    now = p.horizon.start.replace(hour=10 + k % 4, minute=7 * k % 60)
    template = [o for o in p.orders if o.crew_size == 1 and not o.linked][k]
    new = template.model_copy(
        update={
            "id": f"{prefix}{k}",
            "kind": "emergency",
            "priority": 1,
            "mandatory": False,
            "pinned": None,
            "after": [],
            "time_windows": [],
            "preferred_technicians": [],
            "created_at": now,
            "due": now + timedelta(hours=2),
        }
    )
    return new, now
