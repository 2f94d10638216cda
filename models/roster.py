"""The roster problem and result: who works which shift over the coming weeks (7x24 cover).

`load_roster_problem` validates a problem document and raises one `InvalidInput` listing every
error with its JSON path: field errors from pydantic and cross-field errors (ids, references,
days inside the horizon, ranges) together, as `load_problem` does for the dispatch problem.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from models.common import Duration, Id, Location, StrictModel
from models.validation import FieldError, InvalidInput, _dedupe, _duplicates, pydantic_errors

Level = Annotated[int, Field(ge=1, le=5)]
Count = Annotated[int, Field(ge=0)]
Weight = Annotated[int, Field(ge=0)]
Day = Annotated[int, Field(ge=0)]

_OFFSET_RE = re.compile(r"^(Z|[+-](0\d|1[0-4]):[0-5]\d)$")


class ShiftType(StrictModel):
    """A kind of shift worked on a day (day, evening, night, on call)."""

    id: Id = Field(description="Unique shift type id, e.g. `D`, `N`.")
    start: time | None = Field(
        default=None, description="Local start time (`08:00`); needed to turn a day into shifts."
    )
    duration: Duration = Field(description="Length of the shift; its minutes count as worked.")
    cannot_follow: list[Id] = Field(
        default_factory=list,
        description="Shift types that may not be worked the day after this one.",
    )
    on_call: bool = Field(
        default=False, description="On call: available to emergencies only on the dispatch day."
    )

    @property
    def minutes(self) -> int:
        """Worked minutes of one such shift (rounded down)."""
        return int(self.duration.total_seconds() // 60)


class Request(StrictModel):
    """A person's wish to work (`on`) or not to work (`on: false`) a shift on a day (soft)."""

    day: Day = Field(description="Day index, 0 = start_date.")
    shift: Id = Field(description="Shift type id.")
    on: bool = Field(default=True, description="True: wants the shift; false: wants it not.")
    weight: Weight = Field(default=1, description="Cost when the wish is not met.")


class Staff(StrictModel):
    """A person on the roster, with the labour rules of their contract (all hard)."""

    id: Id = Field(description="Unique staff id (the technician id on a dispatch day).")
    name: str | None = Field(default=None, description="Display name.")
    skills: dict[str, Level] = Field(default_factory=dict, description="Skill -> level (1..5).")
    region: str | None = Field(default=None, description="The region the person works in.")
    home: Location | None = Field(
        default=None, description="Where shifts start and end; needed on a dispatch day."
    )
    max_shifts: dict[str, Count] = Field(
        default_factory=dict,
        description="Shift type -> most shifts of that type over the horizon (absent = no cap).",
    )
    min_minutes: Count = Field(default=0, description="Least worked minutes over the horizon.")
    max_minutes: Count | None = Field(
        default=None, description="Most worked minutes over the horizon; null = no cap."
    )
    min_consecutive_shifts: Count = Field(
        default=1, description="Shortest run of worked days, except runs at the horizon's ends."
    )
    max_consecutive_shifts: Count | None = Field(
        default=None, description="Longest run of worked days; null = no cap."
    )
    min_consecutive_days_off: Count = Field(
        default=1, description="Shortest run of days off, except runs at the horizon's ends."
    )
    max_weekends: Count | None = Field(
        default=None, description="Most weekends (Sat or Sun) worked; null = no cap."
    )
    days_off: list[Day] = Field(default_factory=list, description="Days never worked.")
    requests: list[Request] = Field(default_factory=list, description="Shift on/off wishes.")


class Cover(StrictModel):
    """How many qualified people a shift needs on a day (soft, weighted per person)."""

    day: Day = Field(description="Day index, 0 = start_date.")
    shift: Id = Field(description="Shift type id.")
    skill: str | None = Field(default=None, description="Skill counted; null = anyone.")
    min_level: Level = Field(default=1, description="Least level of `skill` that counts.")
    region: str | None = Field(default=None, description="Region counted; null = any region.")
    required: Count = Field(description="People wanted on the shift.")
    weight_under: Weight = Field(default=100, description="Cost per person short.")
    weight_over: Weight = Field(default=1, description="Cost per person over.")


