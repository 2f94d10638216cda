"""Ruin-and-recreate moves per CPU second on generated bad days, this tree against another.

    python -m benchmarks.moves --sizes 200,1000 --moves 300 --against /work/main

Each day (`benchmarks.generator`, `--bad-day`, `--seed`) is written once; each tree then
runs in its own process with the same interpreter: compile, first plan (not timed), then
`--moves` ruin-and-recreate moves of one chain from that plan with a fixed seed (a move
budget, no clock). Reported per tree: the moves' CPU seconds (`time.process_time`, so a
loaded machine slows the wall clock, not the figure), moves per CPU second, and the cost
of the best solution (the search's own cost and the evaluator's objective of the plan built
from it, which must agree); then the rate of this tree over the other's. `--profile N`
prints the N most expensive functions of this tree's moves (cProfile, cumulative and own
time) instead.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def run_moves(
    day_path: str, moves: int, seed: int, profile: int = 0, cpu: float = 0.0
) -> dict[str, Any]:
    """Time `moves` ruin-and-recreate moves on the day at `day_path` (in this process, with
    whatever `optimizer` is first on the path); with `cpu`, as many moves as fit in that
    many CPU seconds instead (the threshold falling over them)."""
    import random

    from models import load_problem
    from optimizer.construct import construct
    from optimizer.cp.build import eligible_shifts
    from optimizer.cp.objective import solution_cost
    from optimizer.instance import compile_problem
    from optimizer.ruin import RuinRecreate, anneal

    problem = load_problem(json.loads(Path(day_path).read_text()))
    inst = compile_problem(problem)
    eligible = eligible_shifts(inst)
    first = construct(inst, eligible)
    first.cost = solution_cost(inst, first)
    rng = random.Random(seed)
    rr = RuinRecreate(inst, eligible, rng)
    began = time.process_time()
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    limit = cpu
    if limit:
        best, n = anneal(
            inst,
            eligible,
            first,
            rng,
            iterations=None,
            clock=lambda k: (time.process_time() - began) / limit,
            rr=rr,
        )
    else:
        best, n = anneal(
            inst, eligible, first, rng, iterations=moves, clock=lambda k: k / moves, rr=rr
        )
    cpu = time.process_time() - began
    if profile:
        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(profile)
        stats.sort_stats("tottime").print_stats(profile)
    objective = evaluated_objective(inst, problem, best)
    return {
        "moves": n,
        "cpu_seconds": round(cpu, 3),
        "moves_per_cpu_second": round(n / cpu, 1) if cpu else None,
        "first_cost": first.cost,
        "best_cost": best.cost,
        "best_objective": round(own_cost(inst, best), 6),
        "evaluator_objective": objective,
    }


def own_cost(inst: Any, sol: Any) -> float:
    """The search's own cost of sol in the contract's units, less the surcharge by which the
    search keeps must-serve orders in (which no plan pays)."""
    from optimizer.cp.objective import MUST_SERVE_FACTOR
    from optimizer.instance import SCALE
    from optimizer.repair import must_serve

    served = sol.shifts_of()
    left = sum(1 for o in range(len(inst.orders)) if must_serve(inst, o) and o not in served)
    surcharge = left * MUST_SERVE_FACTOR * max(max(inst.c_unassigned), 1)
    return float((sol.cost - surcharge) / (60 * SCALE))


def evaluated_objective(inst: Any, problem: Any, sol: Any) -> float:
    """The evaluator's objective of the plan built from sol."""
    from models.plan import Objective, Plan, Unassigned
    from optimizer.evaluate import evaluate
    from optimizer.plan_builder import build_routes

    served = sol.shifts_of()
    # The status as the contract's string: the tree compared against may predate its enum.
    plan = Plan.model_validate(
        {
            "status": "feasible",
            "objective": Objective(value=0.0),
            "routes": build_routes(inst, sol),
            "unassigned": [
                Unassigned(order=order.id, reasons=[])
                for o, order in enumerate(inst.orders)
                if o not in served
            ],
        }
    )
    return float(evaluate(problem, plan, inst.travel).objective.value)


def _worker(tree: str, day_path: str, moves: int, seed: int, cpu: float = 0.0) -> dict[str, Any]:
    """Run `run_moves` in a fresh process whose `optimizer` comes from `tree`."""
    code = (
        f"import sys, json; sys.path.insert(0, {tree!r}); "
        f"sys.path.insert(0, {str(HERE / 'benchmarks')!r}); "
        "import moves as m; "
        f"print(json.dumps(m.run_moves({day_path!r}, {moves}, {seed}"
        + (f", cpu={cpu}" if cpu else "")
        + ")))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{tree}: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.moves`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.moves", description=__doc__)
    parser.add_argument("--sizes", default="200,1000", help="orders per day, comma-separated")
    parser.add_argument("--technicians-per-order", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--against", default=None, help="another tree to compare with")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest calls")
    parser.add_argument(
        "--cpu",
        type=float,
        default=0.0,
        help="run each tree for this many CPU seconds instead of --moves (the objective at "
        "equal CPU time)",
    )
    args = parser.parse_args(argv)
    from benchmarks.generator import BadDay, generate_day

    trees = [str(HERE)] + ([args.against] if args.against else [])
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(x) for x in args.sizes.split(",") if x.strip()):
            techs = max(2, round(size * args.technicians_per_order))
            day = generate_day(size, techs, seed=args.seed, bad_day=BadDay.realistic())
            path = str(Path(tmp) / f"day{size}.json")
            Path(path).write_text(json.dumps(day))
            if args.profile:
                print(json.dumps(run_moves(path, args.moves, args.seed, args.profile)))
                continue
            rows = [(tree, _worker(tree, path, args.moves, args.seed, args.cpu)) for tree in trees]
            print(f"{size} orders, {techs} technicians, bad day, seed {args.seed}:")
            for tree, row in rows:
                print(f"  {tree}: {json.dumps(row)}")
            if len(rows) == 2:
                a, b = rows[0][1]["moves_per_cpu_second"], rows[1][1]["moves_per_cpu_second"]
                print(f"  moves/s ratio {rows[0][0]} / {rows[1][0]}: {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
