"""Reduced-cost fixing and the restricted model below an incumbent (roster/restricted.py)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from benchmarks.roster_generator import generate_roster
from models.roster import load_roster_problem
from optimizer.roster import colgen, restricted
from optimizer.roster.evaluate import evaluate_assignment
from optimizer.roster.instance import OFF, RosterInstance
from optimizer.roster.model import build_model
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.solve import Search


def week(people: int, seed: int) -> RosterInstance:
    """A generated week of one region (skills: cover rows count subsets of the staff)."""
    return RosterInstance.from_problem(
        load_roster_problem(generate_roster(people, seed=seed, days=7))
    )


def optimal_roster(inst: RosterInstance) -> list[list[int]]:
    """A roster of the whole CP-SAT model, proven optimal."""
    rm = build_model(inst)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 60.0
    assert solver.solve(rm.model) == cp_model.OPTIMAL
    return rm.assignment(solver)


def solve_restricted(inst: RosterInstance, cg: colgen.ColumnGeneration, incumbent: int) -> tuple:
    """The restricted model below `incumbent` solved to the end: status and roster."""
    fixings = restricted.reduced_cost_fixing(inst, cg, incumbent)
    assert fixings is not None and fixings.slack >= 0
    rm = restricted.restricted_model(inst, cg, fixings, incumbent)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 60.0
    status = solver.solve(rm.model)
    found = rm.assignment(solver) if status == cp_model.OPTIMAL else None
    return status, found


def test_fixing_keeps_every_better_roster_and_the_restricted_model_finds_the_optimum() -> None:
    """On generated weeks, fixing against optimum + 1 contradicts no optimal roster, the
    restricted model below optimum + 1 finds the optimum, and below the optimum it is
    infeasible (which proves the incumbent)."""
    for seed in (1, 3):
        inst = week(5, seed)
        roster = optimal_roster(inst)
        best = evaluate_assignment(inst, roster).value
        cg = colgen.generate(inst, Budget(600.0, 20.0))
        fixings = restricted.reduced_cost_fixing(inst, cg, best + 1)
        assert fixings is not None and fixings.complete
        assert not any(roster[e][d] == s for e, d, s in fixings.off_cells)
        assert all(roster[e][d] != OFF for e, d in fixings.worked_days)
        assert all(roster[e][d] == OFF for e, d in fixings.rest_days)
        status, found = solve_restricted(inst, cg, best + 1)
        assert status == cp_model.OPTIMAL and found is not None
        assert evaluate_assignment(inst, found).value == best
        if restricted.reduced_cost_fixing(inst, cg, best).slack >= 0:  # type: ignore[union-attr]
            assert solve_restricted(inst, cg, best)[0] == cp_model.INFEASIBLE


def test_fixing_fixes_more_below_a_lower_incumbent() -> None:
    """The lower the incumbent, the smaller the slack and the more cells are fixed (every
    fixing against a higher incumbent holds against a lower one)."""
    inst = week(6, 2)
    cg = colgen.generate(inst, Budget(600.0, 20.0))
    best = evaluate_assignment(inst, optimal_roster(inst)).value
    high = restricted.reduced_cost_fixing(inst, cg, best + 40)
    low = restricted.reduced_cost_fixing(inst, cg, best + 1)
    assert high is not None and low is not None and low.slack < high.slack
    assert high.off_cells <= low.off_cells and high.worked_days <= low.worked_days


def restricted_search(inst: RosterInstance, seed: int) -> Search:
    """A search on a generated week after column generation, its dive's roster the
    incumbent, improved by the restricted model (one worker, deterministic budget)."""
    params = RosterParams(workers=1, seed=0, time_limit=600.0, deterministic_limit=30.0)
    search = Search(inst, build_model(inst), params, Budget(600.0, 30.0))
    cg = colgen.generate(inst, Budget(600.0, 20.0), dive=(600.0, 5.0), dive_fix_share=0.5)
    assert cg.dive_roster is not None
    search.lagrangian, search.assignment = cg, cg.dive_roster
    search.value = evaluate_assignment(inst, cg.dive_roster).value
    restricted.improve_restricted(search, 600.0, 20.0)
    return search


def test_improve_restricted_reaches_and_proves_the_optimum_reproducibly() -> None:
    """From the dive's roster of generated weeks, the restricted phase ends at the proven
    optimum, the same roster twice with one worker and a deterministic budget."""
    for seed in (1, 4):
        inst = week(6, seed)
        best = evaluate_assignment(inst, optimal_roster(inst)).value
        first, second = restricted_search(inst, seed), restricted_search(inst, seed)
        assert first.assignment == second.assignment
        assert first.value == best and first.proven and first.bound == best
        assert evaluate_assignment(inst, first.assignment).feasible
        assert first.stats["restricted"]["ended"] in ("optimal", "improved")
