"""The public contract: problem in, plan out, re-planning events (pydantic v2)."""

from models.common import Duration, Instant, LatLon, Location, NodeRef, Window, XY
from models.events import Event
from models.plan import (
    BreakItem,
    Change,
    DepotItem,
    EndItem,
    Objective,
    Plan,
    Reason,
    Route,
    StartItem,
    Unassigned,
    VisitItem,
)
from models.problem import (
    Break,
    Depot,
    Options,
    Order,
    Pin,
    Problem,
    Shift,
    Technician,
    Weights,
)
from models.validation import FieldError, InvalidInput, check_problem, load_problem, parse_model

__all__ = [
    "Break", "BreakItem", "Change", "Depot", "DepotItem", "Duration", "EndItem", "Event",
    "FieldError", "Instant", "InvalidInput", "LatLon", "Location", "NodeRef", "Objective",
    "Options", "Order", "Pin", "Plan", "Problem", "Reason", "Route", "Shift", "StartItem",
    "Technician", "Unassigned", "VisitItem", "Weights", "Window", "XY", "check_problem",
    "load_problem", "parse_model",
]
