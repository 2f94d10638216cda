"""Insertion (optimizer/insert.py): prices from route segments agree with full timing, and the
search's objective prices depot stops as insertion does."""

from __future__ import annotations

import pytest

from benchmarks.suites import load_case
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.inserter import Inserter
from optimizer.instance import compile_problem
from optimizer.schedule import route_cost, schedule, timed_from
from tests.inserter_cases import CASES, ruined


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_segment_prices_equal_full_timing(suite: str, name: str) -> None:
    inst, eligible, sol, ins = ruined(suite, name)
    checked = 0
    for o in range(len(inst.orders)):
        if o in sol.provider or not ins.segments.plain[o]:
            continue
        for s in eligible[o]:
            segs = ins.segments.of(inst, s, sol.routes.get(s))
            assert segs is not None
            priced: list = []
            ins._price(o, [segs], priced)
            for estimate, _, pos, depot, depart in priced:
                seq = sol.routes[s].orders if s in sol.routes else []
                cand = [*seq[:pos], o, *seq[pos:]]
                timed = schedule(inst, s, cand, depot=depot)
                assert timed is not None, (o, s, pos, depot)
                assert estimate == route_cost(inst, timed) - ins.cost.get(s, 0)
                # Leaving when the segments say places every stop as full timing does.
                placed = timed_from(inst, s, cand, depot, depart)
                assert placed is not None and placed.starts == timed.starts
                assert placed.route == timed.route and placed.travel == timed.travel
                checked += 1
    assert checked > 200


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_best_insertion_same_with_and_without_segments(suite: str, name: str) -> None:
    inst, eligible, sol, fast = ruined(suite, name)
    slow = Inserter(inst, sol, eligible)
    slow.segments.plain = [False] * len(inst.orders)  # every route timed in full
    found = 0
    for o in range(len(inst.orders)):
        if o in sol.provider:
            continue
        for s in eligible[o]:
            a, b = fast.best(o, [s]), slow.best(o, [s])
            assert (a and a.delta) == (b and b.delta), (o, s)
            found += a is not None
    assert found > 50


@pytest.mark.parametrize("idle", [0, 1])
def test_search_objective_prices_depot_stops_as_insertion_does(idle: int) -> None:
    """With depot stops in the plan, the objective that accepts moves and the route costs
    that insertion minimises agree, whether idle time is priced or not."""
    from benchmarks.weights import only
    from optimizer.cp.objective import solution_cost, unassigned_cost

    problem = load_case("trsp", "R101.100_25-5-5-5", None).problem
    inst = compile_problem(problem.model_copy(update={"weights": only(travel=1, idle=idle)}))
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    ins = Inserter(inst, sol, eligible)
    assert sum(1 for r in sol.routes.values() if r.depot is not None) > 5
    left = sum(unassigned_cost(inst, o) for o in range(len(inst.orders)) if o not in sol.start)
    assert solution_cost(inst, sol) == sum(ins.cost.values()) + left
