"""`dispatch slots` and `dispatch record` end to end, through the command line."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from api.auth import Role
from api.booking_store import AccessFilter, BookingStore
from api.store import Author, Store
from optimizer.params import SolveParams
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech


def _day(tmp_path: Path) -> tuple[Path, Path, Path]:
    """T1 from 08:00 to 12:00 with O1 at (10, 0) from 08:30 for an hour; a new order there."""
    p = problem(
        [tech("T1", 0, 0, end="12:00")],
        [order("O1", 10, 0, 60, time_windows=[{"start": at("08:30"), "end": at("08:30")}])],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    paths = tmp_path / "problem.json", tmp_path / "plan.json", tmp_path / "order.json"
    paths[0].write_text(p.model_dump_json(by_alias=True, exclude_none=True))
    paths[1].write_text(plan.model_dump_json(by_alias=True, exclude_none=True))
    paths[2].write_text(json.dumps(order("N", 10, 0, 60)))
    return paths


def _run(*args: str) -> Result:
    from api.cli import app

    return CliRunner().invoke(app, list(args))


def test_slots_answers_each_window_in_order(tmp_path: Path) -> None:
    """Two windows given and two tiled: JSON offers in that order on stdout, a table on
    stderr; only 09:30-10:00 (right after O1) fits."""
    problem_path, plan_path, order_path = _day(tmp_path)
    result = _run(
        "slots",
        str(problem_path),
        str(plan_path),
        str(order_path),
        "--now",
        at("07:45"),
        "--window",
        f"{at('08:00')}/{at('08:30')}",
        "--window",
        f"{at('09:30')}/{at('10:00')}",
        "--every",
        f"{at('13:00')}/{at('15:00')}/PT1H",
    )
    assert result.exit_code == 0, result.output
    offers = json.loads(result.stdout)
    assert [o["feasible"] for o in offers] == [False, True, False, False]
    assert [o.get("reason", {}).get("code") for o in offers] == [
        "capacity",
        None,
        "outside_shifts",
        "outside_shifts",
    ]
    assert offers[1]["options"][0]["technician"] == "T1"
    assert "Windows for N" in result.stderr


def test_slots_bad_input_exits_2(tmp_path: Path) -> None:
    """A malformed window, and an order that has windows already: exit 2 with the paths."""
    problem_path, plan_path, order_path = _day(tmp_path)
    common = [str(problem_path), str(plan_path), str(order_path), "--now", at("07:45")]
    bad = _run("slots", *common, "--window", "09:00-10:00")
    assert bad.exit_code == 2 and "--window" in bad.output
    windowed = tmp_path / "windowed.json"
    windowed.write_text(
        json.dumps(
            order("N", 10, 0, 60, time_windows=[{"start": at("09:00"), "end": at("10:00")}])
        )
    )
    common[2] = str(windowed)
    result = _run("slots", *common, "--window", f"{at('09:30')}/{at('10:00')}")
    assert result.exit_code == 2
    assert "order.time_windows" in result.output


def _stored_plan(url: str) -> str:
    """A plan with one solved version in the database at `url`; its id."""
    store = Store.open(url)
    try:
        key, _ = store.create_key(Role.admin, "ops")
        p = problem([tech("T1", 0, 0)], [order("O1", 10, 0, 60, customer={"name": "Li Na"})])
        data = p.model_dump(mode="json", by_alias=True, exclude_none=True)
        record = store.add_plan(
            author=Author.of(key),
            request={"problem": data},
            problem=data,
            options={"time_limit": "PT1S", "seed": 0, "workers": 1},
            problem_id=None,
        )
        plan = solve(p, SolveParams(**DETERMINISTIC)).plan
        store.finish(record.id, "done", plan=plan.model_dump(mode="json", exclude_none=True))
        return record.id
    finally:
        store.close()


def test_record_exports_json_zip_and_csv_and_is_logged(tmp_path: Path) -> None:
    """`dispatch record` writes the record as JSON, as a zip and as a folder of CSVs (the
    customer kept: it runs with the database's full access); each export is in the access
    log; an unknown plan exits 2."""
    url = f"sqlite:///{tmp_path / 'dispatch.db'}"
    plan_id = _stored_plan(url)
    result = _run("record", plan_id, "--db", url)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["final_version"] == 1 and data["versions"][0]["kind"] == "solve"
    assert data["versions"][0]["problem"]["orders"][0]["customer"]["name"] == "Li Na"
    zipped = _run("record", plan_id, "--db", url, "--format", "zip", "-o", str(tmp_path / "r.zip"))
    assert zipped.exit_code == 0, zipped.output
    files = zipfile.ZipFile(tmp_path / "r.zip").namelist()
    assert {"record.json", "versions.csv", "visits.csv", "kpis.csv", "access_log.csv"} <= set(
        files
    )
    folder = tmp_path / "csv"
    done = _run("record", plan_id, "--db", url, "--format", "csv", "-o", str(folder))
    assert done.exit_code == 0, done.output
    visits = list(csv.DictReader(io.StringIO((folder / "visits.csv").read_text())))
    assert [(v["version"], v["order"], v["technician"]) for v in visits] == [("1", "O1", "T1")]
    store = Store.open(url)
    try:
        log, total = BookingStore(store).access_log(AccessFilter(plan_id=plan_id), limit=10)
    finally:
        store.close()
    assert total == 3 and {(e.method, e.role, e.route) for e in log} == {
        ("CLI", "local", "dispatch record")
    }
    missing = _run("record", "nope", "--db", url)
    assert missing.exit_code == 2 and "no such plan" in missing.output
    needs = _run("record", plan_id, "--db", url, "--format", "zip")
    assert needs.exit_code == 2
