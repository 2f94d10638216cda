"""The `dispatch` command line: exit codes, error listings, schemas, solve and evaluate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from models import Plan, load_problem, parse_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "telecom-day.json"


def dispatch(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process: the installed `dispatch` script when the environment
    has one, else `python -m api.cli`."""
    script = Path(sys.executable).with_name("dispatch")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    return subprocess.run(
        [*command, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def dispatch_here(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process, answered like `dispatch` (for the exits on bad input: an
    uncaught error would exit 1 here, not 2; the tests that need a process use `dispatch`)."""
    result = CliRunner().invoke(app, [*map(str, args)])
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as JSON and return the path."""
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_validate_ok_with_counts() -> None:
    """`validate` on the shipped example prints OK with the counts and exits 0."""
    done = dispatch("validate", EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK")
    assert "8 technicians" in done.stdout and "30 orders" in done.stdout


def test_validate_lists_every_error_with_its_path(tmp_path: Path) -> None:
    """An invalid problem exits 2 and lists each error as `path: message`, no traceback."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["technicians"][1]["id"] = data["technicians"][0]["id"]
    data["technicians"][2]["skills"] = {"fiber": 7}
    data["orders"][0]["duration"] = "P1M"
    data["orders"][3]["after"] = ["NOPE"]
    data["orders"][4]["time_windows"] = [{"start": "2026-12-01T12:00:00", "end": "noon"}]
    done = dispatch("validate", write_json(tmp_path / "bad.json", data))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    for path in (
        "technicians[1].id",
        "technicians[2].skills.fiber",
        "orders[0].duration",
        "orders[3].after[0]",
        "orders[4].time_windows[0].start",
        "orders[4].time_windows[0].end",
    ):
        assert any(line.startswith(f"{path}: ") for line in lines), (path, lines)


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    """A missing problem file exits 2 with a single line naming it."""
    done = dispatch_here("validate", tmp_path / "nowhere.json")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "nowhere.json" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("content", "fragment"),
    [('{"horizon": ', "line 1 column"), (b"\xff\xfe{}", "UTF-8"), ("[1, 2]", "$: ")],
)
def test_unparseable_file_exits_2(tmp_path: Path, content: str | bytes, fragment: str) -> None:
    """Bad JSON, bad encoding and a non-object document exit 2 with a path and no traceback."""
    path = tmp_path / "broken.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    done = dispatch_here("validate", path)
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr


def test_out_of_range_number_exits_2(tmp_path: Path) -> None:
    """A duration too large for any clock exits 2 without a traceback."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["orders"][0]["duration"] = 1e300
    done = dispatch_here("validate", write_json(tmp_path / "huge.json", data))
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_directory_instead_of_file(tmp_path: Path) -> None:
    """A directory given as the problem exits 2 with one line."""
    done = dispatch_here("validate", tmp_path)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(("name", "key"), [("problem", "technicians"), ("plan", "status")])
def test_schema_is_json(name: str, key: str) -> None:
    """`schema problem|plan` prints a JSON Schema describing that document."""
    result = CliRunner().invoke(app, ["schema", name])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["type"] == "object" and key in document["properties"]
    assert key in document["required"]


def test_schema_event_is_json() -> None:
    """`schema event` prints the JSON Schema of the re-planning events."""
    result = CliRunner().invoke(app, ["schema", "event"])
    assert result.exit_code == 0
    assert "order_added" in json.dumps(json.loads(result.stdout))


def test_schema_shows_links_customer_on_call_and_max_lateness() -> None:
    """`schema problem` documents linked orders, the customer block, on-call shifts and the
    max_lateness weight; `schema plan` the mandatory flag of an unassigned order."""
    result = CliRunner().invoke(app, ["schema", "problem"])
    assert result.exit_code == 0, result.output
    defs = json.loads(result.stdout)["$defs"]
    assert {"linked", "customer"} <= set(defs["Order"]["properties"])
    assert {"order", "min_gap", "max_gap"} <= set(defs["Link"]["properties"])
    assert {"name", "phone", "address_note"} <= set(defs["Customer"]["properties"])
    assert "on_call" in defs["Shift"]["properties"]
    assert "max_lateness" in defs["Weights"]["properties"]
    plan = json.loads(CliRunner().invoke(app, ["schema", "plan"]).stdout)["$defs"]
    assert "mandatory" in plan["Unassigned"]["properties"]


def test_schema_unknown_name_exits_2() -> None:
    """An unknown schema name is a usage error."""
    assert CliRunner().invoke(app, ["schema", "orders"]).exit_code == 2


def test_solve_invalid_problem_writes_nothing(tmp_path: Path) -> None:
    """`solve` on an invalid problem exits 2, lists the error and leaves no output file."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["orders"][2]["crew_size"] = 99
    out = tmp_path / "plan.json"
    done = dispatch("solve", write_json(tmp_path / "bad.json", data), "-o", out)
    assert done.returncode == 2
    assert any(line.startswith("orders[2].crew_size: ") for line in done.stderr.splitlines())
    assert "Traceback" not in done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "bad.json"]


@pytest.mark.parametrize(
    "option", [["--workers", "0"], ["--seed", "-1"], ["--preset", "no-such-preset"]]
)
def test_solve_bad_option_exits_2(option: list[str]) -> None:
    """Out-of-range options and an unknown preset exit 2 before solving."""
    done = dispatch_here("solve", EXAMPLE, *option)
    assert done.returncode == 2 and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def solved(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The shipped example solved once on a deterministic budget (the wall-clock limit, which
    counts the interpreter's start-up, never binds), the plan in a file."""
    pytest.importorskip("optimizer.solve", reason="the solver has not landed yet")
    folder = tmp_path_factory.mktemp("solve")
    problem = folder / "telecom-day.json"
    shutil.copy(EXAMPLE, problem)
    out = folder / "plan.json"
    done = dispatch(
        "solve",
        problem,
        "-o",
        out,
        "--time-limit",
        "120",
        "--deterministic-limit",
        "0.2",
        "--workers",
        "1",
        "--seed",
        "0",
    )
    return done, out


def test_solve_writes_a_feasible_plan(
    solved: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """`solve -o` on the shipped example writes a plan that the evaluator calls feasible."""
    evaluate = pytest.importorskip("optimizer.evaluate").evaluate
    done, out = solved
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    plan = parse_model(Plan, json.loads(out.read_text(encoding="utf-8")))
    assert plan.status in ("optimal", "feasible")
    problem = load_problem(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    evaluation = evaluate(problem, plan)
    assert evaluation.feasible, evaluation.violations
    served = {i.order for r in plan.routes for i in r.items if i.type == "visit"}
    assert served | {u.order for u in plan.unassigned} == {o.id for o in problem.orders}
    assert served
    # Nothing but the plan is left behind (the write goes through a temporary file).
    assert sorted(p.name for p in out.parent.iterdir()) == ["plan.json", "telecom-day.json"]


def test_solve_summary_on_stderr(solved: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """The solve summary on stderr names routes, KPIs, status and objective."""
    done, _ = solved
    assert "status" in done.stderr and "Objective" in done.stderr
    assert "KPIs" in done.stderr and "T01" in done.stderr
    assert "Traceback" not in done.stderr


def test_evaluate_feasible_plan(solved: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """`evaluate` on the solved plan reports it feasible with objective and KPIs, exit 0."""
    pytest.importorskip("optimizer.evaluate")
    _, out = solved
    done = dispatch("evaluate", EXAMPLE, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "feasible: yes" in done.stdout
    assert "Objective" in done.stdout and "orders_served" in done.stdout


def test_evaluate_infeasible_plan_exits_1(
    solved: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    """A plan whose visit is cut short is infeasible: `evaluate` lists violations, exit 1."""
    pytest.importorskip("optimizer.evaluate")
    _, out = solved
    plan = json.loads(out.read_text(encoding="utf-8"))
    visit = next(i for r in plan["routes"] for i in r["items"] if i["type"] == "visit")
    visit["end"] = visit["start"]
    done = dispatch("evaluate", EXAMPLE, write_json(tmp_path / "cut.json", plan))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "feasible: no" in done.stdout and "Violations" in done.stdout


def test_evaluate_invalid_plan_exits_2(tmp_path: Path) -> None:
    """A plan that does not match the contract exits 2 with its paths."""
    bad = write_json(tmp_path / "plan.json", {"status": "great", "routes": [{}]})
    done = dispatch("evaluate", EXAMPLE, bad)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith("status: ") for line in lines)
    assert any(line.startswith("objective: ") for line in lines)
    assert any(line.startswith("routes[0].technician: ") for line in lines)


def test_solve_to_stdout(tmp_path: Path) -> None:
    """Without -o the plan JSON alone goes to stdout and the summary to stderr."""
    pytest.importorskip("optimizer.solve", reason="the solver has not landed yet")
    from benchmarks.generator import generate_day

    problem = write_json(
        tmp_path / "small.json", generate_day(5, 2, seed=3, vans_cover_orders=True)
    )
    budget = ("--deterministic-limit", "0.2", "--time-limit", "60")
    done = dispatch("solve", problem, *budget, "--seed", "4", "--workers", "1")
    assert done.returncode == 0, done.stderr
    plan = parse_model(Plan, json.loads(done.stdout))
    assert plan.solver.get("seed") == 4
    assert "status" in done.stderr and "status" not in done.stdout.splitlines()[0]


def test_a_process_exec_d_late_counts_its_limit_from_its_own_start() -> None:
    """A shell that runs `dispatch` as the last command of `install && dispatch ...` execs it
    in the shell's own process, forked seconds earlier: the limit still counts from the
    interpreter's start (at most `START_UP` before the CLI is imported), not the shell's."""
    probe = (
        "from api.cli import timing; "
        "print(timing.IMPORTED - timing.process_started() <= timing.START_UP)"
    )
    shell = shutil.which("bash")
    assert shell is not None
    script = f"sleep 2 && exec {sys.executable} -c '{probe}'"
    done = subprocess.run([shell, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
