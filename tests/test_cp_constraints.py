"""Each constraint family of the CP-SAT model on its own tiny instance: a feasible case with the
values it forces, derived by hand, and an infeasible twin.

The models are solved directly (one worker, fixed seed), with orders forced to be served where
the family binds. Travel is euclidean at one unit per minute; the day starts at 00:00, so
08:00 is 28,800 s.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from models import Objective, Plan, Problem
from models.plan import Reason, Unassigned
from optimizer.cp.build import build as build_model
from optimizer.cp.build import eligible_shifts, extract, make_scope
from optimizer.cp.objective import solution_cost
from optimizer.cp.variables import Model
from optimizer.evaluate import evaluate
from optimizer.instance import SCALE, compile_problem
from optimizer.plan_builder import build_routes
from optimizer.solution import RouteSol, Solution
from tests.factory import at, order, problem, tech

H = 3600
"""Seconds in an hour."""
M = 60
"""Seconds in a minute."""


def model_of(
    p: Problem,
    *,
    incumbent: Solution | None = None,
    shifts: list[int] | None = None,
    eligible: dict[int, list[int]] | None = None,
) -> Model:
    """The model deciding `shifts` (default all) and inserting every unserved order."""
    inst = compile_problem(p)
    incumbent = incumbent or Solution()
    shifts = list(range(len(inst.shifts))) if shifts is None else shifts
    served = incumbent.served()
    extra = [o for o in range(len(inst.orders)) if o not in served]
    scope = make_scope(inst, incumbent, shifts, extra, eligible or eligible_shifts(inst))
    return build_model(inst, scope)


def solve(
    m: Model, serve: tuple[str, ...] = (), work: float = 10.0
) -> tuple[str, cp_model.CpSolver]:
    """Solve with the named orders forced to be served, within `work` deterministic seconds:
    'optimal', 'infeasible', ..."""
    for oid in serve:
        m.cp.add(m.orders[m.inst.order_idx[oid]].served == 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 60
    solver.parameters.max_deterministic_time = work
    code = solver.solve(m.cp)
    return solver.status_name(code).lower(), solver


def start(m: Model, solver: cp_model.CpSolver, oid: str) -> int:
    """The solver's start of an order, in seconds of the day."""
    return solver.value(m.orders[m.inst.order_idx[oid]].start)


def served(m: Model, solver: cp_model.CpSolver, oid: str) -> bool:
    """Whether the solver serves an order."""
    return solver.boolean_value(m.orders[m.inst.order_idx[oid]].served)


# --- order_variables ----------------------------------------------------------------------------


def test_order_variables_pinned_start_inside_or_outside_the_windows() -> None:
    """A pinned start inside the windows is the start; one outside them cannot be served."""
    window = [{"start": at("09:00"), "end": at("10:00")}]
    p = problem(
        [tech("A")], [order("X", 10, 0, time_windows=window, pinned={"start": at("09:30")})]
    )
    m = model_of(p)
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    assert start(m, solver, "X") == 9 * H + 30 * M
    p = problem(
        [tech("A")], [order("X", 10, 0, time_windows=window, pinned={"start": at("10:30")})]
    )
    assert solve(model_of(p), serve=("X",))[0] == "infeasible"


# --- on_call ------------------------------------------------------------------------------------


def test_on_call_shift_takes_emergency_and_priority_1_orders_only() -> None:
    """Even where eligibility lets an on-call shift through, a priority-3 repair stays off it;
    a priority-1 order or an emergency may use it."""

    def model(**fields: Any) -> Model:
        p = problem([tech("A", on_call=True)], [order("X", 10, 0, **fields)])
        return model_of(p, eligible={0: [0]})

    assert solve(model(kind="repair", priority=3), serve=("X",))[0] == "infeasible"
    assert solve(model(kind="repair", priority=1), serve=("X",))[0] == "optimal"
    assert solve(model(kind="emergency", priority=3), serve=("X",))[0] == "optimal"


# --- assignment ---------------------------------------------------------------------------------


