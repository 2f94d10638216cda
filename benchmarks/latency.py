"""Latency of the emergency coordinator's calls on generated bad days: `recommend` (where a
new emergency would fit) and the re-planning fast path (an event handled without a search:
`replan` with time limit 0), medians and 90th percentiles over many events.

    python -m benchmarks.latency [--orders 500] [--seeds 1,2] [--events 20]
    python -m benchmarks.latency --against /work/main        # the same events, both codes

Each day is generated (`benchmarks.generator`, every bad-day part at its realistic amount,
technicians = orders / 6 as in `benchmarks.bad_days`) and solved once (`--base-limit`
seconds, one worker); the problem and its plan are kept in `--workdir` and reused when they
are there. Then, per day, a fresh
process of each code (this checkout, and every `--against` checkout, in turn) loads the day
and times, one call after another on the morning plan (not chained):

- `recommend`: `--events` new emergencies (crew of one, priority 1, due 2 h after they are
  reported), at the location of one of the day's orders, reported between 09:00 and 15:00,
  k = 5;
- `fast path`: `--events` events, in turn a new emergency as above, a cancellation of a visit
  due to start at least an hour later, and an overrun (a visit under way at `now` ends 45
  minutes late): `replan(..., SolveParams(time_limit=0))`.

Each call is the whole function as a caller makes it: from the validated problem and plan
objects to the result (events applied, residual day compiled, travel matrix built, the plan
scored by the evaluator), nothing kept from one call to the next. Where the code takes a
travel matrix kept by the caller (`travel=`, `optimizer.replan.day_matrix`), the same calls
are timed again with the day's matrix built once beforehand (`*_kept`; `day_matrix` is the
time to build it) and must give the same results. Where the code takes the day kept whole
(`day=`, `optimizer.replan.keep_day`: the matrix and the compiled day, made once per plan
version by a board or the service; `keep_day` is the time to make it), the calls are timed
a third time with it (`*_day`), again with the same results. The first call of each kind
warms the process up and is not counted. Wall time (`perf_counter`) and the process's CPU time
(`process_time`, which a loaded machine inflates less) are reported. `--service` also times
the service's task functions (`api.worker.recommend_task` / `replan_task`: the JSON problem
and plan validated, then the call; what a task process runs, the process start excluded),
and `recommend_task_kept` with the version's matrix passed in, as the service without day
workers passes the one it keeps from an earlier call on the version; where the service has day
workers (`api.day_workers`: long-lived task processes that keep the versions asked about),
`recommend_task_day` and `replan_task_day` time what a day worker runs for a call on a version
it keeps (the order or events validated, the call with the day kept, the result as JSON; the
same results asserted), and `keep_version` what it runs once per version (the problem and plan
validated, `keep_day`). The pipe to the task process is not included.
`--cli N` also times N runs of `dispatch recommend` per day and code, each a new process
(wall, and the child's CPU time): what a coordinator at a terminal waits for.
Every result is checked after it is timed: recommendations sorted by cost, and the fast path's
plan assessed by the evaluator (`faulty plans`: plans with a violation other than an unserved
mandatory order, which the morning plan may already have).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
"""The checkout this file belongs to (the code measured without `--against`)."""

KINDS = (
    *("recommend", "fast_path", "recommend_kept", "fast_path_kept", "recommend_day"),
    *("fast_path_day", "recommend_task", "recommend_task_kept", "recommend_task_day"),
    *("replan_task", "replan_task_day", "cli_recommend", "day_matrix", "keep_day"),
    "keep_version",
)

Timings = dict[str, list[Sequence[float]]]
"""By kind of call, each sample: wall and CPU seconds (and the faulty plans, for a re-plan)."""


# --------------------------------------------------------------------------- days


def make_day(workdir: Path, orders: int, seed: int, base_limit: float) -> tuple[Path, Path]:
    """The generated day's problem and morning plan files (made once, then reused)."""
    from benchmarks.generator import BadDay, generate_day
    from models import load_problem
    from optimizer.params import SolveParams
    from optimizer.solve import solve

    problem_path = workdir / f"day-{orders}-s{seed}.json"
    plan_path = workdir / f"day-{orders}-s{seed}.plan.json"
    if not (problem_path.exists() and plan_path.exists()):
        doc = generate_day(orders, max(2, orders // 6), seed=seed, bad_day=BadDay.realistic())
        problem = load_problem(doc)
        params = SolveParams(time_limit=base_limit, workers=1, seed=seed)
        plan = solve(problem, params).plan
        problem_path.write_text(json.dumps(doc))
        plan_path.write_text(plan.model_dump_json(exclude_none=True))
    return problem_path, plan_path


# --------------------------------------------------------------------------- one process


def _events(problem: Any, plan: Any, count: int, seed: int) -> list[dict[str, Any]]:
    """The day's test events as JSON: (kind, now, order or event), reproducible."""
    import random

    rng = random.Random(seed)
    day = problem.horizon.start
    start = day.replace(hour=9, minute=0)
    singles = [o for o in problem.orders if o.crew_size == 1 and not o.linked]
    visits = [(r, it) for r in plan.routes for it in r.items if it.type == "visit"]
    out = []
    for i in range(count):
        now = start + timedelta(minutes=rng.randrange(0, 6 * 60))
        template = rng.choice(singles)
        emergency = template.model_copy(
            update={
                "id": f"EMG-LAT-{i:03d}",
                "kind": "emergency",
                "priority": 1,
                "mandatory": False,
                "pinned": None,
                "after": [],
                "linked": [],
                "time_windows": [],
                "preferred_technicians": [],
                "created_at": now,
                "due": now + timedelta(hours=2),
            }
        ).model_dump(mode="json", exclude_none=True)
        event: dict[str, Any] = {"type": "order_added", "order": emergency}
        if i % 3 == 1:
            later = [it for _, it in visits if it.start >= now + timedelta(hours=1)]
            if later:
                event = {"type": "order_cancelled", "order": rng.choice(later).order}
        elif i % 3 == 2:
            under_way = [it for _, it in visits if it.start < now < it.end]
            if under_way:
                it = rng.choice(under_way)
                late = (it.end + timedelta(minutes=45)).isoformat()
                event = {"type": "visit_delayed", "order": it.order, "expected_end": late}
        out.append({"now": now.isoformat(), "order": emergency, "event": event})
    return out


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def measure(problem_path: Path, plan_path: Path, count: int, seed: int, service: bool) -> Timings:
    """Time every kind of call over the day's events in this process; check each result."""
    from pydantic import TypeAdapter

    from models import Event, Order, Plan, load_problem
    from optimizer.evaluate import evaluate
    from optimizer.params import SolveParams
    from optimizer.replan import recommend, replan

    doc = json.loads(problem_path.read_text())
    plan_doc = json.loads(plan_path.read_text())
    problem = load_problem(doc)
    plan = Plan.model_validate(plan_doc)
    events = _events(problem, plan, count + 1, seed)
    adapter: TypeAdapter[list[Event]] = TypeAdapter(list[Event])
    times: Timings = {k: [] for k in KINDS}
    # A code that takes a kept matrix (`travel=`) is timed with the day's matrix too.
    kept = None
    if "travel" in inspect.signature(recommend).parameters:
        from optimizer.replan import day_matrix

        wall, cpu, kept = _timed(day_matrix, problem)
        times["day_matrix"] = [(wall, cpu)]
    # A code that takes the day kept whole (`day=`, `optimizer.replan.keep_day`: the matrix
    # and the compiled day) is timed with it too.
    day = None
    if "day" in inspect.signature(recommend).parameters:
        from optimizer.replan import keep_day

        wall, cpu, day = _timed(keep_day, problem)
        times["keep_day"] = [(wall, cpu)]
    version = None  # the version a day worker keeps (`--service`, when the code has them)
    for i, item in enumerate(events):
        now = datetime.fromisoformat(item["now"])
        order = Order.model_validate(item["order"])
        wall, cpu, recs = _timed(recommend, problem, plan, order, now, 5)
        assert [r.cost_delta for r in recs] == sorted(r.cost_delta for r in recs)
        if i:
            times["recommend"].append((wall, cpu))
        evs = adapter.validate_python([item["event"]])
        params = SolveParams(time_limit=0)
        wall, cpu, result = _timed(replan, problem, plan, now, evs, params)
        ev = evaluate(result.problem, result.plan, previous=plan, frozen_before=now)
        # An unserved mandatory order is what the plan says; anything else is a fault, counted.
        broken = [str(v) for v in ev.violations if v.code != "mandatory"]
        if i:
            times["fast_path"].append((wall, cpu, len(broken)))
            times.setdefault(f"fast_path[{item['event']['type']}]", []).append(
                (wall, cpu, len(broken))
            )
        # The same calls with what the caller keeps: the day's matrix, then the whole day.
        kept_args: list[tuple[str, dict[str, Any]]] = []
        if kept is not None:
            kept_args.append(("kept", {"travel": kept}))
        if day is not None:
            kept_args.append(("day", {"day": day}))
        for name, extra in kept_args:
            wall, cpu, same = _timed(recommend, problem, plan, order, now, 5, **extra)
            assert same == recs, f"the {name} {list(extra)} changed the recommendations"
            if i:
                times[f"recommend_{name}"].append((wall, cpu))
            wall, cpu, again = _timed(replan, problem, plan, now, evs, params, **extra)
            assert again.plan.routes == result.plan.routes, f"the {name} changed the plan"
            assert again.plan.objective == result.plan.objective, f"the {name} changed the cost"
            if i:
                times[f"fast_path_{name}"].append((wall, cpu, len(broken)))
        if not service:
            continue
        import api.worker as tasks

        # A service with day workers keeps the version (`api.day_workers`): each call on it
        # is the kept task alone, from the small arguments the worker is sent.
        if version is None and hasattr(tasks, "keep_version"):
            wall, cpu, version = _timed(tasks.keep_version, doc, plan_doc)
            times["keep_version"] = [(wall, cpu)]
        # What the service sends (older services also sent the problem without the order).
        args = {"problem": doc, "with_order": {**doc, "orders": [*doc["orders"], item["order"]]}}
        args |= {"plan": plan_doc, "now": item["now"], "k": 5}
        wall, cpu, fresh = _timed(tasks.recommend_task, args)
        if i:
            times["recommend_task"].append((wall, cpu))
        if kept is not None:  # the version's matrix kept by the service, passed to the task
            given = {**args, "travel": (kept.keys, kept.seconds)}
            wall, cpu, _ = _timed(tasks.recommend_task, given)
            if i:
                times["recommend_task_kept"].append((wall, cpu))
        if version is not None:
            small = tasks.kept_args("recommend", args)
            wall, cpu, same = _timed(tasks.kept_recommend, version, small)
            assert same["items"] == fresh["items"], "the day worker changed the recommendations"
            if i:
                times["recommend_task_day"].append((wall, cpu))
        args = {"problem": doc, "plan": plan_doc, "now": item["now"], "events": [item["event"]]}
        args |= {"params": {"time_limit": 0}, "tolerance": 900}
        wall, cpu, fresh = _timed(tasks.replan_task, args)
        if i:
            times["replan_task"].append((wall, cpu))
        if version is not None:
            small = tasks.kept_args("replan", args)
            wall, cpu, same = _timed(tasks.kept_replan, version, small)
            assert same["plan"]["routes"] == fresh["plan"]["routes"], "the day worker changed it"
            assert same["changes"] == fresh["changes"], "the day worker changed the changes"
            if i:
                times["replan_task_day"].append((wall, cpu))
    return {k: v for k, v in times.items() if v}


def _worker(argv: Sequence[str]) -> int:
    """`measure` in this process, JSON on stdout (run by `run_code` under another code)."""
    problem_path, plan_path, count, seed, service = argv
    found = measure(Path(problem_path), Path(plan_path), int(count), int(seed), service == "1")
    import optimizer

    print(json.dumps({"module": optimizer.__file__, "times": found}))
    return 0


def run_code(
    code: Path, problem: Path, plan: Path, count: int, seed: int, service: bool
) -> Timings:
    """`measure` in a fresh process that imports `models`, `optimizer` and `api` from `code`."""
    stub = (
        "import runpy, sys; sys.path.insert(0, sys.argv[1]); "
        "sys.argv = [sys.argv[2], *sys.argv[3:]]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    argv = [str(problem.resolve()), str(plan.resolve()), str(count), str(seed)]
    argv.append("1" if service else "0")
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", stub, str(code), __file__, "--worker", *argv],
        env=env,
        cwd=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"measuring {code} failed:\n{out.stderr[-3000:]}")
    found = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(found["module"]).is_relative_to(code):
        raise RuntimeError(f"measured {found['module']}, not the code in {code}")
    times: Timings = found["times"]
    return times


def run_cli(code: Path, problem: Path, plan: Path, seed: int, count: int) -> list[Sequence[float]]:
    """Wall and CPU seconds of `count` runs of `dispatch recommend` (a new process each:
    interpreter start, imports, JSON read and validated, the call, output) with `code`."""
    from models import Plan, load_problem

    day = load_problem(json.loads(problem.read_text()))
    morning = Plan.model_validate_json(plan.read_text())
    stub = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.argv = ['dispatch', *sys.argv[2:]]; "
        "from api.cli import main; main()"
    )
    out: list[Sequence[float]] = []
    for item in _events(day, morning, count, seed):
        order_path = problem.with_suffix(".order.json")
        order_path.write_text(json.dumps(item["order"]))
        argv = ["recommend", str(problem), str(plan), str(order_path), "--now", item["now"]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", stub, str(code), *argv],
            env={**os.environ, "PYTHONPATH": str(code)},
            cwd=code,
            capture_output=True,
            check=False,
        )
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            raise RuntimeError(f"dispatch recommend with {code} failed:\n{done.stderr[-2000:]!r}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out.append([wall, cpu])
    return out


# --------------------------------------------------------------------------- report


def summary(samples: Sequence[Sequence[float]]) -> dict[str, float]:
    """Median and 90th percentile, in milliseconds, of wall and CPU seconds; calls whose
    plan the evaluator faults."""
    walls = [1000 * s[0] for s in samples]
    cpus = [1000 * s[1] for s in samples]

    def p90(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=10, method="inclusive")[-1] if len(xs) > 1 else xs[0]

    return {
        "n": len(samples),
        "wall_median": statistics.median(walls),
        "wall_p90": p90(walls),
        "cpu_median": statistics.median(cpus),
        "cpu_p90": p90(cpus),
        "faulty": sum(1 for s in samples if len(s) > 2 and s[2]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.latency`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--orders", type=int, default=500)
    ap.add_argument("--seeds", default="1,2", help="comma-separated day seeds")
    ap.add_argument("--events", type=int, default=20, help="timed calls per kind and day")
    ap.add_argument("--base-limit", type=float, default=30.0, help="morning plan's seconds")
    ap.add_argument("--workdir", type=Path, default=Path("runs/latency"))
    ap.add_argument("--against", type=Path, action="append", default=[], metavar="CHECKOUT")
    ap.add_argument("--service", action="store_true", help="also time the task functions")
    ap.add_argument("--cli", type=int, default=0, help="runs of `dispatch recommend` per day")
    ap.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = ap.parse_args(argv)
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    args.workdir.mkdir(parents=True, exist_ok=True)
    codes = [ROOT, *(p.resolve() for p in args.against)]
    samples: dict[str, Timings] = {str(c): {} for c in codes}
    console = Console(width=130)
    for seed in (int(s) for s in args.seeds.split(",")):
        day = (args.orders, seed)
        problem, plan = (p.resolve() for p in make_day(args.workdir, *day, args.base_limit))
        for code in codes:
            load = os.getloadavg()[0]
            found = run_code(code, problem, plan, args.events, seed, args.service)
            console.print(f"seed {seed}, {code}: done (load average {load:.1f})")
            if args.cli:
                found["cli_recommend"] = run_cli(code, problem, plan, seed, args.cli)
            for kind, values in found.items():
                samples[str(code)].setdefault(kind, []).extend(values)
    table = Table(title=f"Latency at {args.orders} orders, ms (median / p90)")
    for col in ("code", "call", "n", "wall", "CPU", "faulty plans"):
        table.add_column(col, justify="left" if col in ("code", "call") else "right")
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for code, kinds in samples.items():
        for kind in [*KINDS, *sorted(set(kinds) - set(KINDS))]:
            if kind not in kinds:
                continue
            s = summary(kinds[kind])
            figures.setdefault(code, {})[kind] = s
            table.add_row(
                code,
                escape(kind),
                str(s["n"]),
                f"{s['wall_median']:.0f} / {s['wall_p90']:.0f}",
                f"{s['cpu_median']:.0f} / {s['cpu_p90']:.0f}",
                str(s["faulty"]) if kind.startswith("fast_path") else "",
            )
    console.print(table)
    console.print(f"load average at the end: {os.getloadavg()}")
    if args.out is not None:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
