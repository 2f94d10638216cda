"""pytest-benchmark: slot offers for eight candidate windows on generated days of 200, 500
and 1000 orders (`benchmarks.slots`); each checks its answer after timing it.

    pytest benchmarks/test_slots_bench.py --benchmark-only
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.replan_days import Day, make_day
from benchmarks.slots import check_offers, slot_order, windows
from optimizer.slots import slot_offers
from optimizer.travel import TravelMatrix

SIZES = [200, 500, 1000]


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}-orders")
def day(request: pytest.FixtureRequest) -> Day:
    """A generated day with its morning plan (a short solve); slots are offered at 11:00."""
    return make_day(request.param, seed=1, base_limit=2.0)


def test_slot_offers(benchmark: BenchmarkFixture, day: Day) -> None:
    """Time eight windows with the travel matrix computed in the call; check the answer."""
    order, wins = slot_order(day), windows(day)
    offers = benchmark(lambda: slot_offers(day.problem, day.plan, order, wins, day.now, 3))
    check_offers(day, order, offers)


def test_slot_offers_kept_matrix(benchmark: BenchmarkFixture, day: Day) -> None:
    """Time eight windows with the plan version's travel matrix kept (as the service does)."""
    order, wins = slot_order(day), windows(day)
    kept = TravelMatrix.from_problem(day.problem)
    offers = benchmark(
        lambda: slot_offers(day.problem, day.plan, order, wins, day.now, 3, travel=kept)
    )
    check_offers(day, order, offers)
