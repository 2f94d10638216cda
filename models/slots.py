"""Appointment slots: the answer to "which of these windows can we offer this customer?"."""

from __future__ import annotations

from pydantic import Field

from models.common import Id, Instant, SignedDuration, StrictModel, Window
from models.plan import Change, Reason


class SlotOption(StrictModel):
    """One way to serve a new order inside an offered window."""

    technician: Id = Field(description="Who would serve it (the crew's lead for a crew order).")
    crew: list[Id] = Field(description="Every technician on it, the lead first.")
    shift: Id = Field(description="The lead's shift.")
    arrival: Instant = Field(description="When the lead would get there.")
    start: Instant = Field(description="When service would start (inside the window).")
    end: Instant = Field(description="When service would end.")
    cost_delta: float = Field(description="Change of the plan's objective if it is booked so.")
    sla_slack: SignedDuration | None = Field(
        default=None,
        description="The order's `due` minus the start (negative: late); null without a due.",
    )
    moves: list[Change] = Field(
        default_factory=list,
        description="Other orders whose start would move by more than the change tolerance.",
    )


class SlotOffer(StrictModel):
    """Whether one candidate window can be offered, and the best ways to fit the order in it."""

    window: Window = Field(description="The candidate window for the order's service start.")
    feasible: bool = Field(description="Whether the order fits in the window as the day stands.")
    options: list[SlotOption] = Field(
        default_factory=list, description="The best ways to fit it, cheapest first."
    )
    reason: Reason | None = Field(
        default=None, description="Why it does not fit (infeasible windows only)."
    )
