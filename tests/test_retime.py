"""Pushed insertions and compaction: tied starts (crews, links) moved across routes together."""

from __future__ import annotations

from datetime import datetime

from factory import at, order, problem, tech

from optimizer.construct import construct, take_out
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.groups import best_group, insert_group
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.retime import Ties, best_pushed, compact, insert_pushed


def _crew_day() -> tuple[Instance, Inserter]:
    """A and B at (0, 0) meet for crew order C at (10, 0) at 08:10; S at (5, 0), due 08:05,
    is not yet placed."""
    p = problem(
        [tech("A", 0, 0), tech("B", 0, 0)],
        [order("C", 10, 0, crew_size=2), order("S", 5, 0, due=at("08:05"))],
    )
    inst = compile_problem(p)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible, only={0})
    return inst, Inserter(inst, sol, eligible)


def _minute(inst: Instance, hhmm: str) -> int:
    return inst.seconds(datetime.fromisoformat(at(hhmm)))


def test_pushed_insertion_delays_the_crew_in_both_routes():
    """S before C in A's route starts 08:05 on time and ends 08:35, so C moves to 08:40 in A's
    and in B's route (travel 20 either way, nothing else priced: the push costs nothing);
    kept at 08:10, C leaves S only after it, at 08:45, 40 min late."""
    inst, ins = _crew_day()
    ties = Ties(inst)
    plain = ins.best(1)
    assert plain is not None
    pushed = best_pushed(ins, ties, 1, plain.delta)
    assert pushed is not None
    assert pushed.delta == 0 < plain.delta
    assert plain.timed.starts[-1] == _minute(inst, "08:45")
    assert insert_pushed(ins, ties, 1) is not None
    sol = ins.sol
    assert sol.start[1] == _minute(inst, "08:05")
    assert sol.start[0] == _minute(inst, "08:40")
    routes = [r.orders for r in sol.routes.values() if r.orders]
    assert sorted(routes) == [[0], [1, 0]]


def test_compaction_brings_the_crew_back_once_the_order_is_gone():
    """With S taken out again, C may start at 08:10 in both routes: compaction moves it back
    and the cost falls; a second compaction finds nothing to move."""
    inst, ins = _crew_day()
    ties = Ties(inst)
    insert_pushed(ins, ties, 1)
    take_out(ins, 1)
    assert ins.sol.start[0] == _minute(inst, "08:40")
    before = solution_cost(inst, ins.sol)
    assert compact(ins, ties)
    assert ins.sol.start[0] == _minute(inst, "08:10")
    assert solution_cost(inst, ins.sol) <= before
    assert compact(ins, ties) == []


def test_push_moves_a_linked_order_by_its_gap():
    """L2 starts 20 to 30 min after L1 (A serves L1 at (10, 0) from 08:10, B serves L2 at
    (0, 10) from 08:30); S (due 08:05) before L1 in A's route delays L1 to 08:40 and L2 to
    09:00, the least start within the gap."""
    link = {"order": "L1", "min_gap": "PT20M", "max_gap": "PT30M"}
    p = problem(
        [tech("A", 0, 0), tech("B", 0, 0, skills={"radio": 1})],
        [
            order("L1", 10, 0),
            order("L2", 0, 10, required_skills={"radio": 1}, linked=[link]),
            order("S", 5, 0, due=at("08:05")),
        ],
    )
    inst = compile_problem(p)
    eligible = eligible_shifts(inst)
    ins = Inserter(inst, construct(inst, eligible, only={0, 1}), eligible)
    assert ins.sol.start[0] == _minute(inst, "08:10")
    assert ins.sol.start[1] == _minute(inst, "08:30")
    assert insert_pushed(ins, Ties(inst), 2) is not None
    assert ins.sol.start[2] == _minute(inst, "08:05")
    assert ins.sol.start[0] == _minute(inst, "08:40")
    assert ins.sol.start[1] == _minute(inst, "09:00")


def test_a_crew_placed_before_another_crew_delays_it_in_both_routes():
    """A and B meet for K at (10, 0) at 08:10; crew order C at (5, 0), due 08:05, fits on
    time only before K: both start C at 08:05 and K moves to 08:40 (08:35 plus the 5 min
    leg). Without delays C comes after K, at 08:45."""
    p = problem(
        [tech("A", 0, 0), tech("B", 0, 0)],
        [order("K", 10, 0, crew_size=2), order("C", 5, 0, crew_size=2, due=at("08:05"))],
    )
    inst = compile_problem(p)
    eligible = eligible_shifts(inst)
    ins = Inserter(inst, construct(inst, eligible, only={0}), eligible)
    fixed = best_group(ins, 1)
    assert fixed is not None
    assert fixed.routes[0].starts[-1] == _minute(inst, "08:45")
    assert insert_group(ins, 1, Ties(inst)) is not None
    assert ins.sol.start[1] == _minute(inst, "08:05")
    assert ins.sol.start[0] == _minute(inst, "08:40")
    assert [r.orders for r in ins.sol.routes.values()] == [[1, 0], [1, 0]]
