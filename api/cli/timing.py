"""When a command's time limit starts and how much of it the command keeps for its output.

The console script counts from the process start, so reading and validating the input and
importing the solver count against the limit; a command run in-process (a test's CliRunner)
counts from the call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
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


OUTPUT_SECONDS = 0.05
"""Seconds of work kept for writing any plan and exiting."""

OUTPUT_SECONDS_PER_ORDER = (0.00002, 0.00006)
"""Seconds of work (CPU seconds) per order kept for the plan's JSON and its file, without and
with the summary on stderr. Measured at 1,000 orders with 964 of them unassigned (the longest
summary): the JSON and its file 0.01-0.02 s, the summary 0.04 s of CPU time."""

MAX_PACE = 8.0
"""Most wall seconds counted for a second of work (`pace`)."""


def pace() -> float:
    """Wall seconds that a second of this process's work took so far (its start-up: imports,
    reading the input), from 1 on an idle machine up to `MAX_PACE`: 4 at a load of 12 on 2
    cores. 1 for a command run in-process (its process did other things before)."""
    if not _process:
        return 1.0
    cpu = time.process_time()
    if cpu <= 0:
        return 1.0
    return min(max((time.monotonic() - _process[0]) / cpu, 1.0), MAX_PACE)


def output_reserve(problem: Problem, summary: bool) -> float:
    """Seconds of work kept for writing the plan, printing the summary and exiting: a
    measured rate per order (`OUTPUT_SECONDS_PER_ORDER`)."""
    return OUTPUT_SECONDS + OUTPUT_SECONDS_PER_ORDER[summary] * len(problem.orders)


def command_budget(
    problem: Problem, time_limit: float | None, deterministic: float | None, *, summary: bool
) -> Budget:
    """The budget of a command: its time limit from the command's start (the process start
    for the console script), at this machine's `pace`, less the time kept for writing the
    plan and the summary."""
    from optimizer.budget import Budget

    budget = Budget.start(time_limit, deterministic, started=command_started(), pace=pace())
    return budget.keep_work(output_reserve(problem, summary))


def exit_now(code: int | str | None) -> None:
    """End the process with `code` (as `sys.exit` does) without the interpreter's teardown:
    collecting the modules of OR-Tools, pandas and numpy took 0.2-0.7 s after the plan was
    written, outside any budget. Only when nothing else runs (no child process, no other
    thread, such as a server's): then a normal exit."""
    import logging
    import multiprocessing

    if multiprocessing.active_children() or threading.active_count() > 1:
        sys.exit(code)
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(code or 0)
