"""pytest-benchmark timings: model building, the evaluator, and small deterministic solves.

Each benchmark checks its result after timing it. Run with timings:

    pytest benchmarks/ --benchmark-only
    pytest benchmarks/ --benchmark-disable      # once each, as a quick check (CI)
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.run import assess
from benchmarks.suites import Case, load_case
from optimizer.params import SolveParams
from optimizer.travel import TravelMatrix

SOLVE_PARAMS = SolveParams(workers=1, seed=0, deterministic_limit=1.0, time_limit=10.0)
"""One worker, a seed and a deterministic budget; the wall-clock limit is a safety net."""

# (suite, instance, customers kept, reference value, allowed gap, where the reference comes from)
SOLVES = [
    # Solomon's 25-customer instances are the first 25 customers of the 100-customer ones; their
    # optima under distances truncated to one decimal are published (Kohl et al. 1999).
    ("solomon", "C101", 25, 191.3, 0.01, "optimum, 3 routes"),
    ("solomon", "R101", 25, 617.1, 0.05, "optimum, 8 routes"),
    # No published value: the best total duration our solver found in long runs (4 workers,
    # 240 s, seeds 1-2: 950.473 and 956.748), not proven optimal.
    ("trsp", "R101", 25, 950.473, 0.15, "best found, 13 routes, 7 depot visits"),
]


Cases = dict[tuple[str, str, int | None], Case]


@pytest.fixture(scope="module")
def cases() -> Cases:
    """Cases loaded once per module, keyed by (suite, instance, customers kept)."""
    return {}


def _case(cases: Cases, suite: str, name: str, keep: int | None = None) -> Case:
    key = (suite, name, keep)
    if key not in cases:
        cases[key] = load_case(suite, name, keep)
    return cases[key]


@pytest.mark.parametrize(
    ("suite", "name"), [("trsp", "C101"), ("solomon-hier", "R101"), ("gh200", "r1_2_1")]
)
def test_build(benchmark: BenchmarkFixture, suite: str, name: str) -> None:
    """Time reading an instance into a problem and building its travel matrix."""

    def build() -> tuple[Case, TravelMatrix]:
        case = load_case(suite, name)
        return case, TravelMatrix.from_problem(case.problem)

    case, travel = benchmark(build)
    n = len(case.problem.travel.nodes)
    assert travel.seconds.shape == (n, n)
    assert case.bks is not None


@pytest.mark.parametrize(("suite", "name"), [("trsp", "C101"), ("gh200", "r1_2_1")])
def test_evaluate(benchmark: BenchmarkFixture, cases: Cases, suite: str, name: str) -> None:
    """Time the evaluator on a published best-known plan; it must be feasible at its value."""
    from optimizer.evaluate import evaluate

    case = _case(cases, suite, name)
    routes = case.bks_solution()
    assert routes is not None
    plan = case.to_plan(routes)
    travel = TravelMatrix.from_problem(case.problem)
    evaluation = benchmark(evaluate, case.problem, plan, travel)
    assert evaluation.feasible
    assert case.plan_objective(plan) == pytest.approx(case.bks, rel=1e-4)


@pytest.mark.parametrize(
    ("suite", "name", "keep", "reference", "max_gap", "source"),
    SOLVES,
    ids=[f"{s}-{n}.{k}" for s, n, k, *_ in SOLVES],
)
def test_solve(
    benchmark: BenchmarkFixture,
    cases: Cases,
    suite: str,
    name: str,
    keep: int,
    reference: float,
    max_gap: float,
    source: str,
) -> None:
    """Time a deterministic solve of a small instance; feasible and within the stated gap."""
    from optimizer.solve import solve

    case = _case(cases, suite, name, keep)
    result = benchmark.pedantic(solve, args=(case.problem, SOLVE_PARAMS), rounds=1, iterations=1)
    record = assess(case, result.plan)
    assert record["feasible"], record["violations"]
    gap = (record["objective"] - reference) / reference
    benchmark.extra_info.update(objective=record["objective"], gap=gap, reference=source)
    assert gap <= max_gap, f"{record['objective']:.3f} is {100 * gap:.2f}% above {reference}"
