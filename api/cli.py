"""The `dispatch` command line: solve, validate, evaluate, schema; serve (the HTTP API) and
keys (its API keys).

Exit codes: 0 success; 1 the plan is not feasible (`evaluate`) or no feasible plan was found
(`solve`); 2 bad input (unreadable file, bad JSON, validation errors, bad options), each error on
its own line as `path: message`.

FastAPI and OR-Tools are imported lazily, inside the commands that need them, so `dispatch
validate` and `dispatch schema` start fast and `api` stays import-light.
"""

from __future__ import annotations

import time

IMPORTED = time.monotonic()  # as close to the process start as this module gets

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.auth import Role
from models import Event, FieldError, InvalidInput, Plan, Problem, load_problem, parse_model
from models.common import format_duration

if TYPE_CHECKING:
    from api.settings import Settings
    from api.store import Store
    from optimizer.budget import Budget
    from optimizer.params import SolveParams

EXIT_OK = 0
EXIT_NOT_FEASIBLE = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="dispatch",
    help="Plan a day of telecom field service: technicians, orders, crews, skills, parts.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


class LogLevel(StrEnum):
    """How much the optimizer logs on stderr."""

    warning = "warning"
    info = "info"
    debug = "debug"


@app.callback()
def _options(
    log_level: Annotated[
        LogLevel,
        typer.Option("--log-level", help="Optimizer log on stderr (debug: every neighbourhood)."),
    ] = LogLevel.warning,
) -> None:
    """Plan a day of telecom field service: technicians, orders, crews, skills, parts."""
    import logging

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")


class SchemaName(StrEnum):
    """Contract documents that have a JSON Schema."""

    problem = "problem"
    plan = "plan"
    event = "event"


# --------------------------------------------------------------------------- input and output


def _stderr() -> Console:
    """A console on the current stderr (looked up per call, so test runners can capture it)."""
    return Console(stderr=True, highlight=False, soft_wrap=False)


