"""Each constraint family binding on a tiny instance, optimum derived by hand.

Travel is euclidean at one unit per minute, so a distance of 10 is 10 minutes; the default
weights cost 1 per travel minute, 5 per overtime minute, 10 per late minute at priority 3,
and 10000 / 1000 / 100000 for an unassigned priority 3 / 5 / 1 order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import load_problem
from tests.factory import at, order, problem, reasons, solve_checked, tech, visits

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED_EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"


def test_skill_level_decides_the_technician():
    """A fiber-3 order goes to the farther fiber-3 technician, not the nearer fiber-2 one."""
    p = problem(
        [tech("A", 0, 0, skills={"fiber": 2}), tech("B", 20, 0, skills={"fiber": 3})],
        [order("O", 10, 0, required_skills={"fiber": 3})],
    )
    result, ev = solve_checked(p)
    # B drives 10 there and 10 back: 20 minutes of travel is the whole cost.
    assert visits(result.plan)["O"][0][0] == "B"
    assert ev.objective.value == pytest.approx(20)


def test_no_qualified_technician_is_a_reason():
    """An order whose skill nobody holds is unassigned with no_qualified_technician."""
    p = problem([tech("A")], [order("O", 1, 0, required_skills={"radio": 1})])
    result, ev = solve_checked(p)
    assert reasons(result.plan) == {"O": {"no_qualified_technician"}}
    assert ev.objective.value == pytest.approx(10000)


def test_time_window_makes_the_route_leave_late():
    """The visit starts at its window; the route leaves just in time to get there."""
    p = problem(
        [tech("A")], [order("O", 30, 0, time_windows=[{"start": at("10:00"), "end": at("10:30")}])]
    )
    result, ev = solve_checked(p)
    route = result.plan.routes[0]
    assert route.items[0].time.strftime("%H:%M") == "09:30"
    assert route.items[1].start.strftime("%H:%M") == "10:00"
    assert ev.objective.value == pytest.approx(60)


def test_second_window_when_the_first_is_unreachable():
    """With the first window closed before arrival, the visit takes the second one."""
    windows = [
        {"start": at("08:00"), "end": at("08:10")},
        {"start": at("12:00"), "end": at("13:00")},
    ]
    p = problem([tech("A")], [order("O", 30, 0, time_windows=windows)])
    result, _ = solve_checked(p)
    assert visits(result.plan)["O"][0][1].start.strftime("%H:%M") == "12:00"


def test_overtime_is_paid_when_worth_it():
    """Ending at 09:20 on an 09:00 shift costs 20 overtime minutes: 20 travel + 5 * 20 = 120."""
    p = problem([tech("A", end="09:00", max_overtime="PT30M")], [order("O", 10, 0, 60)])
    result, ev = solve_checked(p)
    assert result.plan.routes[0].overtime.total_seconds() == 20 * 60
    assert ev.objective.value == pytest.approx(120)


def test_no_overtime_allowed_leaves_the_order_out():
    """Without overtime the 80-minute round trip does not fit a one-hour shift."""
    p = problem([tech("A", end="09:00")], [order("O", 10, 0, 60)])
    result, _ = solve_checked(p)
    assert reasons(result.plan) == {"O": {"time_window"}}


def test_break_is_taken_between_visits():
    """A ends 12:00 where the break must start; B can start only at 12:40 after the break
    and 10 minutes of travel. Travel 10 + 10 + 20 = 40."""
    brk = [{"earliest_start": at("12:00"), "latest_end": at("12:30"), "duration": "PT30M"}]
    p = problem(
        [tech("A", breaks=brk)],
        [
            order("A1", 10, 0, 30, time_windows=[{"start": at("11:30"), "end": at("11:30")}]),
            order("B1", 20, 0, 30, time_windows=[{"start": at("12:00"), "end": at("12:40")}]),
        ],
    )
    result, ev = solve_checked(p)
    kinds = [i.type for i in result.plan.routes[0].items]
    assert kinds == ["start", "visit", "break", "visit", "end"]
    assert visits(result.plan)["B1"][0][1].start.strftime("%H:%M") == "12:40"
    assert ev.objective.value == pytest.approx(40)


def test_break_that_cannot_fit_blocks_the_second_visit():
    """If B must start by 12:35, break plus travel make it unreachable after A."""
    brk = [{"earliest_start": at("12:00"), "latest_end": at("12:30"), "duration": "PT30M"}]
    p = problem(
        [tech("A", breaks=brk)],
        [
            order("A1", 10, 0, 30, time_windows=[{"start": at("11:30"), "end": at("11:30")}]),
            order(
                "B1",
                20,
                0,
                30,
                time_windows=[{"start": at("12:00"), "end": at("12:35")}],
                priority=5,
            ),
        ],
    )
    result, _ = solve_checked(p)
    assert set(reasons(result.plan)) == {"B1"}


def test_higher_priority_wins_over_travel():
    """A one-hour shift fits the far priority-1 order (55 min) or the near priority-5 one,
    not both; the plan serves priority 1: 40 travel + 1000 for the dropped order."""
    p = problem(
        [tech("A", end="09:00")],
        [order("P1", 20, 0, 15, priority=1), order("P5", 1, 0, 15, priority=5)],
    )
    result, ev = solve_checked(p)
    assert set(visits(result.plan)) == {"P1"}
    assert reasons(result.plan)["P5"] & {"capacity", "not_worth_it"}
    assert ev.objective.value == pytest.approx(1040)


def test_mandatory_order_is_served_before_priority():
    """The same conflict with the far order mandatory at priority 5: it is served."""
    p = problem(
        [tech("A", end="09:00")],
        [order("M", 20, 0, 15, priority=5, mandatory=True), order("P1", 1, 0, 15, priority=1)],
    )
    result, ev = solve_checked(p)
    assert set(visits(result.plan)) == {"M"}
    assert ev.objective.value == pytest.approx(40 + 100000)


def test_impossible_mandatory_order_makes_the_plan_infeasible():
    """A mandatory order nobody can do: status infeasible, the rest still served, the mandatory
    order listed with its reason and flagged mandatory."""
    p = problem(
        [tech("A")],
        [order("M", 1, 0, required_skills={"radio": 1}, mandatory=True), order("O", 2, 0)],
    )
    result, _ = solve_checked(p)
    assert result.plan.status == "infeasible"
    assert set(visits(result.plan)) == {"O"}
    assert reasons(result.plan) == {"M": {"no_qualified_technician"}}
    assert [u.mandatory for u in result.plan.unassigned] == [True]


def test_lateness_is_charged_per_minute_past_due():
    """Due 08:05 but reachable at 08:10: 5 late minutes * 10 + 20 travel = 70."""
    p = problem([tech("A")], [order("O", 10, 0, due=at("08:05"))])
    _result, ev = solve_checked(p)
    assert ev.objective.terms["lateness"] == pytest.approx(50)
    assert ev.objective.value == pytest.approx(70)


def test_equipment_decides_the_technician():
    """Only B carries the OTDR, so B serves although A is nearer."""
    p = problem(
        [tech("A", 0, 0), tech("B", 30, 0, equipment=["otdr"])],
        [order("O", 10, 0, required_equipment=["otdr"])],
    )
    result, ev = solve_checked(p)
    assert visits(result.plan)["O"][0][0] == "B"
    assert ev.objective.value == pytest.approx(40)


def test_missing_equipment_is_a_reason():
    """Nobody carries a splicer: no_equipment."""
    p = problem([tech("A")], [order("O", 1, 0, required_equipment=["fusion-splicer"])])
    result, _ = solve_checked(p)
    assert reasons(result.plan) == {"O": {"no_equipment"}}


def test_van_parts_limit_the_orders_served():
    """One ONT in the van and two orders needing one each: one is served."""
    p = problem(
        [tech("A", parts={"ont": 1})],
        [
            order("O1", 1, 0, required_parts={"ont": 1}),
            order("O2", 2, 0, required_parts={"ont": 1}),
        ],
    )
    result, _ = solve_checked(p)
    assert len(visits(result.plan)) == 1
    assert len(result.plan.unassigned) == 1


def test_parts_carry_over_between_shifts():
    """Stock is for the technician's first shift on: one ONT serves one order over two shifts."""
    shifts = [
        {"start": at("08:00"), "end": at("10:00"), "start_location": {"x": 0, "y": 0}},
        {"start": at("13:00"), "end": at("15:00"), "start_location": {"x": 0, "y": 0}},
    ]
    p = problem(
        [tech("A", shifts=shifts, parts={"ont": 1})],
        [
            order(
                "O1",
                1,
                0,
                required_parts={"ont": 1},
                time_windows=[{"start": at("08:00"), "end": at("09:00")}],
            ),
            order(
                "O2",
                1,
                0,
                required_parts={"ont": 1},
                time_windows=[{"start": at("13:00"), "end": at("14:00")}],
            ),
        ],
    )
    result, _ = solve_checked(p)
    assert len(visits(result.plan)) == 1


