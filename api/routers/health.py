"""Health checks, the only routes that need no key."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import RunnerDep, StoreDep
from api.errors import ApiError, responses
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> Health:
    """The process answers (on the event loop itself, so that it answers while every
    request thread is busy)."""
    return Health(status="ok")


@router.get("/readyz", summary="Readiness", responses=responses(503))
def readyz(store: StoreDep, runner: RunnerDep) -> Readiness:
    """The database answers and the solver pool takes jobs; 503 otherwise."""
    try:
        store.ping()
    except Exception as exc:
        raise ApiError(503, f"the database does not answer ({type(exc).__name__})") from None
    queued, running = runner.counts
    return Readiness(
        status="ready", database="ok", pool_size=runner.pool_size, running=running, queued=queued
    )
