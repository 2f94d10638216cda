"""Checks that store nothing: validate a problem, score any plan.

Both run in a worker process from the request's bytes (`api.checking`): parsing and
validating a large problem holds an interpreter for a second, which must not be the one
answering every other request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import SettingsDep, TasksDep, ViewerKey
from api.errors import responses
from api.guard import GuardedRoute
from api.schemas import (
    EvaluateRequest,
    EvaluationPublic,
    SolveRequest,
    ValidateRequest,
    ValidationReport,
)

router = APIRouter(prefix="/v1", tags=["checks"], route_class=GuardedRoute)

CHECK_SECONDS = 120.0
"""Longest a check may take (a problem at every limit is validated in seconds)."""

DOCUMENTED_BODIES = (ValidateRequest, EvaluateRequest, SolveRequest)
"""Request bodies read by a worker process: their schemas are added to the OpenAPI
components by the application (`api.app`)."""


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI of a JSON request body that the route reads as bytes."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def run_check(
    task: str, request: Request, tasks: TasksDep, settings: SettingsDep
) -> dict[str, Any]:
    """The check's answer, computed by a worker process from the body's bytes."""
    body = await request.body()
    args = {"body": body, "settings": settings.model_dump()}
    found: dict[str, Any] = await run_in_threadpool(tasks.run, task, args, CHECK_SECONDS)
    return found


@router.post(
    "/validate",
    summary="Validate a problem",
    responses=responses(401, 403, 413, 422, 429),
    openapi_extra=documented_body(ValidateRequest),
)
async def validate_problem(
    request: Request, key: ViewerKey, tasks: TasksDep, settings: SettingsDep
) -> ValidationReport:
    """Check a problem against the contract: its counts when valid, else 422 with every
    error and its path."""
    return ValidationReport.model_validate(await run_check("validate", request, tasks, settings))


@router.post(
    "/evaluate",
    summary="Score a plan",
    responses=responses(401, 403, 413, 422, 429),
    openapi_extra=documented_body(EvaluateRequest),
)
async def evaluate_plan(
    request: Request, key: ViewerKey, tasks: TasksDep, settings: SettingsDep
) -> EvaluationPublic:
    """Recompute a plan from scratch against its problem: feasibility with every broken rule,
    the objective terms and the KPIs. Any plan may be scored, not only the service's."""
    return EvaluationPublic.model_validate(await run_check("evaluate", request, tasks, settings))
