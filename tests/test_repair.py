"""CP-SAT repair of urgent work (`optimizer.repair`): days built so that insertion and ejection
chains cannot place the urgent order (the work in its way is mandatory, more valuable than it),
and a neighbourhood re-decided with that order hard can."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from factory import at, order, problem, solve_checked, tech, visits

from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.instance import Instance, compile_problem
from optimizer.params import SolveParams
from optimizer.repair import first_repair, on_time_alone, repair, targets
from optimizer.solution import Solution

PARAMS = SolveParams(workers=1, seed=0)


def _blocked_day(crew: int):
    """T1 (and T2 for a crew of two) at the origin alone may serve U (skill copper, priority 1,
    30 min, due 08:30, 10 min west); A (mandatory, 60 min, 10 min east, start by 08:45) goes to
    T1, its nearest route, first. U before A makes A start at 09:00, too late; after A, U starts
    at 09:30, an hour late (6,000 at 100 a minute). T3, 30 min east, may take A instead (at
    08:20): U on time at 08:10 and A by T3 make the better plan by 5,980 (the hour of lateness
    less 20 more minutes of travel: T3's 40-minute round trip against T1's detour of 20)."""
    copper = {"fiber": 3, "copper": 1}
    crew_techs = [tech("T1", 0, 0, skills=copper)]
    if crew == 2:
        crew_techs.append(tech("T2", 0, 0, skills=copper))
    return problem(
        [*crew_techs, tech("T3", 30, 0)],
        [
            order(
                "A",
                10,
                0,
                60,
                mandatory=True,
                time_windows=[{"start": at("08:00"), "end": at("08:45")}],
            ),
            order(
                "U",
                -10,
                0,
                30,
                priority=1,
                due=at("08:30"),
                crew_size=crew,
                required_skills={"copper": 1},
            ),
        ],
    )


def _where(inst: Instance, sol: Solution) -> dict[str, list[str]]:
    """Order id -> the technicians serving it."""
    return {
        inst.orders[o].id: sorted(inst.techs[inst.shifts[s].tech].id for s in shifts)
        for o, shifts in sol.shifts_of().items()
    }


@pytest.mark.parametrize("crew", [1, 2])
def test_construction_leaves_the_outage_late_and_the_repair_puts_it_on_time(crew: int) -> None:
    """The first plan (insertion, room making, ejection chains) serves U an hour late behind
    A, which it may not eject; the repair moves A to T3 and serves U at 08:10."""
    inst = compile_problem(_blocked_day(crew))
    eligible = eligible_shifts(inst)
    u = inst.order_idx["U"]
    first = construct(inst, eligible)
    first.cost = solution_cost(inst, first)
    assert first.start[u] == inst.seconds(_instant("09:30"))
    assert targets(inst, first, eligible) == [u]
    sol, stats = repair(inst, first, PARAMS, eligible, deadline=time.monotonic() + 60)
    crew_ids = ["T1", "T2"][:crew]
    assert _where(inst, sol) == {"A": ["T3"], "U": crew_ids}
    assert sol.start[u] == inst.seconds(_instant("08:10"))
    assert first.objective() - sol.objective() == 5980 * 60 * 100
    assert stats.repaired == 1
    assert targets(inst, sol, eligible) == []
    assert _where(inst, first)["U"] == crew_ids  # the given solution is left as it was


def test_the_repair_serves_a_mandatory_order_left_out() -> None:
    """From a day holding M1 in A (a re-plan's start), construction leaves M2 out (mandatory,
    copper: only A may serve it; of priority 3 it ejects only less valuable work, and M1 is
    mandatory too); the repair moves M1 to B and serves M2."""
    inst = compile_problem(
        problem(
            [
                tech("A", 0, 0, end="10:00", skills={"fiber": 3, "copper": 3}),
                tech("B", 20, 0, end="10:00"),
            ],
            [
                order("M1", 5, 0, 90, mandatory=True),
                order("M2", -5, 0, 90, mandatory=True, required_skills={"copper": 1}),
            ],
        )
    )
    eligible = eligible_shifts(inst)
    m1, m2 = inst.order_idx["M1"], inst.order_idx["M2"]
    held = construct(inst, eligible, only={m1})
    assert _where(inst, held) == {"M1": ["A"]}
    first = construct(inst, eligible, held, only={m2})
    assert _where(inst, first) == {"M1": ["A"]}
    assert targets(inst, first, eligible) == [m2]
    sol, _ = repair(inst, first, PARAMS, eligible, deadline=time.monotonic() + 60)
    assert _where(inst, sol) == {"M1": ["B"], "M2": ["A"]}


def test_an_order_no_crew_reaches_by_its_due_is_no_target() -> None:
    """U due 08:05, 10 minutes from every technician: late whatever the plan, not repaired
    for that (served, it is no target; left out, it is)."""
    p = problem(
        [tech("T1", 0, 0)],
        [order("U", -10, 0, 30, priority=1, due=at("08:05"))],
    )
    inst = compile_problem(p)
    eligible = eligible_shifts(inst)
    assert not on_time_alone(inst, 0, eligible)
    sol = construct(inst, eligible)
    assert sol.start[0] == inst.seconds(_instant("08:10"))
    assert targets(inst, sol, eligible) == []
    assert targets(inst, Solution(), eligible) == [0]


@pytest.mark.parametrize("limit", ["deadline", "deterministic"])
def test_the_repair_stops_at_its_limit(limit: str) -> None:
    """With its deadline passed, or no deterministic seconds, the repair solves nothing and
    hands back the solution as it was."""
    inst = compile_problem(_blocked_day(1))
    eligible = eligible_shifts(inst)
    first = construct(inst, eligible)
    now = time.monotonic()
    sol, stats = repair(
        inst,
        first,
        PARAMS,
        eligible,
        deadline=now - 1 if limit == "deadline" else now + 60,
        deterministic=0.0 if limit == "deterministic" else None,
    )
    assert stats.solves == 0
    assert sol.start == first.start
    assert _where(inst, sol) == _where(inst, first)


def test_a_solve_serves_the_outage_on_time_and_the_same_twice() -> None:
    """The whole solve (deterministic limit, one worker) serves U on time by T1 and T2 and A by
    T3, and gives the same plan twice."""
    p = _blocked_day(2)
    plans = [solve_checked(p)[0].plan for _ in range(2)]
    seen = visits(plans[0])
    assert sorted(t for t, _ in seen["U"]) == ["T1", "T2"]
    assert [t for t, _ in seen["A"]] == ["T3"]
    assert all(item.start == _instant("08:10") for _, item in seen["U"])
    assert plans[0].routes == plans[1].routes
    assert plans[0].objective.value == plans[1].objective.value


def _instant(hhmm: str) -> datetime:
    """The test day's instant at hh:mm."""
    return datetime.fromisoformat(at(hhmm))


