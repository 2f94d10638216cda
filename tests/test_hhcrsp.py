"""The HHCRSP suite: reader, mapping to the contract, and the independent route checker."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from benchmarks import hhcrsp
from benchmarks.run import assess
from benchmarks.suites import instance_class, instance_names, load_case, resolve_name, sort_key
from benchmarks.timing import instant
from models.validation import check_problem
from optimizer.evaluate import evaluate

LABELS = hhcrsp.instance_names()


@pytest.fixture(scope="module")
def instances() -> dict[str, hhcrsp.HhcInstance]:
    """Every instance, read once."""
    return {label: hhcrsp.load(label) for label in LABELS}


def test_labels_and_classes() -> None:
    """The suite lists the 70 labels A1..G10 in order; a label's class is its family."""
    assert len(LABELS) == 70
    assert instance_names("hhcrsp") == LABELS
    assert LABELS[:3] == ["A1", "A2", "A3"] and LABELS[9:11] == ["A10", "B1"]
    assert LABELS[-1] == "G10"
    assert [instance_class(n) for n in ("B7", "G10", "C101", "RC208.100_25-5-5-5")] == [
        "B", "G", "C1", "RC2",
    ]  # fmt: skip
    assert sorted(LABELS, key=sort_key) == LABELS
    assert resolve_name("hhcrsp", "a10") == "A10"


def test_reader_counts(instances: dict[str, hhcrsp.HhcInstance]) -> None:
    """Patients, caregivers and double services of every file match bks.csv."""
    rows = hhcrsp.read_bks()
    for label, inst in instances.items():
        row = rows[label]
        doubles = [i for i in inst.patients if inst.is_double(i)]
        simultaneous = [i for i in doubles if inst.is_simultaneous(i)]
        assert len(inst.patients) == int(row["patients"]), label
        assert inst.num_caregivers == int(row["caregivers"]), label
        assert inst.num_services == int(row["services"]) == 6, label
        assert len(doubles) == int(row["double_services"]), label
        assert len(simultaneous) == int(row["simultaneous"]), label
        assert len(doubles) - len(simultaneous) == int(row["precedence"]), label


def test_reader_a1(instances: dict[str, hhcrsp.HhcInstance]) -> None:
    """A1 as written in its file: node 8 needs s5 and s6 at once, node 10 s3 then s6."""
    inst = instances["A1"]
    assert inst.file == "InstanzCPLEX_HCSRP_10_1.txt"
    assert inst.requires[8] == (4, 5) and inst.is_simultaneous(8)
    assert inst.requires[10] == (2, 5) and (inst.mind[10], inst.maxd[10]) == (8, 16)
    assert inst.abilities[0] == frozenset({0, 1, 2})
    assert (inst.e[8], inst.l[8], inst.processing[8][4]) == (46, 166, 14)
    assert inst.distance[0][1] == pytest.approx(38.470768)
    assert inst.horizon == 3 * 554


def test_mapping_a1(instances: dict[str, hhcrsp.HhcInstance]) -> None:
    """A1 becomes caregivers with per-person skills, one mandatory order per service, linked
    double services, hard window starts, soft ends as `due`, and weights of 1/3 per unit."""
    inst = instances["A1"]
    problem = hhcrsp.to_problem(inst)
    assert check_problem(problem) == []
    assert [t.id for t in problem.technicians] == ["c1", "c2", "c3"]
    assert problem.technicians[1].skills == {"s5": 1, "s6": 1}
    assert len(problem.orders) == 13 and all(o.mandatory for o in problem.orders)
    orders = {o.id: o for o in problem.orders}
    together, after = orders["p8-s6"], orders["p10-s6"]
    assert orders["p8-s5"].linked == [] and orders["p8-s5"].required_skills == {"s5": 1}
    assert [(k.order, k.min_gap, k.max_gap) for k in together.linked] == [
        ("p8-s5", timedelta(0), timedelta(0))
    ]
    assert [(k.order, k.min_gap, k.max_gap) for k in after.linked] == [
        ("p10-s3", timedelta(seconds=8000), timedelta(seconds=16000))
    ]
    assert together.time_windows[0].start == instant(46, hhcrsp.SCALE)
    assert together.time_windows[0].end == problem.horizon.end
    assert together.due == instant(166, hhcrsp.SCALE)
    assert together.duration == timedelta(seconds=14000)
    w = problem.weights
    # A unit is SCALE / 60 contract minutes; 1/3 per unit is 20 / SCALE per minute.
    assert w.travel == w.max_lateness == pytest.approx(1 / 3 * 60 / hhcrsp.SCALE)
    assert set(w.lateness.values()) == {w.travel}
    assert w.overtime == w.idle == w.preference == 0
    travel = problem.travel
    assert travel.model == "matrix"
    at = {n: k for k, n in enumerate(travel.nodes)}
    assert travel.seconds[at["d"]][at["p1-s4"]] == 38471  # ceil(1000 * 38.470768)
    horizon = (problem.horizon.end - problem.horizon.start).total_seconds()
    assert travel.seconds[at["p8-s5"]][at["p8-s6"]] > horizon


