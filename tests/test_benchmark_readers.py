"""Benchmark readers: published instances as problems, best-known routes as plans, re-checks."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from benchmarks import solomon, trsp
from benchmarks.suites import SUITES, instance_class, instance_names, load_case, resolve_name
from benchmarks.timing import EPOCH, ceil_seconds, instant, trunc1_seconds
from models.plan import DepotItem, StartItem
from models.validation import check_problem
from optimizer.evaluate import evaluate

TRSP_NAMES = instance_names("trsp")
SINTEF_NAMES = [n for n in instance_names("solomon") if solomon.solution_path("solomon", n)]
GH_NAMES = instance_names("gh200")
GH_FEW = ["c1_2_1", "c2_2_1", "r1_2_1", "r2_2_1", "rc1_2_1", "rc2_2_1"]
GH_REST = [n for n in GH_NAMES if n not in GH_FEW]


@pytest.fixture(scope="module")
def trsp_solutions() -> dict[str, trsp.TrspSolution]:
    """Every published TRSP solution, read once."""
    return trsp.read_solutions()


def _legs(routes: list[list[int]]) -> int:
    return sum(len(r) + 1 for r in routes)


# --- readers ----------------------------------------------------------------------------------


def test_suite_sizes() -> None:
    """Each suite lists every staged instance, in class order."""
    assert len(TRSP_NAMES) == 56
    assert len(instance_names("solomon")) == 56
    assert len(GH_NAMES) == 60
    assert len(SINTEF_NAMES) == 49
    assert [instance_class(n) for n in instance_names("solomon")][::20] == ["C1", "R1", "RC1"]
    assert resolve_name("trsp", "rc208") == "RC208.100_25-5-5-5"
    assert resolve_name("gh200", "C1_2_10") == "c1_2_10"


def test_trsp_reader() -> None:
    """A TRSP file gives 25 technicians at home, 100 requests and the depot's horizon."""
    inst = trsp.load("C101")
    assert (len(inst.homes), len(inst.requests), inst.horizon) == (25, 100, 1236)
    assert inst.homes[0].skills == (1, 3, 4) and inst.homes[0].parts == (3, 0, 4, 4, 0)
    assert inst.requests[0].id == 26 and inst.requests[0].tools == ()
    problem = trsp.to_problem(inst)
    assert check_problem(problem) == []
    tech = problem.technicians[0]
    assert tech.skills == {"skill-1": 1, "skill-3": 1, "skill-4": 1}
    assert tech.parts == {"part-0": 3, "part-2": 4, "part-3": 4}
    assert tech.shifts[0].max_depot_visits == 1
    assert tech.shifts[0].end == EPOCH + timedelta(seconds=1236 * trsp.SCALE)
    order = problem.orders[0]
    assert order.mandatory and order.required_parts == {"part-0": 1, "part-2": 1}
    assert order.time_windows[0].start == instant(912, trsp.SCALE)
    assert problem.depots[0].parts["part-4"] is None
    assert problem.weights.travel == problem.weights.idle == 1
    assert problem.weights.unassigned["3"] > 0 and problem.weights.overtime == 0


@pytest.mark.parametrize("objective", ["distance", "hierarchical"])
def test_vrptw_reader(objective: solomon.VrptwObjective) -> None:
    """A Solomon file gives K technicians at the depot with the capacity as a part."""
    inst = solomon.load("solomon", "R101")
    problem = solomon.to_problem(inst, objective)
    assert check_problem(problem) == []
    assert len(problem.technicians) == 25 and len(problem.orders) == 100
    assert problem.technicians[0].parts == {"capacity": 200}
    assert problem.orders[0].required_parts == {"capacity": 10}
    scale = solomon.SCALES[objective]
    assert problem.orders[0].duration == timedelta(seconds=10 * scale)
    if objective == "hierarchical":
        assert problem.weights.technician_used * 60 > sum(max(r) for r in problem.travel.seconds)
    else:
        assert problem.weights.technician_used == 0


