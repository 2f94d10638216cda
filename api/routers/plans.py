"""Plans: submit a problem (its solve runs as a job), poll it, list plans, cancel a solve."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BeforeValidator

from api.auth import Role
from api.db import KeyRecord, PlanRecord
from api.deps import DispatcherKey, RunnerDep, SettingsDep, StoreDep, TasksDep, ViewerKey
from api.errors import ApiError, busy, conflict, not_found, responses
from api.guard import GuardedRoute
from api.jobs import ENDED, OVERRAN, QueueFull, SolveRunner
from api.routers.checks import documented_body, run_check
from api.schemas import (
    AuthorPublic,
    EffectiveOptions,
    PlanJob,
    PlanPage,
    PlanStatus,
    PlanSummary,
    SolveOptions,
    SolveRequest,
)
from api.settings import Settings
from api.store import FINISHED, INTERRUPTED, Author, PlanFilter, Store
from models import Plan
from models.problem import Options

router = APIRouter(prefix="/v1/plans", tags=["plans"], route_class=GuardedRoute)


def _not_a_number(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?\s*", value):
        raise ValueError("an ISO 8601 date-time is expected, not a number")
    return value


QueryInstant = Annotated[datetime, BeforeValidator(_not_a_number)]
"""An instant in a query: ISO 8601 (pydantic would also read a number as a Unix time)."""

PlanId = Annotated[str, Path(description="The plan's id.", max_length=64)]


def contract_json(model: Any) -> Any:
    """A contract model as JSON data (aliases, no null fields)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def effective_options(asked: SolveOptions, given: Options, settings: Settings) -> EffectiveOptions:
    """The options a job runs with: the request's, else the service's, else the problem's
    (`given`); the time limit capped at the service's maximum."""
    limit = asked.time_limit if asked.time_limit is not None else given.time_limit
    limit = min(limit, timedelta(seconds=settings.max_time_limit))
    return EffectiveOptions(
        time_limit=limit,
        seed=asked.seed if asked.seed is not None else given.seed,
        workers=asked.workers or settings.solve_workers or given.workers,
        deterministic_limit=asked.deterministic_limit,
    )


def worker_params(options: EffectiveOptions) -> dict[str, Any]:
    """Solve parameters for a worker process (`optimizer.params.SolveParams` fields)."""
    params: dict[str, Any] = {
        "time_limit": options.time_limit.total_seconds(),
        "seed": options.seed,
        "workers": options.workers,
    }
    if options.deterministic_limit is not None:
        params["deterministic_limit"] = options.deterministic_limit
    return params


def trusted(reader: KeyRecord) -> bool:
    """Whether the reader may see key ids, key names and internal error text (a dispatcher
    or above; a viewer sees roles and the service's own messages only)."""
    return Role(reader.role).allows(Role.dispatcher)


def author_of(
    key_id: str | None, name: str | None, role: str | None, reader: KeyRecord
) -> AuthorPublic:
    """The public form of an author, as the reader may see it."""
    if not trusted(reader):
        return AuthorPublic(key_id=None, name=None, role=role)
    return AuthorPublic(key_id=key_id, name=name, role=role)


PUBLIC_ERRORS = (INTERRUPTED, OVERRAN, ENDED)
"""Errors of the service's own wording, shown to every reader (their beginnings)."""


def error_for(error: str | None, reader: KeyRecord) -> str | None:
    """A job's error as the reader may see it: a viewer gets the service's own sentences,
    not the solver's internal error text."""
    if error is None or trusted(reader) or error.startswith(PUBLIC_ERRORS):
        return error
    return "the solve failed (a dispatcher can see why)"


def plan_job(record: PlanRecord, store: Store, reader: KeyRecord) -> PlanJob:
    """A plan record as the API shows it, with its latest (or best so far) plan."""
    document: dict[str, Any] | None = None
    if record.version:
        document = store.version_plan(record.id, record.version)
    elif record.best_plan is not None:
        document = record.best_plan
    plan = Plan.model_validate(document) if document is not None else None
    return PlanJob(
        id=record.id,
        status=record.status,  # type: ignore[arg-type]
        version=record.version,
        problem_id=record.problem_id,
        plan=plan,
        kpis=plan.kpis if plan is not None else None,
        error=error_for(record.error, reader),
        options=EffectiveOptions.model_validate(record.options),
        author=author_of(record.author_key, record.author_name, record.author_role, reader),
        cancelled_by=record.cancelled_by if trusted(reader) else None,
        created_at=record.created_at,
        updated_at=record.updated_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


def get_or_404(store: Store, plan_id: str) -> PlanRecord:
    """The plan record, or 404."""
    record = store.get_plan(plan_id)
    if record is None:
        raise not_found("plan", plan_id)
    return record


@router.post(
    "",
    status_code=202,
    summary="Submit a problem",
    responses={
        201: {"model": PlanJob, "description": "Solved within `wait`: the finished job."},
        202: {
            "description": "Accepted: the solve runs as a job; poll `Location`.",
            "headers": {
                "Location": {"description": "URL of the plan.", "schema": {"type": "string"}}
            },
        },
        **responses(401, 403, 413, 422, 429),
    },
    openapi_extra=documented_body(SolveRequest),
)
async def submit_plan(
    key: DispatcherKey,
    store: StoreDep,
    runner: RunnerDep,
    tasks: TasksDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=3600,
            description="Wait up to this many seconds (at most the service's `max_wait`) for "
            "the solve to end; answered 201 with the plan when it did.",
        ),
    ] = 0,
) -> PlanJob:
    """Validate the problem and queue its solve; answer 202 with the plan's id and its URL in
    `Location`. A full queue answers 429 with `Retry-After`. The body is read and validated
    by a worker process (`api.checking.submission`), so a large problem does not hold the
    service."""
    found = await run_check("submission", request, tasks, settings)
    return await run_in_threadpool(
        queue_plan, found, key, store, runner, settings, request, wait, response
    )


