"""How far `dispatch solve` and `dispatch replan` run past their time limit, measured from
outside: the wall time from starting the process to its exit, minus the limit.

    python -m benchmarks.overshoot [--sizes 100,500,1000] [--solve-limit 10]
                                   [--replan-limit 5] [--seed 1] [--keep DIR]

For each size a day of N orders and N/10 technicians is generated (`benchmarks.generator`),
solved by `dispatch solve --time-limit S`, and that plan re-planned at 11:00 by `dispatch
replan --time-limit S` after a new emergency and a cancellation
(`benchmarks.replan_days.day_at_eleven`). Each command runs once, as its own process, as a
person would run it (plan to a file, summary on stderr). The target is an overshoot within
1 s; the load average is printed with the table, since the figures mean little on a loaded
machine. Each plan is checked
after timing it: the command must exit 0 or 1 (a plan written) and the plan must read back.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table

from benchmarks.generator import dump_day, generate_day
from benchmarks.replan_days import day_at_eleven
from models import Event, Plan, load_problem, parse_model

TARGET = 1.0
"""Most seconds a command may run past its limit."""


@dataclass
class Run:
    """One timed command."""

    orders: int
    command: str
    limit: float
    wall: float
    status: str

    @property
    def overshoot(self) -> float:
        """Seconds past the limit (negative: it ended early)."""
        return self.wall - self.limit


def dispatch_command() -> list[str]:
    """The `dispatch` console script beside this interpreter, else the one on the PATH."""
    script = Path(sys.executable).parent / "dispatch"
    if script.is_file():
        return [str(script)]
    found = shutil.which("dispatch")
    if found is None:
        raise SystemExit("no `dispatch` command: install the project (pip install -e .)")
    return [found]


def timed(args: list[str]) -> float:
    """Wall seconds from starting the process to its exit (exit 0 or 1, else an error)."""
    began = time.monotonic()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.monotonic() - began
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return wall


def measure(
    size: int, seed: int, solve_limit: float, replan_limit: float, folder: Path, cmd: list[str]
) -> list[Run]:
    """Time `dispatch solve` and `dispatch replan` (run as `cmd`) on one generated day."""
    day = generate_day(size, max(2, size // 10), seed=seed)
    problem_path = folder / f"day-{size}.json"
    problem_path.write_text(dump_day(day), encoding="utf-8")
    plan_path = folder / f"plan-{size}.json"
    wall = timed(
        [
            *cmd,
            "solve",
            str(problem_path),
            "--time-limit",
            f"{solve_limit:g}",
            "--output",
            str(plan_path),
        ]
    )
    plan = parse_model(Plan, json.loads(plan_path.read_text(encoding="utf-8")))
    runs = [Run(size, "solve", solve_limit, wall, plan.status)]

    eleven = day_at_eleven(load_problem(day), plan)
    events_path = folder / f"events-{size}.json"
    events_path.write_bytes(TypeAdapter(list[Event]).dump_json(eleven.events, by_alias=True))
    (folder / f"now-{size}.txt").write_text(eleven.now.isoformat(), encoding="utf-8")
    new_path = folder / f"replan-{size}.json"
    wall = timed(
        [
            *cmd,
            "replan",
            str(problem_path),
            str(plan_path),
            str(events_path),
            "--now",
            eleven.now.isoformat(),
            "--time-limit",
            f"{replan_limit:g}",
            "--output",
            str(new_path),
        ]
    )
    new = parse_model(Plan, json.loads(new_path.read_text(encoding="utf-8")))
    runs.append(Run(size, "replan", replan_limit, wall, new.status))
    return runs


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.overshoot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", default="100,500,1000")
    ap.add_argument("--solve-limit", type=float, default=10.0)
    ap.add_argument("--replan-limit", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--dispatch",
        metavar="COMMAND",
        help="The command to time (default: the installed `dispatch`), for example "
        "another checkout's: \"env PYTHONPATH=../base python -c 'import api.cli; "
        "api.cli.main()'\".",
    )
    ap.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="Keep the days, plans and events in DIR (default: a temporary folder), to look "
        "into a run again.",
    )
    args = ap.parse_args(argv)
    cmd = shlex.split(args.dispatch) if args.dispatch else dispatch_command()
    console = Console()
    load_before = os.getloadavg()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="overshoot-") as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",")):
            runs += measure(size, args.seed, args.solve_limit, args.replan_limit, folder, cmd)
            console.print(f"{size} orders done")
    load_after = os.getloadavg()
    table = Table(title="Wall time from process start to exit, minus the time limit")
    for col in ("orders", "command", "limit", "wall", "overshoot", "status"):
        table.add_column(col, justify="right")
    for r in runs:
        style = None if r.overshoot <= TARGET else "bold red"
        table.add_row(
            str(r.orders),
            r.command,
            f"{r.limit:g} s",
            f"{r.wall:.2f} s",
            f"{r.overshoot:+.2f} s",
            r.status,
            style=style,
        )
    console.print(table)
    console.print(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    worst = max(r.overshoot for r in runs)
    console.print(f"worst overshoot {worst:+.2f} s (target: within {TARGET:g} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
