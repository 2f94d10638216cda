"""Why a priority-1 order is late: the objective's choice, or a placement the search missed.

    python -m benchmarks.late_p1 --days 20 --orders 60-400 --pick 1,2,4,6 --deterministic-limit 1

Day k is the bad-day sweep's (`benchmarks.bad_days`, same sizes, seeds and travel models),
solved with one worker under a deterministic limit. For each priority-1 order the plan serves
late or leaves out, the routes that serve it and the eligible routes passing nearest to it
(`--routes` in all) are re-decided by CP-SAT twice from the plan (`--repair-limit`
deterministic seconds each): once free, once with that order served by its due (hard). The
verdict per order:

- `infeasible`: no on-time placement in that neighbourhood that keeps the mandatory and pinned
  work it serves (other urgent work holds the crews);
- `dearer`: on time costs more than the lateness it saves (the weights prefer it late);
- `missed`: on time is cheaper than the plan (the search missed it).

A neighbourhood is not the whole day: `infeasible` and `dearer` are local verdicts.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from benchmarks.bad_days import bad_day
from models import Problem, load_problem
from optimizer.cp.build import add_hint, build, eligible_shifts, make_scope, run
from optimizer.cp.objective import solution_cost
from optimizer.instance import Instance
from optimizer.params import SolveParams
from optimizer.repair import Mode, hold, room
from optimizer.solution import Solution
from optimizer.solve import solve

OBJECTIVE_SCALE = 60 * 100
"""Internal cost units per objective unit (weights per minute, times in seconds, scaled)."""


def _near_routes(inst: Instance, sol: Solution, o: int, shifts: list[int], k: int) -> list[int]:
    """The shifts serving o, then the eligible ones whose start or stops are nearest to it."""
    own = sorted(sol.shifts_of().get(o, []))
    loc = inst.orders[o].loc

    def gap(s: int) -> int:
        route = sol.routes.get(s)
        stops = [inst.orders[x].loc for x in route.orders] if route is not None else []
        return min(inst.t(x, loc) for x in [inst.shifts[s].start_loc, *stops])

    others = sorted((s for s in shifts if s not in own), key=lambda s: (gap(s), s))
    return own + others[: max(k - len(own), inst.orders[o].crew)]


def verdicts(
    problem: Problem, deterministic_limit: float, routes: int, repair_limit: float
) -> list[dict[str, Any]]:
    """One record per priority-1 order the day's plan serves late or leaves out."""
    params = SolveParams(
        time_limit=60 * deterministic_limit + 60,
        seed=0,
        workers=1,
        deterministic_limit=deterministic_limit,
    )
    result = solve(problem, params)
    inst, sol = result.instance, result.solution
    base = solution_cost(inst, sol)
    eligible = eligible_shifts(inst)
    out = []
    for o, order in enumerate(inst.orders):
        start = sol.start.get(o)
        if order.priority != 1 or order.due is None or (start is not None and start <= order.due):
            continue
        scope_shifts = _near_routes(inst, sol, o, eligible[o], routes)
        costs: dict[bool, int | None] = {}
        for hard in (False, True):
            # On time: from a plan with room made for it where one is found (as the solver's
            # repair starts), the mandatory work served kept served.
            begin = (room(inst, sol, o, scope_shifts, eligible, params) if hard else None) or sol
            shifts = scope_shifts + [
                s for s in begin.shifts_of().get(o, []) if s not in scope_shifts
            ]
            model = build(inst, make_scope(inst, begin, shifts, [o], eligible))
            if hard and not hold(model, inst.linked_group(o), Mode.on_time, begin):
                costs[hard] = None
                continue
            add_hint(model, begin)
            found = run(
                model,
                begin,
                time_limit=60 * repair_limit + 60,
                workers=1,
                seed=0,
                deterministic_limit=repair_limit,
            ).solution
            costs[hard] = None if found is None else solution_cost(inst, found) - base
        on_time = costs[True]
        verdict = "infeasible" if on_time is None else "missed" if on_time < 0 else "dearer"
        out.append(
            {
                "order": order.id,
                "crew": order.crew,
                "mandatory": order.mandatory,
                "late_minutes": None if start is None else (start - order.due) // 60,
                "verdict": verdict,
                "on_time_extra": None if on_time is None else on_time / OBJECTIVE_SCALE,
                "free_gain": -(costs[False] or 0) / OBJECTIVE_SCALE,
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.late_p1`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.late_p1", description=__doc__)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--orders", default="60-400", help="LO-HI")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pick", default="", help="comma-separated days (default: all)")
    parser.add_argument("--deterministic-limit", type=float, default=1.0)
    parser.add_argument("--routes", type=int, default=4)
    parser.add_argument("--repair-limit", type=float, default=3.0)
    args = parser.parse_args(argv)
    lo, _, hi = args.orders.partition("-")
    days = [int(k) for k in args.pick.split(",") if k] or list(range(args.days))
    console = Console(width=150)
    tally: Counter[str] = Counter()
    for k in days:
        data = bad_day(k, args.days, (int(lo), int(hi or lo)), args.seed, False)
        for r in verdicts(
            load_problem(data), args.deterministic_limit, args.routes, args.repair_limit
        ):
            tally[r["verdict"]] += 1
            console.print(f"day {k}: {r}")
    console.print(f"verdicts: {dict(tally)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
