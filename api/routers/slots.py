"""Booking appointments: slot offers for a new order, holds on one of their options, and
confirmation, which books the order with its window as a new plan version.

No double booking: holds are taken as booked by every later offer, and a hold or a
confirmation first checks its option again against the latest version and the other holds
(under the plan's lock, and the store's version check across processes). When the option no
longer fits, the answer is 409 with a fresh offer for the same window in `offer`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import JSONResponse

from api.booking_db import SlotOfferRecord
from api.booking_schemas import (
    BookingResponse,
    ConfirmRequest,
    HoldPublic,
    OptionChoice,
    SlotOfferList,
    SlotOfferPublic,
    SlotsRequest,
)
from api.booking_store import BookingStore
from api.db import KeyRecord, PlanRecord, VersionRecord, utcnow
from api.deps import DispatcherKey, PlanLocksDep, SettingsDep, StoreDep
from api.errors import ApiError, conflict, invalid, not_found, problem_response, responses
from api.routers.plans import PlanId, contract_json, get_or_404
from api.service_record import stored_offer
from api.store import Author, Store, VersionConflict
from models import FieldError, InvalidInput, Order, Plan, Problem, Window, load_problem
from models.events import OrderAdded
from models.problem import Pin
from models.validation import parse_model

if TYPE_CHECKING:
    from optimizer.slots import Hold
    from optimizer.travel import TravelMatrix

router = APIRouter(prefix="/v1/plans/{plan_id}/slots", tags=["bookings"])

OfferId = Annotated[str, Path(description="The offer's id.", max_length=64)]

RECHECK_OPTIONS = 50
"""Options looked at when checking that a held or booked option still fits."""


SLOT_TAKEN = "urn:telecom-dispatch:problem:slot-taken"
"""Problem type of a 409 whose option no longer fits."""


class OfferConflict(ApiError):
    """409: the option no longer fits; `offer` is a fresh offer for the same window."""

    def __init__(self, detail: str, offer: SlotOfferPublic) -> None:
        super().__init__(409, detail, title="The slot is taken", type=SLOT_TAKEN)
        self.offer = offer


def content_key(document: dict[str, Any]) -> str:
    """The content key of a stored problem: the SHA-256 of its canonical JSON."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class TravelCache:
    """The travel matrices of the latest plan versions asked about: offers, holds and
    confirmations on one version compute only the new order's travel times. Each is kept
    under its version and the content key of the version's problem (`content_key`): a
    matrix is only ever found for the very problem it was computed from."""

    SIZE = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, int, str], TravelMatrix] = OrderedDict()

    def get(
        self, plan_id: str, version: int, document: dict[str, Any], problem: Problem
    ) -> TravelMatrix:
        """The matrix of the version's problem (`document` as stored, `problem` validated
        from it), computed once."""
        from optimizer.travel import TravelMatrix

        found = self.find(plan_id, version, document)
        if found is not None:
            return found
        matrix = TravelMatrix.from_problem(problem)
        self.put(plan_id, version, document, matrix)
        return matrix

    def find(self, plan_id: str, version: int, document: dict[str, Any]) -> TravelMatrix | None:
        """The version's matrix when it is kept for this problem document."""
        key = (plan_id, version, content_key(document))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(
        self, plan_id: str, version: int, document: dict[str, Any], matrix: TravelMatrix
    ) -> None:
        """Keep the matrix of the version's problem document (computed elsewhere, such as in
        a task)."""
        with self._lock:
            self._items[(plan_id, version, content_key(document))] = matrix
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)


def get_travel_cache(request: Request) -> TravelCache:
    """The application's travel cache of slot offers."""
    cache: TravelCache = request.app.state.slot_travel
    return cache


TravelCacheDep = Annotated[TravelCache, Depends(get_travel_cache)]


def install(app: FastAPI) -> None:
    """Keep a travel cache, and answer `OfferConflict` as problem+json with the fresh offer
    in `offer`."""
    app.state.slot_travel = TravelCache()

    async def offer_conflict(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OfferConflict)
        response = problem_response(exc, request.url.path)
        body: dict[str, Any] = {
            **_json_body(response),
            "offer": exc.offer.model_dump(mode="json", exclude_none=True),
        }
        return JSONResponse(body, status_code=409, media_type=response.media_type)

    app.add_exception_handler(OfferConflict, offer_conflict)