def test_travel_seconds_exact() -> None:
    """Truncated distances are exact multiples of 0.1; ceiled ones are within one second."""
    inst = solomon.load("gehring_homberger_200", "r1_2_1")
    trunc = trunc1_seconds(inst.x, inst.y, 10)
    ceil = ceil_seconds(inst.x, inst.y, 1000)
    for i in range(0, len(inst.ids), 7):
        for j in range(len(inst.ids)):
            d = math.hypot(inst.x[i] - inst.x[j], inst.y[i] - inst.y[j])
            assert trunc[i][j] == math.floor(d * 10)
            assert d * 1000 <= ceil[i][j] < d * 1000 + 1


def test_head_keeps_first_customers() -> None:
    """Trimmed instances keep the first customers and ids, and stay valid problems."""
    case = load_case("trsp", "R101", max_customers=25)
    assert [o.id for o in case.problem.orders][:2] == ["26", "27"]
    assert len(case.problem.orders) == 25 and case.bks is None
    assert check_problem(case.problem) == []
    vcase = load_case("solomon", "C101", max_customers=25)
    assert vcase.instance.name == "C101.25" and len(vcase.problem.orders) == 25


# --- best-known solutions, re-checked in double precision ------------------------------------


def test_trsp_solutions_parse(trsp_solutions: dict[str, trsp.TrspSolution]) -> None:
    """The solution file holds every instance; its tours match the published route counts."""
    assert set(trsp_solutions) == set(TRSP_NAMES)
    sol = trsp_solutions["C101.100_25-5-5-5"]
    assert sol.routes[0] == [1, 83, 85, 84]
    assert sol.routes[2][:3] == [3, 0, 90]
    for name, s in trsp_solutions.items():
        assert len(s.routes) == s.num_routes == trsp.bks_value(name)[1]


@pytest.mark.parametrize("name", TRSP_NAMES)
def test_trsp_bks_recheck(name: str, trsp_solutions: dict[str, trsp.TrspSolution]) -> None:
    """The double-precision re-check finds each published TRSP solution feasible at its value."""
    check = trsp.recheck(trsp.load(name), trsp_solutions[name].routes)
    assert check.feasible, check.violations
    assert check.value == pytest.approx(trsp.bks_value(name)[0], abs=1e-3)


@pytest.mark.parametrize("name", SINTEF_NAMES)
def test_solomon_bks_recheck(name: str) -> None:
    """The re-check finds each SINTEF solution feasible with its routes and `hier_dist`."""
    routes = solomon.read_routes(solomon.solution_path("solomon", name))
    check = solomon.recheck(solomon.load("solomon", name), routes)
    dist, veh = solomon.bks_value("solomon", name, "hierarchical")
    assert check.feasible, check.violations
    assert check.routes == veh
    assert check.value == pytest.approx(dist, abs=0.006)  # published to two decimals


def test_recheck_catches_violations(trsp_solutions: dict[str, trsp.TrspSolution]) -> None:
    """Dropped customers, late arrivals, overload, missing skills and no depot are caught."""
    inst = solomon.load("solomon", "C101")
    routes = solomon.read_routes(solomon.solution_path("solomon", "C101"))
    assert not solomon.recheck(inst, routes[1:]).feasible
    assert not solomon.recheck(inst, [list(reversed(r)) for r in routes]).feasible
    merged = [routes[0] + routes[1], *routes[2:]]
    assert any("capacity" in v for v in solomon.recheck(inst, merged).violations)

    tinst = trsp.load("C101")
    tours = trsp_solutions["C101.100_25-5-5-5"].routes
    with_depot = next(i for i, t in enumerate(tours) if 0 in t)
    no_depot = [t if i != with_depot else [x for x in t if x != 0] for i, t in enumerate(tours)]
    violations = trsp.recheck(tinst, no_depot).violations
    assert any("before the depot" in v or "runs out" in v for v in violations)
    swapped = [[tours[1][0], *tours[0][1:]], [tours[0][0], *tours[1][1:]], *tours[2:]]
    assert any(
        "skill" in v or "tool" in v or "part" in v or ">" in v
        for v in trsp.recheck(tinst, swapped).violations
    )


