"""Route-end exchanges, 2-opt* (optimizer/exchange.py)."""

from __future__ import annotations

import pytest

from benchmarks.suites import load_case
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.inserter import Inserter
from optimizer.instance import compile_problem
from optimizer.schedule import route_cost, schedule


@pytest.mark.parametrize(
    ("suite", "name"), [("solomon", "R112"), ("trsp", "R101.100_25-5-5-5"), ("solomon", "RC208")]
)
def test_route_end_exchanges_keep_every_route_right(suite: str, name: str) -> None:
    """2-opt* on a constructed plan: it pays, and every route it makes is what full timing
    gives, costs what it says, and is served by qualified, supplied technicians; depot
    stops move with their part of a route, and the pick-ups and depot stock kept by the
    inserter are what they would be computed afresh."""
    from optimizer.cp.objective import solution_cost
    from optimizer.supply import supply_plan

    inst = compile_problem(load_case(suite, name, None).problem)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    before = solution_cost(inst, sol)
    ins = Inserter(inst, sol, eligible)
    with_depot = []
    make = ins._exchange

    def record(move) -> None:
        with_depot.append(move.had_depot or (move.depot_x or move.depot_y) is not None)
        make(move)

    ins._exchange = record  # type: ignore[method-assign]
    made = ins.exchange_tails(set(sol.routes), limit=1000)
    assert made == len(with_depot) > 0
    if suite == "trsp":
        assert sum(with_depot) > 5
    fresh = Inserter(inst, sol, eligible)
    assert fresh.picks == ins.picks and fresh.stock == ins.stock
    assert solution_cost(inst, sol) < before
    for s, route in sol.routes.items():
        if not route.orders:
            assert ins.cost.get(s, 0) == 0
            continue
        depot = route.depot[:2] if route.depot else None
        timed = schedule(inst, s, route.orders, depot=depot)
        assert timed is not None
        assert timed.route == route and timed.starts == [sol.start[o] for o in route.orders]
        assert route_cost(inst, timed) == ins.cost[s]
        assert all(s in eligible[o] and sol.provider[o] == s for o in route.orders)
    assert supply_plan(inst, sol) is not None
    tech_of = {o: inst.shifts[s].tech for o, s in sol.provider.items()}
    assert {o for t in ins.provided.values() for o in t} == set(tech_of)
    assert all(tech_of[o] == t for t, orders in ins.provided.items() for o in orders)
