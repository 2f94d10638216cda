"""`dispatch roster`, `dispatch roster-to-day`, the generator's roster mode, and one roster
day dispatched with its night emergencies served by the on-call people."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.roster_generator import generate_roster
from models import InvalidInput, VisitItem, load_problem
from models.roster import RosterResult, load_roster_problem
from optimizer.params import SolveParams
from optimizer.roster.day import BreakRule, roster_day
from optimizer.roster.evaluate import evaluate_roster
from optimizer.roster.params import RosterParams
from optimizer.roster.solve import solve_roster
from optimizer.solve import solve
from tests.factory import DETERMINISTIC
from tests.test_cli import dispatch, write_json


@pytest.fixture(scope="module")
def month_and_roster(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated week of one region and its roster written by `dispatch roster`."""
    folder = tmp_path_factory.mktemp("roster")
    problem = write_json(folder / "week.json", generate_roster(8, seed=4, days=7))
    roster = folder / "roster.json"
    done = dispatch(
        "roster", problem, "-o", roster, "--workers", "1", "--deterministic-limit", "2"
    )
    assert done.returncode == 0, done.stderr
    return problem, roster


def test_roster_writes_the_roster_and_a_grid(month_and_roster: tuple[Path, Path]) -> None:
    """The roster file is a contract result the evaluator agrees with; the summary shows one
    row per person and the objective."""
    problem_path, roster_path = month_and_roster
    problem = load_roster_problem(json.loads(problem_path.read_text()))
    result = RosterResult.model_validate_json(roster_path.read_text())
    assert evaluate_roster(problem, result.roster).value == result.objective.value
    done = dispatch("roster", problem_path, "--workers", "1", "--deterministic-limit", "2", "-q")
    assert json.loads(done.stdout)["roster"] == result.roster  # stdout, reproducible
    summary = dispatch(
        "roster",
        problem_path,
        "--workers",
        "1",
        "--deterministic-limit",
        "2",
        "-o",
        roster_path.with_name("again.json"),
    ).stderr
    assert "day  0 1 2 3 4 5 6" in summary
    assert all(f"\n{p.id} " in summary for p in problem.staff)
    assert "Objective" in summary


def test_roster_reports_every_input_error(tmp_path: Path) -> None:
    """A bad roster problem exits 2 with each error as `path: message`."""
    data = generate_roster(8, seed=4, days=7)
    data["days"] = 9
    data["staff"][0]["skills"] = {"fiber": 0}
    done = dispatch("roster", write_json(tmp_path / "bad.json", data))
    assert done.returncode == 2
    assert "days: 9 days is not a whole number of weeks" in done.stderr
    assert "staff[0].skills.fiber:" in done.stderr
    assert "Traceback" not in done.stderr


def test_roster_to_day_makes_technicians_and_on_call_shifts(
    month_and_roster: tuple[Path, Path], tmp_path: Path
) -> None:
    """Day 2 of the roster becomes a valid dispatch problem: one technician per person on
    shift, on-call shifts marked and without breaks, others with the break asked for."""
    problem_path, roster_path = month_and_roster
    out = tmp_path / "day.json"
    done = dispatch(
        "roster-to-day",
        roster_path,
        "--problem",
        problem_path,
        "--day",
        "2",
        "--breaks",
        "PT3H/PT6H/PT30M",
        "-o",
        out,
    )
    assert done.returncode == 0, done.stderr
    day = load_problem(json.loads(out.read_text()))
    roster = RosterResult.model_validate_json(roster_path.read_text()).roster
    on_shift = {who for who, row in roster.items() if row[2] is not None}
    assert {t.id for t in day.technicians} == on_shift
    for t in day.technicians:
        (shift,) = t.shifts
        assert shift.on_call == (roster[t.id][2] == "C")
        assert len(shift.breaks) == (0 if shift.on_call else 1)
    assert dispatch("validate", out).returncode == 0


def test_roster_to_day_bad_day_and_break(month_and_roster: tuple[Path, Path]) -> None:
    """A day outside the horizon and a malformed break are exit 2, one line each."""
    problem_path, roster_path = month_and_roster
    late = dispatch("roster-to-day", roster_path, "--problem", problem_path, "--day", "7")
    assert late.returncode == 2 and "day: day 7 is outside the 7 days" in late.stderr
    bad = dispatch(
        "roster-to-day",
        roster_path,
        "--problem",
        problem_path,
        "--day",
        "1",
        "--breaks",
        "PT3H/PT30M",
    )
    assert bad.returncode == 2 and "--breaks[0]:" in bad.stderr


