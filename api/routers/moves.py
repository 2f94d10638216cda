"""Moves: the dispatcher drops a visit on another technician or time; the service pins it
there, re-times the day around it and stores a new version, or refuses the move with the
rule it would break."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter
from pydantic import Field, StringConstraints

from api.deps import DispatcherKey, PlanLocksDep, StoreDep
from api.errors import ApiError, conflict, invalid, not_found, responses
from api.routers.diffs import served
from api.routers.plans import PlanId, contract_json, get_or_404
from api.schemas import Body, EffectiveOptions, ReplanResponse
from api.store import Author, VersionConflict
from models import FieldError, InvalidInput, Plan, Problem, load_problem
from models.common import Instant
from models.events import OrderAdded
from models.plan import VisitItem
from models.problem import Order, Pin

if TYPE_CHECKING:
    from optimizer.replan import ReplanResult

router = APIRouter(prefix="/v1/plans/{plan_id}", tags=["versions"])

ZERO = timedelta(0)

MOVE_REFUSED = "urn:telecom-dispatch:problem:move-refused"

Ident = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


class MoveRequest(Body):
    """Where the dispatcher dropped a visit: the order, its new technician and start."""

    order: Ident = Field(description="The order to move.")
    technician: Ident = Field(description="The technician who is to serve it.")
    start: Instant | None = Field(
        default=None,
        description="Its new service start; left out, the service picks the best start in "
        "that technician's day.",
    )
    now: Instant | None = Field(
        default=None,
        description="The current instant; work started before it stays as it is. Default "
        "the horizon start (the day is planned ahead).",
    )
    version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The version the move applies to; default the latest. When another "
        "version was stored since, the answer is 409.",
    )


def refused(sentence: str, path: str) -> ApiError:
    """422: the move breaks a rule; the sentence says which."""
    return ApiError(
        422,
        sentence,
        title="Move refused",
        type=MOVE_REFUSED,
        errors=[FieldError(path, sentence)],
    )


@router.post(
    "/moves",
    summary="Move a visit (pin it)",
    responses=responses(400, 401, 403, 404, 409, 422),
)
def move_visit(
    plan_id: PlanId,
    body: MoveRequest,
    key: DispatcherKey,
    store: StoreDep,
    locks: PlanLocksDep,
) -> ReplanResponse:
    """Pin the order to the technician (and start), re-time the latest version around it
    without searching (every other visit keeps its place where it can), check the result with
    the evaluator and store it as a new version. A move that breaks a rule (skill, equipment,
    time window, shift, travel...) is answered 422 with that rule in one sentence, and nothing
    is stored; 409 while the plan is solving or when `version` is not the latest."""
    with locks.hold(plan_id):
        record = get_or_404(store, plan_id)
        if record.status in ("queued", "solving"):
            raise conflict("the plan is still being solved; move visits once it has ended")
        if record.version == 0:
            raise conflict(f"the plan has no version to change (status {record.status})")
        base = body.version if body.version is not None else record.version
        if base != record.version:
            raise conflict(
                f"the move applies to version {base}, but the latest is {record.version}"
            )
        stored = store.get_version(plan_id, base)
        if stored is None:
            raise not_found(f"version of plan '{plan_id}'", base)
        problem = load_problem(stored.problem)
        plan = Plan.model_validate(stored.plan)
        result = _moved(problem, plan, body, EffectiveOptions.model_validate(record.options))
        changes = list(result.plan.changes or [])
        try:
            version = store.add_version(
                plan_id,
                base + 1,
                kind="replan",
                author=Author.of(key),
                input={"move": body.model_dump(mode="json", exclude_none=True)},
                problem=contract_json(result.problem),
                plan=contract_json(result.plan),
                changes=[contract_json(c) for c in changes],
            )
        except VersionConflict as exc:
            raise conflict(f"another version was stored meanwhile ({exc})") from None
    return ReplanResponse(
        plan_id=plan_id,
        version=version.number,
        plan=Plan.model_validate(version.plan),
        changes=changes,
    )


def _moved(
    problem: Problem, plan: Plan, body: MoveRequest, options: EffectiveOptions
) -> ReplanResult:
    """The re-plan with the order pinned where it was dropped; 422 when it breaks a rule.

    The order leaves the day and comes back pinned, as a new order, so that the re-plan's
    fast path (no search) places it and keeps every other visit where it can.
    """
    from optimizer.evaluate import evaluate  # lazy: the solver loads only where it is used
    from optimizer.params import SolveParams
    from optimizer.replan import replan

    order = _order_to_move(problem, body)
    pinned = order.model_copy(update={"pinned": Pin(technician=body.technician, start=body.start)})
    rest = problem.model_copy(update={"orders": [o for o in problem.orders if o.id != order.id]})
    now = body.now if body.now is not None else problem.horizon.start
    params = SolveParams(time_limit=0.0, seed=options.seed, workers=1)
    event = OrderAdded(type="order_added", order=pinned)
    try:
        result = replan(rest, _without(plan, order.id), now, [event], params, tolerance=ZERO)
    except InvalidInput as exc:
        raise refused(_sentence(exc.errors[0].message), "technician") from None
    left_out = next((u for u in result.plan.unassigned if u.order == order.id), None)
    if left_out is not None:
        detail = left_out.reasons[0].detail if left_out.reasons else "it does not fit"
        raise refused(_sentence(detail), "start" if body.start else "technician")
    evaluation = evaluate(result.problem, result.plan)
    if not evaluation.feasible:
        raise refused(_sentence(evaluation.violations[0].message), "start")
    # The problem keeps its order of orders; the moved order's change names where it was.
    rank = {o.id: n for n, o in enumerate(problem.orders)}
    result.problem.orders.sort(key=lambda o: rank.get(o.id, len(rank)))
    before = served(plan).get(order.id)
    for change in result.plan.changes or []:
        if change.order == order.id and before is not None:
            change.from_technician, change.old_start = before
    return result


def _order_to_move(problem: Problem, body: MoveRequest) -> Order:
    """The order named by the move; 422 for an unknown order or technician."""
    errors = []
    order = next((o for o in problem.orders if o.id == body.order), None)
    if order is None:
        errors.append(FieldError("order", f"unknown order '{body.order}'"))
    if all(t.id != body.technician for t in problem.technicians):
        errors.append(FieldError("technician", f"unknown technician '{body.technician}'"))
    if errors or order is None:
        raise invalid(errors)
    if order.crew_size > 1:
        raise refused("A crew order cannot be moved alone; post an event instead.", "order")
    return order


def _without(plan: Plan, order_id: str) -> Plan:
    """The plan with the order taken out of its routes (and out of the unassigned list)."""
    out = plan.model_copy(deep=True)
    for route in out.routes:
        route.items = [
            it for it in route.items if not (isinstance(it, VisitItem) and it.order == order_id)
        ]
    out.routes = [r for r in out.routes if any(isinstance(it, VisitItem) for it in r.items)]
    out.unassigned = [u for u in out.unassigned if u.order != order_id]
    return out


def _sentence(message: str) -> str:
    """A message as one sentence: capitalised, ending with a full stop."""
    text = message.strip().removeprefix("updated problem: ")
    if not text:
        return "The move breaks a rule of the plan."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
