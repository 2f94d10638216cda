"""Re-planning input: events that happen during a running day."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from models.common import Id, Instant, Location, StrictModel
from models.problem import Order


class OrderAdded(StrictModel):
    """A new order arrives (an outage, a new repair)."""

    type: Literal["order_added"] = Field(description="Event type.")
    order: Order = Field(description="The new order.")


class OrderUpdated(StrictModel):
    """An existing order changes; the given order replaces the old one."""

    type: Literal["order_updated"] = Field(description="Event type.")
    order: Order = Field(description="The order as it is now.")


class OrderCancelled(StrictModel):
    """An order is withdrawn."""

    type: Literal["order_cancelled"] = Field(description="Event type.")
    order: Id = Field(description="The cancelled order.")


class TechnicianUnavailable(StrictModel):
    """A technician cannot work for a while (illness, vehicle breakdown)."""

    type: Literal["technician_unavailable"] = Field(description="Event type.")
    technician: Id = Field(description="The technician.")
    from_: Instant = Field(alias="from", description="Unavailable from this instant.")
    until: Instant = Field(description="Unavailable until this instant.")


class VisitStarted(StrictModel):
    """A visit started."""

    type: Literal["visit_started"] = Field(description="Event type.")
    order: Id = Field(description="The order.")
    at: Instant = Field(description="When service started.")


class VisitCompleted(StrictModel):
    """A visit ended."""

    type: Literal["visit_completed"] = Field(description="Event type.")
    order: Id = Field(description="The order.")
    at: Instant = Field(description="When service ended.")


class VisitDelayed(StrictModel):
    """A visit in progress overruns."""

    type: Literal["visit_delayed"] = Field(description="Event type.")
    order: Id = Field(description="The order.")
    expected_end: Instant = Field(description="When it is now expected to end.")


class TechnicianPosition(StrictModel):
    """A technician reports where they are."""

    type: Literal["technician_position"] = Field(description="Event type.")
    technician: Id = Field(description="The technician.")
    location: Location = Field(description="Reported position.")
    at: Instant = Field(description="When the position was reported.")


Event = Annotated[
    OrderAdded
    | OrderUpdated
    | OrderCancelled
    | TechnicianUnavailable
    | VisitStarted
    | VisitCompleted
    | VisitDelayed
    | TechnicianPosition,
    Field(discriminator="type"),
]
