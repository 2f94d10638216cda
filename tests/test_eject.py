"""Ejection chains for urgent work (`optimizer.eject`): an urgent order that fits nowhere
takes the place of work of no higher value, which goes elsewhere or is left out."""

from __future__ import annotations

import random
import time

from factory import at, order, problem, tech

from optimizer.construct import construct, insert
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.eject import eject_insert, hopeless
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.params import MoveParams, SolveParams
from optimizer.retime import Ties
from optimizer.ruin import RuinRecreate
from optimizer.solution import Solution


def _booked(inst: Instance, *names: str) -> Inserter:
    """An inserter over a solution holding the named orders, inserted in that order."""
    ins = Inserter(inst, Solution(), eligible_shifts(inst))
    for name in names:
        assert insert(ins, inst.order_idx[name]) is not None
    return ins


def _where(inst: Instance, sol: Solution) -> dict[str, list[str]]:
    """Order id -> the technicians serving it."""
    return {
        inst.orders[o].id: sorted(inst.techs[inst.shifts[s].tech].id for s in shifts)
        for o, shifts in sol.shifts_of().items()
    }


def _two_musts(priority: int = 1):
    """A and B each have room for one 90-minute order (08:00-10:00); M1 may go to either,
    M2 only to A (skill copper); both mandatory, of `priority`. M1 placed first takes A, its
    cheaper route."""
    return compile_problem(
        problem(
            [
                tech("A", 0, 0, end="10:00", skills={"fiber": 3, "copper": 3}),
                tech("B", 20, 0, end="10:00"),
            ],
            [
                order("M1", 5, 0, 90, mandatory=True, priority=priority),
                order(
                    "M2",
                    -5,
                    0,
                    90,
                    mandatory=True,
                    priority=priority,
                    required_skills={"copper": 1},
                ),
            ],
        )
    )


def test_a_plain_mandatory_order_ejects_only_less_valuable_work() -> None:
    """Of priority 3, M2 does not eject M1, as valuable (on a day where every order is
    mandatory, as Solomon's and TRSP's, that only churned the first plan)."""
    inst = _two_musts(priority=3)
    ins = _booked(inst, "M1")
    assert eject_insert(ins, inst.order_idx["M2"]) is None


def test_an_urgent_order_ejects_one_as_valuable_that_fits_elsewhere() -> None:
    """Priority-1 M2 fits only where M1 is: M1 is ejected and goes to B, both served (the
    room made before this moved less valuable work only, and left M2 out)."""
    inst = _two_musts()
    ins = _booked(inst, "M1")
    assert _where(inst, ins.sol) == {"M1": ["A"]}
    found = eject_insert(ins, inst.order_idx["M2"])
    assert found is not None
    assert _where(inst, found.sol) == {"M1": ["B"], "M2": ["A"]}
    assert solution_cost(inst, found.sol) < solution_cost(inst, ins.sol)
    assert _where(inst, ins.sol) == {"M1": ["A"]}  # the given inserter is left as it was


def test_construction_serves_both_through_the_chain() -> None:
    """Construction from the day holding M1 in A (a re-plan's start) serves M2 as well."""
    inst = _two_musts()
    eligible = eligible_shifts(inst)
    first = _booked(inst, "M1").sol
    sol = construct(inst, eligible, first, only={inst.order_idx["M2"]})
    assert _where(inst, sol) == {"M1": ["B"], "M2": ["A"]}


def test_no_chain_when_it_does_not_pay() -> None:
    """Two priority-1 orders that fit only in A: ejecting one for the other costs as much,
    so nothing is done; with a depth of 0 no chain is tried at all."""
    inst = compile_problem(
        problem(
            [tech("A", 0, 0, end="10:00")],
            [order("P1A", 10, 0, 90, priority=1), order("P1B", -10, 0, 90, priority=1)],
        )
    )
    ins = _booked(inst, "P1A")
    assert eject_insert(ins, inst.order_idx["P1B"]) is None
    ins.moves = MoveParams(eject_depth=0)
    assert eject_insert(ins, inst.order_idx["P1B"]) is None


