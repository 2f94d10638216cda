"""The HTTP API: `create_app(settings)` builds the FastAPI application.

Everything the application holds (settings, store, solve runner, per-plan locks) lives on
`app.state`, made when the application starts and released when it stops; on start, solves
that were running when the process died are recorded failed (keeping the best plan they had
published) and queued ones are queued again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api import errors
from api.board import router as board_router
from api.booking_app import install_booking
from api.deps import PlanLocks
from api.guard import RequestGuard
from api.jobs import SolveRunner, TaskRunner
from api.routers import checks, health, keys, plans, recommendations, rosters, versions
from api.routers.diffs import router as diffs_router
from api.routers.me import router as me_router
from api.routers.moves import router as moves_router
from api.routers.plans import worker_params
from api.routers.problems import router as problems_router
from api.schemas import EffectiveOptions, ProblemDetails
from api.settings import Settings
from api.store import Store

log = logging.getLogger(__name__)

DESCRIPTION = """\
Plans a day of telecom field service and re-plans it as the day goes.

Submit a problem (`POST /v1/plans`); its solve runs as a job: poll the plan's URL until its
status is `done`, or cancel it (`DELETE`), keeping the best plan found so far. Post what
happens during the day (`POST /v1/plans/{id}/events`): each re-plan is stored as a new
version, and `GET /v1/plans/{id}/versions` is the service record of every version with its
input, its author, its time and its changes.

Every route but the health checks needs an API key, sent as `Authorization: Bearer <key>`.
Roles: `viewer` reads plans, KPIs and checks problems and plans; `dispatcher` also submits,
cancels and asks for recommendations; `coordinator` also posts events; `admin` also manages
keys. Errors are `application/problem+json` (RFC 9457); invalid input is 422 with every
error and its path in `errors`.
"""

TAGS = [
    {"name": "plans", "description": "Submit problems, follow their solves, cancel them."},
    {"name": "versions", "description": "The service record, and re-planning from events."},
    {"name": "recommendations", "description": "Where a new order would fit best."},
    {"name": "rosters", "description": "Who works which shift: roster problems as jobs."},
    {"name": "checks", "description": "Validate problems and score plans; nothing stored."},
    {"name": "keys", "description": "API keys (admin)."},
    {"name": "health", "description": "Liveness and readiness; no key needed."},
]


def start_runner(store: Store, settings: Settings) -> SolveRunner:
    """A runner for the store, with the solves interrupted by a stop recorded failed and the
    queued ones queued again."""
    runner = SolveRunner(
        store,
        pool_size=settings.pool_size,
        queue_size=settings.queue_size,
        first_stage_seconds=settings.first_stage_seconds,
        grace_seconds=settings.grace_seconds,
    )
    jobs = []
    for plan_id in store.recover():
        record = store.get_plan(plan_id)
        if record is not None:
            options = EffectiveOptions.model_validate(record.options)
            jobs.append((plan_id, options.time_limit.total_seconds(), worker_params(options)))
    if jobs:
        log.info("queued again %d solves accepted before the restart", len(jobs))
    runner.requeue(jobs)
    return runner


def create_app(settings: Settings | None = None) -> FastAPI:
    """The dispatch API application for these settings (default: from the environment)."""
    settings = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.open(settings.database_url())
        runner = start_runner(store, settings)
        app.state.settings = settings
        app.state.store = store
        app.state.runner = runner
        app.state.plan_locks = PlanLocks()
        app.state.tasks = TaskRunner(
            pool_size=settings.short_pool_size,
            queue_size=settings.short_queue_size,
            grace_seconds=settings.grace_seconds,
            kept_days=settings.kept_days,
        )
        app.state.roster_runner = rosters.start_roster_runner(store, settings)
        try:
            yield
        finally:
            app.state.roster_runner.shutdown()
            app.state.tasks.close()
            runner.shutdown()
            store.close()

    app = FastAPI(
        title="telecom-dispatch",
        version="0.1.0",
        summary="Dispatch optimizer for telecom field service.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(RequestGuard, settings=settings)
    for module in (plans, versions, recommendations, checks, keys, health):
        app.include_router(module.router)
    install_booking(app)
    app.include_router(moves_router)
    app.include_router(diffs_router)
    app.include_router(problems_router)
    app.include_router(me_router)
    app.include_router(board_router)
    app.include_router(rosters.router)
    app.openapi = _openapi_with_problem_details(app)  # type: ignore[method-assign]
    return app


def _openapi_with_problem_details(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI generator, with the problem+json schema among the components (the
    error answers refer to it)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        details = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(details.pop("$defs", {}))
        components["ProblemDetails"] = details
        for model in checks.DOCUMENTED_BODIES:  # bodies the routes read as bytes
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in body.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = body
        app.openapi_schema = schema
        return schema

    return openapi
