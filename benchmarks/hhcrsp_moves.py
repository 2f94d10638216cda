"""Ruin and recreate alone on hhcrsp instances: a comparison of removal settings by moves.

    python -m benchmarks.hhcrsp_moves --instances C1,D1 --seeds 1,2 --moves 300 \\
        --set late_share=0 --set late_share=0.5

Each instance is compiled once and given its first plan (`optimizer.construct.first_plan`, the
cheapest of `--tries` constructions, `--moves 0`: the first plan only); each setting
(`--set` with `key=value,...` of `ruin_recreate` parameters; none: the defaults) then makes
`--moves` moves of one chain from that plan for each seed, with the threshold falling over the
moves (no clock, no CP-SAT stages), so the result depends only on the code, the setting and
the seed and a loaded machine changes the CPU time only. Printed per instance: the first
plan's gap; per run: the gap of (D + T + Tmax) / 3 to `bks`, the terms (instance units, D
read off the whole-second matrix) and moves per CPU second; then per family and setting the
mean gap, runs better / worse than the first setting, and where the excess over `bks` lies:
the mean of (D - D_bks) / 3 and of (T + Tmax - T_bks - Tmax_bks) / 3 (objective units, the
published solution's terms). `C1,...,C10` in `--instances` stands for C1 to C10.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any

from benchmarks import hhcrsp
from benchmarks.suites import expand_names
from optimizer.construct import first_plan
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.instance import Instance, compile_problem
from optimizer.params import SolveParams
from optimizer.ruin import RuinRecreate, anneal
from optimizer.solution import Solution


def terms(inst: Instance, sol: Solution) -> tuple[float, float, float]:
    """D, T and Tmax of a solution of an hhcrsp instance, in instance units."""
    rows = inst.travel.rows
    distance = 0
    for s, r in sol.routes.items():
        if r.orders:
            shift = inst.shifts[s]
            locs = [shift.start_loc, *(inst.orders[o].loc for o in r.orders), shift.end_loc]
            distance += sum(rows[a][b] for a, b in itertools.pairwise(locs))
    late = [
        max(0, st - due) for o, st in sol.start.items() if (due := inst.orders[o].due) is not None
    ]
    scale = hhcrsp.SCALE
    return distance / scale, sum(late) / scale, max(late, default=0) / scale


def labels(text: str) -> list[str]:
    """The labels of `--instances`: `X,...,Y` stands for every label from X to Y."""
    return expand_names("hhcrsp", text)


def bks_terms(name: str) -> tuple[float, float, float]:
    """D, T and Tmax of the published best-known solution of `name`."""
    row = hhcrsp.read_bks()[name]
    return (
        float(row["bks_distance"]),
        float(row["bks_total_tardiness"]),
        float(row["bks_max_tardiness"]),
    )


def record(inst: Instance, name: str, sol: Solution) -> dict[str, Any]:
    """Gap to `bks`, terms and their excess over the published terms of a solution."""
    d, t, tmax = terms(inst, sol)
    bd, bt, btmax = bks_terms(name)
    bks = hhcrsp.bks_value(name)
    return {
        "instance": name,
        "gap": 100 * ((d + t + tmax) / 3 - bks) / bks,
        "D": d,
        "T": t,
        "Tmax": tmax,
        "excess_D": (d - bd) / 3,
        "excess_T": (t + tmax - bt - btmax) / 3,
        "unserved": len(inst.orders) - len(sol.start),
    }


def setting(text: str) -> dict[str, float]:
    """`key=value,...` as ruin-and-recreate parameter overrides."""
    out = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        out[key.strip()] = float(value)
    return out


def run(
    name: str,
    settings: Sequence[dict[str, float]],
    seeds: Sequence[int],
    moves: int,
    tries: int = 1,
) -> Iterator[dict[str, Any]]:
    """One record per setting and seed on instance `name`, after one of its first plan
    (setting -1, the cheapest of `tries` constructions, `optimizer.construct.first_plan`)."""
    inst = compile_problem(hhcrsp.to_problem(hhcrsp.load(name)))
    eligible = eligible_shifts(inst)
    began = time.process_time()
    first = first_plan(inst, eligible, tries=tries)
    first.cost = solution_cost(inst, first)
    yield {
        **record(inst, name, first),
        "setting": -1,
        "seed": 0,
        "cpu": time.process_time() - began,
        "moves": 0,
    }
    for k, over in enumerate(settings if moves > 0 else ()):
        base = SolveParams()
        params = base.model_copy(
            update={"ruin_recreate": base.ruin_recreate.model_copy(update=over)}
        )
        for seed in seeds:
            rng = random.Random(seed)
            rr = RuinRecreate(inst, eligible, rng, params)
            began = time.process_time()
            best, made = anneal(
                inst, eligible, first, rng, iterations=moves, clock=lambda n: n / moves, rr=rr
            )
            yield {
                **record(inst, name, best),
                "setting": k,
                "seed": seed,
                "cpu": time.process_time() - began,
                "moves": made,
            }


def summary(records: Sequence[dict[str, Any]], num_settings: int) -> list[str]:
    """Per family and setting: runs, mean gap, better / worse than setting 0, mean excess
    of D and of T + Tmax over the published terms (first plans, setting -1, left out)."""
    lines = []
    records = [r for r in records if r["setting"] >= 0]
    by_key = {(r["instance"], r["seed"], r["setting"]): r for r in records}
    families = sorted({hhcrsp.family(r["instance"]) for r in records})
    for fam in [*families, "all"]:
        keys = sorted(
            {(r["instance"], r["seed"]) for r in records}
            if fam == "all"
            else {
                (r["instance"], r["seed"]) for r in records if hhcrsp.family(r["instance"]) == fam
            }
        )
        keys = [k for k in keys if all((*k, s) in by_key for s in range(num_settings))]
        if not keys:
            continue
        cells = []
        for s in range(num_settings):
            runs = [by_key[(*k, s)] for k in keys]
            gaps = [r["gap"] for r in runs]
            cell = f"{sum(gaps) / len(gaps):.2f}%"
            cell += " (excess D {:.1f}, T+Tmax {:.1f})".format(
                sum(r["excess_D"] for r in runs) / len(runs),
                sum(r["excess_T"] for r in runs) / len(runs),
            )
            if s:
                better = sum(by_key[(*k, s)]["gap"] < by_key[(*k, 0)]["gap"] - 0.01 for k in keys)
                worse = sum(by_key[(*k, s)]["gap"] > by_key[(*k, 0)]["gap"] + 0.01 for k in keys)
                cell += f" ({better} better, {worse} worse)"
            cells.append(cell)
        lines.append(f"{fam}: {len(keys)} runs: " + " | ".join(cells))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.hhcrsp_moves", description=__doc__)
    ap.add_argument("--instances", required=True, help="comma-separated bks labels")
    ap.add_argument("--seeds", default="1", help="comma-separated seeds")
    ap.add_argument("--moves", type=int, default=300, help="moves per run")
    ap.add_argument(
        "--tries",
        type=int,
        default=SolveParams().search.construct_tries,
        help="first plans built, the cheapest kept (search.construct_tries)",
    )
    ap.add_argument("--set", action="append", default=[], help="key=value,... (repeatable)")
    args = ap.parse_args(argv)
    settings = [setting(text) for text in args.set] or [{}]
    seeds = [int(x) for x in args.seeds.split(",")]
    records = []
    for name in labels(args.instances):
        for rec in run(name, settings, seeds, args.moves, args.tries):
            records.append(rec)
            what = "first plan" if rec["setting"] < 0 else f"setting {rec['setting']}"
            rate = rec["moves"] / max(rec["cpu"], 1e-9)
            print(
                f"{rec['instance']} {what} seed {rec['seed']}: "
                f"gap {rec['gap']:.2f}% D {rec['D']:.1f} T {rec['T']:.1f} "
                f"Tmax {rec['Tmax']:.1f} (excess D {rec['excess_D']:.1f}, T+Tmax "
                f"{rec['excess_T']:.1f}) unserved {rec['unserved']} cpu {rec['cpu']:.1f}s "
                f"{rate:.0f} moves/s",
                flush=True,
            )
    for line in summary(records, len(settings)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