def test_generator_roster_mode_is_seeded(tmp_path: Path) -> None:
    """`python -m benchmarks.generator roster` writes a valid roster problem whose cover asks
    for a senior fiber technician on the night on-call shift; same seed, same month."""
    command = [sys.executable, "-m", "benchmarks.generator", "roster", "10", "--seed", "5"]
    first = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    second = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert first == second
    problem = load_roster_problem(json.loads(first))
    assert problem.days == 28
    on_call = {st.id for st in problem.shift_types if st.on_call}
    night = [c for c in problem.cover if c.shift in on_call]
    assert len(night) == 28 and all(c.skill == "fiber" and c.min_level >= 3 for c in night)


def emergency(oid: str, lat: float, lon: float, start: datetime, **fields: Any) -> dict[str, Any]:
    """A night order near the region, due within two hours of `start`."""
    return {
        "id": oid,
        "kind": "emergency",
        "priority": 1,
        "location": {"lat": lat, "lon": lon},
        "duration": "PT45M",
        "required_skills": {"fiber": 3},
        "time_windows": [
            {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
        ],
        **fields,
    }


def night_day() -> tuple[dict[str, Any], set[str]]:
    """Day 3 of a rostered month as a dispatch problem with two emergencies and one routine
    repair at night (after the late shift ends at 22:00), and the on-call technicians."""
    month = load_roster_problem(generate_roster(12, seed=6, days=7))
    result = solve_roster(month, RosterParams(workers=1, seed=0, deterministic_limit=2.0))
    doc = roster_day(
        month,
        result.roster,
        3,
        [BreakRule(*(timedelta(hours=h) for h in (3, 6)), timedelta(minutes=30))],
    )
    on_call = {t["id"] for t in doc["technicians"] if t["shifts"][0]["on_call"]}
    midnight = datetime.fromisoformat(doc["horizon"]["start"])
    night = midnight + timedelta(hours=23)
    doc["orders"] = [
        emergency("E1", 31.83, 117.22, night),
        emergency("E2", 31.81, 117.24, night + timedelta(hours=3)),
        emergency("R1", 31.82, 117.23, night + timedelta(hours=1), kind="repair", priority=3),
    ]
    return doc, on_call


def test_night_emergencies_are_served_by_the_on_call_people() -> None:
    """One roster day turned into a dispatch day solves with both night emergencies served,
    by technicians on an on-call shift (nobody else works at night)."""
    doc, on_call = night_day()
    assert on_call, "the roster puts someone on call that night"
    plan = solve(load_problem(doc), SolveParams(**DETERMINISTIC)).plan
    served = {
        item.order: route.technician
        for route in plan.routes
        for item in route.items
        if isinstance(item, VisitItem)
    }
    assert served.get("E1") in on_call and served.get("E2") in on_call


def test_on_call_people_leave_routine_night_work() -> None:
    """The routine priority-3 repair at night is not given to an on-call technician, the only
    people working then: it stays unassigned."""
    doc, _ = night_day()
    plan = solve(load_problem(doc), SolveParams(**DETERMINISTIC)).plan
    assert "R1" in {u.order for u in plan.unassigned}


def test_roster_day_reports_every_error_at_once() -> None:
    """A day outside the horizon and a break longer than its window are reported together;
    a person on shift without a home, and a break that overruns a shift, on a valid day."""
    data = generate_roster(8, seed=4, days=7)
    del data["staff"][0]["home"]
    month = load_roster_problem(data)
    roster = {p.id: [None] * 7 for p in month.staff}
    roster["T01"][1] = "D"
    short = BreakRule(timedelta(hours=3), timedelta(hours=3, minutes=10), timedelta(minutes=30))
    with pytest.raises(InvalidInput) as info:
        roster_day(month, roster, 9, [short])
    assert [str(e) for e in info.value.errors] == [
        "breaks[0]: break window is shorter than the break",
        "day: day 9 is outside the 7 days",
    ]
    roster["T02"][1] = "D"
    long = BreakRule(timedelta(hours=3), timedelta(hours=10), timedelta(minutes=30))
    with pytest.raises(InvalidInput) as info:
        roster_day(month, roster, 1, [long])
    assert [str(e) for e in info.value.errors] == [
        "staff[0].home: a person on shift needs a home",
        "breaks[0]: break does not fit in shift type 'D'",
    ]
