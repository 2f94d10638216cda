"""`dispatch replan` and `dispatch recommend` end to end, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from models import Plan, parse_model
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.replan import apply_events
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech

NOW = at("10:00")


def _day(tmp_path: Path) -> tuple[Path, Path]:
    p = problem(
        [tech("W", 0, 0), tech("E", 100, 0)],
        [
            order("W1", 10, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}]),
            order("W2", 20, 0, 60, time_windows=[{"start": at("11:00"), "end": at("12:00")}]),
            order("E2", 80, 0, 60, time_windows=[{"start": at("11:00"), "end": at("12:00")}]),
        ],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    problem_path, plan_path = tmp_path / "problem.json", tmp_path / "plan.json"
    problem_path.write_text(p.model_dump_json(by_alias=True, exclude_none=True))
    plan_path.write_text(plan.model_dump_json(by_alias=True, exclude_none=True))
    return problem_path, plan_path


def test_replan_writes_a_feasible_plan_and_prints_changes(tmp_path: Path) -> None:
    """An emergency event gives a new plan, feasible for the updated problem, and a table."""
    problem_path, plan_path = _day(tmp_path)
    events = [{"type": "order_added", "order": order("X", 15, 0, 30, priority=1, due=at("11:00"))}]
    events_path = tmp_path / "events.json"
    events_path.write_text(json.dumps(events))
    out = tmp_path / "new.json"
    result = CliRunner().invoke(
        app,
        [
            "replan",
            str(problem_path),
            str(plan_path),
            str(events_path),
            "--now",
            NOW,
            "-o",
            str(out),
            "--time-limit",
            "1",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Changes" in result.stderr and "X" in result.stderr
    new = parse_model(Plan, json.loads(out.read_text()))
    from pydantic import TypeAdapter

    from models import Event, load_problem

    base = load_problem(json.loads(problem_path.read_text()))
    updated = apply_events(base, TypeAdapter(list[Event]).validate_python(events))
    ev = evaluate(updated, new)
    assert {v.code for v in ev.violations} <= set(), [str(v) for v in ev.violations]
    assert any(c.order == "X" for c in new.changes or [])


def test_replan_bad_events_exit_2(tmp_path: Path) -> None:
    """Events naming unknown orders exit 2 with their paths."""
    problem_path, plan_path = _day(tmp_path)
    events_path = tmp_path / "events.json"
    events_path.write_text(
        json.dumps([{"type": "order_cancelled", "order": "NOPE"}, {"type": "bogus"}])
    )
    result = CliRunner().invoke(
        app, ["replan", str(problem_path), str(plan_path), str(events_path), "--now", NOW]
    )
    assert result.exit_code == 2
    assert "[1]" in result.stderr and "Traceback" not in result.stderr


def test_recommend_lists_options_best_first(tmp_path: Path) -> None:
    """Recommendations come out as JSON, cheapest first."""
    problem_path, plan_path = _day(tmp_path)
    order_path = tmp_path / "order.json"
    order_path.write_text(json.dumps(order("N", 25, 0, 30)))
    result = CliRunner().invoke(
        app,
        ["recommend", str(problem_path), str(plan_path), str(order_path), "--now", NOW, "-k", "2"],
    )
    assert result.exit_code == 0, result.output
    options = json.loads(result.stdout)
    assert 1 <= len(options) <= 2
    assert options[0]["technician"] == "W"
    assert [o["cost_delta"] for o in options] == sorted(o["cost_delta"] for o in options)
