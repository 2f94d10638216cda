"""Checks that store nothing: validate a problem, score any plan."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ViewerKey
from api.errors import invalid, prefixed, responses
from api.guard import GuardedRoute
from api.routers.plans import load_or_422
from api.schemas import (
    EvaluateRequest,
    EvaluationPublic,
    ValidateRequest,
    ValidationReport,
    ViolationPublic,
)
from models import FieldError, InvalidInput, Plan, Problem, load_problem, parse_model

router = APIRouter(prefix="/v1", tags=["checks"], route_class=GuardedRoute)


@router.post("/validate", summary="Validate a problem", responses=responses(400, 401, 403, 422))
def validate_problem(body: ValidateRequest, key: ViewerKey) -> ValidationReport:
    """Check a problem against the contract: its counts when valid, else 422 with every
    error and its path."""
    problem = load_or_422(body.problem, "problem")
    return ValidationReport(
        valid=True,
        problem_id=problem.id,
        technicians=len(problem.technicians),
        shifts=sum(len(t.shifts) for t in problem.technicians),
        orders=len(problem.orders),
        depots=len(problem.depots),
        travel_model=problem.travel.model,
    )


@router.post("/evaluate", summary="Score a plan", responses=responses(400, 401, 403, 422))
def evaluate_plan(body: EvaluateRequest, key: ViewerKey) -> EvaluationPublic:
    """Recompute a plan from scratch against its problem: feasibility with every broken rule,
    the objective terms and the KPIs. Any plan may be scored, not only the service's."""
    from optimizer.evaluate import evaluate  # lazy: the solver loads only where it is used

    errors: list[FieldError] = []
    problem: Problem | None = None
    plan: Plan | None = None
    try:
        problem = load_problem(body.problem)
    except InvalidInput as exc:
        errors += prefixed(exc.errors, "problem")
    try:
        plan = parse_model(Plan, body.plan)
    except InvalidInput as exc:
        errors += prefixed(exc.errors, "plan")
    if errors or problem is None or plan is None:
        raise invalid(errors)
    try:
        evaluation = evaluate(problem, plan)
    except InvalidInput as exc:
        raise invalid(exc.errors, "plan") from None
    return EvaluationPublic(
        feasible=evaluation.feasible,
        violations=[
            ViolationPublic(code=v.code, where=v.where, message=v.message)
            for v in evaluation.violations
        ],
        objective=evaluation.objective,
        kpis=evaluation.kpis,
    )
