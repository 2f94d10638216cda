"""Ruin and recreate: the memory of failed insertions, and chains that repeat in parallel."""

from __future__ import annotations

import random

from benchmarks.generator import BadDay, generate_day
from benchmarks.suites import load_case
from models import load_problem
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.groups import is_grouped
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.ruin import Failures, RuinRecreate, ruin_cap
from optimizer.solution import Solution


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


def test_untried_leaves_out_the_routes_it_failed_in_until_they_change() -> None:
    """A single order noted as fitting in none of its routes tries none of them again, and
    only the one that changes once it does."""
    rr, failures, ins = _day()
    sol = ins.sol
    single = [
        o
        for o in range(len(rr.inst.orders))
        if o not in sol.start
        and not rr.ties.tied[o]
        and not rr.inst.orders[o].after
        and rr.eligible[o]
    ]
    o = (
        single[0]
        if single
        else next(o for o in sol.provider if not rr.ties.tied[o] and not rr.inst.orders[o].after)
    )
    if o in sol.start:
        assert ins.remove(o)
    tried = failures.untried(ins, o)
    assert tried == ins.nearest_routes(o)
    failures.note_routes(ins, o, tried)
    assert failures.untried(ins, o) == []
    # A route that changes is tried again, alone.
    s, x = next((s, r.orders[0]) for s, r in sol.routes.items() if s in tried and r.orders)
    assert ins.remove(x)
    assert failures.untried(ins, o) == [s]


def test_per_route_keeps_a_value_while_its_route_stands() -> None:
    """`Inserter.per_route` makes a route's value once while the route stands (in a clone
    too, which shares the route), again once it changes, and keeps both versions."""
    _, _, ins = _day()
    s = next(s for s, r in ins.sol.routes.items() if len(r.orders) >= 2)
    made: list[int] = []

    def make() -> int:
        made.append(len(made) + 1)
        return made[-1]

    assert ins.per_route("test", s, make) == 1 == ins.per_route("test", s, make)
    assert ins.remove(ins.sol.routes[s].orders[0])
    assert ins.per_route("test", s, make) == 2
    twin = ins.clone()
    assert twin.per_route("test", s, make) == 2
    assert twin.remove(twin.sol.routes[s].orders[0])
    assert twin.per_route("test", s, make) == 3
    assert ins.per_route("test", s, make) == 2


def test_ruin_cap_is_smaller_on_a_large_day() -> None:
    """Days over `large_day_orders` orders ruin at most `large_day_ruin` orders a move."""
    rr, _, _ = _day()
    tuning = rr.tuning
    assert ruin_cap(rr.inst, tuning) == tuning.max_ruin
    small = tuning.model_copy(update={"large_day_orders": len(rr.inst.orders) - 1})
    assert ruin_cap(rr.inst, small) == min(tuning.max_ruin, tuning.large_day_ruin) < 25


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
    always = SolveParams(ruin_recreate={"late_share": 1.0, "late_causes": False})
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


def _held_back(inst: Instance, sol: Solution, y: int, z: int) -> bool:
    """z holds y back: z comes just before y in a route and reaches it without waiting, or
    y starts at its least gap after its linked z."""
    for r in sol.routes.values():
        seq = r.orders
        if y in seq and seq.index(y) > 0 and seq[seq.index(y) - 1] == z:
            ready = (
                sol.start[z]
                + inst.orders[z].duration
                + inst.travel.rows[inst.orders[z].loc][inst.orders[y].loc]
            )
            if ready >= sol.start[y]:
                return True
    return any(k == z and sol.start[y] - sol.start[z] <= lo for k, lo, _ in inst.orders[y].links)


def test_late_causes_follow_the_chain_of_waiting() -> None:
    """A late removal with `late_causes` takes each late order with the visits that hold it
    back, each held back one of those taken before it, and goes across linked visits into
    their partners' routes."""
    from benchmarks import hhcrsp
    from optimizer.params import SolveParams
    from optimizer.timing import lateness

    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load("C1")))
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    rr = RuinRecreate(inst, eligible, random.Random(3), SolveParams())
    assert rr.tuning.late_causes
    shifts_of = sol.shifts_of()
    late = [x for x, st in sol.start.items() if lateness(inst, x, st) > 0]
    crossed = 0
    for x in late:
        chain = rr._causes(sol, x, shifts_of, 12)
        assert chain[0] == x and len(set(chain)) == len(chain) <= 12
        for k, y in enumerate(chain[1:], 1):
            assert any(_held_back(inst, sol, z, y) for z in chain[:k])
        routes = {sol.provider[y] for y in chain}
        crossed += len(routes) > 1 and any(inst.orders[y].links for y in chain)
    assert crossed  # some late visit is held back through a partner in another route
    taken = RuinRecreate(
        inst, eligible, random.Random(3), SolveParams(ruin_recreate={"late_share": 1.0})
    )._late(sol, 8)
    assert len(taken) >= 8 and set(taken) & set(late)


