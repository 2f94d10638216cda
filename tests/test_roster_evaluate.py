"""The evaluator against the published instances' reference rosters and hand-made rows."""

from __future__ import annotations

import pytest

from benchmarks import curtois
from models.roster import load_roster_problem
from optimizer.roster.evaluate import evaluate_roster, runs

CASES = [f"Instance{i}" for i in range(1, 11)]


@pytest.mark.parametrize("name", CASES)
def test_reference_rosters_score_as_claimed(name: str) -> None:
    """Both third-party rosters of instances 1-10 are hard-feasible and their objective,
    cover cost and request cost are the ones they claim."""
    problem = curtois.load(name)
    references = curtois.read_reference_rosters(name)
    assert len(references) == 2
    for ref in references:
        ev = evaluate_roster(problem, ref.roster)
        assert ev.violations == []
        assert ev.value == ref.objective
        assert ev.requests == ref.request_cost
        assert ev.cover_under + ev.cover_over == ref.cover_cost


def test_a_broken_reference_roster_is_caught() -> None:
    """Giving one person a seventh shift in a row on Instance1 breaks max consecutive shifts
    (5); the evaluator names it."""
    problem = curtois.load("Instance1")
    roster = curtois.read_reference_rosters("Instance1")[0].roster
    roster["B"] = ["D"] * 7 + [None] * 7
    ev = evaluate_roster(problem, roster)
    assert any("B: 7 shifts in a row" in v for v in ev.violations)


def test_roster_of_the_wrong_shape_is_reported() -> None:
    """A missing person, a short row and an unknown shift id are violations, not crashes."""
    problem = load_roster_problem(
        {
            "start_date": "2027-01-04",
            "days": 7,
            "shift_types": [{"id": "D", "duration": "PT8H"}],
            "staff": [{"id": "A"}, {"id": "B"}],
        }
    )
    ev = evaluate_roster(problem, {"A": ["D", "X", None, None, None, None, None], "C": []})
    assert ev.violations == [
        "A: unknown shift type 'X' on day 1",
        "B: not in the roster",
        "C: not on the staff",
    ]


def test_runs_split_a_row() -> None:
    """Maximal runs of a row as (value, first, length)."""
    assert runs([True, True, False, True]) == [(True, 0, 2), (False, 2, 1), (True, 3, 1)]