def test_several_shifts_are_several_routes():
    """Two orders in two shifts of one technician make two routes."""
    shifts = [
        {"start": at("08:00"), "end": at("10:00"), "start_location": {"x": 0, "y": 0}},
        {"start": at("13:00"), "end": at("15:00"), "start_location": {"x": 0, "y": 0}},
    ]
    p = problem(
        [tech("A", shifts=shifts)],
        [
            order("O1", 1, 0, time_windows=[{"start": at("08:00"), "end": at("09:00")}]),
            order("O2", 1, 0, time_windows=[{"start": at("13:00"), "end": at("14:00")}]),
        ],
    )
    result, _ = solve_checked(p)
    assert sorted(r.shift for r in result.plan.routes) == ["A-1", "A-2"]


def test_pinned_technician_and_start_hold():
    """Pinned to the far technician B at 10:00: B serves at 10:00 (travel 2 * 20 = 40)."""
    p = problem(
        [tech("A", 10, 0), tech("B", 30, 0)],
        [order("O", 10, 0, pinned={"technician": "B", "start": at("10:00")})],
    )
    result, ev = solve_checked(p)
    tech_id, visit = visits(result.plan)["O"][0]
    assert (tech_id, visit.start.strftime("%H:%M")) == ("B", "10:00")
    assert ev.objective.value == pytest.approx(40)


