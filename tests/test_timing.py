"""Insertion into routes with breaks, lateness, crews and `after` bounds: the relaxation's
bounds hold for every position, the bounded search finds what timing every position finds,
and the search's own cost is the evaluator's objective."""

from __future__ import annotations

import random

from factory import at, order, problem, tech
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generator import BadDay, generate_day
from benchmarks.moves import evaluated_objective, own_cost
from models import load_problem
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.groups import is_grouped
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.ruin import RuinRecreate, anneal
from optimizer.schedule import route_cost, schedule
from optimizer.solution import RouteSol, Solution
from optimizer.timing import Relaxed

SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _day(seed: int, orders: int = 24, techs: int = 4) -> tuple[Instance, Solution, object]:
    """A small generated bad day (breaks, SLA lateness, crews, links, `after` chains, pinned
    visits, late shifts, depot trips), compiled, with its first plan."""
    day = generate_day(orders, techs, seed=seed, bad_day=BadDay.realistic())
    problem = load_problem(day)
    inst = compile_problem(problem)
    sol = construct(inst, eligible_shifts(inst))
    sol.cost = solution_cost(inst, sol)
    return inst, sol, problem


def _movable(inst: Instance, ins: Inserter) -> list[int]:
    """Served single orders that nothing waits for."""
    waited = {p for order in inst.orders for p in order.after}
    return [o for o in sorted(ins.sol.provider) if not is_grouped(inst, o) and o not in waited]


def _every_insertion(ins: Inserter, o: int, shifts: list[int]):
    """Every position and depot stop of o in the given routes, timed in full: (delta,
    shift, position, depot stop, timed route) of the feasible ones."""
    inst = ins.inst
    for s in shifts:
        route = ins.sol.routes.get(s)
        seq = route.orders if route is not None else []
        for pos in range(len(seq) + 1):
            cand = [*seq[:pos], o, *seq[pos:]]
            for depot in ins.depot_options(s, pos, o):
                timed = schedule(inst, s, cand, ins.lower_bounds(cand), depot=depot)
                if timed is None or not ins.dependents_ok(cand, timed):
                    continue
                yield route_cost(inst, timed) - ins.cost.get(s, 0), s, pos, depot, timed


@SETTINGS
@given(st.integers(0, 10_000))
def test_bounds_hold_and_best_is_the_cheapest_timed(seed: int) -> None:
    """Every position's relaxed bound is at most its timed cost (and exists where it can be
    timed); in the routes the kernel does not price, the insertion found is the cheapest
    supplied one of timing every position."""
    inst, sol, _ = _day(seed)
    eligible = eligible_shifts(inst)
    base = Inserter(inst, sol, eligible)
    for o in _movable(inst, base)[:6]:
        ins = base.clone()
        if not ins.remove(o):
            continue  # the rest of its route cannot be timed without it
        shifts = ins.nearest_routes(o)
        lower_o = ins.lower_bounds([o]).get(o, 0)
        cheapest = None
        timed_only = [
            s for s in shifts if not ins.segments.kernel[o] or ins.kernel_route(o, s) is None
        ]
        for delta, s, pos, depot, timed in _every_insertion(ins, o, shifts):
            relaxed = ins.relaxed(s)
            assert relaxed is not None
            own = relaxed.depot
            if depot is None or own is not None:
                g = pos + 1 if own is not None and depot == own and pos >= own[1] else pos
                found = relaxed.bound(inst, o, lower_o, g)
            else:
                found = relaxed.bound(inst, o, lower_o, pos, (depot[0], depot[1] == 0))
            assert found is not None, (s, pos, depot)
            assert found[0] - ins.cost.get(s, 0) <= delta
            assert found[1] <= timed.starts[pos]
            if depot is None or own is not None:
                assert relaxed.fits(inst, o, g, timed.starts[pos], timed.starts[pos])
            if (
                s in timed_only
                and (cheapest is None or delta < cheapest)
                and ins.supplied(inst.shifts[s].tech, timed.route, o)
            ):
                cheapest = delta
        best = ins.best(o, timed_only)
        assert (best.delta if best is not None else None) == cheapest


@SETTINGS
@given(st.integers(0, 10_000))
def test_search_cost_is_the_evaluators_objective(seed: int) -> None:
    """After ruin and recreate on a bad day, the search's own cost of its best solution is the
    evaluator's objective of the plan built from it."""
    inst, sol, problem = _day(seed, orders=30, techs=5)
    eligible = eligible_shifts(inst)
    rng = random.Random(seed)
    best, _ = anneal(
        inst,
        eligible,
        sol,
        rng,
        iterations=15,
        clock=lambda k: k / 15,
        rr=RuinRecreate(inst, eligible, rng),
    )
    assert best.cost == solution_cost(inst, best)
    assert abs(own_cost(inst, best) - evaluated_objective(inst, problem, best)) < 1e-6


def _lunch_day(latest_b: str) -> tuple[Instance, Relaxed]:
    """A1 (10 units east, 30 min) fixed at 11:30 and a break that must be 12:00-12:30: the
    relaxation of the route [A1]; B1 (20 east, 30 min) may start 12:00 .. `latest_b`."""
    brk = [{"earliest_start": at("12:00"), "latest_end": at("12:30"), "duration": "PT30M"}]
    p = problem(
        [tech("A", breaks=brk)],
        [
            order("A1", 10, 0, 30, time_windows=[{"start": at("11:30"), "end": at("11:30")}]),
            order("B1", 20, 0, 30, time_windows=[{"start": at("12:00"), "end": at(latest_b)}]),
        ],
    )
    inst = compile_problem(p)
    relaxed = Relaxed.of(inst, 0, RouteSol(0, [0]), {})
    assert relaxed is not None
    return inst, relaxed


def test_break_before_the_next_visit_is_priced():
    """B1 after A1 starts at 12:40 at the earliest (A1 ends 12:00, break to 12:30, 10 min of
    travel): the bound is that route's cost, travel 10 + 10 + 20 = 40 min, as timed."""
    inst, relaxed = _lunch_day("12:40")
    found = relaxed.bound(inst, 1, 0, 1)
    timed = schedule(inst, 0, [0, 1])
    assert found is not None and timed is not None
    assert timed.starts[1] == inst.orders[1].windows[0][1]
    assert found[0] == route_cost(inst, timed) == inst.c_travel * 40 * 60


def test_break_that_cannot_fit_leaves_no_bound():
    """B1 due to start by 12:35 cannot follow A1 (break to 12:30, then 10 min of travel), nor
    come before it: no bound and no timing at either position."""
    inst, relaxed = _lunch_day("12:35")
    assert relaxed.bound(inst, 1, 0, 1) is None
    assert schedule(inst, 0, [0, 1]) is None
    assert relaxed.bound(inst, 1, 0, 0) is None
    assert schedule(inst, 0, [1, 0]) is None
