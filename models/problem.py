"""The problem: technicians, shifts, orders, depots, travel, weights and options."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from models.common import (
    MAX_ID_LENGTH,
    Duration,
    Id,
    Instant,
    Location,
    SignedDuration,
    StrictModel,
    Window,
)

Level = Annotated[int, Field(ge=1, le=5)]
Priority = Annotated[int, Field(ge=1, le=5)]
PriorityKey = Literal["1", "2", "3", "4", "5"]
MAX_COUNT = 1_000_000_000
"""Largest count (quantities, visits, crews) and largest weight or travel time accepted."""

Quantity = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class Break(StrictModel):
    """A break to be taken once in a shift, inside its window, at the location of the item
    before it."""

    earliest_start: Instant = Field(description="The break starts at or after this instant.")
    latest_end: Instant = Field(description="The break ends at or before this instant.")
    duration: Duration = Field(description="Length of the break.")

    @model_validator(mode="after")
    def _fits(self) -> Break:
        if self.latest_end < self.earliest_start:
            raise ValueError("break window ends before it starts")
        elif self.latest_end - self.earliest_start < self.duration:
            raise ValueError("break is longer than its window")
        return self


class Shift(StrictModel):
    """One working period of a technician; each shift is one route."""

    id: Id | None = Field(
        default=None, description='Shift id; default "<technician id>-<n>", n from 1.'
    )
    start: Instant = Field(description="The route leaves its start location at or after this.")
    end: Instant = Field(description="Planned end; arriving later is overtime.")
    start_location: Location = Field(description="Where the shift starts.")
    end_location: Location | None = Field(
        default=None, description="Where the shift ends; default the start location."
    )
    max_overtime: Duration = Field(
        default=timedelta(0), description="How long past `end` the route may return."
    )
    max_depot_visits: int | None = Field(
        default=None,
        ge=0,
        le=MAX_COUNT,
        description="Most depot stops in this shift; null = unlimited.",
    )
    breaks: list[Break] = Field(default_factory=list, description="Breaks taken in the shift.")
    on_call: bool = Field(
        default=False,
        description="An on-call shift serves only emergency and priority-1 orders and costs "
        "nothing unless used.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        if self.end < self.start:
            raise ValueError("shift ends before it starts")
        return self

    @property
    def final_location(self) -> Location:
        """The location the route returns to."""
        return self.end_location if self.end_location is not None else self.start_location


class Technician(StrictModel):
    """A field technician with skills, shifts, and a van with equipment and parts."""

    id: Id = Field(description="Unique technician id.")
    name: str | None = Field(default=None, max_length=200, description="Display name.")
    skills: dict[str, Level] = Field(
        default_factory=dict, description="Certified skills and their levels (1..5)."
    )
    shifts: list[Shift] = Field(default_factory=list, description="Non-overlapping shifts.")
    equipment: list[str] = Field(
        default_factory=list, description="Equipment types in the van at every shift start."
    )
    parts: dict[str, Quantity] = Field(
        default_factory=dict, description="Van stock of parts at the start of the first shift."
    )

    @model_validator(mode="after")
    def _default_shift_ids(self) -> Technician:
        for n, shift in enumerate(self.shifts, start=1):
            if shift.id is None:
                shift.id = f"{self.id}-{n}"
        return self


class Pin(StrictModel):
    """Fixes an order to a technician, a start, or both."""

    technician: Id | None = Field(default=None, description="The technician who must serve it.")
    start: Instant | None = Field(default=None, description="The exact service start.")


class Link(StrictModel):
    """A start-to-start gap to another order: this start minus that start lies in
    [min_gap, max_gap]; both orders are served or neither."""

    order: Id = Field(description="The linked order.")
    min_gap: SignedDuration = Field(
        default=timedelta(0), description="Least (this start - that start); may be negative."
    )
    max_gap: SignedDuration = Field(
        default=timedelta(0), description="Most (this start - that start); may be negative."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Link:
        if self.max_gap < self.min_gap:
            raise ValueError("max_gap is less than min_gap")
        return self


class Customer(StrictModel):
    """Who the work is for: personal data, never logged, shown only to roles allowed to see it."""

    name: str | None = Field(default=None, description="Customer's name.")
    phone: str | None = Field(default=None, description="Contact phone number.")
    address_note: str | None = Field(
        default=None, description="How to find the place (floor, gate code, landmark)."
    )


OrderKind = Literal["installation", "repair", "maintenance", "emergency", "other"]


class Order(StrictModel):
    """A service order to be served at a location by one technician or a crew."""

    id: Id = Field(description="Unique order id.")
    kind: OrderKind = Field(default="other", description="What kind of work it is.")
    location: Location = Field(description="Where the work is done.")
    duration: Duration = Field(description="Service time on site.")
    required_skills: dict[str, Level] = Field(
        default_factory=dict, description="Skill -> minimum level, met by every crew member."
    )
    required_equipment: list[str] = Field(
        default_factory=list, description="Equipment types the providing technician must hold."
    )
    required_parts: dict[str, Annotated[int, Field(ge=1, le=MAX_COUNT)]] = Field(
        default_factory=dict, description="Parts consumed from the providing technician's van."
    )
    time_windows: list[Window] = Field(
        default_factory=list, description="Allowed windows for the service start; default horizon."
    )
    priority: Priority = Field(default=3, description="1 (critical) .. 5 (lowest).")
    created_at: Instant | None = Field(default=None, description="When the order was raised.")
    due: Instant | None = Field(default=None, description="SLA deadline for the service start.")
    mandatory: bool = Field(default=False, description="Must be served, or the problem fails.")
    crew_size: int = Field(
        default=1, ge=1, le=MAX_COUNT, description="Technicians that serve it together."
    )
    after: list[Id] = Field(
        default_factory=list, description="Orders that must be served and ended before it."
    )
    pinned: Pin | None = Field(default=None, description="Technician and/or start fixed.")
    preferred_technicians: list[Id] = Field(
        default_factory=list, description="Technicians the customer prefers (soft)."
    )
    linked: list[Link] = Field(
        default_factory=list,
        description="Start-to-start gaps to other orders; linked orders are served together "
        "or not at all.",
    )
    customer: Customer | None = Field(
        default=None, description="Personal data of the customer (redacted for viewers)."
    )


class Depot(StrictModel):
    """A depot where technicians pick up shared equipment and parts."""

    id: Id = Field(description="Unique depot id.")
    location: Location = Field(description="Where the depot is.")
    opening: Window | None = Field(default=None, description="Opening hours; default horizon.")
    visit_duration: Duration = Field(default=timedelta(0), description="Length of a stop.")
    equipment: dict[str, Quantity | None] = Field(
        default_factory=dict,
        description="Type -> shifts that may take one over the horizon (null = unlimited).",
    )
    parts: dict[str, Quantity | None] = Field(
        default_factory=dict, description="Type -> total quantity available (null = unlimited)."
    )


class Haversine(StrictModel):
    """Great-circle distance times a detour factor, at a constant speed."""

    model: Literal["haversine"] = Field(description="Travel model name.")
    speed_kmh: float = Field(
        default=40.0, ge=1e-3, le=1e5, description="Travel speed in km/h (0.001 to 100,000)."
    )
    detour_factor: float = Field(
        default=1.3, ge=1.0, le=100.0, description="Road length / great circle (1 to 100)."
    )


class Euclidean(StrictModel):
    """Planar distance at a constant speed."""

    model: Literal["euclidean"] = Field(description="Travel model name.")
    speed: float = Field(
        default=1.0, ge=1e-3, le=1e9, description="Planar units per minute (0.001 to 1e9)."
    )


class Matrix(StrictModel):
    """Travel seconds between named nodes, as given (asymmetric allowed)."""

    model: Literal["matrix"] = Field(description="Travel model name.")
    nodes: list[Id] = Field(description="Node ids, in the order of the matrix rows.")
    seconds: list[list[Annotated[float, Field(ge=0, le=MAX_COUNT)]]] = Field(
        description="seconds[i][j]: travel time from nodes[i] to nodes[j]."
    )


class RoadNode(StrictModel):
    """A node of the road network."""

    id: Id = Field(description="Unique node id.")
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees.")


class RoadEdge(StrictModel):
    """A one-way road segment."""

    from_: Id = Field(alias="from", description="Tail node id.")
    to: Id = Field(description="Head node id.")
    seconds: float = Field(ge=0, le=MAX_COUNT, description="Travel time along the edge.")


class RoadNetwork(StrictModel):
    """Shortest paths over a directed road graph; lat/lon locations snap to the nearest node."""

    model: Literal["road_network"] = Field(description="Travel model name.")
    nodes: list[RoadNode] = Field(description="Road nodes.")
    edges: list[RoadEdge] = Field(description="One-way edges (list both directions for two-way).")


Travel = Annotated[Haversine | Euclidean | Matrix | RoadNetwork, Field(discriminator="model")]


def _per_priority(values: dict[int, float]) -> dict[PriorityKey, float]:
    return {str(k): v for k, v in values.items()}  # type: ignore[misc]


DEFAULT_UNASSIGNED = _per_priority({1: 100000, 2: 30000, 3: 10000, 4: 3000, 5: 1000})
DEFAULT_LATENESS = _per_priority({1: 100, 2: 30, 3: 10, 4: 3, 5: 1})

NonNeg = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False)]


class Weights(StrictModel):
    """Objective weights, per minute or per order; per-priority maps are keyed "1".."5".

    A partial per-priority map keeps the defaults of the priorities it leaves out.
    """

    unassigned: dict[PriorityKey, NonNeg] = Field(
        default_factory=lambda: dict(DEFAULT_UNASSIGNED),
        description="Cost of each unassigned order, by priority.",
    )
    lateness: dict[PriorityKey, NonNeg] = Field(
        default_factory=lambda: dict(DEFAULT_LATENESS),
        description="Cost per minute a start is past `due`, by priority.",
    )
    overtime: NonNeg = Field(default=5, description="Cost per minute of overtime.")
    travel: NonNeg = Field(default=1, description="Cost per minute of travel.")
    idle: NonNeg = Field(default=0, description="Cost per idle minute.")
    technician_used: NonNeg = Field(default=0, description="Cost per route that serves orders.")
    preference: NonNeg = Field(
        default=60, description="Cost per visit by a technician the order does not prefer."
    )
    change: NonNeg = Field(default=120, description="Cost per changed order when re-planning.")
    max_lateness: NonNeg = Field(
        default=0, description="Cost per minute of the largest lateness over all served orders."
    )

    @field_validator("unassigned", mode="after")
    @classmethod
    def _fill_unassigned(cls, value: dict[PriorityKey, float]) -> dict[PriorityKey, float]:
        return {**DEFAULT_UNASSIGNED, **value}

    @field_validator("lateness", mode="after")
    @classmethod
    def _fill_lateness(cls, value: dict[PriorityKey, float]) -> dict[PriorityKey, float]:
        return {**DEFAULT_LATENESS, **value}


class Options(StrictModel):
    """Solver options carried by the problem; command-line and API parameters override them."""

    time_limit: Duration = Field(
        default=timedelta(seconds=10), description="Wall-clock limit of the solve."
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed.")
    workers: int = Field(default=2, ge=1, le=64, description="CP-SAT search workers.")


class Problem(StrictModel):
    """A dispatch problem: everything the optimizer needs to build a plan."""

    id: str | None = Field(
        default=None, max_length=MAX_ID_LENGTH, description="Problem id, echoed in logs."
    )
    horizon: Window = Field(description="Everything happens inside this window.")
    technicians: list[Technician] = Field(description="The field force.")
    orders: list[Order] = Field(description="Service orders to plan.")
    depots: list[Depot] = Field(default_factory=list, description="Depots with stock.")
    travel: Travel = Field(
        default_factory=lambda: Haversine(model="haversine"),
        description="Travel model; default haversine at 40 km/h with detour 1.3.",
    )
    weights: Weights = Field(default_factory=Weights, description="Objective weights.")
    options: Options = Field(default_factory=Options, description="Solver options.")
