"""Request and response bodies of bookings (slot offers, holds, confirmations), the access
log and the day's service record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import Body, OrderDocument, ReplanResponse, VersionPublic
from models import Reason, Window
from models.common import Duration, Instant
from models.slots import SlotOption


class WindowTiling(Body):
    """Back-to-back candidate windows of one length over a range."""

    start: Instant = Field(description="Start of the first window.")
    end: Instant = Field(description="No window ends after this.")
    length: Duration = Field(description="Length of each window (ISO 8601 or seconds).")


class SlotsRequest(Body):
    """A new order without a window, and the windows to offer it in."""

    order: OrderDocument = Field(
        description="The new order, in the contract format, without `time_windows`."
    )
    windows: list[Window] | None = Field(
        default=None,
        max_length=96,
        description="The candidate windows for its service start, answered in this order.",
    )
    every: WindowTiling | None = Field(
        default=None, description="Instead of `windows`: back-to-back windows over a range."
    )
    now: Instant = Field(description="The current instant; work started before it is frozen.")
    k: int = Field(default=3, ge=1, le=20, description="Most options per window.")


class SlotOfferPublic(BaseModel):
    """One candidate window: whether it fits, and the best ways to fit the order in it."""

    id: str = Field(description="Offer id, to hold or confirm one of its options.")
    plan_id: str = Field(description="The plan.")
    version: int = Field(description="The plan version the offer was computed on.")
    order: str = Field(description="The new order's id.")
    window: Window = Field(description="The candidate window for the service start.")
    feasible: bool = Field(description="Whether the order fits in the window.")
    options: list[SlotOption] = Field(description="The best ways to fit it, cheapest first.")
    reason: Reason | None = Field(default=None, description="Why it does not fit.")
    created_at: datetime = Field(description="When the offer was made.")
    held_option: int | None = Field(default=None, description="The option held, if any.")
    expires_at: datetime | None = Field(
        default=None, description="When the hold ends (past: it has ended)."
    )
    booked_version: int | None = Field(
        default=None, description="The version that booked it, once confirmed."
    )


class SlotOfferList(BaseModel):
    """One offer per candidate window, in the order the windows were given."""

    plan_id: str = Field(description="The plan.")
    version: int = Field(description="The version the offers were computed on.")
    order: str = Field(description="The new order's id.")
    offers: list[SlotOfferPublic] = Field(description="The offers.")


class OptionChoice(Body):
    """Which option of an offer to hold."""

    option: int = Field(ge=0, le=1000, description="Index of the option in `options`, from 0.")


class HoldPublic(BaseModel):
    """A held option: kept for its order until `expires_at`."""

    offer: str = Field(description="The offer.")
    option: int = Field(description="The option held.")
    technicians: list[str] = Field(description="Who it is held with, the lead first.")
    expires_at: datetime = Field(description="When the hold ends unless it is confirmed.")


class ConfirmRequest(OptionChoice):
    """Book an option: the order is added with the offered window as a new plan version."""

    now: Instant | None = Field(
        default=None, description="The current instant; default the offer's `now`."
    )
    time_limit: Duration | None = Field(
        default=None,
        description="Re-planning time limit; default 0 (the fast path: the rest of the day "
        "stays as it is) for one technician, the service's re-plan limit for a crew.",
    )


class BookingResponse(ReplanResponse):
    """The version that books the order."""

    offer: str = Field(description="The offer booked.")
    order: str = Field(description="The order booked.")
    window: Window = Field(description="The window booked for its service start.")


# --------------------------------------------------------------------------- access log


class AccessEntry(BaseModel):
    """One request about plans, as the access log keeps it."""

    at: datetime = Field(description="When it was answered.")
    key_id: str | None = Field(default=None, description="The API key (none: no valid key).")
    role: str | None = Field(default=None, description="The key's role.")
    method: str = Field(description="HTTP method, or `cli` for a command.")
    route: str = Field(description="The route (its template), or the command.")
    path: str = Field(description="The path asked for.")
    plan_id: str | None = Field(default=None, description="The plan it was about.")
    status: int = Field(description="The HTTP status answered.")


class AccessPage(BaseModel):
    """One page of the access log, newest first."""

    items: list[AccessEntry] = Field(description="The entries.")
    total: int = Field(description="Entries matching the filters, on all pages.")
    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="Entries skipped before this page.")


# --------------------------------------------------------------------------- the record


class RecordVersion(VersionPublic):
    """One version in the service record: what led to it, what it changed, its KPIs."""

    events: list[dict[str, Any]] = Field(
        description="The events that led to it (empty for the first solve)."
    )
    kpis: dict[str, Any] = Field(description="The plan's KPIs.")


class ServiceRecord(BaseModel):
    """A day's service record: every version of a plan, the events and changes between
    them, the KPIs, the bookings, and who read it."""

    plan_id: str = Field(description="The plan.")
    problem_id: str | None = Field(default=None, description="The problem's own `id`.")
    status: str = Field(description="The plan's job status.")
    exported_at: datetime = Field(description="When this record was made.")
    final_version: int = Field(description="The latest version.")
    versions: list[RecordVersion] = Field(description="Every version, oldest first.")
    offers: list[SlotOfferPublic] = Field(description="Every slot offer made on the plan.")
    access_log: list[AccessEntry] | None = Field(
        default=None,
        description="Every request about the plan, oldest first; admin keys only (null for "
        "other roles).",
    )
