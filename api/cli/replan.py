"""`dispatch replan` and `dispatch recommend`: the emergency coordinator's commands."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.cli.inputs import (
    ProblemArg,
    fail,
    fail_errors,
    load_plan_file,
    load_problem_file,
    read_json,
    stderr_console,
)
from api.cli.output import plain_table, plan_json, print_plan_summary, write_atomic
from api.cli.root import EXIT_NOT_FEASIBLE, app
from api.cli.timing import command_budget
from models import Event, InvalidInput, Order, parse_model
from models.validation import pydantic_errors

PlanArg = Annotated[Path, typer.Argument(metavar="PLAN.json", help="The current plan.")]
NowOpt = Annotated[
    str,
    typer.Option("--now", metavar="T", help="The moment of re-planning, ISO 8601 with offset."),
]


def parse_now(text: str) -> datetime:
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        fail([f"--now: '{text}' is not an ISO 8601 instant"])
    if now.tzinfo is None:
        fail(["--now: the instant has no UTC offset"])
    return now


def _events(path: Path) -> list[Event]:
    data = read_json(path)
    try:
        return TypeAdapter(list[Event]).validate_python(data)
    except ValidationError as exc:
        fail_errors(str(path), pydantic_errors(exc, data))


def changes_table(changes: list[Any], day: datetime) -> Text:
    """The changes of a re-plan, one row per order."""

    def clock(t: datetime | None) -> str:
        return "-" if t is None else t.astimezone(day.tzinfo).strftime("%H:%M")

    rows = [
        (
            c.order,
            c.from_technician or "-",
            c.to_technician or "-",
            clock(c.old_start),
            clock(c.new_start),
        )
        for c in changes
    ]
    columns = ("order", "from", "to", "old start", "new start")
    return plain_table(f"Changes ({len(changes)})", columns, rows)


@app.command()
def replan(
    problem_path: ProblemArg,
    plan_path: PlanArg,
    events_path: Annotated[
        Path, typer.Argument(metavar="EVENTS.json", help="A list of re-planning events.")
    ],
    now: NowOpt,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="NEW.json", help="Write the new plan here."),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0, metavar="S", help="Seconds (0: fast path).")
    ] = 5.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Re-plan a running day after events; print the changes as a table."""
    problem = load_problem_file(problem_path)
    plan = load_plan_file(plan_path)
    events = _events(events_path)
    at = parse_now(now)
    from optimizer.params import SolveParams
    from optimizer.replan import replan as run_replan

    try:
        result = run_replan(
            problem,
            plan,
            at,
            events,
            SolveParams(time_limit=time_limit),
            budget=command_budget(problem, time_limit, None, summary=not quiet),
        )
    except InvalidInput as exc:
        fail_errors(str(events_path), exc.errors)
    text = plan_json(result.plan)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text)
    console = stderr_console()
    if not quiet:
        print_plan_summary(result.problem, result.plan, console)
    console.print(changes_table(result.plan.changes or [], at), soft_wrap=True)
    if not result.plan.status.is_feasible:
        raise typer.Exit(EXIT_NOT_FEASIBLE)


@app.command()
def recommend(
    problem_path: ProblemArg,
    plan_path: PlanArg,
    order_path: Annotated[
        Path, typer.Argument(metavar="ORDER.json", help="The new order to fit.")
    ],
    now: NowOpt,
    k: Annotated[int, typer.Option("-k", min=1, help="How many options.")] = 5,
) -> None:
    """The k best ways to fit one new order into the running plan, best first (JSON on stdout,
    a table on stderr)."""
    problem = load_problem_file(problem_path)
    plan = load_plan_file(plan_path)
    data = read_json(order_path)
    try:
        order = parse_model(Order, data)
    except InvalidInput as exc:
        fail_errors(str(order_path), exc.errors)
    at = parse_now(now)
    from optimizer.replan import recommend as run_recommend

    try:
        options = run_recommend(problem, plan, order, at, k)
    except InvalidInput as exc:
        fail_errors(str(order_path), exc.errors)
    typer.echo(
        "[" + ",\n".join(o.model_dump_json(indent=2, exclude_none=True) for o in options) + "]"
    )
    table = Table(title=f"Options for {order.id}", title_justify="left")
    for col in ("#", "technician", "arrival", "start", "SLA", "cost +", "moves"):
        table.add_column(col)
    for i, o in enumerate(options, start=1):
        table.add_row(
            str(i),
            Text(o.technician),
            o.arrival.astimezone(at.tzinfo).strftime("%H:%M"),
            o.start.astimezone(at.tzinfo).strftime("%H:%M"),
            "-" if o.sla_met is None else ("met" if o.sla_met else "missed"),
            f"{o.cost_delta:.1f}",
            str(len(o.changes)),
        )
    Console(stderr=True, highlight=False).print(table)
