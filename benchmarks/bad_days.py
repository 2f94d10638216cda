"""Bad days: generated days with dawn crew outages, linked tests, long chains, pinned visits and
late shifts, solved as a dispatcher would, and what the plans do for the urgent work.

    python -m benchmarks.bad_days --days 20 --orders 60-400 --time-limit 10 --workers 2

Day k of N has `orders` spread evenly over the range (technicians = orders / 6, at least 6; a
second region past 250 orders), seed `--seed + k`, the generator's realistic bad-day mix
(`--on-call` adds on-call night shifts), vans that cover their orders on even days only (odd
days fetch tools and parts from depots), and a travel model in turn: haversine, euclidean
(the same points projected on a plane, the same speed) and an asymmetric matrix (haversine
times 1.0-1.25 per leg). Each day is solved once with `optimizer.solve.solve`.

Reported per day and in total: empty plans (0 routes), statuses, objective, wall time,
mandatory (or pinned) orders left unserved, and how many of them a solve of the day reduced to
the mandatory and pinned orders alone leaves unserved (`--must-limit`, one worker), and the
priority-1 on-time rate: priority-1 orders served by their `due`, over the priority-1 orders
that a qualified crew could reach by their `due` each on its own. An order is reachable alone
when a solve of the day reduced to that order (its `after` and `linked` references dropped; all
technicians, depots and travel kept; `--alone-limit` seconds, one worker) serves it by its
`due`. The yardstick of that rate: how many of those reachable orders a solve of the day
reduced to its priority-1 and must-serve orders (`--together-limit`, one worker) serves on
time, where they compete for the crews with each other only (a heuristic solve too, not a
bound), and which of them the plan serves late or not at all (`p1_displaced`). Records go
to `--out` (JSON); `--reuse` takes these figures from an earlier sweep's records (those it
holds) instead of solving them again. `--deterministic-limit` bounds each day's solve by
CP-SAT deterministic seconds (with `--workers 1`, the same plans on a loaded machine: sweeps
compare).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.generator import BadDay, generate_day
from models import Order, Problem, load_problem
from models.plan import Plan, VisitItem
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.solve import solve

TRAVEL_MODELS = ("haversine", "euclidean", "matrix")
EARTH_KM = 6371.0088


def _points(day: dict[str, Any]) -> list[dict[str, Any]]:
    """Every location object of a generated day (shift starts, orders, depots)."""
    out = [shift["start_location"] for t in day["technicians"] for shift in t["shifts"]]
    return out + [o["location"] for o in day["orders"]] + [d["location"] for d in day["depots"]]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la, lb = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((lb - la) / 2) ** 2
        + math.cos(la) * math.cos(lb) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def with_travel(day: dict[str, Any], model: str, seed: int) -> dict[str, Any]:
    """The generated (haversine) day with another travel model at about the same times.

    `euclidean`: each lat/lon projected to km around the first point (equirectangular), at the
    day's speed over its detour factor; `matrix`: one node per distinct point, haversine time
    times a factor drawn from 1.0-1.25 per ordered pair (asymmetric).
    """
    if model == "haversine":
        return day
    travel = day["travel"]
    km_per_minute = travel["speed_kmh"] / 60 / travel["detour_factor"]
    points = _points(day)
    if model == "euclidean":
        lat0, lon0 = points[0]["lat"], points[0]["lon"]
        scale = math.cos(math.radians(lat0))
        for p in points:
            lat, lon = p.pop("lat"), p.pop("lon")
            p["x"] = round(math.radians(lon - lon0) * EARTH_KM * scale, 4)
            p["y"] = round(math.radians(lat - lat0) * EARTH_KM, 4)
        day["travel"] = {"model": "euclidean", "speed": km_per_minute}
        return day
    if model != "matrix":
        raise ValueError(f"unknown travel model {model!r}")
    rng = random.Random(seed)
    where = sorted({(p["lat"], p["lon"]) for p in points})
    node = {pt: f"n{k}" for k, pt in enumerate(where)}
    seconds = [
        [
            0.0 if a == b else round(60 * _km(a, b) / km_per_minute * rng.uniform(1.0, 1.25))
            for b in where
        ]
        for a in where
    ]
    for p in points:
        p["node"] = node[(p.pop("lat"), p.pop("lon"))]
    day["travel"] = {"model": "matrix", "nodes": list(node.values()), "seconds": seconds}
    return day


def bad_day(
    k: int, days: int, orders: tuple[int, int], seed: int, on_call: bool
) -> dict[str, Any]:
    """Day k of the sweep as a JSON problem (see the module docstring)."""
    lo, hi = orders
    num_orders = round(lo + (hi - lo) * k / max(1, days - 1))
    day = generate_day(
        num_orders,
        max(6, round(num_orders / 6)),
        seed + k,
        regions=1 + num_orders // 250,
        vans_cover_orders=k % 2 == 0,
        bad_day=BadDay.realistic(on_call=on_call),
    )
    return with_travel(day, TRAVEL_MODELS[k % len(TRAVEL_MODELS)], seed + k)


def _starts(plan: Plan) -> dict[str, Any]:
    return {
        item.order: item.start
        for route in plan.routes
        for item in route.items
        if isinstance(item, VisitItem)
    }


def _must(order: Order) -> bool:
    """The order must be served: mandatory or pinned."""
    return order.mandatory or order.pinned is not None


def solve_only(problem: Problem, keep: set[str], limit: float) -> dict[str, datetime]:
    """Starts of a one-worker solve of the problem reduced to some of its orders (their
    `after` and `linked` references to orders left out dropped)."""
    orders = [
        o.model_copy(
            update={
                "after": [a for a in o.after if a in keep],
                "linked": [k for k in o.linked if k.order in keep],
            }
        )
        for o in problem.orders
        if o.id in keep
    ]
    reduced = problem.model_copy(update={"orders": orders})
    return _starts(solve(reduced, SolveParams(time_limit=limit, seed=0, workers=1)).plan)


def reachable_alone(problem: Problem, order: Order, limit: float) -> bool:
    """Whether a solve of the problem reduced to this one order serves it by its due."""
    start = solve_only(problem, {order.id}, limit).get(order.id)
    return start is not None and (order.due is None or start <= order.due)


def run_day(
    problem: Problem,
    time_limit: float,
    workers: int,
    alone_limit: float,
    must_limit: float,
    deterministic_limit: float | None = None,
    known: dict[str, Any] | None = None,
    together_limit: float = 10.0,
) -> dict[str, Any]:
    """Solve a day and measure its plan (see the module docstring); `known`: this day's
    record of an earlier sweep, whose reachable-alone and must-alone figures are reused."""
    began = time.perf_counter()
    params = SolveParams(
        time_limit=time_limit, seed=0, workers=workers, deterministic_limit=deterministic_limit
    )
    plan = solve(problem, params).plan
    wall = time.perf_counter() - began
    evaluation = evaluate(problem, plan)
    starts = _starts(plan)
    urgent = [o for o in problem.orders if o.priority == 1]
    on_time = [o.id for o in urgent if o.id in starts and (o.due is None or starts[o.id] <= o.due)]
    mandatory = {o.id for o in problem.orders if _must(o)}
    known = known or {}
    if "p1_reachable_ids" in known:
        reachable = list(known["p1_reachable_ids"])
        served_alone = known["mandatory_served_alone"]
    else:
        reachable = [o.id for o in urgent if reachable_alone(problem, o, alone_limit)]
        served_alone = len(solve_only(problem, mandatory, must_limit)) if mandatory else 0
    if "p1_on_time_p1_only_ids" in known:
        p1_only = list(known["p1_on_time_p1_only_ids"])
    else:
        # The yardstick: the P1 orders compete for the same crews only with each other.
        keep = {o.id for o in urgent} | mandatory
        alone = solve_only(problem, keep, together_limit)
        p1_only = [
            o.id
            for o in urgent
            if o.id in reachable and o.id in alone and (o.due is None or alone[o.id] <= o.due)
        ]
    return {
        "status": plan.status.value,
        "routes": len(plan.routes),
        "empty": len(plan.routes) == 0,
        "served": len(starts),
        "unassigned": len(plan.unassigned),
        "objective": plan.objective.value,
        "evaluator_feasible": bool(evaluation.feasible),
        "violations": [str(v) for v in evaluation.violations][:10],
        "wall_time": round(wall, 2),
        "mandatory": len(mandatory),
        "mandatory_unserved": sorted(mandatory - set(starts)),
        "mandatory_served_alone": served_alone,
        "p1": len(urgent),
        "p1_served": sum(o.id in starts for o in urgent),
        "p1_reachable_alone": len(reachable),
        "p1_reachable_ids": sorted(reachable),
        "p1_on_time": len(on_time),
        "p1_on_time_of_reachable": len(set(on_time) & set(reachable)),
        "p1_late_or_unserved": sorted(set(reachable) - set(on_time)),
        "p1_on_time_ids": sorted(on_time),
        "p1_on_time_p1_only": len(p1_only),
        "p1_on_time_p1_only_ids": sorted(p1_only),
        # Late (or left out) here but on time when the P1 orders have the day to themselves.
        "p1_displaced": sorted(set(p1_only) - set(on_time)),
        "wall_limit_bound": bool(plan.solver.get("wall_limit_bound", False)),
    }


def _range(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo)


def _rate(num: int, den: int) -> str:
    return f"{num}/{den} ({100 * num / den:.0f}%)" if den else f"{num}/0"


def print_report(records: Sequence[dict[str, Any]], console: Console) -> dict[str, Any]:
    """Print the per-day table and the totals; return the totals."""
    table = Table(title="bad days")
    cols = (
        "day", "orders", "techs", "travel", "status", "routes", "unassigned",
        "mandatory unserved (alone)", "P1 on time / reachable alone", "P1-only day",
        "objective", "time (s)",
    )  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("travel", "status") else "right")
    for r in records:
        table.add_row(
            str(r["day"]),
            str(r["orders"]),
            str(r["technicians"]),
            r["travel"],
            r["status"] if r["routes"] else f"[red]{r['status']} (empty)[/red]",
            str(r["routes"]),
            str(r["unassigned"]),
            f"{len(r['mandatory_unserved'])}/{r['mandatory']} "
            f"(alone {r['mandatory'] - r['mandatory_served_alone']})",
            _rate(r["p1_on_time_of_reachable"], r["p1_reachable_alone"]),
            str(r["p1_on_time_p1_only"]),
            f"{r['objective']:.0f}",
            f"{r['wall_time']:.1f}",
        )
    console.print(table)
    totals = {
        "days": len(records),
        "empty_plans": sum(r["empty"] for r in records),
        "statuses": dict(Counter(r["status"] for r in records)),
        "mandatory_unserved": sum(len(r["mandatory_unserved"]) for r in records),
        "mandatory": sum(r["mandatory"] for r in records),
        "days_all_mandatory_served_alone": sum(
            r["mandatory_served_alone"] == r["mandatory"] for r in records
        ),
        "p1": sum(r["p1"] for r in records),
        "p1_reachable_alone": sum(r["p1_reachable_alone"] for r in records),
        "p1_on_time_of_reachable": sum(r["p1_on_time_of_reachable"] for r in records),
        "p1_on_time": sum(r["p1_on_time"] for r in records),
        "p1_on_time_p1_only": sum(r["p1_on_time_p1_only"] for r in records),
        "p1_displaced": sum(len(r["p1_displaced"]) for r in records),
        "objective": round(sum(r["objective"] for r in records), 1),
        "mean_wall_time": round(sum(r["wall_time"] for r in records) / max(1, len(records)), 2),
    }
    console.print(
        f"empty plans {totals['empty_plans']}/{totals['days']}; statuses {totals['statuses']}; "
        f"mandatory unserved {totals['mandatory_unserved']}/{totals['mandatory']} (all served "
        f"when solved alone on {totals['days_all_mandatory_served_alone']} days); "
        f"P1 on time / reachable alone "
        f"{_rate(totals['p1_on_time_of_reachable'], totals['p1_reachable_alone'])} "
        f"(P1 on time {totals['p1_on_time']} of {totals['p1']}; of the reachable, on time "
        f"in the P1-only day {totals['p1_on_time_p1_only']}, late in the plan but on time "
        f"in the P1-only day {totals['p1_displaced']}); "
        f"objective sum {totals['objective']:.0f}"
    )
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.bad_days`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bad_days", description=__doc__)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--orders", type=_range, default=(60, 400), help="LO-HI")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--deterministic-limit",
        type=float,
        default=None,
        help="CP-SAT deterministic seconds per day (with --workers 1: a reproducible sweep; "
        "--time-limit stays the safety stop)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--on-call", action="store_true", help="add on-call night shifts")
    parser.add_argument("--alone-limit", type=float, default=2.0, help="seconds per order alone")
    parser.add_argument(
        "--must-limit", type=float, default=10.0, help="seconds for the must-serve orders alone"
    )
    parser.add_argument(
        "--together-limit",
        type=float,
        default=10.0,
        help="seconds for the day reduced to its priority-1 and must-serve orders",
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="records of an earlier sweep of the same days: their reachable-alone and "
        "must-alone figures are reused (the same denominators before and after a change)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/bad_days.json"))
    args = parser.parse_args(argv)
    earlier = {}
    if args.reuse is not None:
        earlier = {r["seed"]: r for r in json.loads(args.reuse.read_text())["days"]}
    console = Console(width=150)
    records = []
    for k in range(args.days):
        data = bad_day(k, args.days, args.orders, args.seed, args.on_call)
        problem = load_problem(data)
        record = {
            "day": k,
            "seed": args.seed + k,
            "orders": len(problem.orders),
            "technicians": len(problem.technicians),
            "travel": problem.travel.model,
            **run_day(
                problem,
                args.time_limit,
                args.workers,
                args.alone_limit,
                args.must_limit,
                args.deterministic_limit,
                earlier.get(args.seed + k),
                args.together_limit,
            ),
        }
        records.append(record)
        console.print(
            f"day {k}: {record['orders']} orders {record['travel']} {record['status']} "
            f"routes={record['routes']} P1 {record['p1_on_time_of_reachable']}/"
            f"{record['p1_reachable_alone']} objective {record['objective']:.0f} "
            f"{record['wall_time']:.1f}s"
        )
    totals = print_report(records, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    params = {k: v for k, v in vars(args).items() if k != "out"}
    args.out.write_text(
        json.dumps({"params": params, "totals": totals, "days": records}, indent=1, default=str)
        + "\n"
    )
    console.print(f"records in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
