"""Rosters: submit a roster problem (its solve runs as a job), poll it, cancel it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import DispatcherKey, SettingsDep, ViewerKey
from api.errors import QUEUE_FULL, ApiError, conflict, invalid, not_found, responses
from api.jobs import QueueFull
from api.roster_jobs import ACTIVE, RosterRecord, RosterRunner, RosterStore
from api.routers.plans import worker_params
from api.schemas import Body, DocumentedAs, EffectiveOptions, SolveOptions
from api.settings import Settings
from api.store import Store
from models import InvalidInput
from models.roster import RosterProblem, RosterResult, load_roster_problem

router = APIRouter(prefix="/v1/rosters", tags=["rosters"])

RosterId = Annotated[str, Path(description="The roster job's id.", max_length=64)]
RosterStatus = Literal["queued", "solving", "done", "failed", "cancelled"]


def start_roster_runner(store: Store, settings: Settings) -> RosterRunner:
    """The roster runner of an application, on the `rosters` table of its store (jobs left
    active by a stop are recorded failed)."""
    rosters = RosterStore(store)
    rosters.recover()
    return RosterRunner(
        rosters,
        pool_size=settings.pool_size,
        queue_size=settings.queue_size,
        grace_seconds=settings.grace_seconds,
    )


def get_roster_runner(request: Request) -> RosterRunner:
    """The application's roster runner."""
    runner: RosterRunner = request.app.state.roster_runner
    return runner


def get_roster_store(runner: Annotated[RosterRunner, Depends(get_roster_runner)]) -> RosterStore:
    """The application's roster store."""
    return runner.store


RosterRunnerDep = Annotated[RosterRunner, Depends(get_roster_runner)]
RosterStoreDep = Annotated[RosterStore, Depends(get_roster_store)]


class RosterRequest(Body):
    """A roster problem to solve, and how."""

    problem: Annotated[dict[str, Any], DocumentedAs(RosterProblem)] = Field(
        description="The roster problem, in the contract format."
    )
    options: SolveOptions = Field(
        default_factory=SolveOptions, description="Overrides of the problem's solver options."
    )


class RosterJob(BaseModel):
    """A roster job: its status and, once done, the roster."""

    id: str = Field(description="The job's id.")
    status: RosterStatus = Field(description="queued, solving, done, failed or cancelled.")
    problem_id: str | None = Field(description="The problem's own id, if it had one.")
    roster: RosterResult | None = Field(description="The roster, once the solve is done.")
    error: str | None = Field(description="Why the solve failed.")
    options: EffectiveOptions = Field(description="The options the solve runs with.")
    cancelled_by: str | None = Field(description="The key that cancelled the job.")
    created_at: datetime = Field(description="When the problem was submitted.")
    started_at: datetime | None = Field(description="When the solve started.")
    finished_at: datetime | None = Field(description="When the job ended.")


def effective_options(
    asked: SolveOptions, problem: RosterProblem, settings: Settings
) -> EffectiveOptions:
    """The request's options, else the service's, else the problem's; the time limit capped."""
    limit = asked.time_limit if asked.time_limit is not None else problem.options.time_limit
    return EffectiveOptions(
        time_limit=min(limit, timedelta(seconds=settings.max_time_limit)),
        seed=asked.seed if asked.seed is not None else problem.options.seed,
        workers=asked.workers or settings.solve_workers or problem.options.workers,
        deterministic_limit=asked.deterministic_limit,
    )


def roster_job(record: RosterRecord) -> RosterJob:
    """A stored job as the API shows it."""
    return RosterJob(
        id=record.id,
        status=record.status,  # type: ignore[arg-type]
        problem_id=record.problem_id,
        roster=RosterResult.model_validate(record.result) if record.result else None,
        error=record.error,
        options=EffectiveOptions.model_validate(record.options),
        cancelled_by=record.cancelled_by,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


def get_or_404(store: RosterStore, roster_id: str) -> RosterRecord:
    """The roster record, or 404."""
    record = store.get(roster_id)
    if record is None:
        raise not_found("roster", roster_id)
    return record


@router.post(
    "",
    status_code=202,
    summary="Submit a roster problem",
    responses={
        201: {"model": RosterJob, "description": "Solved within `wait`: the finished job."},
        202: {"description": "Accepted: the solve runs as a job; poll `Location`."},
        **responses(400, 401, 403, 422, 429),
    },
)
def submit_roster(
    body: RosterRequest,
    key: DispatcherKey,
    store: RosterStoreDep,
    runner: RosterRunnerDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    wait: Annotated[
        float, Query(ge=0, le=3600, description="Wait up to this many seconds for the end.")
    ] = 0,
) -> RosterJob:
    """Validate the roster problem and queue its solve; 202 with the job and its URL in
    `Location` (201 when it ended within `wait`). A full queue answers 429."""
    try:
        problem = load_roster_problem(body.problem)
    except InvalidInput as exc:
        raise invalid(exc.errors, "problem") from None
    options = effective_options(body.options, problem, settings)
    params = worker_params(options)  # the same fields name the roster parameters
    try:
        if not runner.has_room():
            raise QueueFull(retry_after=1)
        record = store.add(
            problem.model_dump(mode="json", exclude_none=True),
            options.model_dump(mode="json"),
            problem.id,
            key.id,
        )
        runner.submit(record.id, params)
    except QueueFull as exc:
        raise ApiError(
            429,
            str(exc),
            title="Too many solves",
            type=QUEUE_FULL,
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    if wait > 0:
        runner.wait(record.id, min(wait, settings.max_wait))
    record = get_or_404(store, record.id)
    response.headers["Location"] = str(request.url_for("get_roster", roster_id=record.id))
    if record.status not in ACTIVE:
        response.status_code = 201
    return roster_job(record)


@router.get("/{roster_id}", summary="Get a roster", responses=responses(401, 403, 404, 422))
def get_roster(roster_id: RosterId, key: ViewerKey, store: RosterStoreDep) -> RosterJob:
    """The job's status and, once done, the roster with its objective and cover."""
    return roster_job(get_or_404(store, roster_id))


@router.delete(
    "/{roster_id}", summary="Cancel a roster solve", responses=responses(401, 403, 404, 409, 422)
)
def cancel_roster(
    roster_id: RosterId, key: DispatcherKey, store: RosterStoreDep, runner: RosterRunnerDep
) -> RosterJob:
    """Stop a queued or running solve; it ends `cancelled`. A finished job answers 409."""
    record = get_or_404(store, roster_id)
    if record.status in ACTIVE and not runner.cancel(roster_id, key.id):
        store.update(roster_id, status="cancelled", cancelled_by=key.id)
    record = get_or_404(store, roster_id)
    if record.status != "cancelled":
        raise conflict(f"the solve has already ended (status {record.status})")
    return roster_job(record)
