"""The bad-day harness: travel models of a generated day, and the measures of a solved day."""

from __future__ import annotations

import copy

import pytest
from rich.console import Console

from benchmarks.bad_days import bad_day, print_report, run_day, with_travel
from benchmarks.generator import BadDay, generate_day
from models import load_problem
from optimizer.travel import TravelMatrix


@pytest.mark.parametrize("model", ["euclidean", "matrix"])
def test_other_travel_models_keep_the_times(model: str) -> None:
    """A day moved to the plane or to a matrix is valid and its legs take about as long."""
    day = generate_day(20, 5, seed=3, bad_day=BadDay(outages=2))
    problem = load_problem(copy.deepcopy(day))
    moved = load_problem(with_travel(day, model, seed=3))
    assert moved.travel.model == model
    before, after = TravelMatrix.from_problem(problem), TravelMatrix.from_problem(moved)
    for a, b in zip(problem.orders, problem.orders[1:], strict=False):
        a2 = next(o for o in moved.orders if o.id == a.id)
        b2 = next(o for o in moved.orders if o.id == b.id)
        was, now = before.time(a.location, b.location), after.time(a2.location, b2.location)
        assert 0.98 * was - 2 <= now <= 1.26 * was + 2


def test_sweep_spreads_sizes_and_models() -> None:
    """The sweep's days grow over the range and take the travel models in turn."""
    days = [load_problem(bad_day(k, 4, (60, 90), seed=1, on_call=False)) for k in range(4)]
    assert [len(p.orders) for p in days] == [60, 70, 80, 90]
    assert [p.travel.model for p in days] == ["haversine", "euclidean", "matrix", "haversine"]
    assert all(any(o.mandatory for o in p.orders) for p in days)


def test_run_day_counts_are_consistent(capsys: pytest.CaptureFixture[str]) -> None:
    """A solved small day reports counts that hold together, and the report sums them."""
    problem = load_problem(
        generate_day(
            12, 6, seed=2, vans_cover_orders=True, bad_day=BadDay(outages=2, late_shifts=1)
        )
    )
    record = run_day(
        problem, time_limit=1.0, workers=1, alone_limit=1.0, must_limit=1.0, together_limit=1.0
    )
    assert record["empty"] == (record["routes"] == 0)
    assert record["served"] + record["unassigned"] == 12
    assert record["p1"] == sum(o.priority == 1 for o in problem.orders) >= 2
    assert record["p1_on_time_of_reachable"] <= record["p1_reachable_alone"] <= record["p1"]
    assert record["p1_on_time_of_reachable"] <= record["p1_on_time"] <= record["p1_served"]
    assert record["mandatory"] == 2 >= record["mandatory_served_alone"]
    assert record["p1_on_time_p1_only"] <= record["p1_reachable_alone"]
    assert record["p1_on_time_ids"] == sorted(record["p1_on_time_ids"])
    day = {"day": 0, "orders": 12, "technicians": 6, "travel": "haversine", **record}
    totals = print_report([day, day], Console(width=150))
    assert totals["days"] == 2 and totals["p1"] == 2 * record["p1"]
    assert "P1 on time / reachable alone" in capsys.readouterr().out


def test_run_day_reuses_the_figures_of_an_earlier_sweep() -> None:
    """Given an earlier record, the reachable, must-alone and P1-only figures are its own."""
    problem = load_problem(generate_day(12, 6, seed=3, bad_day=BadDay(outages=2)))
    urgent = sorted(o.id for o in problem.orders if o.priority == 1)
    known = {
        "p1_reachable_ids": urgent[:1],
        "mandatory_served_alone": 1,
        "p1_on_time_p1_only_ids": urgent[:1],
    }
    record = run_day(
        problem,
        time_limit=1.0,
        workers=1,
        alone_limit=1.0,
        must_limit=1.0,
        deterministic_limit=0.2,
        known=known,
    )
    assert record["p1_reachable_ids"] == urgent[:1] and record["p1_reachable_alone"] == 1
    assert record["mandatory_served_alone"] == 1 and record["p1_on_time_p1_only"] == 1
    assert record["p1_displaced"] == sorted(set(urgent[:1]) - set(record["p1_on_time_ids"]))
    assert set(record["p1_late_or_unserved"]) | set(record["p1_on_time_ids"]) >= set(urgent[:1])
