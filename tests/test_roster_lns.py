"""Neighbourhoods as sub-models: the sub-instance scores like the whole one, less the others'
requests; re-optimising a part keeps every rule; a first roster, then LNS, by parts."""

from __future__ import annotations

import random

from benchmarks import curtois
from optimizer.roster import lns
from optimizer.roster.evaluate import evaluate_assignment, evaluate_roster
from optimizer.roster.instance import RosterInstance
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.solve import Search, solve_roster


def reference(name: str) -> tuple[RosterInstance, list[list[int]]]:
    """A Curtois-Qu instance and its first third-party reference roster, dense."""
    inst = RosterInstance.from_problem(curtois.load(name))
    roster = curtois.read_reference_rosters(name)[0].roster
    return inst, inst.from_roster(roster)


def by_parts(seed: int, deterministic_limit: float) -> RosterParams:
    """One worker, a deterministic budget, and every instance solved by parts (without
    column generation, which proves Instance2 and 3 on its own)."""
    return RosterParams(
        workers=1,
        seed=seed,
        time_limit=60.0,
        deterministic_limit=deterministic_limit,
        lns="on",
        lns_first_only_vars=0,
        lns_step_time=0.2,
        colgen="off",
    )


def test_subproblem_scores_as_the_whole_less_the_others_requests() -> None:
    """For random groups of people and windows of days, the sub-instance's value of their rows
    is the whole value less the request cost of the people left out."""
    inst, assignment = reference("Instance5")
    whole = evaluate_assignment(inst, assignment)
    rng = random.Random(3)
    for _ in range(5):
        people = sorted(rng.sample(range(inst.num_staff), 4))
        first = rng.randrange(inst.num_days - 7)
        days = set(range(first, first + 7)) if rng.random() < 0.5 else None
        sub = inst.subproblem(people, assignment, days)
        part = evaluate_assignment(sub, [assignment[e] for e in people])
        others = sum(
            r.weight
            for r in inst.requests
            if r.staff not in people and (assignment[r.staff][r.day] == r.shift) != r.on
        )
        assert part.feasible
        assert part.value == whole.value - others


def test_a_part_reoptimised_stays_feasible_and_no_worse() -> None:
    """Re-optimising three people over a window of days, then two over every day, keeps every
    hard rule and lowers (or keeps) the objective by the change it reports."""
    inst, assignment = reference("Instance4")
    params = RosterParams(workers=1, seed=0, time_limit=30.0)
    search = Search(inst, None, params, Budget(30.0, 10.0))
    search.assignment = [row[:] for row in assignment]
    value = evaluate_assignment(inst, assignment).value
    for people, days in (([0, 3, 5], set(range(7, 14))), ([1, 2], None)):
        before = [row[:] for row in search.assignment]
        outcome = lns.solve_part(search, people, days, 10.0, 2.0, 0)
        assert outcome is not None
        after = evaluate_assignment(inst, search.assignment)
        assert after.feasible
        assert after.value == value + outcome[0] <= value
        value = after.value
        fixed = set() if days is None else set(range(inst.num_days)) - days
        for e in people:
            assert all(search.assignment[e][d] == before[e][d] for d in fixed)
        others = set(range(inst.num_staff)) - set(people)
        assert all(search.assignment[e] == before[e] for e in others)


def test_first_roster_by_parts_then_lns() -> None:
    """Forced to work by parts on Instance2, the solve finds a first roster person by person,
    improves it with neighbourhoods, and the result is feasible and scored by the
    evaluator."""
    problem = curtois.load("Instance2")
    params = by_parts(seed=0, deterministic_limit=1.5)
    result = solve_roster(problem, params)
    ev = evaluate_roster(problem, result.roster)
    assert ev.feasible
    assert result.objective.value == ev.value
    assert result.solver["by_parts"] is True and result.solver["lns_steps"] > 0
    first_roster = result.solver["improvements"][0][1]
    assert ev.value <= first_roster


def test_by_parts_same_seed_one_worker_same_roster() -> None:
    """Forced to work by parts (first roster person by person, then LNS with best-row steps),
    one worker and a deterministic budget give the same roster twice."""
    problem = curtois.load("Instance3")
    params = by_parts(seed=3, deterministic_limit=1.5)
    first, second = solve_roster(problem, params), solve_roster(problem, params)
    assert first.solver["by_parts"] is True and first.solver["lns_steps"] > 0
    assert first.roster == second.roster
    assert evaluate_roster(problem, first.roster).feasible