def _fail(lines: Iterable[str], code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print each line on stderr, plain (paths such as `orders[3]` are not markup), and exit."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _fail_errors(source: str, errors: list[FieldError]) -> NoReturn:
    """Report every input error of one file, one `path: message` per line, and exit 2."""
    noun = "error" if len(errors) == 1 else "errors"
    _fail([f"{source}: {len(errors)} input {noun}", *(str(e) for e in errors)])


def _read_json(path: Path) -> Any:
    """Read a JSON file, or exit 2 with a one-line message saying why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail([f"{path}: no such file"])
    except IsADirectoryError:
        _fail([f"{path}: is a directory, not a JSON file"])
    except UnicodeDecodeError as exc:
        _fail([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"])
    except OSError as exc:
        _fail([f"{path}: cannot read ({exc.strerror or exc})"])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail([f"{path}: invalid JSON", f"$: {exc.msg} at line {exc.lineno} column {exc.colno}"])
    except RecursionError:
        _fail([f"{path}: invalid JSON", "$: nested too deeply"])


def _load_problem(path: Path) -> Problem:
    """Read and fully validate a problem file (exit 2 listing every error)."""
    data = _read_json(path)
    try:
        return load_problem(data)
    except InvalidInput as exc:
        _fail_errors(str(path), exc.errors)
    except (OverflowError, RecursionError) as exc:
        # A number too large for a duration or an instant; validation should catch it with
        # its path, this keeps the promise of no traceback until it does.
        _fail([f"{path}: 1 input error", f"$: a number is out of range ({exc})"])


def _load_plan(path: Path) -> Plan:
    """Read and validate a plan file (exit 2 listing every error)."""
    data = _read_json(path)
    try:
        return parse_model(Plan, data)
    except InvalidInput as exc:
        _fail_errors(str(path), exc.errors)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename, so a
    reader never sees a half-written file."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp creates the file private; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_json(plan: Plan) -> str:
    """The plan as contract JSON (aliases, no null fields), indented, newline-terminated."""
    return plan.model_dump_json(indent=2, by_alias=True, exclude_none=True) + "\n"


# --------------------------------------------------------------------------- formatting


def _clock(t: datetime, day: datetime) -> str:
    """`HH:MM` in the instant's own offset, with the date when it is not the horizon's day."""
    if t.date() != day.date():
        return t.strftime("%m-%d %H:%M")
    return t.strftime("%H:%M")


def _minutes(d: timedelta) -> str:
    """A duration as whole minutes for people (`95 min`)."""
    return f"{round(d.total_seconds() / 60)} min"


def _number(value: float) -> str:
    """A number without noise: integers as such, others with up to 3 decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _kpi_value(value: Any) -> str:
    """A KPI value on one line (maps as `k: v`, numbers without noise)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_kpi_value(v)}" for k, v in value.items()) or "-"
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, list | tuple):
        return ", ".join(_kpi_value(v) for v in value) or "-"
    return str(value)


def _table(title: str | None, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _kpi_table(kpis: dict[str, Any]) -> Table:
    table = _table("KPIs", "kpi", "value")
    for key, value in kpis.items():
        table.add_row(key, _kpi_value(value))
    return table


def _objective_table(value: float, bound: float | None, terms: dict[str, float]) -> Table:
    title = f"Objective {_number(value)}"
    if bound is not None:
        title += f", bound {_number(bound)}"
    table = _table(title, "term", "cost")
    for key, cost in terms.items():
        table.add_row(key, _number(cost))
    return table


def print_plan_summary(problem: Problem, plan: Plan, console: Console) -> None:
    """A readable account of a plan: routes with timed items, unassigned orders with reasons,
    KPIs, status and objective."""
    day = problem.horizon.start
    orders = {o.id: o for o in problem.orders}
    names = {t.id: t.name or t.id for t in problem.technicians}

    for route in plan.routes:
        title = (
            f"{names.get(route.technician, route.technician)} ({route.technician}), "
            f"shift {route.shift}: travel {_minutes(route.travel_time)}, "
            f"working {_minutes(route.working_time)}"
        )
        if route.overtime:
            title += f", overtime {_minutes(route.overtime)}"
        console.print(Text(title, style="bold"))
        table = _table(None, "time", "item", "detail")
        for item in route.items:
            if item.type == "start":
                table.add_row(_clock(item.time, day), "start", "leaves the start location")
            elif item.type == "visit":
                order = orders.get(item.order)
                detail = f"{order.kind}, P{order.priority}" if order else "unknown order"
                if order is not None and order.due is not None:
                    late = item.start > order.due
                    detail += f", due {_clock(order.due, day)}" + (" LATE" if late else "")
                if len(item.crew) > 1:
                    detail += f", crew {'+'.join(item.crew)}"
                when = f"{_clock(item.start, day)}-{_clock(item.end, day)}"
                table.add_row(when, Text(item.order), detail)
            elif item.type == "depot":
                picked = [*item.equipment, *(f"{k} x{v}" for k, v in item.parts.items())]
                when = f"{_clock(item.start, day)}-{_clock(item.end, day)}"
                table.add_row(when, Text(f"depot {item.depot}"), ", ".join(picked) or "-")
            elif item.type == "break":
                when = f"{_clock(item.start, day)}-{_clock(item.end, day)}"
                table.add_row(when, "break", _minutes(item.end - item.start))
            else:
                table.add_row(_clock(item.arrival, day), "end", "reaches the end location")
        console.print(table)
        console.print()

    if plan.unassigned:
        table = _table(f"Unassigned ({len(plan.unassigned)})", "order", "priority", "reasons")
        for entry in plan.unassigned:
            order = orders.get(entry.order)
            reasons = "; ".join(f"{r.code}: {r.detail}" for r in entry.reasons)
            table.add_row(Text(entry.order), f"P{order.priority}" if order else "?", reasons)
        console.print(table)
        console.print()

    if plan.kpis:
        console.print(_kpi_table(plan.kpis))
        console.print()
    console.print(_objective_table(plan.objective.value, plan.objective.bound,
                                   plan.objective.terms))
    served = len({i.order for r in plan.routes for i in r.items if i.type == "visit"})
    wall = plan.solver.get("wall_time", "?")
    console.print(
        f"status [bold]{plan.status}[/bold]: {served} of {len(problem.orders)} orders served "
        f"on {len(plan.routes)} routes; {len(plan.unassigned)} unassigned; wall time {wall}"
    )


_PROCESS_STARTED: float | None = None
"""Set by `main()`: the time limit of a solve counts from the process start."""


def process_started() -> float:
    """The `time.monotonic()` instant this process started (interpreter start-up and imports
    included), from /proc; where that cannot be read, when this module was imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rpartition(")")[2].split()
        ticks = int(fields[19])  # field 22, starttime: clock ticks after boot
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return IMPORTED
    return min(time.monotonic() - max(age, 0.0), IMPORTED)


def _command_started() -> float:
    """When the time limit starts: the process start for the console script (reading and
    validating the input count against the limit), else now."""
    return _PROCESS_STARTED if _PROCESS_STARTED is not None else time.monotonic()


def _output_reserve(problem: Problem, summary: bool) -> float:
    """Seconds kept for writing the plan, printing the summary and exiting (measured: the
    plan's JSON 0.03 s and the summary 0.4-2 s at 1,000 orders, on an idle and a loaded
    machine)."""
    per_order = 0.002 if summary else 0.0002
    return 0.3 + per_order * len(problem.orders)


def command_budget(
    problem: Problem, time_limit: float | None, deterministic: float | None, *, summary: bool
) -> Budget:
    """The budget of a command: its time limit from the command's start (the process start
    for the console script), less the time kept for writing the plan and the summary."""
    from optimizer.budget import Budget

    return Budget.start(time_limit, deterministic, started=_command_started()).keep(
        _output_reserve(problem, summary)
    )


# --------------------------------------------------------------------------- commands


ProblemArg = Annotated[
    Path, typer.Argument(metavar="PROBLEM.json", help="Problem in the contract format.")
]


@app.command()
def solve(
    problem_path: ProblemArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="PLAN.json", help="Write the plan here "
                     "(atomically); default stdout."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", min=0, metavar="S",
                     help="Wall-clock seconds; default the problem's options."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Random seed; default the problem's options.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="CP-SAT workers; default the problem's options."),
    ] = None,
    deterministic_limit: Annotated[
        float | None,
        typer.Option("--deterministic-limit", metavar="S",
                     help="Budget in CP-SAT deterministic seconds (reproducible with 1 worker)."),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Parameters from optimizer/presets/NAME.toml; "
                     "the options above override it."),
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="Show CP-SAT progress on stderr.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary on stderr.")
    ] = False,
) -> None:
    """Solve a problem and write the plan JSON; print a summary on stderr.

    Exits 1 when no feasible plan was found (the plan is still written), 2 on bad input.
    """
    problem = _load_problem(problem_path)
    params = _solve_params(time_limit, seed, workers, deterministic_limit, preset, log)
    from optimizer.solve import solve as run_solver  # lazy: OR-Tools loads only here

    limits = params.resolved(problem)
    budget = command_budget(
        problem, limits.time_limit, limits.deterministic_limit, summary=not quiet
    )
    try:
        result = run_solver(problem, params, budget=budget)
    except InvalidInput as exc:
        _fail_errors(str(problem_path), exc.errors)
    plan: Plan = result.plan
    text = plan_json(plan)
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            write_atomic(output, text)
        except OSError as exc:
            _fail([f"{output}: cannot write ({exc.strerror or exc})"])
    if not quiet:
        print_plan_summary(problem, plan, _stderr())
    if not plan.status.is_feasible:
        raise typer.Exit(EXIT_NOT_FEASIBLE)


