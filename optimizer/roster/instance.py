"""The roster problem in dense indices: staff e, day d, shift type s (s = -1 is a day off).

External ids stay at the edges: `RosterInstance.from_problem` converts once, and
`to_roster` / `from_roster` convert assignments both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.roster import RosterProblem

OFF = -1
"""The shift index of a day off."""


@dataclass(frozen=True)
class Rule:
    """The labour rules of one person, with every bound explicit (no cap = the horizon)."""

    max_shifts: tuple[int, ...]
    """Most shifts of each type over the horizon."""
    min_minutes: int
    max_minutes: int
    min_consecutive_shifts: int
    max_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int
    days_off: frozenset[int]


@dataclass(frozen=True)
class RequestIdx:
    """A shift on/off request: costs `weight` when (not) met."""

    staff: int
    day: int
    shift: int
    on: bool
    weight: int


@dataclass(frozen=True)
class CoverIdx:
    """A cover row: the staff who count on shift `shift` of day `day`."""

    day: int
    shift: int
    staff: tuple[int, ...]
    required: int
    weight_under: int
    weight_over: int


@dataclass
class RosterInstance:
    """A roster problem compiled to integers."""

    num_days: int
    shift_ids: list[str]
    staff_ids: list[str]
    minutes: list[int]
    """Worked minutes of each shift type."""
    forbidden_next: list[list[bool]]
    """forbidden_next[a][b]: b may not be worked the day after a."""
    rules: list[Rule]
    requests: list[RequestIdx]
    cover: list[CoverIdx]
    allowed: list[list[list[bool]]] = field(default_factory=list)
    """allowed[e][d][s]: e may work s on d (days off and `max_shifts` 0 excluded)."""

    @property
    def num_staff(self) -> int:
        """Number of people."""
        return len(self.staff_ids)

    @property
    def num_shifts(self) -> int:
        """Number of shift types."""
        return len(self.shift_ids)

    @property
    def num_weekends(self) -> int:
        """Whole weekends in the horizon (days 7w+5, 7w+6)."""
        return self.num_days // 7

    @classmethod
    def from_problem(cls, problem: RosterProblem) -> RosterInstance:
        """Compile a validated roster problem."""
        h = problem.days
        shift_ids = [s.id for s in problem.shift_types]
        s_idx = {sid: k for k, sid in enumerate(shift_ids)}
        forbidden = [[False] * len(shift_ids) for _ in shift_ids]
        for a, st in enumerate(problem.shift_types):
            for ref in st.cannot_follow:
                forbidden[a][s_idx[ref]] = True
        rules, requests, allowed = [], [], []
        for e, p in enumerate(problem.staff):
            caps = tuple(min(p.max_shifts.get(sid, h), h) for sid in shift_ids)
            rule = Rule(
                max_shifts=caps,
                min_minutes=p.min_minutes,
                max_minutes=p.max_minutes if p.max_minutes is not None else h * 24 * 60,
                min_consecutive_shifts=max(1, p.min_consecutive_shifts),
                max_consecutive_shifts=(
                    h if p.max_consecutive_shifts is None else p.max_consecutive_shifts
                ),
                min_consecutive_days_off=max(1, p.min_consecutive_days_off),
                max_weekends=h // 7 if p.max_weekends is None else p.max_weekends,
                days_off=frozenset(p.days_off),
            )
            rules.append(rule)
            allowed.append(
                [
                    [d not in rule.days_off and caps[s] > 0 for s in range(len(shift_ids))]
                    for d in range(h)
                ]
            )
            requests += [RequestIdx(e, r.day, s_idx[r.shift], r.on, r.weight) for r in p.requests]
        cover = []
        for row in problem.cover:
            counted = tuple(
                e
                for e, p in enumerate(problem.staff)
                if (row.region is None or p.region == row.region)
                and (row.skill is None or p.skills.get(row.skill, 0) >= row.min_level)
            )
            cover.append(
                CoverIdx(
                    row.day,
                    s_idx[row.shift],
                    counted,
                    row.required,
                    row.weight_under,
                    row.weight_over,
                )
            )
        return cls(
            num_days=h,
            shift_ids=shift_ids,
            staff_ids=[p.id for p in problem.staff],
            minutes=[st.minutes for st in problem.shift_types],
            forbidden_next=forbidden,
            rules=rules,
            requests=requests,
            cover=cover,
            allowed=allowed,
        )

    def to_roster(self, assignment: list[list[int]]) -> dict[str, list[str | None]]:
        """Dense assignment (shift index or OFF per person and day) -> staff id -> shift ids."""
        return {
            self.staff_ids[e]: [None if s == OFF else self.shift_ids[s] for s in row]
            for e, row in enumerate(assignment)
        }

    def from_roster(self, roster: dict[str, list[str | None]]) -> list[list[int]]:
        """Staff id -> shift ids (every person, every day, known types) -> dense assignment."""
        s_idx = {sid: k for k, sid in enumerate(self.shift_ids)}
        return [
            [OFF if sid is None else s_idx[sid] for sid in roster[staff]]
            for staff in self.staff_ids
        ]
