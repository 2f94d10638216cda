"""When a command's time limit starts and how much of it the command keeps for its output.

The console script counts from the process start, so reading and validating the input and
importing the solver count against the limit; a command run in-process (a test's CliRunner)
counts from the call.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

IMPORTED = time.monotonic()  # as close to the process start as the command line gets

if TYPE_CHECKING:
    from models import Problem
    from optimizer.budget import Budget


START_UP = 1.0
"""Most seconds a process may count from before this module is imported: the interpreter's
start. A process forked earlier than that and exec'd later (a shell running `dispatch` as the
last command of `pip install ... && dispatch solve ...` execs it in its own process) counts
from here, not from when the shell started."""

_process: list[float] = []
"""Set by `count_from_process_start()`: when the process started."""


def count_from_process_start() -> None:
    """Count every command's time limit from the process start (the console script)."""
    _process[:] = [process_started()]


def process_started() -> float:
    """The `time.monotonic()` instant this process started (interpreter start-up and imports
    included), from /proc, at most `START_UP` before this module was imported; where that
    cannot be read, when this module was imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rpartition(")")[2].split()
        ticks = int(fields[19])  # field 22, starttime: clock ticks after boot
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return IMPORTED
    return max(min(time.monotonic() - max(age, 0.0), IMPORTED), IMPORTED - START_UP)


def command_started() -> float:
    """When the time limit starts: the process start for the console script (reading and
    validating the input count against the limit), else now."""
    return _process[0] if _process else time.monotonic()


def output_reserve(problem: Problem, summary: bool) -> float:
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

    return Budget.start(time_limit, deterministic, started=command_started()).keep(
        output_reserve(problem, summary)
    )