def _solve_params(
    time_limit: float | None,
    seed: int | None,
    workers: int | None,
    deterministic_limit: float | None,
    preset: str | None,
    log: bool,
) -> SolveParams:
    """Solve parameters from a preset and the command-line options (exit 2 when invalid)."""
    from optimizer.params import PRESETS, SolveParams

    given: dict[str, Any] = {
        "time_limit": time_limit,
        "seed": seed,
        "workers": workers,
        "deterministic_limit": deterministic_limit,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    if log:
        overrides["log"] = True
    try:
        if preset is not None:
            if not (PRESETS / f"{preset}.toml").is_file():
                known = ", ".join(sorted(p.stem for p in PRESETS.glob("*.toml")))
                _fail([f"--preset: unknown preset '{preset}' (known: {known})"])
            base = SolveParams.preset(preset)
            return SolveParams.model_validate({**base.model_dump(exclude_unset=True),
                                               **overrides})
        return SolveParams.model_validate(overrides)
    except ValidationError as exc:
        _fail(
            f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors(include_url=False)
        )


@app.command()
def validate(problem_path: ProblemArg) -> None:
    """Check a problem against the contract: print OK and counts, or every error (exit 2)."""
    problem = _load_problem(problem_path)
    num_shifts = sum(len(t.shifts) for t in problem.technicians)
    kinds: dict[str, int] = {}
    for order in problem.orders:
        kinds[order.kind] = kinds.get(order.kind, 0) + 1
    mix = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    name = f" '{problem.id}'" if problem.id else ""
    typer.echo(
        f"OK: problem{name}: {len(problem.technicians)} technicians, {num_shifts} shifts, "
        f"{len(problem.orders)} orders" + (f" ({mix})" if mix else "")
        + f", {len(problem.depots)} depots, travel model {problem.travel.model}"
    )


@app.command()
def evaluate(
    problem_path: ProblemArg,
    plan_path: Annotated[
        Path, typer.Argument(metavar="PLAN.json", help="Plan in the contract format.")
    ],
) -> None:
    """Check a plan against its problem: feasibility, violations, objective terms and KPIs.

    Exits 1 when the plan is infeasible, 2 on bad input.
    """
    problem = _load_problem(problem_path)
    plan = _load_plan(plan_path)
    from optimizer.evaluate import evaluate as run_evaluator

    try:
        evaluation = run_evaluator(problem, plan)
    except InvalidInput as exc:
        _fail_errors(str(plan_path), exc.errors)
    console = Console(highlight=False)
    feasible = bool(evaluation.feasible)
    console.print(f"feasible: [bold]{'yes' if feasible else 'no'}[/bold]")
    violations = list(evaluation.violations)
    if violations:
        table = _table(f"Violations ({len(violations)})", "code", "where", "message")
        for v in violations:
            table.add_row(Text(str(v.code)), Text(str(v.where)), Text(str(v.message)))
        console.print(table)
    objective = evaluation.objective
    console.print(_objective_table(objective.value, objective.bound, dict(objective.terms)))
    console.print(_kpi_table(dict(evaluation.kpis)))
    if not feasible:
        raise typer.Exit(EXIT_NOT_FEASIBLE)


@app.command()
def schema(
    name: Annotated[SchemaName, typer.Argument(help="Which document: problem, plan or event.")],
) -> None:
    """Print the JSON Schema of a contract document."""
    if name is SchemaName.problem:
        document = Problem.model_json_schema()
    elif name is SchemaName.plan:
        document = Plan.model_json_schema()
    else:
        document = TypeAdapter(Event).json_schema()
    typer.echo(json.dumps(document, indent=2))


# --------------------------------------------------------------------------- the service

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL (SQLAlchemy); default $DISPATCH_DB, else sqlite:///dispatch.db. "
        "Leave the password out (it would show in `ps`): PGPASSWORD, ~/.pgpass or "
        "$DISPATCH_DB_PASSWORD_FILE give it.",
    ),
]


