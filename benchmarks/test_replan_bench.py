"""pytest-benchmark: the re-planning fast path and recommendations on generated days of
200, 500 and 1000 orders; each checks its result after timing it.

    pytest benchmarks/test_replan_bench.py --benchmark-only
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.replan_days import Day, make_day
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.replan import recommend, replan

SIZES = [200, 500, 1000]


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}-orders")
def day(request: pytest.FixtureRequest) -> Day:
    """A generated day with its morning plan (a short solve) and the 11:00 events."""
    return make_day(request.param, seed=1, base_limit=2.0)


def test_fast_path(benchmark: BenchmarkFixture, day: Day) -> None:
    """Time the fast path (time limit 0): the emergency is fitted, the plan stays feasible."""
    result = benchmark(
        lambda: replan(day.problem, day.plan, day.now, day.events, SolveParams(time_limit=0))
    )
    ev = evaluate(result.problem, result.plan, previous=day.plan, frozen_before=day.now)
    assert ev.feasible, [str(v) for v in ev.violations[:5]]
    served = {it.order for r in result.plan.routes for it in r.items if it.type == "visit"}
    assert "EMG-NEW" in served


def test_recommend(benchmark: BenchmarkFixture, day: Day) -> None:
    """Time five recommendations for the emergency: best first, each a real timing."""
    recs = benchmark(lambda: recommend(day.problem, day.plan, day.emergency, day.now, 5))
    assert recs
    assert [r.cost_delta for r in recs] == sorted(r.cost_delta for r in recs)
    assert all(day.now <= r.arrival <= r.start < r.end for r in recs)
