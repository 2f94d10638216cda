"""One roster day as the technicians and shifts of a dispatch problem.

Each person on a shift that day gets one shift from its local start for its duration, at
`home`, with the breaks the conversion is given (offsets from the shift start); on-call shifts
are marked `on_call` and get no breaks. The problem has no orders: the dispatcher adds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from models import FieldError, InvalidInput
from models.common import format_duration
from models.roster import RosterProblem, ShiftType


@dataclass(frozen=True)
class BreakRule:
    """A break in every worked shift: `duration` inside [start + earliest, start + latest]."""

    earliest: timedelta
    latest: timedelta
    duration: timedelta


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def roster_day(
    problem: RosterProblem,
    roster: dict[str, list[str | None]],
    day: int,
    breaks: list[BreakRule] | None = None,
) -> dict[str, Any]:
    """The dispatch problem document (technicians and shifts, no orders) of roster day `day`.

    Raises `InvalidInput` when the day is outside the horizon, a person on shift has no home,
    a shift type has no start, or a break does not fit a shift.
    """
    breaks = breaks or []
    errors = [
        FieldError(f"breaks[{b}]", "break window is shorter than the break")
        for b, rule in enumerate(breaks)
        if rule.latest - rule.earliest < rule.duration
    ]
    if not 0 <= day < problem.days:
        errors.append(FieldError("day", f"day {day} is outside the {problem.days} days"))
        raise InvalidInput(errors)
    tz = _offset(problem.timezone)
    midnight = datetime.combine(problem.start_date + timedelta(days=day), datetime.min.time())
    midnight = midnight.replace(tzinfo=tz)
    types = {st.id: (i, st) for i, st in enumerate(problem.shift_types)}
    technicians = []
    latest = midnight + timedelta(days=1)
    for e, person in enumerate(problem.staff):
        row = roster.get(person.id)
        sid = row[day] if row is not None and day < len(row) else None
        if sid is None:
            continue
        if sid not in types:
            errors.append(FieldError(f"roster.{person.id}[{day}]", f"unknown shift type '{sid}'"))
            continue
        k, st = types[sid]
        if st.start is None:
            errors.append(FieldError(f"shift_types[{k}].start", "a shift type needs a start"))
            continue
        if person.home is None:
            errors.append(FieldError(f"staff[{e}].home", "a person on shift needs a home"))
            continue
        start = midnight + timedelta(hours=st.start.hour, minutes=st.start.minute)
        end = start + st.duration
        latest = max(latest, end)
        shift: dict[str, Any] = {
            "id": f"{person.id}-{sid}-{day}",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "start_location": person.home.model_dump(),
            "on_call": st.on_call,
            "breaks": [] if st.on_call else _breaks(st, start, breaks, errors),
        }
        tech: dict[str, Any] = {"id": person.id, "skills": dict(person.skills), "shifts": [shift]}
        if person.name is not None:
            tech["name"] = person.name
        technicians.append(tech)
    if errors:
        raise InvalidInput(list(dict.fromkeys(errors)))
    return {
        "id": f"{problem.id or 'roster'}-day{day}",
        "horizon": {"start": midnight.isoformat(), "end": latest.isoformat()},
        "technicians": technicians,
        "orders": [],
    }


def _breaks(
    st: ShiftType, start: datetime, rules: list[BreakRule], errors: list[FieldError]
) -> list[dict[str, Any]]:
    """The breaks of one shift (errors for those that do not fit it)."""
    out = []
    for b, rule in enumerate(rules):
        if rule.latest - rule.earliest < rule.duration:
            continue  # reported once, above
        if rule.latest > st.duration:
            errors.append(
                FieldError(f"breaks[{b}]", f"break does not fit in shift type '{st.id}'")
            )
            continue
        out.append(
            {
                "earliest_start": (start + rule.earliest).isoformat(),
                "latest_end": (start + rule.latest).isoformat(),
                "duration": format_duration(rule.duration),
            }
        )
    return out
