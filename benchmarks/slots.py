"""Slot offer latency: eight candidate windows for a new installation on generated days,
answered against the morning plan at 11:00.

    python -m benchmarks.slots [--sizes 200,500,1000] [--repeat 15] [--seed 1]

For each size: a day of N orders and N/10 technicians is solved (`--base-limit` seconds),
then `slot_offers` answers eight one-hour windows from 11:00 to 19:00, `--repeat` times;
reported are the median wall and CPU times with the day's travel matrix computed in the
call (`cold`) and kept from an earlier call on the same plan version (`kept`, as the
service does), and how many windows fit. The first feasible option is then booked through
`replan` and the evaluator holds the result, so the figures are of right answers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from rich.console import Console
from rich.table import Table

from benchmarks.replan_days import Day, make_day
from models import Order, Window
from models.events import OrderAdded
from models.problem import Pin
from models.slots import SlotOffer
from optimizer.evaluate import evaluate
from optimizer.params import SolveParams
from optimizer.replan import replan
from optimizer.slots import slot_offers
from optimizer.travel import TravelMatrix

NUM_WINDOWS = 8


def slot_order(day: Day) -> Order:
    """A 45-minute installation at the emergency's place, without a window or a due."""
    return day.emergency.model_copy(
        update={
            "id": "BOOK-NEW",
            "kind": "installation",
            "priority": 3,
            "due": None,
            "created_at": None,
            "required_equipment": [],
            "duration": timedelta(minutes=45),
        }
    )


def windows(day: Day) -> list[Window]:
    """Eight one-hour windows from `now` (11:00)."""
    return [
        Window(start=day.now + timedelta(hours=h), end=day.now + timedelta(hours=h + 1))
        for h in range(NUM_WINDOWS)
    ]


def timed(fn: Callable[[], list[SlotOffer]], repeat: int) -> tuple[float, float, list[SlotOffer]]:
    """Median wall and CPU seconds of `repeat` calls, and the last answer."""
    walls, cpus = [], []
    out: list[SlotOffer] = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), out


def check_offers(day: Day, order: Order, offers: list[SlotOffer]) -> None:
    """Every option starts inside its window, cheapest first; the first feasible one, booked
    through re-planning on its technician, is served in the window and the plan is
    feasible."""
    assert len(offers) == NUM_WINDOWS
    for offer in offers:
        assert offer.feasible == bool(offer.options) and (offer.reason is None) == offer.feasible
        costs = [o.cost_delta for o in offer.options]
        assert costs == sorted(costs)
        for o in offer.options:
            assert offer.window.start <= o.start <= offer.window.end and o.arrival <= o.start
    first = next((o for o in offers if o.feasible), None)
    if first is None:
        return
    booked = order.model_copy(
        update={
            "time_windows": [first.window],
            "pinned": Pin(technician=first.options[0].technician),
        }
    )
    event = OrderAdded(type="order_added", order=booked)
    result = replan(day.problem, day.plan, day.now, [event], SolveParams(time_limit=0))
    visit = next(
        it
        for r in result.plan.routes
        for it in r.items
        if it.type == "visit" and it.order == booked.id
    )
    assert first.window.start <= visit.start <= first.window.end
    ev = evaluate(result.problem, result.plan, previous=day.plan, frozen_before=day.now)
    assert ev.feasible, [str(v) for v in ev.violations[:5]]


def measure(day: Day, repeat: int) -> dict[str, float | int]:
    """Cold and kept-matrix latencies on one day, checked."""
    order, wins = slot_order(day), windows(day)
    kept = TravelMatrix.from_problem(day.problem)
    cold_wall, cold_cpu, offers = timed(
        lambda: slot_offers(day.problem, day.plan, order, wins, day.now, 3), repeat
    )
    kept_wall, kept_cpu, again = timed(
        lambda: slot_offers(day.problem, day.plan, order, wins, day.now, 3, travel=kept), repeat
    )
    assert again == offers
    check_offers(day, order, offers)
    return {
        "cold_wall_ms": 1000 * cold_wall,
        "cold_cpu_ms": 1000 * cold_cpu,
        "kept_wall_ms": 1000 * kept_wall,
        "kept_cpu_ms": 1000 * kept_cpu,
        "feasible": sum(o.feasible for o in offers),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.slots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", default="200,500,1000")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--base-limit", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    table = Table(title=f"Slot offers: {NUM_WINDOWS} windows at 11:00 (median of {args.repeat})")
    for col in ("orders", "cold wall", "cold CPU", "kept wall", "kept CPU", "windows that fit"):
        table.add_column(col, justify="right")
    console = Console()
    for size in (int(s) for s in args.sizes.split(",")):
        m = measure(make_day(size, args.seed, args.base_limit), args.repeat)
        table.add_row(
            str(size),
            f"{m['cold_wall_ms']:.0f} ms",
            f"{m['cold_cpu_ms']:.0f} ms",
            f"{m['kept_wall_ms']:.0f} ms",
            f"{m['kept_cpu_ms']:.0f} ms",
            f"{m['feasible']}/{NUM_WINDOWS}",
        )
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
