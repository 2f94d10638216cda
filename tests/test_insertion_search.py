"""Fast insertion (route segments agree with full timing) and parallel ruin-and-recreate chains."""

from __future__ import annotations

import random

import pytest

from benchmarks.suites import load_case
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.inserter import Inserter
from optimizer.instance import compile_problem
from optimizer.schedule import route_cost, schedule, timed_from
from optimizer.segments import RouteSegments, concat, join, segment_cost

CASES = [
    ("trsp", "R101.100_25-5-5-5"),  # tight windows, skills, depot stops for parts and tools
    ("trsp", "RC205.100_25-5-5-5"),  # wide windows
    ("solomon", "R211"),  # distance only, long routes
]


def _ruined(suite: str, name: str, seed: int = 1):
    """A constructed solution with 30 orders taken out again."""
    inst = compile_problem(load_case(suite, name, None).problem)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    ins = Inserter(inst, sol, eligible)
    for o in random.Random(seed).sample(sorted(sol.provider), 30):
        ins.remove(o)
    return inst, eligible, sol, ins


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_segment_prices_equal_full_timing(suite: str, name: str) -> None:
    inst, eligible, sol, ins = _ruined(suite, name)
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
    inst, eligible, sol, fast = _ruined(suite, name)
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


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_removal_by_segments_times_as_full_timing(suite: str, name: str) -> None:
    inst, _, sol, ins = _ruined(suite, name, seed=2)
    checked = 0
    for o in sorted(sol.provider):
        s, pos, seq, depot = ins.without(o)
        fast = ins._timed_without(s, pos, seq, depot) if seq else None
        full = schedule(inst, s, seq, depot=depot) if seq else None
        if full is None:
            assert fast is None
            continue
        assert fast is not None and fast.route == full.route and fast.starts == full.starts
        checked += 1
    assert checked > 30


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


def test_route_segment_cost_is_the_route_cost() -> None:
    inst, _, sol, ins = _ruined("trsp", "R101.100_25-5-5-5")
    for s, route in sol.routes.items():
        if not route.orders:
            continue
        segs = RouteSegments.of(inst, route, s)
        assert segs.suffix[0] == segs.prefix[-1]
        assert segment_cost(inst, s, segs.prefix[-1], segs.service) == ins.cost[s]


def test_concat_detects_lateness() -> None:
    rows = [[0, 10], [10, 0]]
    a = (5, 0, 0, 100, 0, 0, 0)  # starts in [0, 100], takes 5
    b = (5, 0, 0, 12, 1, 1, 0)  # must start by 12
    assert concat(rows, a, b)[1] == 3  # earliest arrival 15: three late
    assert concat(rows, b, a)[1] == 0


def test_join_is_concat_twice() -> None:
    rows = [[0, 10, 4], [10, 0, 7], [4, 7, 0]]
    a = (5, 0, 0, 100, 0, 0, 0)
    x = (20, 0, 30, 40, 1, 2, 7)  # two stops, from place 1 to place 2
    b = (0, 0, 0, 200, 2, 2, 0)
    assert join(rows, a, x, b) == concat(rows, concat(rows, a, x), b)
    assert join(rows, a, None, b) == concat(rows, a, b)
    late = (0, 0, 0, 40, 2, 2, 0)  # x cannot end before 50
    assert join(rows, a, x, late) is None
    assert concat(rows, concat(rows, a, x), late)[1] > 0


def test_parallel_chains_repeat_with_a_move_budget() -> None:
    """Two chains, one in a forked process: same seed and move budget, same solution; and
    never worse than where they started."""
    from optimizer.cp.objective import solution_cost
    from optimizer.ruin import anneal_chains, can_fork_chains

    assert can_fork_chains()
    inst = compile_problem(load_case("trsp", "RC205.100_25-5-5-5", None).problem)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    sol.cost = solution_cost(inst, sol)
    runs = [
        anneal_chains(inst, eligible, sol, 7, 2, until=float("inf"), iterations=120)
        for _ in range(2)
    ]
    (first, moves), (second, _) = runs
    assert moves == 2 * 120
    assert first.routes == second.routes and first.start == second.start
    assert first.cost == solution_cost(inst, first) < sol.cost
