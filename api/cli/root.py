"""The `dispatch` Typer application, its global `--log-level` option and its exit codes.

Every command module registers its commands on `app`; `api.cli` imports them in the order
`dispatch --help` lists them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

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
