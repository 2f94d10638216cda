"""Tiny hand-checkable problems for solver tests (euclidean travel: 1 unit = 1 minute)."""

from __future__ import annotations

from typing import Any

import pytest

from models import Plan, Problem, load_problem
from optimizer.cp.objective import MUST_SERVE_FACTOR, solution_cost
from optimizer.evaluate import Evaluation, evaluate
from optimizer.instance import SCALE
from optimizer.params import SolveParams
from optimizer.solve import Result, solve

DAY = "2026-12-01"


def at(hhmm: str) -> str:
    """An instant on the test day, UTC."""
    return f"{DAY}T{hhmm}:00+00:00"


def tech(
    tid: str,
    x: float = 0,
    y: float = 0,
    *,
    skills: dict[str, int] | None = None,
    start: str = "08:00",
    end: str = "17:00",
    shifts: list[dict[str, Any]] | None = None,
    equipment: list[str] | None = None,
    parts: dict[str, int] | None = None,
    **shift_fields: Any,
) -> dict[str, Any]:
    """A technician with one shift at (x, y) unless `shifts` is given."""
    return {
        "id": tid,
        "skills": skills if skills is not None else {"fiber": 3},
        "shifts": shifts
        if shifts is not None
        else [
            {
                "start": at(start),
                "end": at(end),
                "start_location": {"x": x, "y": y},
                **shift_fields,
            }
        ],
        "equipment": equipment or [],
        "parts": parts or {},
    }


def order(oid: str, x: float, y: float, minutes: int = 30, **fields: Any) -> dict[str, Any]:
    """An order at (x, y) lasting `minutes`."""
    return {
        "id": oid,
        "location": {"x": x, "y": y},
        "duration": f"PT{minutes}M",
        "required_skills": {"fiber": 1},
        **fields,
    }


def problem(technicians: list[dict], orders: list[dict], **fields: Any) -> Problem:
    """A problem on the test day with euclidean travel at one unit per minute."""
    data = {
        "horizon": {"start": at("00:00"), "end": f"{DAY}T23:59:00+00:00"},
        "technicians": technicians,
        "orders": orders,
        "travel": {"model": "euclidean", "speed": 1.0},
        "options": {"time_limit": "PT10S", "seed": 0, "workers": 1},
        **fields,
    }
    return load_problem(data)


DETERMINISTIC: dict[str, Any] = {
    "workers": 1,
    "seed": 0,
    "deterministic_limit": 0.2,
    "time_limit": 120.0,
}
"""The tests' default budget: one worker, a seed and a deterministic limit, so that a result
does not depend on the machine's speed (the wall-clock limit is only a safety stop, far off)."""


def solve_checked(p: Problem, **params: Any) -> tuple[Result, Evaluation]:
    """Solve (on the deterministic budget unless `params` say otherwise) and hold the plan
    against the evaluator: valid for its status (see `Evaluation.valid`), objective as
    recomputed, and never cut short by the wall clock."""
    result = solve(p, SolveParams(**{**DETERMINISTIC, **params}))
    assert "wall_limit_bound" not in result.plan.solver, "the safety stop bound"
    ev = evaluate(p, result.plan)
    # Feasible, or (infeasible, no_solution) broken only in leaving must-serve orders out, each
    # flagged mandatory; an infeasible plan keeps its routes, a no_solution one has none.
    assert ev.valid, [str(v) for v in ev.violations]
    assert result.plan.status != "no_solution" or result.plan.routes == []
    # The search's own cost of the solution it emitted is the evaluator's objective (less the
    # surcharge by which the search keeps must-serve orders in, which no plan pays).
    inst = result.instance
    left = sum(1 for u in result.plan.unassigned if u.mandatory)
    surcharge = left * MUST_SERVE_FACTOR * max(max(inst.c_unassigned), 1)
    own = (solution_cost(inst, result.solution) - surcharge) / (60 * SCALE)
    assert own == pytest.approx(ev.objective.value, abs=1e-6)
    plan = result.plan
    served = {i.order for r in plan.routes for i in r.items if i.type == "visit"}
    assert served.isdisjoint(u.order for u in plan.unassigned)
    assert served | {u.order for u in plan.unassigned} == {o.id for o in p.orders}
    assert all(u.reasons for u in plan.unassigned)
    return result, ev


def visits(plan: Plan) -> dict[str, list[tuple[str, Any]]]:
    """Order id -> [(technician, visit item)] over the plan's routes."""
    out: dict[str, list[tuple[str, Any]]] = {}
    for r in plan.routes:
        for item in r.items:
            if item.type == "visit":
                out.setdefault(item.order, []).append((r.technician, item))
    return out


def reasons(plan: Plan) -> dict[str, set[str]]:
    """Order id -> reason codes of the unassigned orders."""
    return {u.order: {r.code for r in u.reasons} for u in plan.unassigned}
