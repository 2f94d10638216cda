"""Versions of a plan: the service record (every version with its input, author, time and
changes), and re-planning, which stores a new version from events."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path

from api.day_workers import StoredVersion
from api.db import KeyRecord, VersionRecord
from api.deps import CoordinatorKey, PlanLocksDep, SettingsDep, StoreDep, TasksDep, ViewerKey
from api.errors import conflict, invalid, not_found, responses
from api.guard import GuardedRoute
from api.routers.plans import PlanId, author_of, get_or_404
from api.schemas import EffectiveOptions, EventsRequest, ReplanResponse, VersionList, VersionPublic
from api.store import Author, VersionConflict
from models import Change, InvalidInput, Plan
from optimizer.params import SolveParams

router = APIRouter(prefix="/v1/plans/{plan_id}", tags=["versions"], route_class=GuardedRoute)

VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="Version number, from 1.")]


def version_public(record: VersionRecord, reader: KeyRecord) -> VersionPublic:
    """A stored version as the API shows it."""
    return VersionPublic(
        plan_id=record.plan_id,
        number=record.number,
        kind=record.kind,  # type: ignore[arg-type]
        created_at=record.created_at,
        author=author_of(record.author_key, record.author_name, record.author_role, reader),
        input=record.input,
        problem=record.problem,
        plan=Plan.model_validate(record.plan),
        changes=record.changes,  # type: ignore[arg-type]
    )


@router.get("/versions", summary="List a plan's versions", responses=responses(401, 403, 404, 422))
def list_versions(plan_id: PlanId, key: ViewerKey, store: StoreDep) -> VersionList:
    """Every version of the plan, oldest first, each with its input, author, time, problem,
    plan and changes: the service record to archive."""
    get_or_404(store, plan_id)
    return VersionList(
        plan_id=plan_id, items=[version_public(v, key) for v in store.versions(plan_id)]
    )


@router.get(
    "/versions/{number}", summary="Get one version", responses=responses(401, 403, 404, 422)
)
def get_version(
    plan_id: PlanId, number: VersionNumber, key: ViewerKey, store: StoreDep
) -> VersionPublic:
    """One version of the plan."""
    get_or_404(store, plan_id)
    record = store.get_version(plan_id, number)
    if record is None:
        raise not_found(f"version of plan '{plan_id}'", number)
    return version_public(record, key)


@router.post(
    "/events",
    summary="Re-plan after events",
    responses=responses(400, 401, 403, 404, 409, 422),
)
def post_events(
    plan_id: PlanId,
    body: EventsRequest,
    key: CoordinatorKey,
    store: StoreDep,
    settings: SettingsDep,
    locks: PlanLocksDep,
    tasks: TasksDep,
) -> ReplanResponse:
    """Re-plan the latest version at `now` with the events (within the time limit, 5 s by
    default) and store the result as a new version. Answers 409 while the plan is still being
    solved, when it has no version yet, or when `version` is not the latest."""
    with locks.hold(plan_id):
        record = get_or_404(store, plan_id)
        if record.status in ("queued", "solving"):
            raise conflict("the plan is still being solved; post events once it has ended")
        if record.version == 0:
            raise conflict(f"the plan has no version to re-plan (status {record.status})")
        base = body.version if body.version is not None else record.version
        if base != record.version:
            raise conflict(f"events apply to version {base}, but the latest is {record.version}")
        stored = store.get_version(plan_id, base)
        if stored is None:
            raise not_found(f"version of plan '{plan_id}'", base)
        options = EffectiveOptions.model_validate(record.options)
        # 0 asks for the fast path alone (no search): it is not "unset".
        default = timedelta(seconds=settings.replan_time_limit)
        asked = body.time_limit if body.time_limit is not None else default
        limit = min(asked, timedelta(seconds=settings.max_replan_time_limit))
        params = SolveParams(
            time_limit=limit.total_seconds(), seed=options.seed, workers=options.workers
        )
        given = body.model_dump(mode="json", by_alias=True, exclude_none=True)
        args = {
            "problem": stored.problem,
            "plan": stored.plan,
            "now": given["now"],
            "events": given["events"],
            "params": params.model_dump(mode="json", exclude_none=True),
            "tolerance": body.tolerance.total_seconds(),
        }
        try:  # in a worker process: the CPU work and the chains it forks stay out of here
            # The fast path alone runs where the version is kept (no search, no chains).
            fast = StoredVersion.of(stored) if not limit else None
            result = tasks.run("replan", args, limit.total_seconds(), fast)
        except InvalidInput as exc:
            raise invalid(exc.errors) from None
        changes = [Change.model_validate(c) for c in result["changes"]]
        try:
            version = store.add_version(
                plan_id,
                base + 1,
                kind="replan",
                author=Author.of(key),
                input=given,
                problem=result["problem"],
                plan=result["plan"],
                changes=result["changes"],
            )
        except VersionConflict as exc:
            raise conflict(f"another version was stored meanwhile ({exc})") from None
        tasks.adopt(result, StoredVersion.of(version))  # the next call on it finds it kept
    return ReplanResponse(
        plan_id=plan_id,
        version=version.number,
        plan=Plan.model_validate(version.plan),
        changes=changes,
    )