# --- best-known solutions as plans, held against the evaluator -------------------------------


@pytest.mark.parametrize("name", TRSP_NAMES)
def test_trsp_bks_plan(name: str, trsp_solutions: dict[str, trsp.TrspSolution]) -> None:
    """The evaluator finds each published TRSP plan feasible at its published duration."""
    case = load_case("trsp", name)
    routes = trsp_solutions[name].routes
    plan = case.to_plan(routes)
    ev = evaluate(case.problem, plan)
    assert ev.feasible, [str(v) for v in ev.violations[:5]]
    # Each leg is rounded up to the millisecond, so a tour is at most 1 ms per leg longer.
    duration = ev.working_seconds / trsp.SCALE
    assert case.bks <= duration + 5e-4 <= case.bks + 1e-3 * _legs(routes) + 1e-3
    assert duration == pytest.approx(case.bks, rel=1e-3)
    # Objective: travel + idle minutes = working time minus the (constant) service time.
    terms = ev.objective.terms
    assert terms["travel"] + terms["idle"] == pytest.approx(
        (ev.working_seconds - ev.service_seconds) / 60, rel=1e-9
    )
    assert ev.objective.value == pytest.approx(terms["travel"] + terms["idle"], rel=1e-9)
    assert ev.kpis["routes_used"] == case.bks_routes
    assert case.routes(plan) == routes
    assert case.plan_objective(plan) == pytest.approx(duration)


def test_trsp_plan_shape() -> None:
    """A tour leaves home as late as its windows allow and picks up what it lacks at the depot."""
    case = load_case("trsp", "C101")
    routes = trsp.read_solutions()[case.name].routes
    plan = case.to_plan(routes)
    route = plan.routes[2]  # technician 3: home, depot, then 12 requests
    assert isinstance(route.items[1], DepotItem)
    depot = route.items[1]
    assert depot.start == depot.end and depot.equipment
    start = route.items[0]
    assert isinstance(start, StartItem)
    # Leaving one second later makes the plan infeasible.
    later = plan.model_copy(deep=True)
    shifted = later.routes[2]
    for item in shifted.items:
        for field in ("time", "arrival", "start", "end"):
            if hasattr(item, field):
                setattr(item, field, getattr(item, field) + timedelta(seconds=1))
    assert evaluate(case.problem, plan).feasible
    assert not evaluate(case.problem, later).feasible


def _check_hier_plan(suite: str, name: str) -> None:
    case = load_case(suite, name)
    routes = case.bks_solution()
    assert routes is not None
    plan = case.to_plan(routes)
    ev = evaluate(case.problem, plan)
    assert ev.feasible, [str(v) for v in ev.violations[:5]]
    assert ev.kpis["routes_used"] == len(plan.routes) == case.bks_routes
    digits = 2 if suite == "solomon-hier" else 4
    distance = ev.travel_seconds / case.scale
    assert case.bks - 0.6 * 10**-digits <= distance <= case.bks + 1e-3 * _legs(routes) + 0.01
    check = case.recheck(case.routes(plan))
    assert check.feasible
    assert check.value == pytest.approx(case.bks, abs=0.6 * 10**-digits)
    # Each route costs more than the whole distance, so routes dominate.
    assert ev.objective.terms["technician_used"] > ev.objective.terms["travel"]


@pytest.mark.parametrize("name", SINTEF_NAMES)
def test_solomon_hier_bks_plan(name: str) -> None:
    """The evaluator finds each SINTEF plan feasible, with its routes and `hier_dist`."""
    _check_hier_plan("solomon-hier", name)