def test_assignment_crew_size_and_pinned_technician() -> None:
    """A crew of two takes both technicians at one start; with one of them unqualified it
    cannot be served; a pin to a technician who cannot reach it leaves it out."""
    p = problem([tech("A"), tech("B", 20, 0)], [order("X", 10, 0, crew_size=2)])
    m = model_of(p)
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    x = m.orders[0]
    assert sorted(solver.boolean_value(v) for v in x.visit.values()) == [True, True]
    assert start(m, solver, "X") == 8 * H + 10 * M  # both 10 min away from 08:00
    unqualified = [tech("A"), tech("B", 20, 0, skills={"copper": 1})]
    m = model_of(problem(unqualified, [order("X", 10, 0, crew_size=2)]))
    assert solve(m, serve=("X",))[0] == "infeasible"
    pinned = problem(
        [tech("A"), tech("B", end="08:05")], [order("X", 10, 0, pinned={"technician": "B"})]
    )
    assert solve(model_of(pinned), serve=("X",))[0] == "infeasible"


# --- route_variables, circuit, timing -----------------------------------------------------------


def test_timing_travel_between_visits_of_one_route() -> None:
    """X (30,0) pinned at 08:30 for 30 min, then Y (0,30): the leg is 42.43 min (2,546 s), so
    Y starts at 09:42:26 at the earliest; a window closing at 09:40 cannot be kept."""

    def model(y_end: str) -> Model:
        p = problem(
            [tech("A")],
            [
                order("X", 30, 0, pinned={"start": at("08:30")}),
                order("Y", 0, 30, time_windows=[{"start": at("09:00"), "end": at(y_end)}]),
            ],
        )
        return model_of(p)

    m = model("10:00")
    status, solver = solve(m, serve=("X", "Y"))
    assert status == "optimal"
    assert start(m, solver, "Y") == 9 * H + 2546
    route = m.routes[0]
    assert solver.boolean_value(route.used)
    # Back home from Y (0,30): 30 min after Y's end at 10:12:26.
    assert solver.value(route.ret) == 9 * H + 2546 + 30 * M + 30 * M
    assert solve(model("09:40"), serve=("X", "Y"))[0] == "infeasible"


def test_circuit_an_unused_route_serves_nothing() -> None:
    """A route that serves no order is unused: it leaves and returns at once; a served order
    needs a used route."""
    m = model_of(problem([tech("A"), tech("B", 50, 50)], [order("X", 1, 0)]))
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    unused = m.routes[1]
    assert not solver.boolean_value(unused.used)
    assert solver.value(unused.ret) == solver.value(unused.depart)
    # A visit makes its route used: X served while both routes stay unused cannot be.
    idle = model_of(problem([tech("A"), tech("B", 50, 50)], [order("X", 1, 0)]))
    for route in idle.routes.values():
        idle.cp.add(route.used == 0)
    assert solve(idle, serve=("X",))[0] == "infeasible"


def test_route_variables_depot_stop_only_while_the_depot_is_open() -> None:
    """X (10,0) needs an otdr from depot D (5,0), open 09:00-09:30 with 10-min stops: the stop
    starts in 09:00-09:20, so X starts at 09:15 at the earliest (09:14 is infeasible); a depot
    open only before the shift gets no stop node and X cannot be supplied."""

    def model(opening: tuple[str, str]) -> Model:
        depot = {
            "id": "D",
            "location": {"x": 5, "y": 0},
            "opening": {"start": at(opening[0]), "end": at(opening[1])},
            "visit_duration": "PT10M",
            "equipment": {"otdr": 1},
        }
        p = problem([tech("A")], [order("X", 10, 0, required_equipment=["otdr"])], depots=[depot])
        return model_of(p, eligible={0: [0]})

    m = model(("09:00", "09:30"))
    assert m.routes[0].depots == [0]
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    assert 9 * H <= solver.value(m.routes[0].depot_start[0]) <= 9 * H + 20 * M
    assert start(m, solver, "X") >= 9 * H + 15 * M
    m = model(("09:00", "09:30"))
    m.cp.add(m.orders[0].start <= 9 * H + 14 * M)
    assert solve(m, serve=("X",))[0] == "infeasible"
    closed = model(("06:00", "07:00"))
    assert closed.routes[0].depots == []
    assert solve(closed, serve=("X",))[0] == "infeasible"


