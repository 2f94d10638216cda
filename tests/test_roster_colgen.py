"""Column generation: the pricing's rows keep every rule, the Dantzig-Wolfe bound is the LP
over every row and never above the optimum, a hand-computed case, price and branch, and the
bound in a solve."""

from __future__ import annotations

import itertools
import math
import random

from ortools.sat.python import cp_model

from benchmarks import curtois
from benchmarks.roster_generator import generate_roster
from models.roster import load_roster_problem
from optimizer.roster import colgen
from optimizer.roster.evaluate import evaluate_assignment, evaluate_roster, hard_violations
from optimizer.roster.instance import OFF, CoverIdx, RequestIdx, RosterInstance, Rule
from optimizer.roster.model import build_model
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.solve import solve_roster


def week(people: int, seed: int) -> RosterInstance:
    """A generated week of one region (skills: cover rows count subsets of the staff)."""
    return RosterInstance.from_problem(
        load_roster_problem(generate_roster(people, seed=seed, days=7))
    )


def every_row(inst: RosterInstance, e: int) -> list[list[int]]:
    """Every row of person e that keeps their rules, by brute force."""
    choices = [OFF, *range(inst.num_shifts)]
    return [
        list(row)
        for row in itertools.product(choices, repeat=inst.num_days)
        if not hard_violations(inst, e, list(row))
    ]


def optimal_roster(inst: RosterInstance) -> list[list[int]]:
    """A roster of the whole CP-SAT model, proven optimal."""
    rm = build_model(inst)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 60.0
    assert solver.solve(rm.model) == cp_model.OPTIMAL
    return rm.assignment(solver)


def optimum(inst: RosterInstance) -> int:
    """The optimum of the whole CP-SAT model, proven."""
    return evaluate_assignment(inst, optimal_roster(inst)).value


def test_pricing_rows_keep_every_rule_and_cost_their_requests() -> None:
    """Under random duals, every row the pricing of Instance2's people finds keeps their
    labour rules, costs the evaluator's request cost, and the best one meets the proven
    bound (solved to optimality)."""
    inst = RosterInstance.from_problem(curtois.load("Instance2"))
    rng = random.Random(3)
    duals = [rng.randrange(-colgen.SCALE, 100 * colgen.SCALE) for _ in inst.cover]
    for e in range(0, inst.num_staff, 4):
        person = colgen.Person(inst, e)
        bound, columns, _, infeasible = person.price(duals, 30.0, 5.0, 0)
        assert not infeasible and bound is not None and columns
        for column in columns:
            assert hard_violations(inst, e, list(column.row)) == []
            unmet = [
                r.weight
                for r in inst.requests
                if r.staff == e and (column.row[r.day] == r.shift) != r.on
            ]
            assert column.cost == sum(unmet)
            scaled = colgen.SCALE * column.cost - sum(duals[k] for k in column.cells)
            assert scaled >= bound
        best = columns[-1]
        assert colgen.SCALE * best.cost - sum(duals[k] for k in best.cells) == bound


def test_bound_is_the_lp_over_every_row_and_at_most_the_optimum() -> None:
    """On generated weeks, column generation converges to the master LP over every feasible
    row (enumerated by brute force) rounded up, which is at most the proven optimum."""
    for seed in (1, 2):
        inst = week(5, seed)
        master = colgen.Master(inst)
        for e in range(inst.num_staff):
            person = colgen.Person(inst, e)
            for row in every_row(inst, e):
                master.add(person.column(row))
        lp_value, _, _ = master.solve()
        out = colgen.generate(inst, Budget(600.0, 60.0))
        assert out.converged and out.bound is not None
        assert out.bound == colgen.ceil_div(round(lp_value * colgen.SCALE) - 1, colgen.SCALE)
        assert out.bound <= optimum(inst)