class RosterOptions(StrictModel):
    """Solver options carried by the problem; command-line and API parameters override them."""

    time_limit: Duration = Field(
        default=timedelta(seconds=10), description="Wall-clock limit of the solve."
    )
    seed: int = Field(default=0, ge=0, description="Random seed.")
    workers: int = Field(default=2, ge=1, le=64, description="CP-SAT search workers.")


class RosterProblem(StrictModel):
    """A roster problem: shift types, staff with their rules and requests, and cover."""

    id: str | None = Field(default=None, description="Problem id, echoed in logs.")
    start_date: date = Field(description="Day 0, a Monday.")
    days: int = Field(ge=7, description="Horizon length in days, a multiple of 7.")
    timezone: str = Field(default="Z", description="UTC offset of the local times, `+08:00`.")
    shift_types: list[ShiftType] = Field(description="The kinds of shift.")
    staff: list[Staff] = Field(description="The people to roster.")
    cover: list[Cover] = Field(default_factory=list, description="Cover wanted per day/shift.")
    options: RosterOptions = Field(default_factory=RosterOptions, description="Solver options.")

    @field_validator("timezone")
    @classmethod
    def _offset(cls, value: str) -> str:
        if not _OFFSET_RE.match(value):
            raise ValueError("timezone is a UTC offset such as +08:00 or Z")
        return value


class ObjectiveTerms(StrictModel):
    """The named soft terms of a roster's objective."""

    requests: int = Field(description="Cost of the unmet shift on/off requests.")
    cover_under: int = Field(description="Cost of the people short of cover.")
    cover_over: int = Field(description="Cost of the people over cover.")


class RosterObjective(StrictModel):
    """Objective value, the best proven bound, and its terms."""

    value: int | None = Field(description="Total cost of the roster; null without a roster.")
    bound: int | None = Field(default=None, description="Proven lower bound (CP-SAT).")
    terms: ObjectiveTerms | None = Field(default=None, description="Cost by named term.")


class CoverCount(StrictModel):
    """One cover row with the number of people the roster puts on it."""

    day: int = Field(description="Day index.")
    shift: str = Field(description="Shift type id.")
    skill: str | None = Field(default=None, description="Skill counted; null = anyone.")
    region: str | None = Field(default=None, description="Region counted; null = any.")
    required: int = Field(description="People wanted.")
    assigned: int = Field(description="People the roster puts on it who count.")


class RosterStatus(StrEnum):
    """How a roster solve ended."""

    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    unknown = "unknown"


class RosterResult(StrictModel):
    """A roster: the shift of each person on each day, its cost and cover."""

    problem_id: str | None = Field(default=None, description="The problem's id, if it had one.")
    status: RosterStatus = Field(
        description="optimal (proven), feasible, infeasible (proven) or unknown (none found)."
    )
    objective: RosterObjective = Field(description="Cost, bound and terms.")
    roster: dict[str, list[str | None]] = Field(
        description="Staff id -> shift type id or null (day off), one per day."
    )
    cover: list[CoverCount] = Field(default_factory=list, description="Cover rows as met.")
    solver: dict[str, Any] = Field(default_factory=dict, description="Solver statistics.")


def load_roster_problem(data: Any) -> RosterProblem:
    """Parse and fully validate a roster problem; raise `InvalidInput` listing every error.

    When some list items are malformed, they are set aside and the cross-field checks still
    run on the rest, so one run reports errors of every kind.
    """
    try:
        problem = RosterProblem.model_validate(data)
    except ValidationError as exc:
        errors = pydantic_errors(exc, data)
        salvaged = _salvage(data, exc)
        if salvaged is not None:
            problem, kept = salvaged
            errors += [_remap(e, kept) for e in check_roster_problem(problem)]
        raise InvalidInput(_dedupe(errors)) from None
    errors = check_roster_problem(problem)
    if errors:
        raise InvalidInput(errors)
    return problem