# --- breaks -------------------------------------------------------------------------------------


def test_breaks_are_taken_inside_their_window() -> None:
    """A 30-min break that must end by 08:30 comes first: X at the start location may start at
    08:30, not at 08:10."""

    def model(pin: str) -> Model:
        brk = {"earliest_start": at("08:00"), "latest_end": at("08:30"), "duration": "PT30M"}
        p = problem([tech("A", breaks=[brk])], [order("X", 0, 0, pinned={"start": at(pin)})])
        return model_of(p)

    m = model("08:30")
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    assert solver.value(m.routes[0].breaks[0].start) == 8 * H
    assert solve(model("08:10"), serve=("X",))[0] == "infeasible"


# --- dependencies -------------------------------------------------------------------------------


def test_dependencies_after_orders_come_first() -> None:
    """Y after X: Y starts once X has ended; if X cannot be served, neither can Y."""
    orders = [order("X", 10, 0), order("Y", 10, 0, after=["X"])]
    m = model_of(problem([tech("A")], orders))
    status, solver = solve(m, serve=("Y",))
    assert status == "optimal"
    assert served(m, solver, "X")
    assert start(m, solver, "Y") >= start(m, solver, "X") + 30 * M
    orders[0]["required_skills"] = {"radio": 1}
    assert solve(model_of(problem([tech("A")], orders)), serve=("Y",))[0] == "infeasible"


# --- links --------------------------------------------------------------------------------------


def test_links_hold_the_start_to_start_gap() -> None:
    """Y starts exactly 60 min after X (both at (10,0), one technician): X at 08:10, Y at
    09:10; with both windows closing at 08:30 no start pair is 60 min apart."""

    def model(end: str) -> Model:
        window = [{"start": at("08:00"), "end": at(end)}]
        link = [{"order": "X", "min_gap": "PT1H", "max_gap": "PT1H"}]
        p = problem(
            [tech("A"), tech("B")],
            [
                order("X", 10, 0, time_windows=window),
                order("Y", 10, 0, time_windows=window, linked=link),
            ],
        )
        return model_of(p)

    m = model("12:00")
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    assert served(m, solver, "Y")
    assert start(m, solver, "Y") - start(m, solver, "X") == H
    assert start(m, solver, "X") == 8 * H + 10 * M
    assert solve(model("08:30"), serve=("X",))[0] == "infeasible"


def test_links_negative_gap_and_simultaneous_starts() -> None:
    """Gap 0: a two-ended test starts at both ends at once (A and B 10 and 20 min away: both
    at 08:20); a gap of -15 min puts Y a quarter of an hour before X."""
    for gap, want in (("PT0S", 0), ("-PT15M", -15 * M)):
        link = [{"order": "X", "min_gap": gap, "max_gap": gap}]
        p = problem(
            [tech("A"), tech("B", 40, 0)], [order("X", 20, 0), order("Y", 30, 0, linked=link)]
        )
        m = model_of(p)
        status, solver = solve(m, serve=("X",))
        assert status == "optimal"
        assert start(m, solver, "Y") - start(m, solver, "X") == want


def test_links_serve_both_or_neither() -> None:
    """Y cannot be served by anyone (no one holds radio): X, linked to it, cannot be either;
    without the link it can."""
    y = order("Y", 10, 0, required_skills={"radio": 1})
    linked = order("X", 10, 0, linked=[{"order": "Y", "min_gap": "-PT8H", "max_gap": "PT8H"}])
    assert solve(model_of(problem([tech("A")], [linked, y])), ("X",))[0] == "infeasible"
    assert solve(model_of(problem([tech("A")], [order("X", 10, 0), y])), ("X",))[0] == "optimal"


