"""`dispatch roster` and `dispatch roster-to-day`: build a roster, turn one of its days into
the technicians and shifts of a dispatch problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from api.cli.inputs import DeterministicLimit
from api.cli.inputs import fail as _fail
from api.cli.inputs import fail_errors as _fail_errors
from api.cli.inputs import read_json as _read_json
from api.cli.inputs import stderr_console as _stderr
from api.cli.output import write_atomic
from api.cli.root import EXIT_NOT_FEASIBLE, app
from models import InvalidInput, parse_model
from models.common import parse_duration
from models.roster import RosterProblem, RosterResult, RosterStatus, load_roster_problem

if TYPE_CHECKING:
    from optimizer.roster.day import BreakRule
    from optimizer.roster.params import RosterParams

RosterProblemArg = Annotated[
    Path, typer.Argument(metavar="PROBLEM.json", help="Roster problem in the contract format.")
]


def _load_roster_problem(path: Path) -> RosterProblem:
    """Read and fully validate a roster problem file (exit 2 listing every error)."""
    try:
        return load_roster_problem(_read_json(path))
    except InvalidInput as exc:
        _fail_errors(str(path), exc.errors)


def _write_or_echo(output: Path | None, text: str) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        _fail([f"{output}: cannot write ({exc.strerror or exc})"])


def _roster_params(preset: str | None, given: dict[str, Any]) -> RosterParams:
    """Parameters from a preset, overridden by the options given (exit 2 when invalid)."""
    from optimizer.roster.params import PRESETS, RosterParams

    overrides = {k: v for k, v in given.items() if v not in (None, False)}
    base: dict[str, Any] = {}
    if preset is not None:
        if not (PRESETS / f"{preset}.toml").is_file():
            known = ", ".join(sorted(p.stem for p in PRESETS.glob("*.toml")))
            _fail([f"--preset: unknown preset '{preset}' (known: {known})"])
        base = RosterParams.preset(preset).model_dump(exclude_unset=True)
    try:
        return RosterParams.model_validate(base | overrides)
    except ValidationError as exc:
        _fail(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def print_roster_summary(problem: RosterProblem, result: RosterResult, console: Console) -> None:
    """A grid of people by days (`.` a day off), cover short and over per day and shift, and
    the objective by term."""
    console.print(f"Roster {problem.id or ''} from {problem.start_date}: status {result.status}")
    if result.roster:
        width = max(len(st.id) for st in problem.shift_types)
        names = max(len(p.id) for p in problem.staff)
        header = " ".join(f"{d % 100:>{width}}" for d in range(problem.days))
        console.print(f"{'day':<{names}}  {header}", markup=False)
        for person in problem.staff:
            cells = " ".join(f"{s or '.':>{width}}" for s in result.roster[person.id])
            console.print(f"{person.id:<{names}}  {cells}", markup=False)
    missed = [c for c in result.cover if c.assigned != c.required]
    if missed:
        console.print(f"Cover not met ({len(missed)} of {len(result.cover)} rows):")
        for c in missed:
            who = " ".join(x for x in (c.skill, c.region) if x) or "anyone"
            diff = c.assigned - c.required
            word = f"short {-diff}" if diff < 0 else f"over {diff}"
            console.print(
                f"  day {c.day:>3} {c.shift:>4} {who}: {c.assigned}/{c.required} {word}",
                markup=False,
            )
    elif result.cover:
        console.print(f"Cover met on all {len(result.cover)} rows.")
    obj = result.objective
    if obj.value is not None and obj.terms is not None:
        terms = ", ".join(f"{k} {v}" for k, v in obj.terms.model_dump().items())
        bound = f", bound {obj.bound}" if obj.bound is not None else ""
        console.print(f"Objective {obj.value}{bound}: {terms}")


@app.command()
def roster(
    problem_path: RosterProblemArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="ROSTER.json",
            help="Write the roster here (atomically); default stdout.",
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=0, metavar="S", help="Wall seconds.")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="CP-SAT workers.")] = None,
    deterministic_limit: DeterministicLimit = None,
    preset: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Parameters from optimizer/roster/presets/NAME.toml."),
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="Show CP-SAT progress on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Roster the staff of a problem and write the roster JSON; print a summary on stderr.

    Exits 1 when no feasible roster was found, 2 on bad input.
    """
    problem = _load_roster_problem(problem_path)
    params = _roster_params(
        preset,
        {
            "time_limit": time_limit,
            "seed": seed,
            "workers": workers,
            "deterministic_limit": deterministic_limit,
            "log": log,
        },
    )
    from optimizer.roster.solve import solve_roster  # lazy: OR-Tools loads only here

    result = solve_roster(problem, params)
    _write_or_echo(output, result.model_dump_json(indent=1) + "\n")
    if not quiet:
        print_roster_summary(problem, result, _stderr())
    if result.status not in (RosterStatus.optimal, RosterStatus.feasible):
        raise typer.Exit(EXIT_NOT_FEASIBLE)


def _break_rule(text: str, index: int) -> BreakRule:
    """`PT3H/PT6H/PT30M` (earliest start and latest end after the shift start, duration)."""
    from optimizer.roster.day import BreakRule

    parts = text.split("/")
    try:
        if len(parts) != 3:
            raise ValueError("expected EARLIEST/LATEST/DURATION such as PT3H/PT6H/PT30M")
        earliest, latest, duration = (parse_duration(p) for p in parts)
    except ValueError as exc:
        _fail([f"--breaks[{index}]: {exc}"])
    return BreakRule(earliest, latest, duration)


@app.command("roster-to-day")
def roster_to_day(
    roster_path: Annotated[
        Path, typer.Argument(metavar="ROSTER.json", help="A roster written by `dispatch roster`.")
    ],
    problem_path: Annotated[
        Path,
        typer.Option("--problem", metavar="PROBLEM.json", help="The roster problem it solves."),
    ],
    day: Annotated[int, typer.Option("--day", metavar="D", help="Day index, 0 = start_date.")],
    breaks: Annotated[
        list[str] | None,
        typer.Option(
            "--breaks",
            metavar="EARLIEST/LATEST/DURATION",
            help="A break in every worked (not on-call) shift, offsets from its start, "
            "e.g. PT3H/PT6H/PT30M; repeat for more.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DAY.json",
            help="Write the dispatch problem here; default stdout.",
        ),
    ] = None,
) -> None:
    """Turn one roster day into the technicians and shifts of a dispatch problem (no orders);
    on-call shifts are marked `on_call`."""
    from optimizer.roster.day import roster_day

    problem = _load_roster_problem(problem_path)
    try:
        result = parse_model(RosterResult, _read_json(roster_path))
    except InvalidInput as exc:
        _fail_errors(str(roster_path), exc.errors)
    rules = [_break_rule(text, i) for i, text in enumerate(breaks or [])]
    try:
        doc = roster_day(problem, result.roster, day, rules)
    except InvalidInput as exc:
        _fail_errors(str(roster_path), exc.errors)
    _write_or_echo(output, json.dumps(doc, indent=2) + "\n")
