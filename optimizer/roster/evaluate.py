"""The solver-free evaluator of rosters: every hard rule and the named soft terms.

It is the specification the CP-SAT model is held to: it recomputes everything from the
assignment alone, with plain loops over runs of days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.roster import CoverCount, ObjectiveTerms, RosterProblem
from optimizer.roster.instance import OFF, RosterInstance


@dataclass
class RosterEvaluation:
    """Feasibility (every hard rule), violations in words, and the objective by term."""

    violations: list[str] = field(default_factory=list)
    requests: int = 0
    cover_under: int = 0
    cover_over: int = 0
    assigned: list[int] = field(default_factory=list)
    """People counted on each cover row, in cover order."""

    @property
    def feasible(self) -> bool:
        """True when no hard rule is broken."""
        return not self.violations

    @property
    def value(self) -> int:
        """Total cost: requests + cover under + cover over."""
        return self.requests + self.cover_under + self.cover_over

    @property
    def terms(self) -> ObjectiveTerms:
        """The named terms as a contract object."""
        return ObjectiveTerms(
            requests=self.requests, cover_under=self.cover_under, cover_over=self.cover_over
        )


def runs(worked: list[bool]) -> list[tuple[bool, int, int]]:
    """Maximal runs of equal values: (value, first day, length)."""
    out: list[tuple[bool, int, int]] = []
    for d, w in enumerate(worked):
        if out and out[-1][0] == w:
            value, first, length = out[-1]
            out[-1] = (value, first, length + 1)
        else:
            out.append((w, d, 1))
    return out


def hard_violations(inst: RosterInstance, e: int, row: list[int]) -> list[str]:
    """Every labour rule that person e's row of shifts breaks, in words."""
    rule, who, h = inst.rules[e], inst.staff_ids[e], inst.num_days
    out = []
    for d in sorted(rule.days_off):
        if row[d] != OFF:
            out.append(f"{who}: works day {d}, a day off")
    for d in range(h - 1):
        a, b = row[d], row[d + 1]
        if a != OFF and b != OFF and inst.forbidden_next[a][b]:
            out.append(
                f"{who}: {inst.shift_ids[b]} on day {d + 1} cannot follow {inst.shift_ids[a]}"
            )
    for s, sid in enumerate(inst.shift_ids):
        n = sum(1 for x in row if x == s)
        if n > rule.max_shifts[s]:
            out.append(f"{who}: {n} {sid} shifts, at most {rule.max_shifts[s]}")
    minutes = sum(inst.minutes[s] for s in row if s != OFF)
    if not rule.min_minutes <= minutes <= rule.max_minutes:
        out.append(f"{who}: {minutes} minutes, not in [{rule.min_minutes}, {rule.max_minutes}]")
    for worked, first, length in runs([s != OFF for s in row]):
        at_end = first == 0 or first + length == h
        if worked and length > rule.max_consecutive_shifts:
            out.append(f"{who}: {length} shifts in a row from day {first}")
        if worked and not at_end and length < rule.min_consecutive_shifts:
            out.append(f"{who}: only {length} shifts in a row from day {first}")
        if not worked and not at_end and length < rule.min_consecutive_days_off:
            out.append(f"{who}: only {length} days off in a row from day {first}")
    weekends = sum(
        1 for w in range(inst.num_weekends) if row[7 * w + 5] != OFF or row[7 * w + 6] != OFF
    )
    if weekends > rule.max_weekends:
        out.append(f"{who}: {weekends} weekends worked, at most {rule.max_weekends}")
    return out


def evaluate_assignment(inst: RosterInstance, assignment: list[list[int]]) -> RosterEvaluation:
    """Evaluate a dense assignment (a shift index or OFF per person and day)."""
    ev = RosterEvaluation()
    for e, row in enumerate(assignment):
        ev.violations += hard_violations(inst, e, row)
    for r in inst.requests:
        works = assignment[r.staff][r.day] == r.shift
        if works != r.on:
            ev.requests += r.weight
    for c in inst.cover:
        n = sum(1 for e in c.staff if assignment[e][c.day] == c.shift)
        ev.assigned.append(n)
        ev.cover_under += c.weight_under * max(0, c.required - n)
        ev.cover_over += c.weight_over * max(0, n - c.required)
    return ev


def shape_errors(inst: RosterInstance, roster: dict[str, list[str | None]]) -> list[str]:
    """Why a roster does not fit the problem (people, days, shift ids); empty when it does."""
    out = []
    known = set(inst.shift_ids)
    for who in inst.staff_ids:
        row = roster.get(who)
        if row is None:
            out.append(f"{who}: not in the roster")
            continue
        if len(row) != inst.num_days:
            out.append(f"{who}: {len(row)} days, not {inst.num_days}")
        out += [
            f"{who}: unknown shift type '{s}' on day {d}"
            for d, s in enumerate(row)
            if s is not None and s not in known
        ]
    out += [f"{who}: not on the staff" for who in roster if who not in set(inst.staff_ids)]
    return out


def evaluate_roster(
    problem: RosterProblem, roster: dict[str, list[str | None]]
) -> RosterEvaluation:
    """Evaluate a roster (staff id -> shift id or null per day) against its problem."""
    inst = RosterInstance.from_problem(problem)
    errors = shape_errors(inst, roster)
    if errors:
        return RosterEvaluation(violations=errors)
    return evaluate_assignment(inst, inst.from_roster(roster))


def cover_counts(problem: RosterProblem, evaluation: RosterEvaluation) -> list[CoverCount]:
    """The problem's cover rows with the people an evaluated roster puts on each."""
    return [
        CoverCount(
            day=row.day,
            shift=row.shift,
            skill=row.skill,
            region=row.region,
            required=row.required,
            assigned=n,
        )
        for row, n in zip(problem.cover, evaluation.assigned, strict=True)
    ]
