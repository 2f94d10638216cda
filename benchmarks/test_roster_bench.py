"""pytest-benchmark timings of the roster code: reading an instance, the evaluator, and a
deterministic solve of Curtois-Qu Instance1 to its proven optimum (checked after timing).

    pytest benchmarks/test_roster_bench.py --benchmark-only
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks import curtois
from optimizer.roster.evaluate import evaluate_roster
from optimizer.roster.params import RosterParams
from optimizer.roster.solve import solve_roster


def test_read_instance(benchmark: BenchmarkFixture) -> None:
    """Read and validate Instance10 (40 people, 28 days, 5 shift types)."""
    problem = benchmark(curtois.load, "Instance10")
    assert len(problem.staff) == 40 and problem.days == 28


def test_evaluate_reference_roster(benchmark: BenchmarkFixture) -> None:
    """Score a reference roster of Instance10; it claims 4761."""
    problem = curtois.load("Instance10")
    roster = curtois.read_reference_rosters("Instance10")[0].roster
    evaluation = benchmark(evaluate_roster, problem, roster)
    assert evaluation.feasible and evaluation.value == 4761


def test_solve_instance1(benchmark: BenchmarkFixture) -> None:
    """Instance1 with one worker and a deterministic budget: its proven optimum, 607."""
    problem = curtois.load("Instance1")
    params = RosterParams(workers=1, seed=0, deterministic_limit=30.0, time_limit=120.0)
    result = benchmark.pedantic(solve_roster, args=(problem, params), rounds=1, iterations=1)
    assert result.status == "optimal" and result.objective.value == 607
