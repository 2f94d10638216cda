"""Reading the command line's input files, and failing with every error at once: each on its
own line as `path: message`, exit code 2, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from api.cli.root import EXIT_BAD_INPUT
from models import FieldError, InvalidInput, Plan, Problem, load_problem, parse_model

ProblemArg = Annotated[
    Path, typer.Argument(metavar="PROBLEM.json", help="Problem in the contract format.")
]


DeterministicLimit = Annotated[
    float | None,
    typer.Option(
        "--deterministic-limit",
        metavar="S",
        help="Budget in CP-SAT deterministic seconds (reproducible with 1 worker).",
    ),
]
"""The `--deterministic-limit` option of the commands that solve."""


def stderr_console() -> Console:
    """A console on the current stderr (looked up per call, so test runners can capture it)."""
    return Console(stderr=True, highlight=False, soft_wrap=False)


def fail(lines: Iterable[str], code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print each line on stderr, plain (paths such as `orders[3]` are not markup), and exit."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def fail_errors(source: str, errors: list[FieldError]) -> NoReturn:
    """Report every input error of one file, one `path: message` per line, and exit 2."""
    noun = "error" if len(errors) == 1 else "errors"
    fail([f"{source}: {len(errors)} input {noun}", *(str(e) for e in errors)])


def read_json(path: Path) -> Any:
    """Read a JSON file, or exit 2 with a one-line message saying why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail([f"{path}: no such file"])
    except IsADirectoryError:
        fail([f"{path}: is a directory, not a JSON file"])
    except UnicodeDecodeError as exc:
        fail([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"])
    except OSError as exc:
        fail([f"{path}: cannot read ({exc.strerror or exc})"])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail([f"{path}: invalid JSON", f"$: {exc.msg} at line {exc.lineno} column {exc.colno}"])
    except RecursionError:
        fail([f"{path}: invalid JSON", "$: nested too deeply"])


def load_problem_file(path: Path) -> Problem:
    """Read and fully validate a problem file (exit 2 listing every error)."""
    data = read_json(path)
    try:
        return load_problem(data)
    except InvalidInput as exc:
        fail_errors(str(path), exc.errors)
    except (OverflowError, RecursionError) as exc:
        # A number too large for a duration or an instant; validation should catch it with
        # its path, this keeps the promise of no traceback until it does.
        fail([f"{path}: 1 input error", f"$: a number is out of range ({exc})"])


def load_plan_file(path: Path) -> Plan:
    """Read and validate a plan file (exit 2 listing every error)."""
    data = read_json(path)
    try:
        return parse_model(Plan, data)
    except InvalidInput as exc:
        fail_errors(str(path), exc.errors)


def fail_options(exc: ValidationError) -> NoReturn:
    """Exit 2 listing each invalid option as `--name: message`."""
    fail(
        f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" if e["loc"] else e["msg"]
        for e in exc.errors(include_url=False)
    )