def test_links_to_a_partner_outside_the_scope() -> None:
    """X is served at 09:00 on B's route, outside a scope of A's route: Y, linked 30 min after
    X, is placed at 09:30 there. With X unserved and unable to come in, Y stays out too."""
    link = [{"order": "X", "min_gap": "PT30M", "max_gap": "PT30M"}]
    x_skills = {"radio": 1}
    p = problem(
        [tech("A"), tech("B", skills={"fiber": 3, "radio": 1})],
        [order("X", 10, 0, required_skills=x_skills), order("Y", 10, 0, linked=link)],
    )
    incumbent = Solution(
        routes={1: RouteSol(shift=1, orders=[0], depart=8 * H + 50 * M, ret=9 * H + 40 * M)},
        start={0: 9 * H},
        provider={0: 1},
    )
    m = model_of(p, incumbent=incumbent, shifts=[0])
    assert m.scope.orders == [1] and 0 not in m.orders
    status, solver = solve(m, serve=("Y",))
    assert status == "optimal"
    assert start(m, solver, "Y") == 9 * H + 30 * M
    m = model_of(p, shifts=[0])  # X unserved; A cannot serve it
    assert sorted(m.scope.orders) == [0, 1]
    assert solve(m, serve=("Y",))[0] == "infeasible"


def test_links_to_a_fixed_crew_partner_in_the_scope() -> None:
    """X, a crew of two at 09:00 on A's and B's routes, is fixed in a scope of A's route alone;
    Y, linked 30 min after it, follows it at 09:30 on A's route (same place, no travel)."""
    link = [{"order": "X", "min_gap": "PT30M", "max_gap": "PT30M"}]
    p = problem(
        [tech("A"), tech("B")],
        [order("X", 10, 0, crew_size=2), order("Y", 10, 0, linked=link)],
    )
    incumbent = Solution(
        routes={
            s: RouteSol(shift=s, orders=[0], depart=8 * H + 50 * M, ret=9 * H + 40 * M)
            for s in (0, 1)
        },
        start={0: 9 * H},
        provider={0: 0},
    )
    m = model_of(p, incumbent=incumbent, shifts=[0])
    assert list(m.scope.fixed) == [0] and m.scope.orders == [1]
    status, solver = solve(m, serve=("Y",))
    assert status == "optimal"
    assert start(m, solver, "Y") == 9 * H + 30 * M
    m = model_of(p, incumbent=incumbent, shifts=[0])
    m.cp.add(m.orders[1].start <= 9 * H + 20 * M)  # Y by 09:20 contradicts the link
    assert solve(m, serve=("Y",))[0] == "infeasible"


# --- supplies -----------------------------------------------------------------------------------


def test_supplies_equipment_from_a_depot_stop_before_the_visit() -> None:
    """X needs an otdr that A's van lacks: a stop at depot D (5,0) supplies it before X; a
    depot without one cannot."""

    def model(depot_equipment: dict[str, int | None]) -> Model:
        depot = {"id": "D", "location": {"x": 5, "y": 0}, "equipment": depot_equipment}
        p = problem([tech("A")], [order("X", 10, 0, required_equipment=["otdr"])], depots=[depot])
        return model_of(p, eligible={0: [0]})

    m = model({"otdr": 1})
    status, solver = solve(m, serve=("X",))
    assert status == "optimal"
    route = m.routes[0]
    assert solver.boolean_value(route.depot_visit[0])
    assert start(m, solver, "X") >= solver.value(route.depot_start[0])
    assert solve(model({"ladder": 1}), serve=("X",))[0] == "infeasible"


# --- objective: max_lateness --------------------------------------------------------------------