def _settings(**given: Any) -> Settings:
    """Service settings: the options given, else the environment (DISPATCH_*), else the
    defaults (exit 2 when invalid)."""
    from api.settings import Settings

    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        _fail(
            f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors(include_url=False)
        )


def _open_store(settings: Settings) -> Store:
    """The service's store (exit 2 when the database cannot be opened)."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from api.db import masked
    from api.store import Store

    urls = [settings.db]
    try:
        urls.append(settings.database_url())
        return Store.open(urls[-1])
    except (ArgumentError, SQLAlchemyError, ImportError, OSError) as exc:
        url, why = masked(settings.db), str(exc)
        for secret in set(urls) - {url}:
            why = why.replace(secret, url)  # a message may quote the URL: never its password
        _fail([f"--db: cannot open {url} ({type(exc).__name__}: {why})"])


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on; default 127.0.0.1.")
    ] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Port; default 8000.")] = None,
    db: DbOption = None,
    pool_size: Annotated[
        int | None,
        typer.Option("--pool-size", min=1, help="Solver worker processes; default 1."),
    ] = None,
    queue_size: Annotated[
        int | None,
        typer.Option("--queue-size", min=0, help="Solves that may wait; default 16."),
    ] = None,
) -> None:
    """Run the HTTP API; its OpenAPI documentation is at /docs.

    Other settings come from DISPATCH_* environment variables (see api/settings.py).
    """
    settings = _settings(host=host, port=port, db=db, pool_size=pool_size, queue_size=queue_size)
    _open_store(settings).close()  # fail fast, before the server starts, on a bad URL
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


keys_app = typer.Typer(
    name="keys", help="API keys of the HTTP service.", no_args_is_help=True, add_completion=False
)
app.add_typer(keys_app)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    name: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
    db: DbOption = None,
) -> None:
    """Make an API key; the key itself is printed alone on the last line (and never again)."""
    store = _open_store(_settings(db=db))
    try:
        record, text = store.create_key(role, name)
    finally:
        store.close()
    label = f" '{record.name}'" if record.name else ""
    typer.echo(f"created {record.role} key {record.id}{label}; it is shown only this once:")
    typer.echo(text)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY_ID_OR_PREFIX", help="The key's id, a unique prefix of it, or the key."
        ),
    ],
    db: DbOption = None,
) -> None:
    """Revoke an API key (exit 2 when no key, or more than one, matches)."""
    from api.store import Ambiguous, NotFound

    store = _open_store(_settings(db=db))
    try:
        record = store.revoke_key(key)
    except NotFound:
        _fail([f"{key}: no such key"])
    except Ambiguous:
        _fail([f"{key}: more than one key starts with this; give more of the id"])
    finally:
        store.close()
    typer.echo(f"revoked {record.role} key {record.id}")


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """List the API keys (id, role, name, created, revoked); never their secrets."""
    store = _open_store(_settings(db=db))
    try:
        records = store.list_keys()
    finally:
        store.close()
    for r in records:
        revoked = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        typer.echo(f"{r.id}\t{r.role}\t{r.name or '-'}\t{r.created_at:%Y-%m-%d %H:%M}\t{revoked}")


# Re-planning commands register themselves on `app` (kept in their own module).
from api import cli_replan as _cli_replan  # noqa: F401
from api import cli_roster as _cli_roster  # noqa: F401
from api import cli_slots as _cli_slots  # noqa: F401


def main() -> None:
    """Console-script entry point of `dispatch`."""
    global _PROCESS_STARTED
    _PROCESS_STARTED = process_started()
    app()


if __name__ == "__main__":
    main()
