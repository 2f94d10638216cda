"""Large neighbourhood search on sub-models: re-optimise everyone over a window of days, a
group of people over every day, or a larger group over a window of days, with the rest of the
roster fixed, warm-started from the incumbent, until the budget is spent; and the first roster
of a large instance.

Every labour rule binds one person, so a neighbourhood is a small model of its own
(`RosterInstance.subproblem`): the people outside it count as constants in the cover rows.
Building it costs what its free part costs, whatever the size of the whole instance.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.roster.evaluate import evaluate_assignment
from optimizer.roster.instance import RosterInstance
from optimizer.roster.model import build_model
from optimizer.roster.solve import search_redundant

if TYPE_CHECKING:
    from optimizer.roster.solve import Search

KINDS = ("days", "staff", "block")
"""Neighbourhoods in turn: everyone over a window of days, a group of people over every day,
and a group of twice as many people over a window of twice the days."""
GROW, SHRINK = 1.15, 0.85
"""How the neighbourhood size moves after a sub-solve proved optimal / ran out of time."""
STEP_COST = 0.1
"""Deterministic seconds each step costs at least (its set-up is not counted by CP-SAT), so a
deterministic budget bounds the number of steps."""


def solve_part(
    search: Search,
    people: list[int],
    days: set[int] | None,
    wall: float,
    deterministic: float | None,
    seed: int,
) -> tuple[int, bool] | None:
    """Re-optimise `people` (on `days`, None for all) with everything else fixed, hinted with
    the incumbent; write the rows back when they cost no more. Returns (the change in the
    objective, whether the sub-model was solved to optimality), None without a solution."""
    assert search.assignment is not None
    inst = search.rm_inst
    sub = inst.subproblem(people, search.assignment, days)
    # with most days fixed the flow of runs costs more to build than it helps
    redundant = search_redundant(search.params) if days is None else ()
    rm = build_model(sub, redundant=redundant)
    before = [search.assignment[e] for e in people]
    rm.hint(before)
    solver, status = search.run_model(rm.model, wall, deterministic, seed)
    search.budget.spent_deterministic += max(0.0, STEP_COST - solver.deterministic_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.INFEASIBLE:
            search.infeasible = True
        return None
    rows = rm.assignment(solver)
    old = evaluate_assignment(sub, before)
    new = evaluate_assignment(sub, rows)
    delta = new.value - old.value if old.feasible else new.value
    if new.feasible and (delta <= 0 or not old.feasible):
        for k, e in enumerate(people):
            search.assignment[e] = rows[k]
        return delta, status == cp_model.OPTIMAL
    return 0, status == cp_model.OPTIMAL


def construct(search: Search) -> None:
    """A first roster: the whole instance for feasibility alone, stopped at its first
    solution (it may take the whole budget: nothing else can start without it); LNS then
    improves it. With the cover in the objective CP-SAT may find no roster
    at all in its time (Instance20: none in 300 s; 20 s on feasibility alone)."""
    inst = search.rm_inst
    params, budget = search.params, search.budget
    assert params.seed is not None
    rm = build_model(inst)
    rm.model.clear_objective()  # type: ignore[no-untyped-call]
    det = budget.deterministic_left()
    solver, status = search.run_model(
        rm.model,
        budget.wall_left(),
        det,
        params.seed,
        stop_at_first=True,
    )
    search.infeasible = status == cp_model.INFEASIBLE
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        search.assignment = rm.assignment(solver)
        search.value = evaluate_assignment(inst, search.assignment).value
        search.note_improvement()


def improve(search: Search) -> None:
    """Run LNS steps on `search` (which holds a first solution) while its budget lasts."""
    params, budget = search.params, search.budget
    inst: RosterInstance = search.rm_inst
    assert search.assignment is not None and search.value is not None
    assert params.seed is not None
    rng = random.Random(params.seed)
    num_staff, num_days = inst.num_staff, inst.num_days
    sizes = {
        "days": float(params.lns_days),
        "staff": float(params.lns_staff),
        "block": float(2 * params.lns_days),
    }
    steps = accepted = 0
    while not budget.exhausted() and not search.infeasible:
        kind = KINDS[steps % len(KINDS)]
        if kind == "staff":
            size = max(1, min(num_staff, round(sizes[kind])))
            people, days = sorted(rng.sample(range(num_staff), size)), None
        else:
            size = max(1, min(num_days, round(sizes[kind])))
            group = num_staff if kind == "days" else max(2, 2 * round(sizes["staff"]))
            people = sorted(rng.sample(range(num_staff), min(num_staff, group)))
            first = rng.randrange(0, num_days - size + 1)
            days = set(range(first, first + size))
        det = budget.deterministic_left()
        step = params.lns_step_time
        outcome = solve_part(
            search,
            people,
            days,
            min(step, budget.wall_left()) if det is None else budget.wall_left(),
            None if det is None else min(step, det),
            params.seed + steps + 1,
        )
        steps += 1
        if outcome is None:
            sizes[kind] = max(1.0, sizes[kind] * SHRINK)
            continue
        delta, optimal = outcome
        if delta < 0:
            accepted += 1
            search.value += delta
            search.note_improvement()
        if optimal:
            if kind == "staff" and size == num_staff:
                search.proven = True  # every person free: the whole model was solved
                break
            limit = num_staff if kind == "staff" else num_days
            sizes[kind] = min(float(limit), sizes[kind] * GROW)
        else:
            sizes[kind] = max(1.0, sizes[kind] * SHRINK)
    search.stats.update(lns_steps=steps, lns_improving_steps=accepted)