def one_shift_a_person(staff: int, days: int) -> tuple[Rule, list[list[list[bool]]]]:
    """A rule of exactly one 8-hour shift over the horizon, and everyone's allowed cells."""
    rule = Rule((days,), 480, 480, 1, days, 1, days // 7, frozenset())
    return rule, [[[True] for _ in range(days)] for _ in range(staff)]


def test_bound_on_a_hand_computed_case() -> None:
    """Two people, three days, one shift each; one person needed each day (100 a person
    short, 1 over); A asks day 0 off (2), B asks to work day 2 (3). Three slots for two
    shifts: one day is short whatever happens (100), and B on day 2, A on day 1 meet both
    requests: 100, which the bound proves."""
    rule, allowed = one_shift_a_person(2, 3)
    inst = RosterInstance(
        num_days=3,
        shift_ids=["D"],
        staff_ids=["A", "B"],
        minutes=[480],
        forbidden_next=[[False]],
        rules=[rule, rule],
        requests=[RequestIdx(0, 0, 0, False, 2), RequestIdx(1, 2, 0, True, 3)],
        cover=[CoverIdx(d, 0, (0, 1), 1, 100, 1) for d in range(3)],
        allowed=allowed,
    )
    out = colgen.generate(inst, Budget(60.0, 10.0))
    assert out.converged and out.bound == 100 == optimum(inst)
    roster, _ = colgen.integer_master(inst, out.columns, 60.0, 10.0, 1, 0)
    assert roster is not None and evaluate_assignment(inst, roster).value == 100


def test_integer_master_is_feasible_and_no_worse_than_its_hint() -> None:
    """Price and branch on Instance2's columns, seeded with a reference roster (hinted):
    the roster it returns keeps every rule and costs no more than the hint."""
    problem = curtois.load("Instance2")
    inst = RosterInstance.from_problem(problem)
    reference = inst.from_roster(curtois.read_reference_rosters("Instance2")[0].roster)
    out = colgen.generate(inst, Budget(600.0, 2.0), initial=reference)
    assert out.bound is not None and out.bound <= 828  # the proven optimum
    roster, _ = colgen.integer_master(inst, out.columns, 600.0, 2.0, 1, 0, out.bound, reference)
    assert roster is not None
    ev = evaluate_assignment(inst, roster)
    assert ev.feasible and ev.value <= evaluate_assignment(inst, reference).value


def test_an_infeasible_person_makes_the_generation_infeasible() -> None:
    """Someone who must work ten 8-hour shifts in a week has no row: infeasible."""
    rule, allowed = one_shift_a_person(1, 7)
    inst = RosterInstance(7, ["D"], ["A"], [480], [[False]], [rule], [], [], allowed)
    inst.rules[0] = Rule((7,), 4800, 4800, 1, 7, 1, 1, frozenset())
    assert colgen.generate(inst, Budget(60.0, 5.0)).infeasible


def test_solve_with_column_generation_is_reproducible_and_bounded() -> None:
    """A fortnight with column generation on, one worker and a deterministic budget:
    the same roster twice, held against the evaluator, the bound at most its value and at
    least the generation's."""
    problem = load_roster_problem(generate_roster(6, seed=2, days=14))
    params = RosterParams(
        colgen="on", deterministic_limit=1.0, workers=1, seed=0, time_limit=600.0
    )
    first, second = solve_roster(problem, params), solve_roster(problem, params)
    assert first.roster == second.roster and first.objective == second.objective
    ev = evaluate_roster(problem, first.roster)
    assert ev.feasible and first.objective.value == ev.value
    stats = first.solver["colgen"]
    assert stats["iterations"] > 0 and stats["bound"] is not None
    assert first.objective.bound is not None
    assert stats["bound"] <= first.objective.bound <= ev.value


def test_the_dive_ends_with_a_roster_that_keeps_every_rule() -> None:
    """Diving in Instance2's master after column generation fixes everyone to a row: the
    roster keeps every labour rule and costs at least the bound."""
    inst = RosterInstance.from_problem(curtois.load("Instance2"))
    out = colgen.generate(inst, Budget(600.0, 2.0), dive=(600.0, 2.0))
    assert out.dive_roster is not None and out.bound is not None
    ev = evaluate_assignment(inst, out.dive_roster)
    assert ev.feasible and ev.value >= out.bound


def test_the_dive_fixing_a_share_at_a_time_keeps_the_rules_and_reproduces() -> None:
    """Diving in the fractional master of a generated week (root 206, optimum 207) fixing
    half of the free people at a time takes at most 1 + log2(people) steps, ends with a
    roster that keeps every rule and costs at least the bound, and gives the same roster
    when run again."""
    inst = week(6, 7)

    def run() -> colgen.ColumnGeneration:
        """Column generation and a dive fixing half of the free people at a time."""
        return colgen.generate(
            inst,
            Budget(600.0, 20.0),
            dive=(600.0, 20.0),
            dive_rounds=10,
            dive_threshold=0.9,
            dive_fix_share=0.5,
        )

    out, again = run(), run()
    assert out.dive_roster is not None and out.bound is not None
    assert 1 <= out.dive_steps <= 1 + math.ceil(math.log2(inst.num_staff))
    ev = evaluate_assignment(inst, out.dive_roster)
    assert ev.feasible and ev.value >= out.bound
    assert again.dive_roster == out.dive_roster


def test_a_dive_out_of_time_keeps_the_initial_rows_when_they_cost_less() -> None:
    """A dive whose clock is spent at once fixes everyone at their largest LP rows, or at
    their rows of the initial roster when those cost less: seeded with a generated week's
    optimum, it returns a roster of that value."""
    inst = week(6, 7)
    best = optimal_roster(inst)
    out = colgen.generate(inst, Budget(600.0, 20.0), initial=best, dive=(600.0, 1e-4))
    assert out.dive_roster is not None
    value = evaluate_assignment(inst, out.dive_roster).value
    assert value == evaluate_assignment(inst, best).value == optimum(inst)


def test_lagrangian_cuts_keep_the_optimum() -> None:
    """The whole model of generated weeks with column generation's Lagrangian constraints
    added has the same proven optimum as without them (they cut off no optimal roster),
    which is at least column generation's bound."""
    for seed in (1, 3):
        inst = week(5, seed)
        out = colgen.generate(inst, Budget(600.0, 20.0))
        rm = build_model(inst)
        colgen.add_lagrangian_cuts(rm, out)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = 60.0
        assert solver.solve(rm.model) == cp_model.OPTIMAL
        value = evaluate_assignment(inst, rm.assignment(solver)).value
        assert out.bound is not None and out.bound <= value == optimum(inst)


def test_column_generation_proves_an_instance_solved_by_parts() -> None:
    """Instance2 forced to work by parts: the DP prices all its people, so `colgen = "auto"`
    turns column generation on there too; the bound reaches the optimum 828 and the dive
    finds a roster of that value, so the result is proven optimal (and held against the
    evaluator) without LNS. Above `colgen_max_vars`, no column generation."""
    problem = curtois.load("Instance2")
    params = RosterParams(
        workers=1,
        seed=0,
        time_limit=600.0,
        deterministic_limit=1.5,
        lns="on",
        lns_first_only_vars=0,
    )
    result = solve_roster(problem, params)
    assert result.solver["by_parts"] is True and result.solver["colgen"]["dive_value"] == 828
    ev = evaluate_roster(problem, result.roster)
    assert ev.feasible and ev.value == result.objective.value
    assert result.status == "optimal"
    assert result.objective.value == result.objective.bound == 828
    params = params.model_copy(update={"colgen_max_vars": 10})
    assert "colgen" not in solve_roster(problem, params).solver


def test_the_under_cover_floor_closes_the_gap_of_instance1() -> None:
    """Instance1's master covers 5.5 places under at its LP (bound 558, optimum 607); every
    roster covers 6 or more (`under_floor`), and with that row in the master the bound is
    607. The optimal roster keeps the floor, its Lagrangian inequality at the floored duals,
    and every reduced-cost fixing against 608."""
    from optimizer.roster import restricted

    inst = RosterInstance.from_problem(curtois.load("Instance1"))
    plain = colgen.generate(inst, Budget(600.0, 20.0))
    floored = colgen.generate(inst, Budget(600.0, 20.0), floor_share=0.5)
    assert plain.bound == 558 and plain.floor == 0
    assert floored.floor == 6 and floored.bound == 607 and floored.duals is not None
    roster = optimal_roster(inst)
    assert evaluate_assignment(inst, roster).value == 607
    places = sum(
        max(0, c.required - sum(1 for e in c.staff if roster[e][c.day] == c.shift))
        for c in inst.cover
        if c.weight_under > 0
    )
    assert places >= floored.floor
    reduced = []
    for e, row in enumerate(roster):
        column = colgen.PersonCosts(inst, e).column(row)
        rc = colgen.SCALE * column.cost - sum(floored.duals[k] for k in column.cells)
        assert rc >= floored.person_bounds[e]
        reduced.append(rc)
    assert colgen.dual_constant(inst, floored.duals, 6) + sum(reduced) <= colgen.SCALE * 607
    fixings = restricted.reduced_cost_fixing(inst, floored, 608)
    assert fixings is not None and fixings.complete
    assert not any(roster[e][d] == s for e, d, s in fixings.off_cells)
    assert all(roster[e][d] != OFF for e, d in fixings.worked_days)
    assert all(roster[e][d] == OFF for e, d in fixings.rest_days)


def test_the_first_solve_is_shorter_where_column_generation_gives_rosters() -> None:
    """Column generation's rosters follow the first whole-model solve (which then gets
    `colgen_first_share`) with column generation and at most `colgen_rosters_max_vars`
    shift variables only."""
    params = RosterParams()
    small = params.colgen_rosters_max_vars
    assert colgen.rosters_follow(params, small, True)
    assert not colgen.rosters_follow(params, small + 1, True)
    assert not colgen.rosters_follow(params, small, False)