def _json_body(response: JSONResponse) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bytes(response.body))
    return data


def latest_version(store: Store, plan_id: str) -> tuple[PlanRecord, VersionRecord]:
    """The plan and its latest version; 404 or 409 when there is none to book into."""
    record = get_or_404(store, plan_id)
    if record.status in ("queued", "solving"):
        raise conflict("the plan is still being solved; book once it has ended")
    if record.version == 0:
        raise conflict(f"the plan has no version to book into (status {record.status})")
    stored = store.get_version(plan_id, record.version)
    if stored is None:
        raise not_found(f"version of plan '{plan_id}'", record.version)
    return record, stored


def _holds(bookings: BookingStore, plan_id: str, exclude: str | None) -> list[Hold]:
    """The other live holds on the plan, as the optimizer takes them."""
    from optimizer.slots import Hold

    out = []
    for held in bookings.active_holds(plan_id, utcnow(), exclude):
        assert held.held_option is not None
        option = held.options[held.held_option]
        out.append(
            Hold(
                order=Order.model_validate(held.order),
                window=Window.model_validate(held.window),
                technicians=tuple(option["crew"]),
            )
        )
    return out


@dataclass
class Desk:
    """What a booking request works with: the store, its bookings, the travel cache and the
    caller's key."""

    store: Store
    bookings: BookingStore
    travel: TravelCache
    key: KeyRecord

    def answer(
        self,
        record: PlanRecord,
        stored: VersionRecord,
        order: Order,
        windows: list[Window],
        now: Any,
        k: int,
        exclude: str | None = None,
    ) -> list[dict[str, Any]]:
        """The offers for the windows on a stored version, with the live holds (but
        `exclude`) taken, as JSON; 422 for an order or windows that cannot be offered."""
        from optimizer.slots import slot_offers

        problem = load_problem(stored.problem)
        plan = Plan.model_validate(stored.plan)
        holds = _holds(self.bookings, record.id, exclude)
        travel = self.travel.get(record.id, stored.number, stored.problem, problem)
        try:
            offers = slot_offers(problem, plan, order, windows, now, k, holds=holds, travel=travel)
        except InvalidInput as exc:
            raise invalid(exc.errors) from None
        return [contract_json(o) for o in offers]

    def recheck(self, offer: SlotOfferRecord, now: Any) -> tuple[int, dict[str, Any]]:
        """The offer's order and window answered again on the latest version, with the
        other holds taken: the version, and the answer with every option that fits."""
        record, stored = latest_version(self.store, offer.plan_id)
        order = Order.model_validate(offer.order)
        if order.id in {o.get("id") for o in stored.problem.get("orders", [])}:
            raise conflict(f"order '{order.id}' is already booked in version {record.version}")
        window = Window.model_validate(offer.window)
        (answer,) = self.answer(record, stored, order, [window], now, RECHECK_OPTIONS, offer.id)
        return record.version, answer

    def taken(self, offer: SlotOfferRecord, now: Any, detail: str) -> OfferConflict:
        """The 409 for an option that no longer fits, with a fresh answer for its window
        stored as a new offer."""
        version, answer = self.recheck(offer, now)
        return self._taken(offer, now, version, answer, detail)

    def _taken(
        self,
        offer: SlotOfferRecord,
        now: Any,
        version: int,
        answer: dict[str, Any],
        detail: str,
    ) -> OfferConflict:
        answer = {**answer, "options": answer["options"][: max(3, len(offer.options))]}
        (fresh,) = self.bookings.add_offers(
            offer.plan_id,
            version,
            author=Author.of(self.key),
            now=now,
            order=offer.order,
            offers=[answer],
        )
        return OfferConflict(detail, stored_offer(fresh))

    def still_fits(self, offer: SlotOfferRecord, option: int, now: Any) -> None:
        """Raise `OfferConflict` (with a fresh offer) unless the option's technicians can
        still take the order in its window, on the latest version with the other holds
        taken."""
        wanted = offer.options[option]["crew"]
        version, answer = self.recheck(offer, now)
        if any(o["crew"] == wanted for o in answer["options"]):
            return
        raise self._taken(
            offer,
            now,
            version,
            answer,
            f"option {option} no longer fits in version {version} (booked or held meanwhile); "
            "here is a fresh offer for the same window",
        )


