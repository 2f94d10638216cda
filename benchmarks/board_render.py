"""How long the board takes to show a 1,000-order day in Chromium.

Generates a day (`benchmarks.generator`, fixed seed), solves it in a local service (one
worker, the time limit given), then opens the plan's page in headless Chromium (Debian's) at
1280x800 several times and reports, per load, the time from navigation start to the Gantt and
map drawn (`board-drawn`, fetching the plan and its versions included) and the drawing alone
(`board-draw`). After timing it checks that the page shows one row per technician shift and
one bar per served visit.

    python -m benchmarks.board_render                       # 1,000 orders, 150 technicians
    python -m benchmarks.board_render --orders 300 --technicians 50 --loads 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from api.board.local import launch_chromium, local_service, sign_in
from benchmarks.generator import generate_day


def measure(base: str, plan_id: str, tab: Any) -> tuple[float, float]:
    """One load of the plan page: (ms to the board drawn, ms drawing it)."""
    tab.goto(f"{base}/plans/{plan_id}")
    tab.wait_for_selector("#gantt .visit", timeout=120_000)
    drawn = tab.evaluate("performance.getEntriesByName('board-drawn')[0].startTime")
    draw = tab.evaluate("performance.getEntriesByName('board-draw').at(-1).duration")
    return float(drawn), float(draw)


def check(tab: Any, problem: dict[str, Any], plan: dict[str, Any]) -> None:
    """The page shows every technician shift and every served visit."""
    shifts = sum(len(t["shifts"]) for t in problem["technicians"])
    visits = sum(1 for r in plan["routes"] for it in r["items"] if it["type"] == "visit")
    rows = tab.locator("#gantt .g-row").count()
    bars = tab.locator("#gantt .visit").count()
    if rows != shifts or bars != visits:
        raise SystemExit(f"board shows {rows} rows and {bars} bars; want {shifts} and {visits}")


def main(argv: list[str] | None = None) -> None:
    """Command line: generate, solve, load the board several times, print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--technicians", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=30.0, help="solve time limit, s")
    parser.add_argument("--loads", type=int, default=5, help="page loads to time")
    parser.add_argument("--screenshot", type=Path, help="save the loaded board as this PNG")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    problem = generate_day(args.orders, args.technicians, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'dispatch.db'}"
        with local_service(url, first_stage_seconds=0) as service:
            plan_id = service.solved_plan(problem, args.time_limit, wait=args.time_limit + 60)
            plan = service.call("GET", f"/v1/plans/{plan_id}")["plan"]
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                tab = browser.new_page(viewport={"width": 1280, "height": 800})
                sign_in(tab, service, "viewer")
                measure(service.base, plan_id, tab)  # warm-up: caches, JIT
                loads = [measure(service.base, plan_id, tab) for _ in range(args.loads)]
                check(tab, problem, plan)
                if args.screenshot is not None:
                    tab.screenshot(path=str(args.screenshot))
                browser.close()
    drawn = [d for d, _ in loads]
    draw = [d for _, d in loads]
    served = sum(1 for r in plan["routes"] for it in r["items"] if it["type"] == "visit")
    print(
        f"board of {args.orders} orders ({served} visits served, {len(plan['routes'])} routes, "
        f"{args.technicians} technicians) in Chromium, {args.loads} loads after a warm-up:"
    )
    print(
        f"  navigation to board drawn: median {statistics.median(drawn):.0f} ms, "
        f"max {max(drawn):.0f} ms"
    )
    print(
        f"  drawing Gantt and map: median {statistics.median(draw):.0f} ms, max {max(draw):.0f} ms"
    )


if __name__ == "__main__":
    main()
