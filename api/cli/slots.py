"""`dispatch slots` (appointment windows for a new order) and `dispatch record` (a day's
service record from the service's database)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

import api.cli.replan as cli_replan
from api.cli.inputs import ProblemArg
from api.cli.inputs import fail as _fail
from api.cli.inputs import fail_errors as _fail_errors
from api.cli.inputs import load_plan_file as _load_plan
from api.cli.inputs import load_problem_file as _load_problem
from api.cli.inputs import read_json as _read_json
from api.cli.inputs import stderr_console as _stderr
from api.cli.output import write_atomic
from api.cli.root import app
from api.cli.service import DbOption
from api.cli.service import open_store as _open_store
from api.cli.service import service_settings as _settings
from models import InvalidInput, Order, Window, parse_model
from models.common import parse_duration


def _instant(text: str, option: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail([f"{option}: '{text}' is not an ISO 8601 instant"])
    if when.tzinfo is None:
        _fail([f"{option}: '{text}' has no UTC offset"])
    return when


def _windows(given: list[str], every: str | None) -> list[Window]:
    """The candidate windows: each `START/END`, or `START/END/LENGTH` tiled."""
    from optimizer.slots import tile_windows

    out = []
    for text in given:
        parts = text.split("/")
        if len(parts) != 2:
            _fail([f"--window: '{text}' is not START/END"])
        start, end = (_instant(p, "--window") for p in parts)
        try:
            out.append(Window(start=start, end=end))
        except ValidationError:
            _fail([f"--window: '{text}' ends before it starts"])
    if every is not None:
        parts = every.split("/")
        if len(parts) != 3:
            _fail([f"--every: '{every}' is not START/END/LENGTH"])
        start, end = (_instant(p, "--every") for p in parts[:2])
        try:
            length = parse_duration(parts[2])
        except ValueError as exc:
            _fail([f"--every: {exc}"])
        if length <= timedelta(0):
            _fail(["--every: the length must be positive"])
        out += tile_windows(start, end, length)
    if not out:
        _fail(["--window: give at least one window (or --every)"])
    return out


def _load_order(path: Path) -> Order:
    """Read and validate an order file (exit 2 listing every error)."""
    data = _read_json(path)
    try:
        return parse_model(Order, data)
    except InvalidInput as exc:
        _fail_errors(str(path), exc.errors)


@app.command()
def slots(
    problem_path: ProblemArg,
    plan_path: cli_replan.PlanArg,
    order_path: Annotated[
        Path, typer.Argument(metavar="ORDER.json", help="The new order, without time windows.")
    ],
    now: cli_replan.NowOpt,
    window: Annotated[
        list[str] | None,
        typer.Option(
            "--window", metavar="START/END", help="A candidate window (repeat for more)."
        ),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            metavar="START/END/LENGTH",
            help="Back-to-back windows of LENGTH (ISO 8601, e.g. PT2H) from START to END.",
        ),
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=20, help="Options per window.")] = 3,
) -> None:
    """For each candidate window, in order: whether the new order fits in the running plan
    there, its k cheapest options, or the reason code (JSON on stdout, a table on stderr)."""
    problem = _load_problem(problem_path)
    plan = _load_plan(plan_path)
    order = _load_order(order_path)
    at = cli_replan.parse_now(now)
    windows = _windows(window or [], every)
    from optimizer.slots import slot_offers

    try:
        offers = slot_offers(problem, plan, order, windows, at, k)
    except InvalidInput as exc:
        _fail_errors(str(order_path), exc.errors)
    typer.echo(
        json.dumps([o.model_dump(mode="json", exclude_none=True) for o in offers], indent=2)
    )
    table = Table(title=f"Windows for {order.id}", title_justify="left")
    for col in ("window", "fits", "technician", "arrival", "start", "cost +", "moves", "reason"):
        table.add_column(col)

    def clock(t: datetime) -> str:
        return t.astimezone(at.tzinfo).strftime("%H:%M")

    for offer in offers:
        span = f"{clock(offer.window.start)}-{clock(offer.window.end)}"
        if not offer.options:
            code = offer.reason.code if offer.reason else "-"
            table.add_row(span, "no", "-", "-", "-", "-", "-", code)
        for i, o in enumerate(offer.options):
            table.add_row(
                span if i == 0 else "",
                "yes" if i == 0 else "",
                Text("+".join(o.crew)),
                clock(o.arrival),
                clock(o.start),
                f"{o.cost_delta:.1f}",
                str(len(o.moves)),
                "",
            )
    _stderr().print(table)


class RecordFormat(StrEnum):
    """How `dispatch record` writes the record."""

    json = "json"
    zip = "zip"
    csv = "csv"


@app.command()
def record(
    plan_id: Annotated[str, typer.Argument(metavar="PLAN_ID", help="The plan's id.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="json: a file (default stdout); zip: a file; csv: a folder.",
        ),
    ] = None,
    format: Annotated[
        RecordFormat, typer.Option("--format", help="json, zip (record.json and CSVs), or csv.")
    ] = RecordFormat.json,
    db: DbOption = None,
) -> None:
    """Export a plan's service record from the service's database: every version with its
    events, changes and KPIs, the slot offers and the access log. The export is itself
    recorded in the access log (method `CLI`)."""
    from api.booking_store import BookingStore
    from api.service_record import build_record, record_csvs, record_zip

    if format != RecordFormat.json and output is None:
        _fail([f"--output: a {format.value} record needs a path"])
    store = _open_store(_settings(db=db))
    try:
        found = build_record(store, plan_id, with_access_log=True)
        BookingStore(store).log_access(
            key_id=None,
            role="local",
            method="CLI",
            route="dispatch record",
            path=f"dispatch record {plan_id}",
            plan_id=plan_id,
            status=200 if found is not None else 404,
        )
    finally:
        store.close()
    if found is None:
        _fail([f"{plan_id}: no such plan"])
    data = found.model_dump(mode="json")
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if format == RecordFormat.json:
        if output is None:
            typer.echo(text)
        else:
            write_atomic(output, text)
        return
    assert output is not None
    if format == RecordFormat.zip:
        output.write_bytes(record_zip(data))
    else:
        output.mkdir(parents=True, exist_ok=True)
        write_atomic(output / "record.json", text)
        for name, csv_text in record_csvs(data).items():
            write_atomic(output / name, csv_text)
    typer.echo(f"wrote the record of {plan_id} (version {found.final_version}) to {output}")