def queue_plan(
    found: dict[str, Any],
    key: KeyRecord,
    store: Store,
    runner: SolveRunner,
    settings: Settings,
    request: Request,
    wait: float,
    response: Response,
) -> PlanJob:
    """Store a checked submission and queue its solve (waiting up to `wait` seconds)."""
    asked = SolveOptions.model_validate(found["request"]["options"])
    problem_options = Options.model_validate(found["problem"].get("options", {}))
    options = effective_options(asked, problem_options, settings)
    try:
        with runner.reservation() as slot:
            record = store.add_plan(
                author=Author.of(key),
                request=found["request"],
                problem=found["problem"],
                options=options.model_dump(mode="json"),
                problem_id=found["problem_id"],
            )
            slot.fill(record.id, options.time_limit.total_seconds(), worker_params(options))
    except QueueFull as exc:
        raise busy(exc) from None
    if wait > 0:
        runner.wait(record.id, min(wait, settings.max_wait))
    record = store.get_plan(record.id) or record
    response.headers["Location"] = str(request.url_for("get_plan", plan_id=record.id))
    if record.status in FINISHED:
        response.status_code = 201
    return plan_job(record, store, key)


@router.get("", summary="List plans", responses=responses(401, 403, 422))
def list_plans(
    key: ViewerKey,
    store: StoreDep,
    status: Annotated[
        list[PlanStatus] | None, Query(description="Only plans in these statuses (repeatable).")
    ] = None,
    problem_id: Annotated[
        str | None, Query(max_length=200, description="Only plans of the problem with this id.")
    ] = None,
    created_after: Annotated[
        QueryInstant | None, Query(description="Only plans submitted at or after this instant.")
    ] = None,
    created_before: Annotated[
        QueryInstant | None, Query(description="Only plans submitted before this instant.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000_000, description="Plans to skip (paging).")
    ] = 0,
) -> PlanPage:
    """One page of plans, newest first, without their plan documents."""
    where = PlanFilter(
        statuses=tuple(status or ()),
        problem_id=problem_id,
        created_after=_in_utc(created_after),
        created_before=_in_utc(created_before),
    )
    records, total = store.list_plans(where, limit=limit, offset=offset)
    items = [
        PlanSummary(
            id=r.id,
            status=r.status,  # type: ignore[arg-type]
            version=r.version,
            problem_id=r.problem_id,
            author=author_of(r.author_key, r.author_name, r.author_role, key),
            created_at=r.created_at,
            updated_at=r.updated_at,
            finished_at=r.finished_at,
        )
        for r in records
    ]
    return PlanPage(items=items, total=total, limit=limit, offset=offset)


def _in_utc(instant: datetime | None) -> datetime | None:
    """An instant in UTC (naive ones taken as UTC); one that UTC cannot hold (hours around
    the ends of years 1 and 9999) becomes the earliest or latest instant."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        return (datetime.min if instant.year == 1 else datetime.max).replace(tzinfo=UTC)


@router.get("/{plan_id}", summary="Get a plan", responses=responses(401, 403, 404, 422))
def get_plan(plan_id: PlanId, key: ViewerKey, store: StoreDep) -> PlanJob:
    """The job's status, its latest version's plan (the best so far while solving) and KPIs."""
    return plan_job(get_or_404(store, plan_id), store, key)


@router.delete(
    "/{plan_id}", summary="Cancel a solve", responses=responses(401, 403, 404, 409, 422)
)
def cancel_plan(
    plan_id: PlanId, key: DispatcherKey, store: StoreDep, runner: RunnerDep
) -> PlanJob:
    """Stop a queued or running solve. The plan ends `cancelled` and keeps the best plan the
    solve had found (none when it had not found one yet); nothing is deleted. Cancelling a
    cancelled plan changes nothing; a finished or failed one answers 409. A dispatcher
    cancels only the plans they submitted (403 otherwise); a coordinator or an admin
    cancels any."""
    record = get_or_404(store, plan_id)
    if record.author_key != key.id and not Role(key.role).allows(Role.coordinator):
        raise ApiError(403, "a dispatcher cancels only the plans they submitted")
    active = record.status in ("queued", "solving")
    # A job this process does not hold was left by another one: record the cancel alone.
    if active and not runner.cancel(plan_id, key.id) and not store.cancel_queued(plan_id, key.id):
        store.finish(plan_id, "cancelled", cancelled_by=key.id)
    record = get_or_404(store, plan_id)
    if record.status != "cancelled":
        raise conflict(f"the solve has already ended (status {record.status})")
    return plan_job(record, store, key)
