"""A plan's problem as submitted (validated, in the contract format), readable before the
plan has a version: the board draws technicians, shifts and orders from it while solving."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from api.deps import StoreDep, ViewerKey
from api.errors import responses
from api.routers.plans import PlanId, get_or_404

router = APIRouter(prefix="/v1/plans/{plan_id}", tags=["plans"])


@router.get("/problem", summary="Get a plan's problem", responses=responses(401, 403, 404, 422))
def get_problem(plan_id: PlanId, key: ViewerKey, store: StoreDep) -> dict[str, Any]:
    """The problem the plan was submitted with, as validated (defaults filled in); each
    version's own problem (after events) is in its version."""
    get_or_404(store, plan_id)
    problem: dict[str, Any] = json.loads(store.problem_text(plan_id))
    return problem