def _two_crews() -> Instance:
    """Crews of two: OUT-1 may be served by A+B or C+D, OUT-2 only by A+B (skill copper).
    Each technician works 08:00-10:00: room for one crew visit of 90 minutes."""
    copper = {"fiber": 3, "copper": 3}
    return compile_problem(
        problem(
            [
                tech("A", 0, 0, end="10:00", skills=copper),
                tech("B", 1, 0, end="10:00", skills=copper),
                tech("C", 25, 0, end="10:00"),
                tech("D", 26, 0, end="10:00"),
            ],
            [
                order("OUT-1", 12, 0, 90, crew_size=2, mandatory=True, priority=1),
                order(
                    "OUT-2",
                    -5,
                    0,
                    90,
                    crew_size=2,
                    mandatory=True,
                    priority=1,
                    required_skills={"copper": 1},
                ),
            ],
        )
    )


def test_a_crew_outage_ejects_a_crew_from_two_routes_at_once() -> None:
    """OUT-1 holds A and B; OUT-2 needs them both: OUT-1 is ejected from both routes at
    once and re-placed with C and D."""
    inst = _two_crews()
    ins = _booked(inst, "OUT-1")
    assert _where(inst, ins.sol) == {"OUT-1": ["A", "B"]}
    assert insert(ins.clone(), inst.order_idx["OUT-2"]) is None  # no room as it is
    found = eject_insert(ins, inst.order_idx["OUT-2"])
    assert found is not None
    assert _where(inst, found.sol) == {"OUT-1": ["C", "D"], "OUT-2": ["A", "B"]}


def test_a_crew_outage_ejects_lesser_work_in_two_routes_and_it_is_left_out() -> None:
    """A and B each hold a priority-4 visit that fits nowhere else; the mandatory crew
    outage takes both routes and the two visits are left out (cheaper than the outage)."""
    inst = compile_problem(
        problem(
            [tech("A", 0, 0, end="10:00"), tech("B", 1, 0, end="10:00")],
            [
                order("LOW-A", 0, 2, 100, priority=4),
                order("LOW-B", 1, 2, 100, priority=4),
                order("OUT", 5, 0, 90, crew_size=2, mandatory=True, priority=1),
            ],
        )
    )
    ins = _booked(inst, "LOW-A", "LOW-B")
    found = eject_insert(ins, inst.order_idx["OUT"])
    assert found is not None
    assert _where(inst, found.sol) == {"OUT": ["A", "B"]}


def test_ruin_and_recreate_ejects_for_an_urgent_order_left_out() -> None:
    """A move of ruin and recreate from a solution with OUT-2 left out serves it when its
    chain is tried on every move; the failed chain of an unchanged state is not repeated."""
    inst = _two_crews()
    eligible = eligible_shifts(inst)
    params = SolveParams(ruin_recreate={"eject_share": 1.0})
    rr = RuinRecreate(inst, eligible, random.Random(0), params)
    start = _booked(inst, "OUT-1").sol
    out2 = inst.order_idx["OUT-2"]
    ins, changed = rr._eject(rr.inserter(start), out2)
    assert out2 in ins.sol.start and changed == set(range(4))
    blocked = compile_problem(
        problem(
            [tech("A", 0, 0, end="10:00"), tech("B", 1, 0, end="10:00")],
            [
                order("OUT-1", 5, 0, 90, crew_size=2, mandatory=True, priority=1),
                order("OUT-2", -5, 0, 90, crew_size=2, mandatory=True, priority=1),
            ],
        )
    )
    rr = RuinRecreate(blocked, eligible_shifts(blocked), random.Random(0), params)
    ins = rr.inserter(_booked(blocked, "OUT-1").sol)
    assert rr._eject(ins, 1) == (ins, set())  # equal value, no room: nothing pays
    key = rr.ejections.key(ins, 1)
    assert rr.ejections.known(1, key)