def test_after_dependency_orders_the_starts():
    """B2 after B1 at the same place with two technicians: B2 starts when B1 has ended."""
    p = problem(
        [tech("A"), tech("B")],
        [order("B1", 10, 0, 60), order("B2", 10, 0, 30, after=["B1"])],
    )
    result, _ = solve_checked(p)
    v = visits(result.plan)
    assert v["B2"][0][1].start >= v["B1"][0][1].end


def test_dependency_on_an_impossible_order_is_a_reason():
    """An order after one nobody can do is unassigned with dependency."""
    p = problem(
        [tech("A")],
        [order("X", 10, 0, required_skills={"radio": 1}), order("Y", 10, 0, after=["X"])],
    )
    result, _ = solve_checked(p)
    assert reasons(result.plan)["Y"] == {"dependency"}


def test_crew_of_two_meets_at_the_same_start():
    """Both technicians, 5 away each, start the crew order together at 08:05: travel 20."""
    p = problem(
        [tech("A", 0, 0), tech("B", 0, 10)],
        [order("C", 0, 5, crew_size=2, priority=1)],
    )
    result, ev = solve_checked(p)
    crew = visits(result.plan)["C"]
    assert sorted(t for t, _ in crew) == ["A", "B"]
    assert {v.start for _, v in crew} == {crew[0][1].start}
    assert sorted(crew[0][1].crew) == ["A", "B"]
    assert ev.objective.value == pytest.approx(20)


def test_crew_without_enough_qualified_technicians_is_a_reason():
    """A crew of two with one qualified technician: crew."""
    p = problem(
        [tech("A"), tech("B", skills={"copper": 2})],
        [order("C", 0, 5, crew_size=2)],
    )
    result, _ = solve_checked(p)
    assert reasons(result.plan) == {"C": {"crew"}}


def test_preferred_technician_is_worth_a_longer_drive():
    """A costs 20 travel + 60 preference, B 30 travel: B serves at cost 30."""
    p = problem(
        [tech("A", 0, 0), tech("B", 25, 0)],
        [order("O", 10, 0, preferred_technicians=["B"])],
    )
    result, ev = solve_checked(p)
    assert visits(result.plan)["O"][0][0] == "B"
    assert ev.objective.value == pytest.approx(30)


def test_lns_keeps_every_constraint():
    """Forced onto the large-neighbourhood path, a generated day still yields a feasible plan
    after several CP-SAT neighbourhoods (a deterministic budget: five steps of 0.1 at most)."""
    from benchmarks.generator import generate_day

    p = load_problem(generate_day(40, 6, seed=3))
    result, _ = solve_checked(
        p,
        deterministic_limit=0.5,
        search={"full_model_arcs": 0},
        lns={"step_time": 0.1},
        timing={"probe_deterministic": 0.02},
    )
    assert result.stats.mode == "lns"
    assert result.stats.iterations > 1


def test_very_large_day_gives_neighbourhoods_time_to_moves():
    """A day of more orders than `large_day_orders` runs no CP-SAT neighbourhood (the repairs
    off too): ruin and recreate alone, and the plan is still feasible."""
    from benchmarks.generator import generate_day

    p = load_problem(generate_day(40, 6, seed=3))
    result, _ = solve_checked(
        p,
        deterministic_limit=0.5,
        search={"full_model_arcs": 0, "large_day_orders": 39},
        repair={"share": 0.0, "first_share": 0.0},
        timing={"probe_deterministic": 0.02},
    )
    assert result.stats.mode == "lns"
    assert result.stats.iterations == 0
    assert result.stats.moves > 0


def test_same_seed_one_worker_deterministic_limit_same_plan():
    """Same input, seed, one worker and a deterministic limit give the same plan."""
    from benchmarks.generator import generate_day

    p = load_problem(generate_day(25, 5, seed=7))
    params = {"seed": 5, "timing": {"probe_deterministic": 0.02}}
    a, _ = solve_checked(p, **params)
    b, _ = solve_checked(p, **params)
    assert a.plan.routes == b.plan.routes
    assert a.plan.unassigned == b.plan.unassigned