_SECTIONS = ("shift_types", "staff", "cover")


def _salvage(data: Any, exc: ValidationError) -> tuple[RosterProblem, dict[str, list[int]]] | None:
    """The problem without its malformed list items and options, with each section's kept
    original indices; None when something else is malformed."""
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    kept = {s: list(range(len(data[s]))) for s in _SECTIONS if isinstance(data.get(s), list)}
    bad: dict[str, set[int]] = {}
    for err in exc.errors():
        loc = err["loc"]
        if len(loc) >= 2 and loc[0] in kept and isinstance(loc[1], int):
            bad.setdefault(str(loc[0]), set()).add(loc[1])
        elif loc and loc[0] in ("id", "options", "timezone"):
            data.pop(str(loc[0]))
        else:
            return None
    for section, idxs in bad.items():
        data[section] = [it for i, it in enumerate(data[section]) if i not in idxs]
        kept[section] = [o for i, o in enumerate(kept[section]) if i not in idxs]
    try:
        return RosterProblem.model_validate(data), kept
    except ValidationError:
        return None


def _remap(error: FieldError, kept: dict[str, list[int]]) -> FieldError:
    """Rewrite a path into a salvaged problem as a path into the original input."""

    def fix(match: re.Match[str]) -> str:
        return f"{match.group(1)}[{kept[match.group(1)][int(match.group(2))]}]"

    return FieldError(
        re.sub(r"\b(shift_types|staff|cover)\[(\d+)\]", fix, error.path), error.message
    )


def check_roster_problem(problem: RosterProblem) -> list[FieldError]:
    """Every cross-field error of a parsed roster problem (empty when it is valid)."""
    return list(_check(problem))


def _check(p: RosterProblem) -> Iterator[FieldError]:
    if p.start_date.weekday() != 0:
        yield FieldError("start_date", f"{p.start_date} is not a Monday")
    if p.days % 7:
        yield FieldError("days", f"{p.days} days is not a whole number of weeks")
    yield from _duplicates(
        ((f"shift_types[{i}].id", s.id) for i, s in enumerate(p.shift_types)), "shift type"
    )
    yield from _duplicates(((f"staff[{i}].id", s.id) for i, s in enumerate(p.staff)), "staff")
    types = {s.id for s in p.shift_types}

    def day_error(path: str, day: int) -> Iterator[FieldError]:
        if day >= p.days:
            yield FieldError(path, f"day {day} is outside the {p.days} days")

    def shift_error(path: str, ref: str) -> Iterator[FieldError]:
        if ref not in types:
            yield FieldError(path, f"unknown shift type '{ref}'")

    for i, st in enumerate(p.shift_types):
        for k, ref in enumerate(st.cannot_follow):
            yield from shift_error(f"shift_types[{i}].cannot_follow[{k}]", ref)
        if st.minutes > 24 * 60:
            yield FieldError(f"shift_types[{i}].duration", "a shift is at most 24 hours long")
    for i, person in enumerate(p.staff):
        base = f"staff[{i}]"
        for ref in person.max_shifts:
            yield from shift_error(f"{base}.max_shifts.{ref}", ref)
        if person.max_minutes is not None and person.min_minutes > person.max_minutes:
            yield FieldError(f"{base}.min_minutes", "min_minutes is above max_minutes")
        mx = person.max_consecutive_shifts
        if mx is not None and person.min_consecutive_shifts > mx:
            yield FieldError(
                f"{base}.min_consecutive_shifts", "min_consecutive_shifts is above the maximum"
            )
        for k, day in enumerate(person.days_off):
            yield from day_error(f"{base}.days_off[{k}]", day)
        for k, req in enumerate(person.requests):
            yield from day_error(f"{base}.requests[{k}].day", req.day)
            yield from shift_error(f"{base}.requests[{k}].shift", req.shift)
    for i, row in enumerate(p.cover):
        yield from day_error(f"cover[{i}].day", row.day)
        yield from shift_error(f"cover[{i}].shift", row.shift)