def test_an_ejected_visit_is_offered_back_elsewhere() -> None:
    """LOW sits in A at M's only site time; M ejects it and LOW goes to B."""
    inst = compile_problem(
        problem(
            [
                tech("A", 0, 0, end="10:00", skills={"fiber": 3, "copper": 3}),
                tech("B", 30, 0, end="12:00"),
            ],
            [
                order(
                    "LOW",
                    2,
                    0,
                    90,
                    priority=4,
                    time_windows=[{"start": at("08:00"), "end": at("09:00")}],
                ),
                order("M", -2, 0, 90, mandatory=True, required_skills={"copper": 1}),
            ],
        )
    )
    ins = _booked(inst, "LOW")
    assert _where(inst, ins.sol) == {"LOW": ["A"]}
    found = eject_insert(ins, inst.order_idx["M"])
    assert found is not None
    assert _where(inst, found.sol) == {"LOW": ["B"], "M": ["A"]}


def test_a_crew_outage_fits_mid_route_with_the_later_outage_delayed() -> None:
    """A and B (08:00-14:00) serve OUT-1 at 08:10, OUT-2 at 09:20, then three hours of
    priority-4 work each; OUT-3 (priority 2: it may not eject them) fits only between OUT-1
    and OUT-2 with OUT-2 delayed an hour, once the priority-4 work is ejected: with the tied
    visits delayed (`Ties`) the chain finds it; without, OUT-3 goes after OUT-2, late."""
    crew = {"crew_size": 2, "mandatory": True, "priority": 1}
    inst = compile_problem(
        problem(
            [tech("A", 0, 0, end="14:00"), tech("B", 0, 0, end="14:00")],
            [
                order("OUT-1", 10, 0, 60, due=at("08:30"), **crew),
                order(
                    "OUT-2",
                    20,
                    0,
                    60,
                    time_windows=[{"start": at("09:20"), "end": at("12:00")}],
                    **crew,
                ),
                order("LOW-A", 20, 5, 180, priority=4),
                order("LOW-B", 20, 6, 180, priority=4),
                order("OUT-3", 15, 0, 60, due=at("10:00"), **{**crew, "priority": 2}),
            ],
        )
    )
    ins = _booked(inst, "OUT-1", "OUT-2", "LOW-A", "LOW-B")
    assert _where(inst, ins.sol) == {
        "OUT-1": ["A", "B"],
        "OUT-2": ["A", "B"],
        "LOW-A": ["A"],
        "LOW-B": ["B"],
    }
    out3 = inst.order_idx["OUT-3"]
    assert insert(ins.clone(), out3) is None
    plain = eject_insert(ins, out3)  # after OUT-2 only: late
    assert plain is not None and plain.sol.start[out3] > inst.orders[out3].due
    found = eject_insert(ins, out3, ties=Ties(inst))
    assert found is not None
    served = _where(inst, found.sol)
    assert served["OUT-3"] == ["A", "B"] and {"OUT-1", "OUT-2"} <= served.keys()
    assert found.sol.start[out3] <= inst.orders[out3].due


def test_an_order_with_no_room_even_after_every_possible_ejection_is_hopeless() -> None:
    """Priority-3 M2 may eject nothing as valuable as M1, which fills A: hopeless, so the
    chain gives up after one placement; priority-1 M2 may eject M1: not hopeless."""
    plain = _two_musts(priority=3)
    assert hopeless(_booked(plain, "M1"), plain.order_idx["M2"])
    urgent = _two_musts()
    assert not hopeless(_booked(urgent, "M1"), urgent.order_idx["M2"])


def test_a_chain_past_its_deadline_tries_nothing() -> None:
    """With its deadline already passed, the chain that would serve M2 tries no ejection."""
    inst = _two_musts()
    ins = _booked(inst, "M1")
    assert eject_insert(ins, inst.order_idx["M2"], deadline=time.monotonic() - 1) is None
    assert eject_insert(ins, inst.order_idx["M2"], trials=0) is None
