"""Re-planning on generated telecom days: fast-path and recommendation latency, and the
quality of `replan` against a full re-solve from scratch on the same events.

    python -m benchmarks.replan_days [--sizes 200,500,1000] [--time-limit 10] [--seed 1]

For each size: a day of N orders and N/10 technicians is solved (`--base-limit` seconds),
then at 11:00 a crew-of-one emergency and a cancellation arrive. Reported: the fast path
(time limit 0) and `recommend` wall times (best of three), and for `replan` with the time
limit and for `solve` from scratch on the updated problem, the objective and the number of
changed orders against the morning plan.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table

from benchmarks.generator import generate_day
from models import Event, Order, Plan, Problem, load_problem
from optimizer.evaluate import changed_orders, evaluate
from optimizer.params import SolveParams
from optimizer.replan import apply_events, recommend, replan
from optimizer.solve import solve

T = TypeVar("T")


@dataclass
class Day:
    """A generated day, its morning plan, and the events of 11:00."""

    problem: Problem
    plan: Plan
    now: datetime
    events: list[Event]
    emergency: Order


def make_day(num_orders: int, seed: int = 1, base_limit: float = 5.0) -> Day:
    """A generated day of `num_orders` orders with its morning plan and an 11:00 emergency."""
    problem = load_problem(generate_day(num_orders, max(2, num_orders // 10), seed=seed))
    plan = solve(problem, SolveParams(time_limit=base_limit, workers=1, seed=seed)).plan
    return day_at_eleven(problem, plan)


def day_at_eleven(problem: Problem, plan: Plan) -> Day:
    """The day's events at 11:00 on a plan: a crew-of-one emergency, and the cancellation of
    the first order planned to start after 14:00."""
    now = problem.horizon.start.replace(hour=11, minute=0)
    template = next(o for o in problem.orders if o.crew_size == 1)
    emergency = template.model_copy(
        update={
            "id": "EMG-NEW",
            "kind": "emergency",
            "priority": 1,
            "pinned": None,
            "after": [],
            "time_windows": [],
            "required_equipment": ["toolkit"],
            "required_parts": {},
            "created_at": now,
            "due": now + timedelta(hours=2),
            "preferred_technicians": [],
        }
    )
    served = [
        it.order
        for r in plan.routes
        for it in r.items
        if it.type == "visit" and it.start > now + timedelta(hours=3)
    ]
    raw: list[dict[str, Any]] = [
        {"type": "order_added", "order": emergency.model_dump(mode="json")}
    ]
    if served:
        raw.append({"type": "order_cancelled", "order": served[0]})
    events = TypeAdapter(list[Event]).validate_python(raw)
    return Day(problem, plan, now, events, emergency)


def best_of(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Smallest wall time of `repeat` calls (one at least), and the last result."""
    began = time.perf_counter()
    out = fn()
    best = time.perf_counter() - began
    for _ in range(repeat - 1):
        began = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - began)
    return best, out


def measure(day: Day, time_limit: float) -> dict[str, float | int | bool]:
    """Latencies and quality numbers of one day."""
    fast_s, fast = best_of(
        lambda: replan(day.problem, day.plan, day.now, day.events, SolveParams(time_limit=0))
    )
    rec_s, recs = best_of(lambda: recommend(day.problem, day.plan, day.emergency, day.now, 5))
    full_replan = replan(
        day.problem, day.plan, day.now, day.events, SolveParams(time_limit=time_limit)
    )
    updated = apply_events(day.problem, day.events)
    scratch = solve(updated, SolveParams(time_limit=time_limit)).plan
    tol = timedelta(minutes=15)
    scratch_changes = changed_orders(updated, scratch, day.plan, tol, frozen_before=day.now)
    ev_scratch = evaluate(updated, scratch)
    return {
        "fast_path_s": fast_s,
        "fast_changes": len(fast.plan.changes or []),
        "fast_objective": fast.plan.objective.value,
        "recommend_s": rec_s,
        "recommendations": len(recs),
        "replan_changes": len(full_replan.plan.changes or []),
        "replan_objective": full_replan.plan.objective.value,
        "replan_feasible": full_replan.plan.status.is_feasible,
        "scratch_changes": len(scratch_changes),
        "scratch_objective": ev_scratch.objective.value,
        "scratch_feasible": ev_scratch.feasible,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.replan_days",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", default="200,500,1000")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--base-limit", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    table = Table(title=f"Re-planning at 11:00 (replan and re-solve: {args.time_limit:g} s)")
    for col in (
        "orders",
        "fast path",
        "recommend",
        "fast chg",
        "replan chg",
        "replan obj",
        "scratch chg",
        "scratch obj",
    ):
        table.add_column(col, justify="right")
    console = Console()
    for size in (int(s) for s in args.sizes.split(",")):
        day = make_day(size, args.seed, args.base_limit)
        m = measure(day, args.time_limit)
        table.add_row(
            str(size),
            f"{1000 * m['fast_path_s']:.0f} ms",
            f"{1000 * m['recommend_s']:.0f} ms",
            str(m["fast_changes"]),
            str(m["replan_changes"]),
            f"{m['replan_objective']:.0f}",
            str(m["scratch_changes"]),
            f"{m['scratch_objective']:.0f}",
        )
        console.print(f"{size}: {m}")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
