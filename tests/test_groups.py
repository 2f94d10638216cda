"""Crews and linked orders placed as a whole, urgent work placed first with room made for it."""

from __future__ import annotations

import random
from datetime import datetime

from factory import at, order, problem, tech

from optimizer.construct import construct, insert, take_out
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.groups import (
    apply_group,
    best_group,
    group_value,
    is_grouped,
    remove_group,
    slots_of,
)
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.params import SolveParams
from optimizer.retime import Ties
from optimizer.ruin import RuinRecreate, anneal, phase_clock
from optimizer.solution import Solution
from optimizer.solve import solve
from optimizer.timing import INF


def _built(p) -> tuple[Instance, Solution]:
    inst = compile_problem(p)
    return inst, construct(inst, eligible_shifts(inst))


def _check_sync(inst: Instance, sol: Solution) -> None:
    """Every served crew order is in `crew` routes of distinct technicians at one start, and
    every served linked pair is served together within its gap."""
    where = sol.shifts_of()
    for o, od in enumerate(inst.orders):
        if o not in where:
            assert all(other not in where for other, _, _ in od.links)
            continue
        shifts = where[o]
        assert len(shifts) == od.crew
        assert len({inst.shifts[s].tech for s in shifts}) == od.crew
        for s in shifts:
            route = sol.routes[s]
            assert o in route.orders
        assert sol.provider[o] in shifts
        for other, lo, hi in od.links:
            assert other in where
            assert lo <= sol.start[o] - sol.start[other] <= hi


def test_crew_order_is_placed_on_two_technicians_at_one_start():
    """A crew of two at (10, 0): A from (0, 0) arrives 08:10, B from (30, 0) at 08:20; they
    meet at 08:20, the earliest both can be there."""
    p = problem([tech("A", 0, 0), tech("B", 30, 0)], [order("C", 10, 0, crew_size=2)])
    inst, sol = _built(p)
    _check_sync(inst, sol)
    assert sol.start[0] == inst.seconds(datetime.fromisoformat(at("08:20")))


def test_linked_orders_start_within_their_gap():
    """A two-ended test: E at (10, 0) and F at (0, 20) start together (gap 0), F needs the
    radio skill only B holds; a second pair G/H with H 30 to 60 minutes after G."""
    p = problem(
        [tech("A", 0, 0), tech("B", 0, 0, skills={"fiber": 3, "radio": 2})],
        [
            order("E", 10, 0, linked=[{"order": "F"}]),
            order("F", 0, 20, required_skills={"radio": 2}),
            order("G", 5, 5),
            order("H", 5, 6, linked=[{"order": "G", "min_gap": "PT30M", "max_gap": "PT60M"}]),
        ],
    )
    inst, sol = _built(p)
    assert len(sol.shifts_of()) == 4
    _check_sync(inst, sol)
    assert sol.start[0] == sol.start[1]
    assert 1800 <= sol.start[3] - sol.start[2] <= 3600


def test_linked_order_whose_partner_cannot_be_served_stays_out():
    """F needs a skill nobody has: E, linked to it, is not served either."""
    p = problem(
        [tech("A", 0, 0)],
        [order("E", 10, 0, linked=[{"order": "F"}]), order("F", 0, 20, required_skills={"x": 1})],
    )
    _inst, sol = _built(p)
    assert sol.shifts_of() == {}


def test_contradicting_link_chain_has_no_slots():
    """E = F + [0, 0], F = G + [0, 0], G = E + [10, 20] minutes: no starts satisfy all."""
    p = problem(
        [tech("A", 0, 0)],
        [
            order("E", 1, 0, linked=[{"order": "F"}]),
            order("F", 2, 0, linked=[{"order": "G"}]),
            order("G", 3, 0, linked=[{"order": "E", "min_gap": "PT10M", "max_gap": "PT20M"}]),
        ],
    )
    inst = compile_problem(p)
    assert slots_of(inst, 0) is None


def test_urgent_crew_order_gets_room_from_less_valuable_work():
    """A and B are booked 08:00-12:00 with priority-5 work at their own sites; a mandatory
    crew outage due 08:30 fits only if each drops that work, so both are dropped."""
    p = problem(
        [tech("A", 0, 0, end="12:00"), tech("B", 10, 0, end="12:00")],
        [
            order(
                "LOW-A",
                0,
                1,
                200,
                priority=5,
                time_windows=[{"start": at("08:00"), "end": at("08:05")}],
            ),
            order(
                "LOW-B",
                10,
                1,
                200,
                priority=5,
                time_windows=[{"start": at("08:00"), "end": at("08:05")}],
            ),
            order("OUT", 5, 0, 60, crew_size=2, priority=1, mandatory=True, due=at("08:30")),
        ],
    )
    inst = compile_problem(p)
    eligible = eligible_shifts(inst)
    # Without room made, the low orders booked first keep both technicians busy.
    booked = Solution()
    ins = Inserter(inst, booked, eligible)
    assert insert(ins, 0) and insert(ins, 1)
    assert best_group(ins, 2) is None
    sol = construct(inst, eligible, ins.sol)
    assert 2 in sol.shifts_of()
    _check_sync(inst, sol)
    assert sol.start[2] <= inst.orders[2].due


def test_take_out_and_insert_keep_the_crew_whole():
    """Taking a crew order out empties both its routes' visits; inserting it puts it back
    into two routes at one start, at the same cost as before."""
    p = problem(
        [tech("A", 0, 0), tech("B", 30, 0), tech("C", 0, 30)],
        [order("C1", 10, 0, crew_size=2), order("S1", 20, 0), order("S2", 0, 20)],
    )
    inst, sol = _built(p)
    before = solution_cost(inst, sol)
    ins = Inserter(inst, sol.copy(), eligible_shifts(inst))
    assert take_out(ins, 0) is not None
    assert 0 not in ins.sol.shifts_of()
    assert insert(ins, 0) is not None
    _check_sync(inst, ins.sol)
    assert solution_cost(inst, ins.sol) == before