def _offer_and_option(
    bookings: BookingStore, plan_id: str, offer_id: str, option: int
) -> SlotOfferRecord:
    """The offer, not yet booked, with that option; else 404, 409 or 422."""
    offer = bookings.get_offer(plan_id, offer_id)
    if offer is None:
        raise not_found(f"slot offer of plan '{plan_id}'", offer_id)
    if offer.confirmed_version is not None:
        raise conflict(f"the offer was booked already, as version {offer.confirmed_version}")
    if not 0 <= option < len(offer.options):
        message = (
            "the window has no option (it is not feasible)"
            if not offer.options
            else f"the offer has options 0 to {len(offer.options) - 1}"
        )
        raise invalid([FieldError("option", message)])
    return offer


@router.post(
    "",
    summary="Offer appointment windows",
    responses=responses(400, 401, 403, 404, 409, 422),
)
def offer_slots(
    plan_id: PlanId,
    body: SlotsRequest,
    key: DispatcherKey,
    store: StoreDep,
    travel: TravelCacheDep,
) -> SlotOfferList:
    """For a new order without a window and candidate windows (`windows`, or `every` for
    back-to-back windows of one length), one offer per window in the order given: whether
    the order fits there on the latest version at `now` (started work frozen, held options
    taken), its `k` cheapest options (technician or crew, arrival, start, cost, SLA slack,
    what else moves), or the reason code. Offers are stored, to be held or confirmed."""
    from optimizer.slots import tile_windows

    if (body.windows is None) == (body.every is None):
        raise invalid([FieldError("windows", "give either `windows` or `every`")])
    windows = body.windows
    if body.every is not None:
        every = body.every
        if every.length <= timedelta(0):
            raise invalid([FieldError("every.length", "the window length must be positive")])
        windows = tile_windows(every.start, every.end, every.length)
        if not windows:
            raise invalid([FieldError("every", "no window of that length fits in the range")])
    assert windows is not None
    try:
        order = parse_model(Order, body.order)
    except InvalidInput as exc:
        raise invalid(exc.errors, "order") from None
    record, stored = latest_version(store, plan_id)
    desk = Desk(store, BookingStore(store), travel, key)
    answers = desk.answer(record, stored, order, windows, body.now, body.k)
    saved = desk.bookings.add_offers(
        plan_id,
        record.version,
        author=Author.of(key),
        now=body.now,
        order=contract_json(order),
        offers=answers,
    )
    return SlotOfferList(
        plan_id=plan_id,
        version=record.version,
        order=order.id,
        offers=[stored_offer(r) for r in saved],
    )


@router.get("/{offer_id}", summary="Get a slot offer", responses=responses(401, 403, 404, 422))
def get_offer(
    plan_id: PlanId, offer_id: OfferId, key: DispatcherKey, store: StoreDep
) -> SlotOfferPublic:
    """One offer with its hold (`held_option`, `expires_at`) and booking (`booked_version`)."""
    get_or_404(store, plan_id)
    offer = BookingStore(store).get_offer(plan_id, offer_id)
    if offer is None:
        raise not_found(f"slot offer of plan '{plan_id}'", offer_id)
    return stored_offer(offer)


