"""Solve benchmark cases and record the outcome in the literature's units."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.suites import Case, case_file
from models.plan import Plan
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.solve import solve


def assess(case: Case, plan: Plan) -> dict[str, Any]:
    """Check a plan two ways and express it in the literature's units.

    A plan is feasible when its status says so, the evaluator finds no violation, and the
    double-precision re-check of its routes agrees. `objective` is the re-checked value
    (exact distances, or tours leaving as late as possible), `objective_plan` the value read
    off the plan's whole-second times. For hierarchical suites `gap` compares distances and
    `routes_gap` the number of routes.
    """
    evaluation = evaluate(case.problem, plan)
    routes = case.routes(plan)
    check = case.recheck(routes)
    served = plan.status.is_feasible
    feasible = bool(served and evaluation.feasible and check.feasible)
    objective = check.value if feasible else None
    gap = (objective - case.bks) / case.bks if objective is not None and case.bks else None
    record: dict[str, Any] = {
        "suite": case.suite,
        "instance": case.instance.name,
        "feasible": feasible,
        "objective": objective,
        "bks": case.bks,
        "gap": gap,
        "routes_used": len(plan.routes),
        "bks_routes": case.bks_routes,
        "routes_gap": (
            len(plan.routes) - case.bks_routes
            if feasible and case.bks_routes is not None and case.hierarchical
            else None
        ),
        "status": plan.status.value,
        "objective_plan": case.plan_objective(plan) if served else None,
        "evaluator_feasible": bool(evaluation.feasible),
        "recheck_feasible": check.feasible,
        "violations": [str(v) for v in evaluation.violations][:20] + check.violations[:20],
        "unassigned": len(plan.unassigned),
        "routes": routes,
    }
    if check.terms:
        record["terms"] = check.terms
    return record


def run_case(case: Case, params: SolveParams) -> dict[str, Any]:
    """Solve one case with `optimizer.solve.solve` and assess the plan."""
    began = time.perf_counter()
    result = solve(case.problem, params)
    wall = time.perf_counter() - began
    record = assess(case, result.plan)
    record["wall_time"] = wall
    record["params"] = params.model_dump(exclude_none=True)
    return record


def unsolved_record(case: Case, status: str, **why: Any) -> dict[str, Any]:
    """The record of a case with no plan to assess: infeasible, with `status` and why."""
    return {
        "suite": case.suite,
        "instance": case.instance.name,
        "feasible": False,
        "objective": None,
        "bks": case.bks,
        "gap": None,
        "routes_used": 0,
        "bks_routes": case.bks_routes,
        "routes_gap": None,
        "status": status,
        **why,
        "routes": [],
    }


def failed_record(case: Case, error: BaseException, wall_time: float) -> dict[str, Any]:
    """The record of a case whose solve raised: infeasible, with the error."""
    return unsolved_record(
        case, "error", error=f"{type(error).__name__}: {error}", wall_time=wall_time
    )


def write_record(out: Path, case: Case, record: dict[str, Any]) -> Path:
    """Write a case's record as `<out>/<instance>.json`."""
    out.mkdir(parents=True, exist_ok=True)
    path = case_file(out, case)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def read_records(folder: Path) -> list[dict[str, Any]]:
    """Every run record in a folder (JSON files with `suite` and `instance`)."""
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and "suite" in data and "instance" in data:
            out.append(data)
    return out
