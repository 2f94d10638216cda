"""The first row of one person: the dynamic programme over run states finds the best pattern
of days worked (checked against brute force), and a first roster built from such rows keeps
every rule on a year-long instance."""

from __future__ import annotations

import itertools
import random

import numpy as np

from benchmarks import curtois
from optimizer.roster import first_row
from optimizer.roster.evaluate import hard_violations
from optimizer.roster.instance import OFF, RosterInstance, Rule
from optimizer.roster.model import build_model


def one_person(h: int, rng: random.Random) -> RosterInstance:
    """A person with random run-length, weekend and minutes rules, one 480-minute shift type
    (which may follow itself) and a few days off."""
    most = rng.randint(2, 5)
    rule = Rule(
        max_shifts=(h,),
        min_minutes=480 * rng.randint(0, h // 2),
        max_minutes=480 * rng.randint(h // 2, h),
        min_consecutive_shifts=rng.randint(1, most),
        max_consecutive_shifts=most,
        min_consecutive_days_off=rng.randint(1, 3),
        max_weekends=rng.randint(0, h // 7),
        days_off=frozenset(rng.sample(range(h), 2)),
    )
    allowed = [[d not in rule.days_off] for d in range(h)]
    return RosterInstance(h, ["D"], ["A"], [480], [[False]], [rule], [], [], [allowed], [])


def brute_force(inst: RosterInstance, value: np.ndarray) -> float | None:
    """The best total value of a feasible row, trying every pattern of days worked."""
    best = None
    for pattern in itertools.product((OFF, 0), repeat=inst.num_days):
        if not hard_violations(inst, 0, list(pattern)):
            total = float(sum(value[d] for d, s in enumerate(pattern) if s == 0))
            best = total if best is None else max(best, total)
    return best


def test_the_programme_finds_the_best_pattern_of_days_worked() -> None:
    """On random two-week rules and day values, the exact programme (weekends counted) finds
    a row that keeps every rule and is worth what brute force finds; with none, neither does."""
    rng = random.Random(7)
    for _ in range(12):
        inst = one_person(14, rng)
        value = np.array([float(rng.randint(-3, 9)) for _ in range(14)])
        value[list(inst.rules[0].days_off)] = first_row.NEG
        rule = inst.rules[0]
        fewest, most = rule.min_minutes // 480, min(14, rule.max_minutes // 480)
        paths = first_row.best_paths(inst, value, set(rule.days_off), fewest, most, True, 1)
        expected = brute_force(inst, value)
        if expected is None:
            assert paths == {}
            continue
        [(total, row)] = paths.values()
        assert total == expected
        assert hard_violations(inst, 0, [0 if w else OFF for w in row]) == []
        assert sum(value[d] for d, w in enumerate(row) if w) == expected


def test_a_year_of_rows_keeps_every_rule() -> None:
    """On Instance22 (a year, 232-234 days worked of ~235 possible), the first people each get
    a pattern of days worked and shift types on those days that keep every labour rule."""
    from ortools.sat.python import cp_model

    inst = RosterInstance.from_problem(curtois.load("Instance22"))
    assignment = [[OFF] * inst.num_days for _ in range(inst.num_staff)]
    for e in range(4):
        sub = inst.subproblem([e], assignment)
        days = first_row.worked_days(sub, first_row.day_gains(sub))
        assert days is not None
        rm = build_model(first_row.with_days_worked(sub, days))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = 5.0
        assert solver.solve(rm.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        assignment[e] = rm.assignment(solver)[0]
        assert [s != OFF for s in assignment[e]] == days
        assert hard_violations(inst, e, assignment[e]) == []


def test_prices_bring_the_types_within_the_caps_and_minutes() -> None:
    """On Instance24 (shifts of 8, 10 and 12 hours, caps per type), the Viterbi pass alone
    breaks the minutes window for some people; with the prices every row keeps every rule."""
    inst = RosterInstance.from_problem(curtois.load("Instance24"))
    assignment = [[OFF] * inst.num_days for _ in range(inst.num_staff)]
    plain_broken = 0
    for e in range(3):
        sub = inst.subproblem([e], assignment)
        gain = first_row.day_gains(sub)
        days = first_row.worked_days(sub, gain)
        assert days is not None
        plain_broken += bool(hard_violations(sub, 0, first_row.best_types(sub, days, gain)))
        row = first_row.capped_types(sub, days, gain)
        assert [s != OFF for s in row] == days
        assert hard_violations(sub, 0, row) == []
    assert plain_broken > 0


def test_viterbi_keeps_the_rotation() -> None:
    """Two types where late may not be followed by early: with early worth more on the last
    day, the best run of three is late, late, late or early, early, early; early-early-early
    is worth 1 + 1 + 5 = 7 > late-late-late = 3 + 3 + 0 = 6 (late, late, early is illegal)."""
    rule = Rule((3, 3), 0, 10_000, 1, 3, 1, 1, frozenset())
    inst = RosterInstance(
        3,
        ["E", "L"],
        ["A"],
        [480, 480],
        [[False, False], [True, False]],
        [rule],
        [],
        [],
        [[[True, True]] * 3],
        [],
    )
    gain = np.array([[1.0, 3.0], [1.0, 3.0], [5.0, 0.0]])
    assert first_row.best_types(inst, [True, True, True], gain) == [0, 0, 0]
    gain[2, 0] = 2.0  # early-early-early = 4 < 6
    assert first_row.best_types(inst, [True, True, True], gain) == [1, 1, 1]


def test_the_counts_of_days_tried_respect_the_caps_per_type() -> None:
    """At least 2880 minutes, at most 3360, with two 720-minute shifts at most: five days are
    the fewest (2 x 720 + 3 x 480), not four, and seven the most (7 x 480); one pattern per
    count, each with its number of days."""
    rule = Rule((7, 2), 2880, 3360, 1, 7, 1, 1, frozenset())
    inst = RosterInstance(
        7, ["S", "L"], ["A"], [480, 720], [[False] * 2] * 2, [rule], [], [],
        [[[True, True]] * 7], [frozenset()],
    )  # fmt: skip
    gain = np.ones((7, 2))
    options = first_row.worked_days_options(inst, gain, 8)
    assert sorted(sum(days) for days in options) == [5, 6, 7]
    assert sum(first_row.worked_days_options(inst, gain, 1)[0]) == 7
