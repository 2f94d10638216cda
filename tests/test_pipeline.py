"""The one solve pipeline: an immutable compiled instance, a re-plan's context as an input of
compile, staged runs of one `Solver`, and a plan as a warm start."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models import Order
from optimizer.budget import Budget
from optimizer.context import Context
from optimizer.instance import compile_problem
from optimizer.params import SolveParams
from optimizer.replan import recommend
from optimizer.solve import Solver, solve
from tests.factory import order, problem, tech
from tests.replan_cases import NOW, solved_day


def test_compiled_instance_is_immutable() -> None:
    """Fields of the instance and its orders cannot be set, nor its arrays written."""
    inst = compile_problem(problem([tech("A")], [order("X", 10, 0)]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.tolerance = 60  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.orders[0].duration = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        inst.qualified[0, 0] = False


def test_context_gives_the_baseline_at_compile() -> None:
    """A context's previous plan sets each order's technicians and start, and the tolerance."""
    p, plan = solved_day()
    context = Context(previous=plan, tolerance=timedelta(minutes=5))
    inst = compile_problem(p, context=context)
    visits = {
        it.order: (r.technician, it.start)
        for r in plan.routes
        for it in r.items
        if it.type == "visit"
    }
    assert inst.tolerance == 300
    assert inst.prev_known == frozenset(range(len(p.orders)))
    for oid, (tid, start) in visits.items():
        techs, seconds = inst.baseline[inst.order_idx[oid]]
        assert techs == frozenset({inst.tech_idx[tid]})
        assert inst.instant(seconds) == start
    assert compile_problem(p).baseline == {}


def test_one_solver_run_is_the_solve() -> None:
    """A solver's one run gives the plan `solve` gives (deterministic budget, one worker)."""
    p, _ = solved_day()
    params = SolveParams(time_limit=30, deterministic_limit=0.5, workers=1, seed=0)
    once = solve(p, params).plan
    solver = Solver(p, params)
    run = solver.run(Budget.start(30, 0.5).keep(solver.plan_seconds)).plan
    assert run.routes == once.routes
    assert run.objective == once.objective


def test_stages_continue_one_instance() -> None:
    """A second run from the first's solution uses the same instance and is no worse."""
    p, _ = solved_day()
    solver = Solver(p, SolveParams(time_limit=30, deterministic_limit=0.2, workers=1, seed=0))
    first = solver.run(Budget.start(30, 0.2))
    second = solver.run(Budget.start(30, 0.2), first.solution)
    assert second.instance is first.instance
    assert second.plan.objective.value <= first.plan.objective.value + 1e-9


def test_a_plan_is_a_warm_start_of_its_problem() -> None:
    """A plan as warm start keeps its routes: same orders, same starts."""
    p, plan = solved_day()
    solver = Solver(p, SolveParams(workers=1))
    start = solver.warm_start(plan)
    inst = solver.instance
    got = {inst.orders[o].id: inst.instant(s) for o, s in start.start.items()}
    assert got == {it.order: it.start for r in plan.routes for it in r.items if it.type == "visit"}


def test_recommend_with_its_budget_spent_gives_direct_insertions_only() -> None:
    """With the budget spent, no option drops an order; the direct insertions are kept."""
    p, plan = solved_day()
    new = Order.model_validate(order("N", 50, 0, 30, priority=1))
    full = recommend(p, plan, new, NOW, 5)
    spent = recommend(p, plan, new, NOW, 5, budget=Budget.start(0.0))
    direct = [r for r in full if not any(c.to_technician is None for c in r.changes)]
    assert spent
    assert spent == direct
