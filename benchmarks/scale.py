"""Large generated telecom days: how soon a feasible plan comes, and how good it is by a
time limit against a long run of the same day.

    python -m benchmarks.scale --orders 1000 --technicians 100 --limits 10,60 --long 600
    python -m benchmarks.scale --orders 5000 --technicians 500 --regions 5 --limits 300
    python -m benchmarks.scale --orders 1000 --technicians 100 --limits 10 --long 300 --bad-day

Each limit is a separate solve from scratch of the same generated day (`--seed`), with
`--workers` CP-SAT workers and ruin-and-recreate chains. Reported per run: wall time (the
whole `solve`, compiling included), whether the evaluator finds the plan feasible, orders
served, objective, and its gap to the long run (`--long`, 0 = none). Records go to `--out`
as JSON when given. `--bad-day` (or any of its flags, `benchmarks.generator`) makes the day a
bad one: dawn outages for crews, linked tests, `after` chains, pinned visits, late shifts.

On a loaded machine, wall-clock limits are noise. `--deterministic-limit` bounds the
`--limits` runs by work instead (deterministic seconds; the wall-clock limit is then only the
safety stop). `--cpu-clock` (one worker) makes every limit and stage of the solve count this
process's CPU seconds instead of the wall clock: a quiet machine emulated on a loaded one,
with the solve's own time split (CP-SAT's own limits stay wall-clock; its steps are short).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.bad_day import add_bad_day_arguments, bad_day_from_arguments
from benchmarks.generator import generate_day
from models import load_problem
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.solve import solve


def run_day(
    problem: Any, limit: float, seed: int, workers: int, deterministic: float | None = None
) -> dict[str, Any]:
    """Solve once (within `deterministic` CP-SAT deterministic seconds too, when given) and
    assess the plan with the evaluator."""
    began = time.monotonic()
    result = solve(
        problem,
        SolveParams(
            time_limit=limit, seed=seed, workers=workers, deterministic_limit=deterministic
        ),
    )
    wall = time.monotonic() - began
    plan = result.plan
    ev = evaluate(problem, plan)
    return {
        "limit": limit,
        "wall_time": round(wall, 2),
        "status": plan.status.value,
        "feasible": bool(ev.feasible) and plan.status.is_feasible,
        "served": len(problem.orders) - len(plan.unassigned),
        "objective": ev.objective.value,
        "search": plan.solver.get("search"),
        "parts": plan.solver.get("parts", 1),
        "moves": plan.solver.get("moves"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.scale`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--technicians", type=int, default=100)
    parser.add_argument("--regions", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limits", default="10,60", help="comma-separated seconds")
    parser.add_argument("--long", type=float, default=0.0, help="seconds of the reference run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--deterministic-limit",
        type=float,
        default=None,
        help="deterministic seconds of the `--limits` runs (not the long one), whose wall-clock "
        "limits are then only safety stops: with one worker, the same plan on any machine",
    )
    parser.add_argument(
        "--cpu-clock",
        action="store_true",
        help="stages end by this process's CPU seconds, not the wall clock (one worker)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the records here (JSON)")
    add_bad_day_arguments(parser)
    args = parser.parse_args(argv)
    if args.cpu_clock:
        if args.workers != 1:
            parser.error("--cpu-clock needs --workers 1 (other chains' CPU is not this process's)")
        # Every deadline of the solve is read from time.monotonic: CPU seconds stand in.
        time.monotonic = time.process_time
    console = Console()
    day = generate_day(
        args.orders,
        args.technicians,
        seed=args.seed,
        regions=args.regions,
        bad_day=bad_day_from_arguments(args),
    )
    problem = load_problem(day)
    limits = [float(x) for x in args.limits.split(",") if x.strip()]
    runs = [(limit, False) for limit in limits] + ([(args.long, True)] if args.long > 0 else [])
    records = []
    for limit, is_reference in runs:
        det = None if is_reference else args.deterministic_limit
        record = run_day(problem, limit, args.seed, args.workers, det)
        record["reference"] = is_reference
        records.append(record)
        console.print(f"limit {limit:g} s: {record}")
    reference = next((r for r in records if r["reference"]), None)
    table = Table(
        title=f"{args.orders} orders, {args.technicians} technicians, {args.regions} region(s), "
        f"seed {args.seed}, {args.workers} workers"
    )
    for column in ("limit (s)", "wall (s)", "feasible", "served", "objective", "vs long run"):
        table.add_column(column, justify="right")
    for r in records:
        gap = "-"
        if reference is not None and reference["objective"]:
            gap = (
                f"{100 * (r['objective'] - reference['objective']) / reference['objective']:+.2f}%"
            )
        table.add_row(
            f"{r['limit']:g}" + (" (long)" if r["reference"] else ""),
            f"{r['wall_time']:.1f}",
            "yes" if r["feasible"] else "NO",
            f"{r['served']}/{args.orders}",
            f"{r['objective']:.1f}",
            gap,
        )
    console.print(table)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"args": vars(args) | {"out": str(args.out)}, "runs": records}, indent=1)
            + "\n"
        )
    return 0 if all(r["feasible"] for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