def test_checker_reproduces_every_bks(instances: dict[str, hhcrsp.HhcInstance]) -> None:
    """The checker finds all 70 published solutions feasible, with D, T, Tmax and the cost
    of bks.csv (to its three decimals)."""
    rows = hhcrsp.read_bks()
    for label, inst in instances.items():
        routes = hhcrsp.read_solution(label)
        assert routes is not None
        check = hhcrsp.recheck(inst, routes)
        row = rows[label]
        assert check.feasible, (label, check.violations[:3])
        assert check.value == pytest.approx(float(row["bks"]), abs=1e-3), label
        assert check.terms["distance"] == pytest.approx(float(row["bks_distance"]), abs=1e-3)
        assert check.terms["total_tardiness"] == pytest.approx(
            float(row["bks_total_tardiness"]), abs=1e-3
        )
        assert check.terms["max_tardiness"] == pytest.approx(
            float(row["bks_max_tardiness"]), abs=1e-3
        )


def _location(routes: hhcrsp.Routes, patient: str, service: str) -> dict[str, float]:
    return next(
        loc
        for r in routes
        for loc in r["locations"]
        if loc["patient"] == patient and loc["service"] == service
    )


def test_checker_finds_broken_rules(instances: dict[str, hhcrsp.HhcInstance]) -> None:
    """Moving a simultaneous service, dropping one, or giving it to an unqualified caregiver
    or to the caregiver of the other service is each reported."""
    inst = instances["A1"]
    bks = hhcrsp.read_solution("A1")
    assert bks is not None
    moved = copy.deepcopy(bks)
    loc = _location(moved, "p8", "s6")
    loc["arrival_time"] += 1
    loc["departure_time"] += 1
    assert any("p8: second service" in v for v in hhcrsp.recheck(inst, moved).violations)
    dropped = copy.deepcopy(bks)
    dropped[0]["locations"].pop()
    assert any("is done 0 times" in v for v in hhcrsp.recheck(inst, dropped).violations)
    unqualified = copy.deepcopy(bks)
    unqualified[0]["locations"].append({**_location(bks, "p8", "s6")})
    check = hhcrsp.recheck(inst, unqualified)
    assert any("c1 is not qualified for s6" in v for v in check.violations)
    assert any("is done 2 times" in v for v in check.violations)
    early = copy.deepcopy(bks)
    _location(early, "p10", "s3")["arrival_time"] = 100.0
    check = hhcrsp.recheck(inst, early)
    assert any("before the window" in v for v in check.violations)


def test_checker_finds_one_caregiver_on_both_services() -> None:
    """One caregiver doing both services of a patient is reported even when the gap holds."""
    inst = hhcrsp.load("A1")
    routes = [
        {
            "caregiver_id": "c1",
            "locations": [
                {"patient": "p10", "service": "s3", "arrival_time": 200.0, "departure_time": 214},
                {"patient": "p10", "service": "s6", "arrival_time": 214.0, "departure_time": 228},
            ],
        }
    ]
    violations = hhcrsp.recheck(inst, routes).violations
    assert "p10: one caregiver does both services" in violations
    assert "c1 is not qualified for s6" in violations


