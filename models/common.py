"""Shared value types of the contract: instants, durations, locations, windows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)

_DURATION_RE = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.ASCII,
)

DURATION_PATTERN = (
    r"^\s*[Pp](?=[0-9]|[Tt][0-9])(?:[0-9]+(?:\.[0-9]+)?[Dd])?"
    r"(?:[Tt](?=[0-9])(?:[0-9]+(?:\.[0-9]+)?[Hh])?(?:[0-9]+(?:\.[0-9]+)?[Mm])?"
    r"(?:[0-9]+(?:\.[0-9]+)?[Ss])?)?\s*$"
)
"""The ISO 8601 durations accepted, as the JSON schema states them (no sign: a duration is
never negative)."""


def parse_duration(value: Any) -> Any:
    """Parse an ISO 8601 duration (days to seconds) or a number of seconds into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration is an ISO 8601 string or a number of seconds")
    if isinstance(value, int | float):
        try:
            return timedelta(seconds=value)
        except (OverflowError, ValueError):
            raise ValueError("duration is too large or not a number") from None
    if not isinstance(value, str):
        raise ValueError("a duration is an ISO 8601 string or a number of seconds")
    if not value.isascii():
        raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT45M")
    text = value.strip().upper()
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    if re.match(r"^P.*[YW]", text) or re.match(r"^P[^T]*\d+M", text):
        raise ValueError("durations in years, months or weeks are not accepted")
    match = _DURATION_RE.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT45M")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    try:
        delta = timedelta(**parts)
    except OverflowError:
        raise ValueError("duration is too large") from None
    return -delta if negative else delta


def format_duration(value: timedelta) -> str:
    """Format a timedelta as an ISO 8601 duration (`PT1H25M`, `P1DT2H`, `PT0S`)."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P"
    if days:
        out += f"{int(days)}D"
    time = ""
    if hours:
        time += f"{int(hours)}H"
    if minutes:
        time += f"{int(minutes)}M"
    if seconds or not (days or hours or minutes):
        secs = round(seconds, 3)
        time += f"{int(secs)}S" if float(secs).is_integer() else f"{secs}S"
    return out + ("T" + time if time else "")


def _require_offset(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time has no UTC offset (naive times are not accepted)")
    return value


MAX_DURATION = timedelta(days=366)
"""Longest duration accepted: a year is more than any plan spans."""


def _non_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("duration is negative")
    if value > MAX_DURATION:
        raise ValueError("duration is longer than 366 days")
    return value


def _iso_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("time must be an ISO 8601 string with a UTC offset")
    return value


Instant = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_require_offset)]
"""An ISO 8601 instant with a UTC offset."""

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_non_negative),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": DURATION_PATTERN,
                    "description": "ISO 8601 duration, e.g. PT45M",
                },
                {"type": "number", "minimum": 0, "maximum": 31_622_400, "description": "seconds"},
            ]
        }
    ),
]
"""A non-negative ISO 8601 duration of at most 366 days (input may also be a number of
seconds)."""


def _bounded(value: timedelta) -> timedelta:
    if abs(value) > MAX_DURATION:
        raise ValueError("duration is longer than 366 days")
    return value


SignedDuration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_bounded),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": r"^\s*-?" + DURATION_PATTERN.removeprefix(r"^\s*"),
                    "description": "ISO 8601 duration, e.g. PT45M or -PT10M",
                },
                {
                    "type": "number",
                    "minimum": -31_622_400,
                    "maximum": 31_622_400,
                    "description": "seconds",
                },
            ]
        }
    ),
]
"""An ISO 8601 duration that may be negative (`-PT10M`), at most 366 days either way (input
may be a number of seconds)."""

MAX_ID_LENGTH = 200
"""Longest identifier accepted (ids are stored and queried on every database)."""

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]
"""A non-empty identifier of at most `MAX_ID_LENGTH` characters."""

MAX_COORDINATE = 1e7
"""Largest planar coordinate (absolute value): travel times stay finite integers."""


class StrictModel(BaseModel):
    """Base of every contract model: unknown fields are errors, names are exact."""

    # NaN and infinities are not numbers of the contract: JSON has none, and they would
    # reach the solver's integer arithmetic.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Window(StrictModel):
    """A closed interval of time."""

    start: Instant = Field(description="First instant of the window (inclusive).")
    end: Instant = Field(description="Last instant of the window (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("window ends before it starts")
        return self


class LatLon(StrictModel):
    """A point on the earth's surface."""

    lat: float = Field(ge=-90, le=90, description="Latitude in degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees.")


class XY(StrictModel):
    """A point in the plane (euclidean travel model)."""

    x: float = Field(
        ge=-MAX_COORDINATE, le=MAX_COORDINATE, description="Planar x coordinate (|x| <= 1e7)."
    )
    y: float = Field(
        ge=-MAX_COORDINATE, le=MAX_COORDINATE, description="Planar y coordinate (|y| <= 1e7)."
    )


class NodeRef(StrictModel):
    """A node of the travel matrix or of the road network."""

    node: Id = Field(description="Node id in the matrix or road network.")


def _location_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "node" if "node" in value else "xy" if "x" in value or "y" in value else "latlon"
    if isinstance(value, NodeRef):
        return "node"
    return "xy" if isinstance(value, XY) else "latlon"


Location = Annotated[
    Annotated[LatLon, Tag("latlon")] | Annotated[XY, Tag("xy")] | Annotated[NodeRef, Tag("node")],
    Discriminator(_location_kind),
]
"""Where something is: lat/lon, planar x/y, or a node id."""
