"""Ruin and recreate: the memory of failed insertions, and chains that repeat in parallel."""

from __future__ import annotations

import random

from benchmarks.generator import BadDay, generate_day
from benchmarks.suites import load_case
from models import load_problem
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.inserter import Inserter
from optimizer.instance import compile_problem
from optimizer.ruin import Failures, RuinRecreate


def _day() -> tuple[RuinRecreate, Failures, Inserter]:
    """A small generated bad day, its first plan and a search over it."""
    problem = load_problem(generate_day(24, 4, seed=5, bad_day=BadDay(outages=2)))
    inst = compile_problem(problem)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    sol.cost = solution_cost(inst, sol)
    rr = RuinRecreate(inst, eligible, random.Random(1))
    return rr, rr.failures, rr.inserter(sol)


def test_key_follows_the_routes_tried() -> None:
    """An order's key changes when one of its routes changes, not when another route does."""
    rr, failures, ins = _day()
    sol = ins.sol
    served = [o for o in sol.provider if not rr.ties.tied[o] and not rr.inst.orders[o].after]
    o = served[0]
    s = sol.provider[o]
    others = [x for x in range(len(rr.inst.orders)) if s not in rr.eligible[x]]
    assert others  # skills keep some orders off that route
    before = {x: failures.key(ins, x) for x in [o, *others]}
    assert ins.remove(o)
    assert failures.key(ins, o) != before[o]
    assert all(failures.key(ins, x) == before[x] for x in others)


def test_note_remembers_the_last_states() -> None:
    """A noted state is known until `failed_keys` newer ones push it out; others never are."""
    _, failures, ins = _day()
    key = failures.key(ins, 0)
    assert not failures.known(0, key)
    failures.note(0, key)
    assert failures.known(0, key) and not failures.known(1, key)
    for k in range(failures.most - 1):
        failures.note(0, (k,))
    assert failures.known(0, key)
    failures.note(0, ("newest",))
    assert not failures.known(0, key) and failures.known(0, ("newest",))


def test_parallel_chains_repeat_with_a_move_budget() -> None:
    """Two chains, one in a forked process: same seed and move budget, same solution; and
    never worse than where they started."""
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


def test_late_removal_takes_late_orders_and_what_delays_them() -> None:
    """With lateness priced and every order served, a late removal takes the latest orders,
    each with visits just before it in its route; none at late_share 0, with an order left
    out, or where lateness is not priced."""
    from benchmarks import hhcrsp
    from optimizer.params import SolveParams
    from optimizer.timing import lateness

    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load("B3")))
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    late = {x for x, st in sol.start.items() if lateness(inst, x, st) > 0}
    assert late  # the first plan of B3 starts some services past their window
    always = SolveParams(ruin_recreate={"late_share": 1.0})
    rr = RuinRecreate(inst, eligible, random.Random(3), always)
    assert rr.priced_late and rr._all_served(sol)
    ins = rr.inserter(sol)
    assert ins.remove(next(x for x in sol.start if not rr.ties.tied[x]))
    assert not rr._all_served(ins.sol)  # while an order is left out, no late removals
    taken = rr._late(sol, 6)
    assert len(taken) >= 6 and set(taken) & late
    for x in taken:
        if x not in late:  # a visit taken for delaying a late one after it, in its route
            seq = sol.routes[sol.provider[x]].orders
            assert any(y in late for y in seq[seq.index(x) + 1 : seq.index(x) + 3])
    never = RuinRecreate(inst, eligible, random.Random(3), SolveParams())
    never.tuning = never.tuning.model_copy(update={"late_share": 0.0})
    assert never._late(sol, 6) == []
    trsp = compile_problem(load_case("trsp", "RC205.100_25-5-5-5", None).problem)
    assert not RuinRecreate(trsp, eligible_shifts(trsp), random.Random(3)).priced_late