def test_ruin_and_recreate_keeps_crews_and_links_synchronised():
    """A hundred moves on a day with crews and linked pairs: every solution stays in sync
    and the best costs no more than the first."""
    rng = random.Random(3)
    techs = [tech(f"T{i}", rng.randint(0, 40), rng.randint(0, 40)) for i in range(5)]
    orders = []
    for i in range(18):
        fields = {}
        if i % 6 == 0:
            fields["crew_size"] = 2
        if i % 6 == 1:
            fields["linked"] = [{"order": f"O{i + 1}", "min_gap": "-PT15M", "max_gap": "PT15M"}]
        orders.append(order(f"O{i}", rng.randint(0, 40), rng.randint(0, 40), 40, **fields))
    inst, sol = _built(problem(techs, orders))
    sol.cost = solution_cost(inst, sol)
    _check_sync(inst, sol)
    rr = RuinRecreate(inst, eligible_shifts(inst), rng)
    best, moves = anneal(
        inst, rr.eligible, sol, rng, iterations=100, clock=phase_clock(1e18, 100), rr=rr
    )
    assert moves == 100
    _check_sync(inst, best)
    assert best.cost <= sol.cost
    assert best.cost == solution_cost(inst, best)


def _hhcrsp_day(label: str) -> tuple[Instance, Inserter]:
    """The first plan of an HHCRSP instance (links with gaps, priced lateness and largest
    lateness), in an inserter."""
    from benchmarks.suites import load_case

    inst = compile_problem(load_case("hhcrsp", label).problem)
    eligible = eligible_shifts(inst)
    return inst, Inserter(inst, construct(inst, eligible), eligible)


def _groups(inst: Instance) -> list[int]:
    return sorted(
        {inst.linked_group(o)[0] for o in range(len(inst.orders)) if is_grouped(inst, o)}
    )


def test_group_placement_prices_the_whole_objective():
    """On hhcrsp B3 each linked pair taken out and placed again, tied visits delayed where
    that pays: the placement's delta minus the pair's value is the objective's change, the
    largest lateness included."""
    inst, ins = _hhcrsp_day("B3")
    ties = Ties(inst)
    assert inst.c_max_lateness > 0 and _groups(inst)
    for o in _groups(inst):
        assert remove_group(ins, o) is not None
        before = solution_cost(inst, ins.sol)
        g = best_group(ins, o, ties)
        assert g is not None
        apply_group(ins, g)
        assert solution_cost(inst, ins.sol) - before == g.delta - group_value(inst, o)


def test_bounded_placements_choose_as_timing_every_one():
    """Pushed placements timed in order of their bounds (and cut once they cannot beat the
    best anchor) choose what timing every position chooses, on hhcrsp B3 and C1."""
    import optimizer.placement as placement

    for label in ("B3", "C1"):
        inst, ins = _hhcrsp_day(label)
        ties = Ties(inst)
        placed = 0
        for o in _groups(inst):
            assert remove_group(ins, o) is not None
            bounded = best_group(ins, o, ties)
            real = placement.push_bound
            placement.push_bound = lambda *args: -INF
            try:
                timed = best_group(ins, o, ties)
            finally:
                placement.push_bound = real
            assert (bounded is None) == (timed is None)
            if bounded is not None and timed is not None:
                assert bounded.delta == timed.delta
                assert {s: t.starts for s, t in bounded.routes.items()} == {
                    s: t.starts for s, t in timed.routes.items()
                }
                apply_group(ins, bounded)
                placed += 1
        assert placed > len(_groups(inst)) // 2, label


def test_small_linked_day_runs_neighbourhoods_before_the_one_model():
    """hhcrsp A1 (10 patients, linked pairs) is solved as one model, after CP-SAT
    neighbourhoods have had their share of the model's time (the one model alone would be
    one CP-SAT step)."""
    from benchmarks.suites import load_case

    params = SolveParams(workers=1, seed=0, deterministic_limit=0.2, time_limit=60)
    assert params.search.small_lns_share_synced > 0
    result = solve(load_case("hhcrsp", "A1").problem, params)
    assert result.stats.mode == "full"
    assert result.plan.status.is_feasible
    assert result.stats.iterations > 1


def test_a_late_crew_is_not_pruned_by_its_lateness_counted_twice():
    """A crew of two due 08:00 meets at 08:20, 20 minutes late: each member's route counts the
    lateness, the placement once. A bound just above the placement's cost keeps it (its
    members' costs summed count the lateness twice, and would prune it)."""
    import optimizer.groups as groups

    p = problem(
        [tech("A", 0, 0), tech("B", 30, 0)],
        [order("C", 10, 0, crew_size=2, priority=1, due=at("08:00"))],
    )
    inst = compile_problem(p)
    ins = Inserter(inst, Solution(), eligible_shifts(inst))
    g = best_group(ins, 0)
    assert g is not None and g.delta > 0
    late = g.routes[next(iter(g.routes))].starts[0]
    slots = slots_of(inst, 0)
    assert slots is not None
    cands = {0: groups._candidates(ins, 0)}
    kept = groups._place_at(ins, slots, cands, late, {}, bound=g.delta + 1)
    assert isinstance(kept, groups.GroupInsertion) and kept.delta == g.delta