def _example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json")) + sorted(SHARED_EXAMPLES.glob("*.json"))


@pytest.mark.parametrize("path", _example_paths(), ids=lambda p: p.stem)
def test_examples_solve_to_feasible_plans(path: Path):
    """Every shipped and shared example gives a feasible plan (every mandatory order served,
    outages at dawn included) with reasons for the rest (a small deterministic budget and
    short probes: every example was feasible on seeds 0-2)."""
    p = load_problem(json.loads(path.read_text()))
    # The wall-clock limit only stops a runaway solve: hangzhou-matrix takes about 5 CPU s
    # (54 wall s at load 15), so the tests' usual 120 s bound first under heavier load and
    # `solve_checked` failed on `wall_limit_bound`; the deterministic limit binds instead.
    result, _ = solve_checked(
        p, deterministic_limit=0.1, time_limit=3600.0, timing={"probe_deterministic": 0.01}
    )
    assert result.plan.status in ("optimal", "feasible")


def _depot(**fields):
    return {"id": "D", "location": {"x": 10, "y": 0}, **fields}


def test_depot_stop_supplies_missing_equipment():
    """The van lacks the OTDR; the depot on the way lends it: 10 + 10 + 20 = 40 travel."""
    p = problem(
        [tech("A")],
        [order("O", 20, 0, required_equipment=["otdr"])],
        depots=[_depot(equipment={"otdr": 1})],
    )
    result, ev = solve_checked(p)
    items = result.plan.routes[0].items
    assert [i.type for i in items] == ["start", "depot", "visit", "end"]
    assert items[1].equipment == ["otdr"]
    assert ev.objective.value == pytest.approx(40)


def test_depot_parts_are_picked_just_in_time():
    """An empty van picks up exactly the two ONTs its two orders need."""
    p = problem(
        [tech("A")],
        [
            order("O1", 20, 0, required_parts={"ont": 1}),
            order("O2", 21, 0, required_parts={"ont": 1}),
        ],
        depots=[_depot(parts={"ont": 5})],
    )
    result, _ = solve_checked(p)
    stops = [i for i in result.plan.routes[0].items if i.type == "depot"]
    assert len(stops) == 1 and stops[0].parts == {"ont": 2}


def test_depot_equipment_count_limits_the_shifts():
    """One OTDR at the depot, two technicians far apart each needing one: one order served."""
    p = problem(
        [tech("A", 0, 0, end="10:00"), tech("B", 20, 0, end="10:00")],
        [
            order(
                "OA",
                0,
                5,
                60,
                required_equipment=["otdr"],
                time_windows=[{"start": at("08:30"), "end": at("08:40")}],
            ),
            order(
                "OB",
                20,
                5,
                60,
                required_equipment=["otdr"],
                time_windows=[{"start": at("08:30"), "end": at("08:40")}],
            ),
        ],
        depots=[_depot(equipment={"otdr": 1})],
    )
    result, _ = solve_checked(p)
    assert len(visits(result.plan)) == 1


def test_no_reachable_depot_means_no_equipment():
    """A depot closed for the whole shift does not count: no_equipment."""
    p = problem(
        [tech("A")],
        [order("O", 20, 0, required_equipment=["otdr"])],
        depots=[
            _depot(equipment={"otdr": None}, opening={"start": at("18:00"), "end": at("20:00")})
        ],
    )
    result, _ = solve_checked(p)
    assert reasons(result.plan) == {"O": {"no_equipment"}}


def test_shift_without_depot_visits_cannot_use_the_depot():
    """max_depot_visits 0 keeps the technician away from the depot: no_equipment."""
    p = problem(
        [tech("A", max_depot_visits=0)],
        [order("O", 20, 0, required_equipment=["otdr"])],
        depots=[_depot(equipment={"otdr": None})],
    )
    result, _ = solve_checked(p)
    assert reasons(result.plan) == {"O": {"no_equipment"}}


def test_a_plan_the_evaluator_rejects_is_never_returned(monkeypatch):
    """If the search hands back a broken solution, the answer is the construction instead."""
    from optimizer import solve as solve_module

    real_search = solve_module.search

    def broken(inst, params, budget, initial=None):
        sol, stats = real_search(inst, params, budget, initial)
        for o in sol.start:  # every visit a minute early: before its window opens
            sol.start[o] -= 60
        return sol, stats

    monkeypatch.setattr(solve_module, "search", broken)
    p = problem(
        [tech("A")], [order("O", 10, 0, time_windows=[{"start": at("10:00"), "end": at("12:00")}])]
    )
    result, _ = solve_checked(p)
    assert "rejected_by_evaluator" in result.plan.solver
    assert visits(result.plan)["O"][0][0] == "A"
