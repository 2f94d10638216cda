"""Recommendations: the best ways to fit one new order into the latest version of a plan."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from api.day_workers import StoredVersion
from api.deps import DispatcherKey, StoreDep, TasksDep
from api.errors import conflict, invalid, responses
from api.guard import GuardedRoute
from api.routers.plans import PlanId, get_or_404
from api.routers.slots import TravelCacheDep
from api.schemas import RecommendationList, RecommendRequest
from models import FieldError, InvalidInput, Recommendation

if TYPE_CHECKING:
    from optimizer.travel import TravelMatrix

RECOMMEND_SECONDS = 10.0
"""How long a recommendation may take (it has no time limit of its own; it is quick)."""

router = APIRouter(
    prefix="/v1/plans/{plan_id}", tags=["recommendations"], route_class=GuardedRoute
)


@router.post(
    "/recommendations",
    summary="Recommend how to fit a new order",
    responses=responses(400, 401, 403, 404, 409, 422),
)
def recommend_order(
    plan_id: PlanId,
    body: RecommendRequest,
    key: DispatcherKey,
    store: StoreDep,
    tasks: TasksDep,
    travel: TravelCacheDep,
) -> RecommendationList:
    """The best ways (at most `k`, best first) to fit one new order into the plan's latest
    version at `now`: who, when, whether its SLA is met, what it costs and what else moves.
    Nothing is stored; post an `order_added` event to act on one."""
    record = get_or_404(store, plan_id)
    if record.version == 0:
        raise conflict(f"the plan has no version yet (status {record.status})")
    stored = store.get_version(plan_id, record.version)
    assert stored is not None
    orders = stored.problem.get("orders", [])
    index = len(orders)
    document = {**stored.problem, "orders": [*orders, body.order]}
    args = {
        "with_order": document,
        "plan": stored.plan,
        "now": body.now.isoformat(),
        "k": body.k,
    }
    # A day worker keeps the version whole; without one, the version's travel matrix, kept
    # from an earlier call on it (slot offers share it), or the task computes it and hands
    # it back to be kept.
    kept = None if tasks.keeps_days else travel.find(plan_id, record.version, stored.problem)
    args["travel"] = None if kept is None else travel_args(kept)
    try:  # in a worker process, like re-plans; the order is checked there, in the context
        # of the problem (references, ids, crews)
        found = tasks.run("recommend", args, RECOMMEND_SECONDS, StoredVersion.of(stored))
    except InvalidInput as exc:
        raise invalid(_order_errors(exc.errors, index)) from None
    if found["travel"] is not None:
        from optimizer.travel import TravelMatrix  # lazy: the solver loads where it is used

        travel.put(plan_id, record.version, stored.problem, TravelMatrix(*found["travel"]))
    items = [Recommendation.model_validate(item) for item in found["items"]]
    return RecommendationList(
        plan_id=plan_id,
        version=record.version,
        order=str(body.order["id"]),
        items=items,
    )


def travel_args(matrix: TravelMatrix) -> tuple[Any, ...]:
    """A travel matrix as a task argument: its keys and seconds (not its derived caches)."""
    return (matrix.keys, matrix.seconds)


def _order_errors(errors: list[FieldError], index: int) -> list[FieldError]:
    """Errors about the appended order, with paths under `order`."""
    own = re.compile(rf"^orders\[{index}\]")
    return [FieldError(own.sub("order", e.path), e.message) for e in errors]
