"""The route pool: routes met by ruin-and-recreate chains, combined by set partitioning."""

from __future__ import annotations

import random

from benchmarks.suites import load_case
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import route_part, solution_cost
from optimizer.insertion import construct, schedule
from optimizer.instance import compile_problem
from optimizer.pool import RoutePool
from optimizer.ruin import anneal
from optimizer.solution import Solution
from optimizer.supply import supply_plan
from tests.factory import order, problem, tech


def test_two_chains_routes_combine_into_a_cheaper_plan_that_full_timing_confirms() -> None:
    """Two short chains from one start plan pool their routes; the combination beats the
    better chain, serves the same orders, and each of its routes is what full timing
    gives, supplied, at the cost the objective counts."""
    inst = compile_problem(load_case("trsp", "R101.100_25-5-5-5", None).problem)
    eligible = eligible_shifts(inst)
    start = construct(inst, eligible)
    start.cost = solution_cost(inst, start)
    pool = RoutePool(inst)
    ends = []
    for seed in (1, 2):
        chain = RoutePool(inst)
        best, _ = anneal(
            inst,
            eligible,
            start,
            random.Random(seed),
            iterations=300,
            clock=lambda n: n / 300,
            pool=chain,
        )
        ends.append(best)
        pool.merge(chain.routes)
    incumbent = min(ends, key=lambda sol: sol.cost)
    combined = pool.combine(incumbent, time_limit=30.0, deterministic=1.0)
    assert combined is not None
    assert combined.cost < incumbent.cost
    assert combined.cost == solution_cost(inst, combined)
    assert combined.served() == incumbent.served()
    assert supply_plan(inst, combined) is not None
    for s, route in combined.routes.items():
        depot = route.depot[:2] if route.depot else None
        timed = schedule(inst, s, route.orders, depot=depot)
        assert timed is not None and timed.route == route
        assert [combined.start[o] for o in route.orders] == timed.starts
        assert all(combined.provider[o] == s for o in route.orders)


def test_the_pool_keeps_the_cheapest_route_for_each_shift_and_set_of_orders() -> None:
    """Two routes of one shift over the same orders: the pool keeps the cheaper, whichever
    came first, at the cost the objective counts for it."""
    inst = compile_problem(load_case("solomon", "R211", None).problem)
    sol = construct(inst, eligible_shifts(inst))
    pairs = []
    for s, route in sol.routes.items():
        for k in range(len(route.orders) - 1):
            seq = list(route.orders)
            seq[k], seq[k + 1] = seq[k + 1], seq[k]
            other = schedule(inst, s, seq)
            if other is not None and route_part(inst, s, other.route) != route_part(
                inst, s, route
            ):
                pairs.append((s, route, other))
    assert pairs
    s, route, other = pairs[0]
    mine = Solution(routes={s: route}, start={o: sol.start[o] for o in route.orders})
    theirs = Solution(
        routes={s: other.route}, start=dict(zip(other.route.orders, other.starts, strict=True))
    )
    cost_mine, cost_theirs = route_part(inst, s, route), route_part(inst, s, other.route)
    cheaper = route.orders if cost_mine < cost_theirs else other.route.orders
    for first, second in ((mine, theirs), (theirs, mine)):
        pool = RoutePool(inst)
        pool.add(first)
        pool.add(second)
        assert len(pool.routes) == 1
        cost, kept, starts = pool.routes[(s, frozenset(route.orders))]
        assert kept.orders == cheaper and cost == min(cost_mine, cost_theirs)
        assert list(starts) == [
            (first if first.routes[s].orders == cheaper else second).start[o] for o in cheaper
        ]


def test_routes_are_pooled_only_where_they_are_independent() -> None:
    """Crew orders and `after` relations tie routes together: no pool there."""
    plain = compile_problem(load_case("solomon", "C101", None).problem)
    assert RoutePool.applies(plain)
    techs = [tech("A", 0, 0), tech("B", 0, 10)]
    crewed = compile_problem(problem(techs, [order("C", 0, 5, crew_size=2)]))
    assert not RoutePool.applies(crewed)
    ordered = compile_problem(problem(techs, [order("X", 0, 5), order("Y", 5, 5, after=["X"])]))
    assert not RoutePool.applies(ordered)
    free = compile_problem(problem(techs, [order("X", 0, 5), order("Y", 5, 5)]))
    assert RoutePool.applies(free)


def test_an_empty_pool_or_no_time_changes_nothing() -> None:
    inst = compile_problem(load_case("solomon", "C101", None).problem)
    sol = construct(inst, eligible_shifts(inst))
    sol.cost = solution_cost(inst, sol)
    assert RoutePool(inst).combine(sol, time_limit=0.0) is None
    assert RoutePool(inst).combine(sol, time_limit=5.0) is None  # only its own routes
