"""The route pool: routes met by ruin-and-recreate chains, combined by set partitioning."""

from __future__ import annotations

import random

from benchmarks.suites import load_case
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import route_part, solution_cost
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.params import PoolParams
from optimizer.pool import RoutePool, _without_repeats, room
from optimizer.ruin import anneal
from optimizer.schedule import Timed, route_cost, schedule
from optimizer.solution import Solution
from optimizer.supply import supply_plan
from tests.factory import order, problem, tech


def test_two_chains_routes_combine_into_a_cheaper_plan_that_full_timing_confirms() -> None:
    """Two short chains from one start plan pool their routes; the combination beats the
    better chain, serves the same orders, and each of its routes is what full timing
    gives, supplied, at the cost the objective counts."""
    inst, pool, incumbent = _two_chains("R101.100_25-5-5-5", (1, 2), 300)
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


def test_a_repeated_order_stays_only_where_it_saves_least_to_take_it_out() -> None:
    """Two routes that both visit an order (as a set cover may choose them): the order is
    taken out of the route that saves most without it, that route is re-timed in full, and
    the plan costs what its routes cost less that saving."""
    inst = compile_problem(load_case("solomon", "R211", None).problem)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    cases = 0
    for s2, route2 in sorted(sol.routes.items()):
        for o in route2.orders:
            ins = Inserter(inst, sol.copy(), eligible)
            if not ins.remove(o):
                continue
            for s1 in sorted(sol.routes):
                moved = ins.best(o, shifts=[s1]) if s1 != s2 else None
                if moved is None:
                    continue
                entries = [
                    (route_cost(inst, timed), timed.route, tuple(timed.starts))
                    for timed in (moved.timed, _timed(inst, sol, s2))
                ]
                rest = ins.sol.routes[s2]
                saving = {
                    s1: entries[0][0] - route_cost(inst, _timed(inst, sol, s1)),
                    s2: entries[1][0] - (route_part(inst, s2, rest) if rest.orders else 0),
                }
                out = _without_repeats(inst, entries)
                assert out is not None
                assert sum(o in r.orders for r in out.routes.values()) == 1
                keeps = min((saving[s1], s1), (saving[s2], s2))[1]
                assert out.provider[o] == keeps
                for s, route in out.routes.items():
                    timed = _timed(inst, out, s)
                    assert timed is not None and timed.route == route
                    assert [out.start[x] for x in route.orders] == timed.starts
                parts = sum(route_part(inst, s, r) for s, r in out.routes.items())
                assert parts == entries[0][0] + entries[1][0] - max(saving.values())
                cases += 1
                break
            if cases >= 5:
                return
    raise AssertionError(f"only {cases} orders could be moved between routes")


def _timed(inst: Instance, sol: Solution, s: int) -> Timed | None:
    route = sol.routes[s]
    depot = route.depot[:2] if route.depot else None
    return schedule(inst, s, route.orders, depot=depot)


def test_a_set_cover_combines_long_routes_that_do_not_partition_the_orders() -> None:
    """On a day of long routes (TRSP R207), two chains' routes combine better with the
    set cover than by set partitioning alone; a day of short ones gets no cover."""
    roomy = PoolParams().roomy
    assert room(compile_problem(load_case("trsp", "R101.100_25-5-5-5", None).problem)) < roomy
    inst, pool, incumbent = _two_chains("R207.100_25-5-5-5", (1, 2), 600)
    assert room(inst) >= roomy
    apart = pool.combine(incumbent, time_limit=30.0, deterministic=1.0, cover=0.0)
    covered = pool.combine(incumbent, time_limit=30.0, deterministic=1.0)
    assert covered is not None
    assert apart is None or covered.cost < apart.cost
    assert covered.cost == solution_cost(inst, covered)
    assert covered.served() == incumbent.served()
    assert supply_plan(inst, covered) is not None


def _two_chains(
    name: str, seeds: tuple[int, int], moves: int
) -> tuple[Instance, RoutePool, Solution]:
    """A TRSP instance, the routes two chains from one start plan pooled, and the better
    chain's best plan."""
    inst = compile_problem(load_case("trsp", name, None).problem)
    eligible = eligible_shifts(inst)
    start = construct(inst, eligible)
    start.cost = solution_cost(inst, start)
    pool = RoutePool(inst)
    ends = []
    for seed in seeds:
        chain = RoutePool(inst)
        best, _ = anneal(
            inst,
            eligible,
            start,
            random.Random(seed),
            iterations=moves,
            clock=lambda n: n / moves,
            pool=chain,
        )
        ends.append(best)
        pool.merge(chain.routes)
    return inst, pool, min(ends, key=lambda sol: sol.cost)
