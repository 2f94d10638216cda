"""The plan: routes with timed items, unassigned orders with reasons, objective and KPIs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from models.common import Duration, Id, Instant, StrictModel


class SolveStatus(StrEnum):
    """How a solve ended; the values are the contract's strings."""

    optimal = "optimal"
    """Every hard rule holds and no better plan exists."""
    feasible = "feasible"
    """Every hard rule holds."""
    infeasible = "infeasible"
    """A mandatory or pinned order is not served; the routes are the best for the rest."""
    no_solution = "no_solution"
    """No plan was found: no routes."""

    @property
    def is_feasible(self) -> bool:
        """Whether the plan keeps every hard rule (optimal or feasible)."""
        return self in (SolveStatus.optimal, SolveStatus.feasible)


PlanStatus = SolveStatus
"""The plan's status (the former name of `SolveStatus`)."""
ReasonCode = Literal[
    "no_qualified_technician",
    "no_equipment",
    "no_parts",
    "outside_shifts",
    "time_window",
    "dependency",
    "crew",
    "capacity",
    "not_worth_it",
]


class StartItem(StrictModel):
    """The route leaves its shift's start location."""

    type: Literal["start"] = Field(description="Item type.")
    time: Instant = Field(description="Departure from the start location.")


class VisitItem(StrictModel):
    """Service of one order; the crew's first member provides equipment and parts."""

    type: Literal["visit"] = Field(description="Item type.")
    order: Id = Field(description="The order served.")
    arrival: Instant = Field(description="Arrival at the order's location.")
    start: Instant = Field(description="Service start.")
    end: Instant = Field(description="Service end.")
    crew: list[Id] = Field(description="Every technician on the order; the first provides.")


class DepotItem(StrictModel):
    """A stop at a depot to pick up equipment and parts."""

    type: Literal["depot"] = Field(description="Item type.")
    depot: Id = Field(description="The depot visited.")
    arrival: Instant = Field(description="Arrival at the depot.")
    start: Instant = Field(description="Start of the stop, inside the opening.")
    end: Instant = Field(description="End of the stop: start + visit duration.")
    equipment: list[str] = Field(default_factory=list, description="Equipment picked up.")
    parts: dict[str, int] = Field(default_factory=dict, description="Parts picked up.")


class BreakItem(StrictModel):
    """A break, taken at the location of the item before it."""

    type: Literal["break"] = Field(description="Item type.")
    start: Instant = Field(description="Break start.")
    end: Instant = Field(description="Break end.")


class EndItem(StrictModel):
    """The route reaches its shift's end location."""

    type: Literal["end"] = Field(description="Item type.")
    arrival: Instant = Field(description="Arrival at the end location.")


Item = Annotated[
    StartItem | VisitItem | DepotItem | BreakItem | EndItem, Field(discriminator="type")
]


class Route(StrictModel):
    """The work of one shift, in time order."""

    technician: Id = Field(description="Technician driving the route.")
    shift: Id = Field(description="The shift this route belongs to.")
    items: list[Item] = Field(description="start, visits/depots/breaks in time order, end.")
    travel_time: Duration = Field(description="Total travel of the route.")
    working_time: Duration = Field(description="End arrival minus start time.")
    overtime: Duration = Field(description="Arrival past the shift end.")


class Reason(StrictModel):
    """Why an order is not served."""

    code: ReasonCode = Field(description="Machine-readable reason.")
    detail: str = Field(description="One sentence for the dispatcher.")


class Unassigned(StrictModel):
    """An order left out of the plan, with every reason found."""

    order: Id = Field(description="The order left out.")
    reasons: list[Reason] = Field(description="At least one reason.")
    mandatory: bool | None = Field(
        default=None,
        description="True for a mandatory or pinned order left out (the plan is infeasible).",
    )


class Objective(StrictModel):
    """The plan's cost under the problem's weights."""

    value: float = Field(description="Total weighted cost.")
    bound: float | None = Field(default=None, description="Proven lower bound, if any.")
    terms: dict[str, float] = Field(
        default_factory=dict, description="Weighted cost per weight key."
    )


class Change(StrictModel):
    """A change to an order's technician or start made by re-planning."""

    order: Id = Field(description="The order that changed.")
    from_technician: Id | None = Field(default=None, description="Previous technician, if any.")
    to_technician: Id | None = Field(default=None, description="New technician, if any.")
    old_start: Instant | None = Field(default=None, description="Previous start, if served.")
    new_start: Instant | None = Field(default=None, description="New start, if served.")


class Plan(StrictModel):
    """The optimizer's answer to a problem."""

    status: PlanStatus = Field(description="optimal, feasible, infeasible or no_solution.")
    objective: Objective = Field(description="Cost of the plan.")
    routes: list[Route] = Field(default_factory=list, description="One per shift that works.")
    unassigned: list[Unassigned] = Field(
        default_factory=list, description="Orders not served, with reasons."
    )
    kpis: dict[str, Any] = Field(default_factory=dict, description="Service-quality KPIs.")
    solver: dict[str, Any] = Field(
        default_factory=dict, description="wall_time (ISO duration), seed, and solver details."
    )
    changes: list[Change] | None = Field(
        default=None, description="Re-planning only: every change against the previous plan."
    )


class Recommendation(StrictModel):
    """One way to fit a new order into a running plan (re-planning's recommendations)."""

    technician: Id = Field(description="Who would serve it.")
    shift: Id = Field(description="In which shift.")
    crew: list[Id] | None = Field(
        default=None,
        description="A crew order's whole crew, the technician above (who provides) first.",
    )
    arrival: Instant = Field(description="When the technician would get there.")
    start: Instant = Field(description="When service would start.")
    end: Instant = Field(description="When service would end.")
    sla_met: bool | None = Field(
        default=None,
        description="Whether the start is by the order's due (null when it has none).",
    )
    cost_delta: float = Field(description="Change of the plan's objective if chosen.")
    changes: list[Change] = Field(
        default_factory=list, description="Other orders that would move or be dropped."
    )