def test_max_lateness_term_agrees_with_the_search_cost_and_the_evaluator() -> None:
    """X and Y at (10,0), 30 min each, both due 08:10, lateness unweighted, max_lateness 1 per
    minute: one starts at 08:10, the other at 08:40, 30 min late; travel 20 min; objective 50.
    The model, `solution_cost` and the evaluator all count it."""
    due = {"due": at("08:10"), "priority": 3}
    p = problem(
        [tech("A")],
        [order("X", 10, 0, **due), order("Y", 10, 0, **due)],
        weights={"lateness": {"3": 0}, "max_lateness": 1},
    )
    m = model_of(p)
    status, solver = solve(m)
    assert status == "optimal"
    assert solver.value(m.max_late) == 30 * M
    assert solver.objective_value == 50 * 60 * SCALE
    sol = extract(m, solver, Solution())
    assert solution_cost(m.inst, sol) == 50 * 60 * SCALE
    plan = Plan(status="feasible", objective=Objective(value=0), routes=build_routes(m.inst, sol))
    ev = evaluate(p, plan)
    assert ev.feasible, [str(v) for v in ev.violations]
    assert ev.objective.terms["max_lateness"] == 30.0
    assert ev.objective.value == 50.0


# --- one cost: the model, the search's cost and the evaluator -----------------------------------

ORDER = st.fixed_dictionaries(
    {
        "x": st.integers(0, 30),
        "y": st.integers(0, 30),
        "minutes": st.integers(5, 60),
        "priority": st.integers(1, 5),
        "due": st.none() | st.integers(0, 90),  # minutes after 08:00
        "prefers": st.booleans(),
        "kind": st.sampled_from(["repair", "emergency"]),
    }
)
LINK = st.none() | st.tuples(st.integers(-60, 60), st.integers(0, 30))
"""A link of the second order to the first: least gap and width, in minutes."""
WEIGHTS = st.fixed_dictionaries(
    {
        "lateness": st.fixed_dictionaries({str(p): st.integers(0, 20) for p in range(1, 6)}),
        "max_lateness": st.integers(0, 10),
        "idle": st.integers(0, 2),
        "overtime": st.integers(0, 10),
        "technician_used": st.integers(0, 30),
        "preference": st.integers(0, 60),
        "unassigned": st.fixed_dictionaries({str(p): st.integers(50, 500) for p in range(1, 6)}),
    }
)


@settings(max_examples=20, deadline=None)
@given(st.lists(ORDER, min_size=1, max_size=4), WEIGHTS, LINK, st.booleans())
def test_optimal_model_objective_is_the_search_cost_and_the_evaluators(
    orders: list[dict[str, Any]],
    weights: dict[str, Any],
    link: tuple[int, int] | None,
    on_call: bool,
) -> None:
    """On random tiny days solved to optimality, the CP-SAT objective equals `solution_cost` of
    the extracted solution, and both equal the evaluator's objective of the plan built from it,
    which breaks no rule (links and on-call shifts included)."""
    p = problem(
        [
            tech("A", end="10:00", max_overtime="PT30M"),
            tech("B", 20, 0, end="10:00", on_call=on_call),
        ],
        [
            order(
                f"O{k}",
                o["x"],
                o["y"],
                o["minutes"],
                priority=o["priority"],
                **(
                    {"due": at(f"{8 + o['due'] // 60:02d}:{o['due'] % 60:02d}")}
                    if o["due"] is not None
                    else {}
                ),
                preferred_technicians=["A"] if o["prefers"] else [],
                kind=o["kind"],
                linked=[
                    {"order": "O0", "min_gap": link[0] * 60, "max_gap": (link[0] + link[1]) * 60}
                ]
                if k == 1 and link is not None
                else [],
            )
            for k, o in enumerate(orders)
        ],
        weights=weights,
    )
    m = model_of(p)
    status, solver = solve(m, work=0.5)
    assume(status == "optimal")
    sol = extract(m, solver, Solution())
    cost = solution_cost(m.inst, sol)
    assert cost == round(solver.objective_value)
    plan = Plan(status="feasible", objective=Objective(value=0), routes=build_routes(m.inst, sol))
    plan.unassigned = [
        Unassigned(order=o.id, reasons=[Reason(code="capacity", detail="Left out.")])
        for k, o in enumerate(m.inst.orders)
        if k not in sol.shifts_of()
    ]
    ev = evaluate(p, plan)
    assert ev.feasible, [str(v) for v in ev.violations]
    assert ev.objective.value * 60 * SCALE == pytest.approx(cost)
