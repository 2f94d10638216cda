"""The first plan (construction alone) on generated bad days: process CPU seconds, and what
it leaves out. Figures are CPU time (meaningful on a loaded machine, unlike wall time).

python -m benchmarks.first_plan --orders 200,400,1000 --bad-day
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from benchmarks.bad_day import add_bad_day_arguments, bad_day_from_arguments
from benchmarks.generator import generate_day
from models import load_problem
from optimizer.construct import first_plan
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.instance import compile_problem
from optimizer.params import SolveParams
from optimizer.repair import must_serve


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.first_plan`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.first_plan", description=__doc__)
    parser.add_argument("--orders", default="200,400,1000", help="comma-separated counts")
    parser.add_argument("--per-technician", type=int, default=10, help="orders per technician")
    parser.add_argument("--seed", type=int, default=1)
    add_bad_day_arguments(parser)
    args = parser.parse_args(argv)
    table = Table(title=f"First plan, seed {args.seed} (process CPU seconds)")
    for col in ("orders", "CPU s", "served", "mandatory out", "P1 out", "cost"):
        table.add_column(col, justify="right")
    for n in [int(x) for x in args.orders.split(",") if x.strip()]:
        day = generate_day(
            n,
            max(n // args.per_technician, 1),
            seed=args.seed,
            bad_day=bad_day_from_arguments(args),
        )
        inst = compile_problem(load_problem(day))
        eligible = eligible_shifts(inst)
        cpu = time.process_time()
        sol = first_plan(inst, eligible, moves=SolveParams().moves)
        cpu = time.process_time() - cpu
        out = [o for o in range(len(inst.orders)) if o not in sol.start and eligible[o]]
        must = sum(1 for o in out if must_serve(inst, o))
        p1 = sum(1 for o in out if inst.orders[o].priority == 1)
        cost = solution_cost(inst, sol) / 6000
        table.add_row(str(n), f"{cpu:.2f}", str(len(sol.start)), str(must), str(p1), f"{cost:.0f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