@pytest.mark.parametrize("label", ["A1", "A3", "B1", "B6"])
def test_bks_routes_as_contract_plans(label: str) -> None:
    """A published solution timed as a contract plan is feasible for the evaluator and for
    the checker, and its travel and lateness terms are D/3 and T/3 (legs rounded up to 1 s)."""
    case = load_case("hhcrsp", label)
    routes = case.bks_solution()
    plan = case.to_plan(routes)
    evaluation = evaluate(case.problem, plan)
    assert evaluation.feasible, [str(v) for v in evaluation.violations][:3]
    check = case.recheck(routes)
    legs = sum(len(r["locations"]) + 1 for r in routes)
    terms = evaluation.objective.terms
    assert 0 <= 3 * terms["travel"] - check.terms["distance"] <= legs / hhcrsp.SCALE
    assert 3 * terms["lateness"] == pytest.approx(check.terms["total_tardiness"], abs=0.05)
    if "max_lateness" in terms:
        assert 3 * terms["max_lateness"] == pytest.approx(check.terms["max_tardiness"], abs=0.01)
    record = assess(case, plan)
    assert record["feasible"] and record["gap"] == pytest.approx(0, abs=1e-4)
    assert record["routes"] == hhcrsp.plan_routes(plan)
    assert record["terms"]["distance"] == pytest.approx(check.terms["distance"], abs=1e-9)


def test_moves_comparison_prices_runs_like_the_recheck(capsys: pytest.CaptureFixture[str]) -> None:
    """`benchmarks.hhcrsp_moves` repeats a run for a seed, reports its terms in instance
    units whose (D + T + Tmax) / 3 is its gap to `bks`, and the summary compares settings."""
    from benchmarks import hhcrsp_moves

    settings = [{}, {"late_share": 0.0}]
    plan, *first = list(hhcrsp_moves.run("A2", settings, [1, 1], 20))
    assert plan["setting"] == -1 and plan["gap"] > 0 and plan["moves"] == 0
    assert len(first) == 4 and first[0]["gap"] == first[1]["gap"] >= -1e-6
    assert all(r["unserved"] == 0 for r in first)
    r = first[0]
    value = (r["D"] + r["T"] + r["Tmax"]) / 3
    assert value == pytest.approx(hhcrsp.bks_value("A2") * (1 + r["gap"] / 100))
    assert r["excess_D"] + r["excess_T"] == pytest.approx(value - hhcrsp.bks_value("A2"), abs=0.01)
    lines = hhcrsp_moves.summary([plan, *first], 2)
    assert lines[0].startswith("A: 1 runs") and lines[-1].startswith("all")
    assert hhcrsp_moves.main(["--instances", "A1", "--moves", "5"]) == 0
    out = capsys.readouterr().out
    assert "A1 first plan seed 0: gap" in out and "A1 setting 0 seed 1: gap" in out
    assert hhcrsp_moves.labels("A9,...,B2,C1") == ["A9", "A10", "B1", "B2", "C1"]
    assert hhcrsp_moves.setting("late_share=0.5,threshold=0") == {
        "late_share": 0.5,
        "threshold": 0.0,
    }


def test_instances_shorthand_spans_the_suites_order() -> None:
    """`X,...,Y` in `--instances` stands for every instance from X to Y, any suite."""
    from benchmarks.suites import expand_names

    assert expand_names("hhcrsp", "c9,...,D2") == ["C9", "C10", "D1", "D2"]
    assert expand_names("solomon", "C101,...,C103,R101") == ["C101", "C102", "C103", "R101"]
    with pytest.raises(ValueError, match="no instance"):
        expand_names("hhcrsp", "C1,...,Z9")


def test_ruin_and_recreate_keeps_the_time_when_it_reaches_every_order() -> None:
    """`search._rr_moves_all` holds on an hhcrsp day whose plan serves every order, not
    once an order is left out or an order must follow another."""
    import dataclasses

    from optimizer.construct import construct
    from optimizer.cp.build import eligible_shifts
    from optimizer.instance import compile_problem
    from optimizer.search import _rr_moves_all

    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load("A3")))
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    assert len(sol.start) == len(inst.orders) and _rr_moves_all(inst, sol, eligible)
    single = next(o for o in sol.start if not inst.orders[o].links)
    gone = sol.copy()
    route = gone.routes[gone.provider[single]]
    route.orders = [x for x in route.orders if x != single]  # left out (times not needed)
    assert not _rr_moves_all(inst, gone, eligible)
    orders = list(inst.orders)
    orders[single] = dataclasses.replace(orders[single], after=[single - 1])
    chained = dataclasses.replace(inst, orders=orders)
    assert not _rr_moves_all(chained, sol, eligible)