def test_adaptive_weights_follow_the_scores_of_late_removals() -> None:
    """A late removal whose moves score well is drawn more often, one that scores nothing
    less often; fixed odds without `late_adaptive`, none at `late_share` 0."""
    from benchmarks import hhcrsp
    from optimizer.params import SolveParams
    from optimizer.ruin import SCORES

    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load("B3")))
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)

    def late_draws(tuning: dict[str, object], score: float) -> int:
        """Late removals drawn in 200 calls, each followed by a move scoring `score`."""
        params = SolveParams(ruin_recreate={"late_share": 0.5, **tuning})
        rr = RuinRecreate(inst, eligible, random.Random(5), params)
        drawn = 0
        for _ in range(200):
            rr._late(sol, 4)
            drawn += rr.drawn == "late"
            rr.learn(score if rr.drawn == "late" else SCORES[2])
        return drawn

    paying, idle = late_draws({}, SCORES[0]), late_draws({}, 0.0)
    fixed = late_draws({"late_adaptive": False}, 0.0)
    assert paying > 120 and idle < 50 and 70 < fixed < 130
    assert late_draws({"late_share": 0.0}, SCORES[0]) == 0


def test_partner_strings_take_the_partners_route_too() -> None:
    """With `partner_strings`, a string removal that takes a linked visit also takes a
    string around its partner in the partner's route; without, the strings are those of
    before (the same draws)."""
    from benchmarks import hhcrsp
    from optimizer.params import SolveParams

    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load("C1")))
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    shifts_of = sol.shifts_of()

    def strings(partners: bool) -> list[list[int]]:
        """The strings of 30 removals of size 10 from each served order's seed."""
        params = SolveParams(ruin_recreate={"partner_strings": partners})
        rr = RuinRecreate(inst, eligible, random.Random(7), params)
        return [rr._strings(o, sol, 10) for o in sorted(sol.start)[:30]]

    off, on = strings(False), strings(True)
    crossed = 0
    for taken in on:
        assert len(set(taken)) == len(taken) and set(taken) <= set(sol.start)
        linked = [x for x in taken if inst.orders[x].links]
        for x in linked:
            partners = [y for y in inst.linked_group(x) if y != x]
            # Each partner's route gave a string unless three routes or the size were reached.
            crossed += any(set(shifts_of[y]) & {sol.provider[z] for z in taken} for y in partners)
    assert crossed
    routes_on = sum(len({sol.provider[x] for x in t}) for t in on)
    routes_off = sum(len({sol.provider[x] for x in t}) for t in off)
    assert routes_on > routes_off


def test_urgent_groups_rest_after_failing_in_a_row() -> None:
    """An urgent crew order offered back in vain rests 1, 2, 4 ... moves (at most
    `urgent_rest`) and no more once it fits; a single order never rests."""
    rr, _, _ = _day()
    inst = rr.inst
    crew = next(o for o in range(len(inst.orders)) if inst.orders[o].crew > 1)
    single = next(o for o in range(len(inst.orders)) if not is_grouped(inst, o))
    rr.tuning = rr.tuning.model_copy(update={"urgent_rest": 4})
    waits = []
    for _ in range(5):
        rr._rest([crew, single], [crew, single])
        waits.append(rr.resting[crew][0] - rr.made)
    assert waits == [1, 2, 4, 4, 4]
    assert single not in rr.resting
    rr._rest([crew], [])
    assert crew not in rr.resting


def test_threshold_falls_by_its_power() -> None:
    """The threshold left is (1 - used) ** power: linear at 1, sooner low at 2, 0 at the end."""
    from optimizer.ruin import threshold_left

    assert threshold_left(0.0, 2.0) == 1.0
    assert threshold_left(0.5, 1.0) == 0.5
    assert threshold_left(0.5, 2.0) == 0.25
    assert threshold_left(1.0, 2.0) == threshold_left(1.2, 1.0) == 0.0