@router.post(
    "/{offer_id}/hold",
    summary="Hold a slot option",
    responses=responses(400, 401, 403, 404, 409, 422),
)
def hold_slot(
    plan_id: PlanId,
    offer_id: OfferId,
    body: OptionChoice,
    key: DispatcherKey,
    store: StoreDep,
    settings: SettingsDep,
    locks: PlanLocksDep,
    travel: TravelCacheDep,
) -> HoldPublic:
    """Keep one option of an offer for its order for a few minutes (the service's
    `hold_seconds`): later offers take it as booked. Answers 409 with a fresh offer when the
    option no longer fits (booked or held by another order meanwhile)."""
    desk = Desk(store, BookingStore(store), travel, key)
    with locks.hold(plan_id):
        offer = _offer_and_option(desk.bookings, plan_id, offer_id, body.option)
        desk.still_fits(offer, body.option, offer.now)
        until = utcnow() + timedelta(seconds=settings.hold_seconds)
        desk.bookings.hold(offer.id, body.option, until, key.id)
    return HoldPublic(
        offer=offer.id,
        option=body.option,
        technicians=offer.options[body.option]["crew"],
        expires_at=until,
    )


@router.post(
    "/{offer_id}/confirm",
    summary="Book a slot option",
    responses=responses(400, 401, 403, 404, 409, 422),
)
def confirm_slot(
    plan_id: PlanId,
    offer_id: OfferId,
    body: ConfirmRequest,
    key: DispatcherKey,
    store: StoreDep,
    settings: SettingsDep,
    locks: PlanLocksDep,
    travel: TravelCacheDep,
) -> BookingResponse:
    """Book the order with the offered window: it is added (`order_added`) at `now` through
    re-planning, on the option's technician, and stored as a new version; the answer is the
    events route's. Answers 409 with a fresh offer when the option no longer fits (another
    booking or hold took it), and 409 when the offer was booked already."""
    from optimizer.params import SolveParams
    from optimizer.replan import replan

    desk = Desk(store, BookingStore(store), travel, key)
    with locks.hold(plan_id):
        offer = _offer_and_option(desk.bookings, plan_id, offer_id, body.option)
        now = body.now or offer.now
        desk.still_fits(offer, body.option, now)
        record, stored = latest_version(store, plan_id)
        window = Window.model_validate(offer.window)
        crew = offer.options[body.option]["crew"]
        booked = Order.model_validate(offer.order).model_copy(update={"time_windows": [window]})
        # Placed on the option's technician; stored without the pin, so that later
        # re-plans may move it like any order.
        placed = booked.model_copy(update={"pinned": Pin(technician=crew[0])})
        if body.time_limit is not None:
            limit = body.time_limit
        else:
            limit = timedelta(seconds=settings.replan_time_limit if len(crew) > 1 else 0)
        limit = min(limit, timedelta(seconds=settings.max_replan_time_limit))
        params = SolveParams(time_limit=limit.total_seconds(), seed=0, workers=1)
        result = replan(
            load_problem(stored.problem),
            Plan.model_validate(stored.plan),
            now,
            [OrderAdded(type="order_added", order=placed)],
            params,
        )
        served = {it.order for r in result.plan.routes for it in r.items if it.type == "visit"}
        if booked.id not in served:
            raise desk.taken(
                offer,
                now,
                "re-planning could not place the order in the window; here is a fresh offer",
            )
        problem = result.problem.model_copy()
        problem.orders = [booked if o.id == booked.id else o for o in problem.orders]
        changes = list(result.plan.changes or [])
        event = {"type": "order_added", "order": contract_json(booked)}
        try:
            version = store.add_version(
                plan_id,
                record.version + 1,
                kind="replan",
                author=Author.of(key),
                input={
                    "now": now.isoformat(),
                    "events": [event],
                    "time_limit": limit.total_seconds(),
                    "booking": {"offer": offer.id, "option": body.option},
                },
                problem=contract_json(problem),
                plan=contract_json(result.plan),
                changes=[contract_json(c) for c in changes],
            )
        except VersionConflict:
            raise desk.taken(
                offer, now, "another version was stored meanwhile; here is a fresh offer"
            ) from None
        desk.bookings.mark_booked(offer.id, body.option, version.number, key.id)
    return BookingResponse(
        plan_id=plan_id,
        version=version.number,
        plan=Plan.model_validate(version.plan),
        changes=changes,
        offer=offer.id,
        order=booked.id,
        window=window,
    )
