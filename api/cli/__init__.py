"""The `dispatch` command line: solve, validate, evaluate, schema; serve (the HTTP API) and
keys (its API keys); replan and recommend; roster and roster-to-day; slots and record.

Exit codes: 0 success; 1 the plan is not feasible (`evaluate`) or no feasible plan was found
(`solve`); 2 bad input (unreadable file, bad JSON, validation errors, bad options), each error on
its own line as `path: message`.

FastAPI and OR-Tools are imported lazily, inside the commands that need them, so `dispatch
validate` and `dispatch schema` start fast and `api` stays import-light.

Modules: `root` (the Typer app, `--log-level`, exit codes), `inputs` (reading files, failing
with every error), `output` (writing plans, summaries), `timing` (when a limit starts), and one
module per group of commands. Command modules import only these, never `api.cli` itself; this
module imports the command modules in the order `dispatch --help` lists them.
"""

from __future__ import annotations

# isort: off
# The order matters: `timing` first (its import time stands in for the process start), then
# the command modules in the order `dispatch --help` lists their commands.
from api.cli import timing
from api.cli import contract, service  # noqa: F401
from api.cli import replan, roster, slots  # noqa: F401
from api.cli.root import app

# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point of `dispatch`: limits count from the process start, and
    the process ends as soon as the command has (`timing.exit_now`)."""
    timing.count_from_process_start()
    try:
        app()
    except SystemExit as stop:
        timing.exit_now(stop.code)
    timing.exit_now(0)