def test_the_first_repair_serves_an_unserved_crew_outage_and_leaves_late_ones() -> None:
    """From a plan holding A on T1 and U (priority 1, crew of two) out, the repair after
    construction serves U by T1 and T2 with A on T3; from construction's plan, which serves
    U late, it solves nothing (late work is the search's and the final repair's)."""
    inst = compile_problem(_blocked_day(2))
    eligible = eligible_shifts(inst)
    a = inst.order_idx["A"]
    held = construct(inst, eligible, only={a})
    deadline = time.monotonic() + 60
    sol, stats = first_repair(inst, held, PARAMS, eligible, deadline=deadline)
    assert _where(inst, sol) == {"A": ["T3"], "U": ["T1", "T2"]}
    assert stats.repaired == 1
    late = construct(inst, eligible)
    same, stats = first_repair(inst, late, PARAMS, eligible, deadline=deadline)
    assert stats.solves == 0 and same.start == late.start


def test_the_first_repair_leaves_a_day_where_every_order_is_mandatory() -> None:
    """Every order mandatory (as on Solomon and TRSP days): M2 left out is not repaired."""
    inst = compile_problem(
        problem(
            [tech("A", 0, 0, end="10:00"), tech("B", 20, 0, end="10:00")],
            [order("M1", 5, 0, 90, mandatory=True), order("M2", -5, 0, 90, mandatory=True)],
        )
    )
    eligible = eligible_shifts(inst)
    held = construct(inst, eligible, only={0})
    sol, stats = first_repair(inst, held, PARAMS, eligible, deadline=time.monotonic() + 60)
    assert stats.solves == 0 and sol.start == held.start
