"""Pricing by dynamic programming: the same least reduced cost as the CP-SAT pricing, rows
that keep every rule, the least row by brute force, and the relaxed bound when the state is
too large."""

from __future__ import annotations

import random

from benchmarks import curtois
from benchmarks.roster_generator import generate_roster
from models.roster import load_roster_problem
from optimizer.roster import colgen
from optimizer.roster.evaluate import hard_violations
from optimizer.roster.instance import RosterInstance, Rule
from optimizer.roster.params import RosterParams
from optimizer.roster.pricing import RowPricer, dp_share
from tests.test_roster_colgen import every_row, one_shift_a_person


def random_duals(inst: RosterInstance, seed: int) -> list[int]:
    """Cover duals (times SCALE) in the slacks' box: mostly small, some near `under`."""
    rng = random.Random(seed)
    return [
        rng.randrange(-colgen.SCALE * c.weight_over, colgen.SCALE * c.weight_under)
        if rng.random() < 0.2
        else rng.randrange(-colgen.SCALE, 3 * colgen.SCALE)
        for c in inst.cover
    ]


def scaled_cost(inst: RosterInstance, e: int, row: list[int], duals: list[int]) -> int:
    """SCALE x (request cost of the row) less the duals of the cover rows it counts on."""
    column = colgen.PersonCosts(inst, e).column(row)
    return colgen.SCALE * column.cost - sum(duals[k] for k in column.cells)


def check_against_cp_sat(inst: RosterInstance, duals: list[int]) -> None:
    """Every person's DP pricing equals the CP-SAT pricing's proven optimum, and its row
    keeps their rules and costs that value."""
    for e in range(inst.num_staff):
        dp_bound, dp_columns, _, dp_infeasible = colgen.Person(inst, e).price(duals, 60.0, 30.0, 0)
        cp_bound, _, _, cp_infeasible = colgen.Person(inst, e, dp=False).price(
            duals, 60.0, 30.0, 0
        )
        assert dp_infeasible == cp_infeasible
        assert dp_bound == cp_bound, (e, dp_bound, cp_bound)
        if dp_bound is not None:
            row = list(dp_columns[-1].row)
            assert hard_violations(inst, e, row) == []
            assert scaled_cost(inst, e, row, duals) == dp_bound


def test_dp_equals_cp_sat_on_every_person_of_instances_1_to_10() -> None:
    """On every person of Curtois instances 1-10, under random duals, the DP's least
    reduced cost is the CP-SAT pricing's proven one, and its row keeps every rule."""
    for number in range(1, 11):
        inst = RosterInstance.from_problem(curtois.load(f"Instance{number}"))
        check_against_cp_sat(inst, random_duals(inst, number))


def test_dp_equals_cp_sat_with_fixed_days() -> None:
    """A neighbourhood of Instance3 (some days fixed, worked ones must be worked): the DP
    still matches the CP-SAT pricing."""
    inst = RosterInstance.from_problem(curtois.load("Instance3"))
    reference = inst.from_roster(curtois.read_reference_rosters("Instance3")[0].roster)
    sub = inst.subproblem(list(range(0, inst.num_staff, 2)), reference, set(range(4, 10)))
    check_against_cp_sat(sub, random_duals(sub, 7))


def test_dp_finds_the_least_row_by_brute_force() -> None:
    """On generated weeks (skills: cover rows count subsets of the staff), the DP's value is
    the least over every feasible row, enumerated."""
    for seed in (1, 2):
        inst = RosterInstance.from_problem(
            load_roster_problem(generate_roster(4, seed=seed, days=7))
        )
        duals = random_duals(inst, seed)
        for e in range(inst.num_staff):
            person = colgen.PersonCosts(inst, e)
            cost = [
                [person.reduced(d, s, duals) for s in range(inst.num_shifts)]
                for d in range(inst.num_days)
            ]
            out = RowPricer(inst, e).price(cost, colgen.SCALE * person.constant)
            least = min(scaled_cost(inst, e, row, duals) for row in every_row(inst, e))
            assert out.exact and out.value == least


def test_a_state_too_large_gives_a_bound_and_cp_sat_the_row() -> None:
    """With room for the minutes alone, a person whose weekends bind gets a relaxed bound
    no higher than the exact value, and `Person.price` then answers by CP-SAT."""
    inst = RosterInstance.from_problem(curtois.load("Instance7"))
    duals = random_duals(inst, 1)
    relaxations = 0
    for e in range(inst.num_staff):
        exact = RowPricer(inst, e)
        if not exact.weekends_bind:
            continue
        person = colgen.PersonCosts(inst, e)
        cost = [
            [person.reduced(d, s, duals) for s in range(inst.num_shifts)]
            for d in range(inst.num_days)
        ]
        minutes_only = exact.num_days * len(exact.nodes) * (exact.max_units + 1)
        relaxed = RowPricer(inst, e, max_cells=minutes_only).price(cost)
        full = exact.price(cost)
        assert full.exact and full.value is not None
        if not relaxed.exact:
            relaxations += 1
            assert relaxed.row is None and relaxed.value is not None
            assert relaxed.value <= full.value
    assert relaxations > 0
    person = colgen.Person(inst, 0)
    assert person.dp is not None
    person.dp.max_cells = 0
    bound, columns, _, _ = person.price(duals, 60.0, 30.0, 0)
    assert bound == colgen.Person(inst, 0, dp=False).price(duals, 60.0, 30.0, 0)[0]
    assert columns and hard_violations(inst, 0, list(columns[-1].row)) == []


def test_a_person_without_a_row_is_infeasible() -> None:
    """Someone who must work ten 8-hour shifts in a week has no row: the DP says so."""
    _, allowed = one_shift_a_person(1, 7)
    inst = RosterInstance(7, ["D"], ["A"], [480], [[False]], [], [], [], allowed)
    inst.rules.append(Rule((7,), 4800, 4800, 1, 7, 1, 1, frozenset()))
    out = RowPricer(inst, 0).price([[0]] * 7)
    assert out.exact and out.value is None and out.row is None


def test_the_share_of_people_the_dp_prices_alone() -> None:
    """Every person of Instance5 has a state that fits; on Instance14 (capped types,
    weekends and 42 days of 8- and 10-hour shifts) most do not, so `auto` leaves column
    generation off there."""
    assert dp_share(RosterInstance.from_problem(curtois.load("Instance5"))) == 1.0
    share = dp_share(RosterInstance.from_problem(curtois.load("Instance14")))
    assert share < RosterParams().colgen_min_dp_share