@pytest.mark.parametrize("name", GH_FEW)
def test_gh200_bks_plan(name: str) -> None:
    """The evaluator finds Gehring-Homberger best-known plans feasible at their values."""
    _check_hier_plan("gh200", name)


@pytest.mark.slow
@pytest.mark.parametrize("name", GH_REST)
def test_gh200_bks_plan_all(name: str) -> None:
    """The evaluator finds every other Gehring-Homberger best-known plan feasible."""
    _check_hier_plan("gh200", name)


@pytest.mark.parametrize("name", SINTEF_NAMES[::4])
def test_solomon_trunc1_plan(name: str) -> None:
    """Under truncated distances the evaluator's travel is exactly the re-checked distance,
    and no solution beats the proven `dist_trunc1` optimum."""
    case = load_case("solomon", name)
    routes = solomon.read_routes(solomon.solution_path("solomon", name))
    plan = case.to_plan(routes)
    ev = evaluate(case.problem, plan)
    assert ev.feasible
    check = case.recheck(routes)
    assert check.feasible
    assert ev.travel_seconds == round(check.value * case.scale)
    assert case.plan_objective(plan) == pytest.approx(check.value, abs=1e-9)
    assert check.value >= case.bks - 1e-9


def test_every_suite_loads() -> None:
    """Each suite's first instance becomes a valid problem with a best-known value."""
    for suite in SUITES:
        case = load_case(suite, instance_names(suite)[0])
        assert check_problem(case.problem) == []
        assert case.bks is not None and case.bks > 0 and case.bks_routes
        assert all(o.mandatory for o in case.problem.orders)


# --- run records and reports, without the solver --------------------------------------------


@pytest.mark.parametrize("suite", ["trsp", "solomon-hier"])
def test_assess_bks_plan(suite: str) -> None:
    """A best-known plan assessed like a solver's is feasible with a gap of about zero."""
    from benchmarks.run import assess

    case = load_case(suite, "RC105")
    record = assess(case, case.to_plan(case.bks_solution()))
    assert record["feasible"] and record["evaluator_feasible"] and record["recheck_feasible"]
    assert abs(record["gap"]) < 1e-5
    assert record["routes"] == case.bks_solution()
    assert record["routes_used"] == case.bks_routes


def test_report_cli(tmp_path, capsys) -> None:
    """`report` prints both runs and writes the gap plots."""
    import json

    from benchmarks.cli import main

    for run, gap in (("a", 0.01), ("b", 0.02)):
        folder = tmp_path / run
        folder.mkdir()
        for name in ("C101", "R205"):
            record = {
                "suite": "solomon", "instance": name, "feasible": True, "objective": 1.0,
                "bks": 1.0, "gap": gap, "wall_time": 1.0, "routes_used": 3, "routes": [],
            }  # fmt: skip
            (folder / f"{name}.json").write_text(json.dumps(record))
    assert main(["report", str(tmp_path / "a")]) == 0
    assert main(["report", str(tmp_path / "a"), "--against", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "R205" in out and "R2" in out and "1.00%" in out
    assert (tmp_path / "a" / "gaps.png").exists() and (tmp_path / "a" / "gaps_vs_b.png").exists()


def test_report_of_rosters(tmp_path, capsys) -> None:
    """`report` prints roster records (no routes) in the issue's groups of instances."""
    import json

    from benchmarks.cli import main

    for k, gap in ((5, 0.0026), (9, 0.0046), (12, 0.5)):
        record = {
            "suite": "curtois", "instance": f"Instance{k}", "feasible": True, "objective": 1,
            "bks": 1, "gap": gap, "wall_time": 60.0, "roster": {},
        }  # fmt: skip
        (tmp_path / f"Instance{k}.json").write_text(json.dumps(record))
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1-7" in out and "8-10" in out and "11-24" in out and "50.00%" in out
