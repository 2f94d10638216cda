"""The roster problem in dense indices: staff e, day d, shift type s (s = -1 is a day off).

External ids stay at the edges: `RosterInstance.from_problem` converts once, and
`to_roster` / `from_roster` convert assignments both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

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
    must_work: list[frozenset[int]] = field(default_factory=list)
    """Days each person works whatever happens (a neighbourhood's fixed days; else empty)."""

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

    def subproblem(
        self, people: list[int], assignment: list[list[int]], days: set[int] | None = None
    ) -> RosterInstance:
        """The instance of `people` alone (in that order), with `assignment` fixed outside the
        neighbourhood: the others count as constants in the cover rows (`required` less
        their head count, negative when they are already over), and each person of `people`
        keeps the assignment on the days outside `days` (None: every day is free).

        Its objective differs from the whole instance's by the request cost of the others."""
        allowed, must_work = [], []
        for e in people:
            rows, fixed = [], set()
            for d, allowed_d in enumerate(self.allowed[e]):
                if days is None or d in days:
                    rows.append(allowed_d)
                    continue
                s_fixed = assignment[e][d]
                rows.append([s == s_fixed for s in range(self.num_shifts)])
                if s_fixed != OFF:
                    fixed.add(d)
            allowed.append(rows)
            must_work.append(frozenset(fixed))
        position = {e: k for k, e in enumerate(people)}
        others = self.head_counts(assignment, people)
        groups, group_of = self._cover_groups
        counted = [tuple(position[e] for e in staff.tolist() if e in position) for staff in groups]
        cover = [
            CoverIdx(
                c.day,
                c.shift,
                counted[g],
                c.required - int(others[g][c.day, c.shift]),
                c.weight_under,
                c.weight_over,
            )
            for c, g in zip(self.cover, group_of, strict=True)
        ]
        requests = [
            RequestIdx(position[r.staff], r.day, r.shift, r.on, r.weight)
            for r in self.requests
            if r.staff in position
        ]
        return RosterInstance(
            num_days=self.num_days,
            shift_ids=self.shift_ids,
            staff_ids=[self.staff_ids[e] for e in people],
            minutes=self.minutes,
            forbidden_next=self.forbidden_next,
            rules=[self.rules[e] for e in people],
            requests=requests,
            cover=cover,
            allowed=allowed,
            must_work=must_work,
        )

    @cached_property
    def _cover_groups(self) -> tuple[list[np.ndarray], list[int]]:
        """The distinct sets of people counted by cover rows, and each row's set."""
        index: dict[tuple[int, ...], int] = {}
        group_of = [index.setdefault(c.staff, len(index)) for c in self.cover]
        return [np.array(staff, dtype=np.int64) for staff in index], group_of

    def head_counts(self, assignment: list[list[int]], left_out: list[int]) -> list[np.ndarray]:
        """For each set of people counted by cover rows, the number of them (but those in
        `left_out`) on each day and shift type: an array indexed [day, shift]."""
        dense = np.asarray(assignment, dtype=np.int64).reshape(self.num_staff, self.num_days)
        keep = np.ones(self.num_staff, dtype=bool)
        keep[list(left_out)] = False
        day = np.arange(self.num_days, dtype=np.int64)
        out = []
        for staff in self._cover_groups[0]:
            rows = dense[staff[keep[staff]]]
            cells = (day * self.num_shifts + rows)[rows != OFF]
            size = self.num_days * self.num_shifts
            out.append(np.bincount(cells, minlength=size).reshape(self.num_days, -1))
        return out

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
