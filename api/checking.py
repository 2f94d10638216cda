"""The checks that store nothing, from a request body's bytes to their answer: validate a
problem, score a plan. No FastAPI here: a worker process runs them (`api.worker`), so that
parsing and validating a large body never holds the service's interpreter.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.limits import parse_body
from api.schemas import (
    EvaluateRequest,
    EvaluationPublic,
    SolveRequest,
    ValidateRequest,
    ValidationReport,
    ViolationPublic,
)
from api.settings import Settings
from api.store import storable
from models import FieldError, InvalidInput, Plan, Problem, load_problem, parse_model
from models.validation import prefixed, pydantic_errors

R = TypeVar("R", bound=BaseModel)


def read(body: bytes, model: type[R], settings: Settings) -> R:
    """A request body parsed (limits first) and validated as `model`; `InvalidInput` with
    every error otherwise."""
    try:
        data = parse_body(body, settings)
    except json.JSONDecodeError as exc:
        raise InvalidInput([FieldError("$", f"JSON decode error: {exc.msg}")]) from None
    except RecursionError:
        raise InvalidInput([FieldError("$", "arrays and objects nest too deep")]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(pydantic_errors(exc, data)) from None


def problem_of(data: dict[str, Any]) -> Problem:
    """The request's problem, or `InvalidInput` with paths under `problem`."""
    try:
        return load_problem(data)
    except InvalidInput as exc:
        raise InvalidInput(prefixed(exc.errors, "problem")) from None


def submission(body: bytes, settings: Settings) -> dict[str, Any]:
    """`POST /v1/plans`: the request as given, its problem in the contract's form (defaults
    filled in) and the problem's id, ready to store."""
    request = read(body, SolveRequest, settings)
    problem = problem_of(request.problem)
    if problem.id is not None and not storable(problem.id):
        raise InvalidInput([FieldError("problem.id", "contains a NUL character")])
    return {
        "request": {
            "problem": request.problem,
            "options": request.options.model_dump(mode="json", exclude_none=True),
        },
        "problem": problem.model_dump(mode="json", by_alias=True, exclude_none=True),
        "problem_id": problem.id,
    }


def validate(body: bytes, settings: Settings) -> dict[str, Any]:
    """`POST /v1/validate`: a valid problem's counts as JSON data."""
    problem = problem_of(read(body, ValidateRequest, settings).problem)
    report = ValidationReport(
        valid=True,
        problem_id=problem.id,
        technicians=len(problem.technicians),
        shifts=sum(len(t.shifts) for t in problem.technicians),
        orders=len(problem.orders),
        depots=len(problem.depots),
        travel_model=problem.travel.model,
    )
    return report.model_dump(mode="json")


def evaluate(body: bytes, settings: Settings) -> dict[str, Any]:
    """`POST /v1/evaluate`: the evaluator's findings about any plan, as JSON data."""
    from optimizer.evaluate import evaluate as evaluate_plan

    request = read(body, EvaluateRequest, settings)
    errors: list[FieldError] = []
    problem: Problem | None = None
    plan: Plan | None = None
    try:
        problem = problem_of(request.problem)
    except InvalidInput as exc:
        errors += exc.errors
    try:
        plan = parse_model(Plan, request.plan)
    except InvalidInput as exc:
        errors += prefixed(exc.errors, "plan")
    if errors or problem is None or plan is None:
        raise InvalidInput(errors)
    try:
        evaluation = evaluate_plan(problem, plan)
    except InvalidInput as exc:
        raise InvalidInput(prefixed(exc.errors, "plan")) from None
    public = EvaluationPublic(
        feasible=evaluation.feasible,
        violations=[
            ViolationPublic(code=v.code, where=v.where, message=v.message)
            for v in evaluation.violations
        ],
        objective=evaluation.objective,
        kpis=evaluation.kpis,
    )
    return public.model_dump(mode="json", by_alias=True)
