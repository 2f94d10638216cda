"""Benchmark peers: PyVRP and OR-Tools routing records mean what our solver's records mean."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import peers
from benchmarks.cli import main
from benchmarks.peers import PeerResult, run_peer, solve_ortools, solve_pyvrp
from benchmarks.suites import Case, load_case

C101_25_OPTIMUM = 191.3
"""Optimum of Solomon C101 on its first 25 customers, distances truncated to one decimal
(Kohl et al. 1999; `benchmarks/test_bench.py` holds our solver to it too)."""


ITERATIONS = {"pyvrp": 50, "ortools": 100}
"""Reproducible peer budgets (the wall limit only a safety stop): PyVRP's iterations, OR-Tools'
solutions. On C101.25 PyVRP is at the optimum after 5 (seeds 0-2), OR-Tools after 30."""

SAFETY = 60.0
"""Seconds: the peers' wall-clock limit in these tests, far beyond their iterations."""


@pytest.fixture(scope="module")
def c101_25() -> Case:
    """Solomon C101, distance only (trunc1), first 25 customers."""
    return load_case("solomon", "C101", 25)


def _assert_record(case: Case, record: dict[str, Any], solver: str) -> None:
    """A peer's record is feasible and its objective is the double-precision re-check's."""
    assert record["solver"] == solver
    assert record["feasible"], record["violations"]
    assert record["evaluator_feasible"] and record["recheck_feasible"]
    served = sorted(c for route in record["routes"] for c in route)
    assert served == list(peers.vrptw_data(case).ids[1:])
    check = case.recheck(record["routes"])
    assert record["objective"] == check.value
    assert record["routes_used"] == len(record["routes"]) == check.routes


@pytest.mark.parametrize("solver", ["pyvrp", "ortools"])
def test_peer_reaches_the_trunc1_optimum(c101_25: Case, solver: str) -> None:
    """On C101.25 each peer gives a feasible record at the trunc1 optimum, 191.3."""
    record = run_peer(c101_25, solver, SAFETY, seed=1, iterations=ITERATIONS[solver])
    _assert_record(c101_25, record, solver)
    assert record["params"]["iterations"] == ITERATIONS[solver]
    # Below the optimum would mean another distance convention; both find it in a few steps.
    assert record["objective"] == pytest.approx(C101_25_OPTIMUM, abs=1e-6)
    assert record["peer_cost"] == 1913  # trunc1 x 10 is a whole number


def test_pyvrp_hierarchical_routes_pass_the_exact_recheck() -> None:
    """On `solomon-hier` (travel `ceil(1000 d)`, each route costing more than any total travel)
    PyVRP's routes pass the exact re-check, and its own cost is routes first, then travel."""
    case = load_case("solomon-hier", "R101", 25)
    record = run_peer(case, "pyvrp", SAFETY, seed=1, iterations=ITERATIONS["pyvrp"])
    _assert_record(case, record, "pyvrp")
    data = peers.vrptw_data(case)
    at = {node: i for i, node in enumerate(data.ids)}
    legs = [(0, at[r[0]]) for r in record["routes"]] + [(at[r[-1]], 0) for r in record["routes"]]
    legs += [(at[a], at[b]) for r in record["routes"] for a, b in itertools.pairwise(r)]
    travel = sum(data.travel[i][j] for i, j in legs)
    assert record["peer_cost"] == record["routes_used"] * data.route_cost + travel
    assert data.route_cost > sum(max(row) for row in data.travel)
    # Each leg is rounded up by less than 1 ms, i.e. 0.001 instance units.
    assert 0 <= travel / 1000 - record["objective"] < 0.001 * len(legs)


def test_a_peer_route_the_recheck_rejects_is_infeasible(
    c101_25: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routes a peer calls feasible but that miss a customer give an infeasible record."""
    good = solve_ortools(c101_25, SAFETY, seed=0, iterations=ITERATIONS["ortools"])
    assert good.routes is not None
    broken = PeerResult("ortools", "feasible", [r[1:] for r in good.routes], good.cost)
    monkeypatch.setattr(peers, "solve_ortools", lambda *args, **kwargs: broken)
    record = run_peer(c101_25, "ortools", time_limit=0.5)
    assert not record["feasible"] and record["objective"] is None and record["gap"] is None
    assert any("served 0 times" in v for v in record["violations"])


def test_trsp_has_no_peer() -> None:
    """The peers refuse TRSP cases with a clear error."""
    case = load_case("trsp", "C101", 5)
    with pytest.raises(peers.PeerUnavailable, match="VRPTW suites only"):
        solve_pyvrp(case, 0.1, seed=0)
    with pytest.raises(peers.PeerUnavailable, match="VRPTW suites only"):
        solve_ortools(case, 0.1, seed=0)
    assert main(["run", "--suite", "trsp", "--solver", "ortools", "--out", "unused"]) == 2


def test_missing_pyvrp_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without pyvrp, `run --solver pyvrp` exits 2 with one line naming the extra."""
    monkeypatch.setitem(sys.modules, "pyvrp", None)  # `import pyvrp` raises ImportError
    out = tmp_path / "pyvrp"
    args = ["run", "--suite", "solomon", "--instances", "C101", "--solver", "pyvrp"]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install -e '.[peers]'" in err
    assert not out.exists()


def test_run_and_report_three_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --solver ortools` writes records like ours; `report` shows three runs side by side."""
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps to the terminal's width
    run = ["run", "--suite", "solomon", "--instances", "C101", "--max-customers", "10"]
    run += ["--solver", "ortools", "--time-limit", "0.3", "--out", str(tmp_path / "ortools")]
    assert main(run) == 0
    record = json.loads((tmp_path / "ortools" / "C101.10.json").read_text())
    assert record["solver"] == "ortools" and record["feasible"]
    assert record["params"] == {"time_limit": 0.3, "seed": 0, "workers": 1}
    for name, gap in (("ours", 0.01), ("pyvrp", 0.0)):
        (tmp_path / name).mkdir()
        fake = {**record, "solver": name, "gap": gap, "bks": 1.0}
        (tmp_path / name / "C101.10.json").write_text(json.dumps(fake))
    capsys.readouterr()
    runs = [str(tmp_path / n) for n in ("ours", "pyvrp", "ortools")]
    assert main(["report", runs[0], "--against", runs[1], "--against", runs[2]]) == 0
    out = capsys.readouterr().out
    assert "gap ours" in out and "gap pyvrp" in out and "gap ortools" in out
    assert "1.00%" in out and "0.00%" in out
    assert (tmp_path / "ours" / "gaps_vs_pyvrp_ortools.png").exists()
