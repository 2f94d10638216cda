"""Same input, seed, one worker and a deterministic limit give the same plan: whatever the
machine's speed, and whatever the process's hash seed."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

import optimizer.search as search_module
from benchmarks.generator import BadDay, generate_day
from models import load_problem
from optimizer.params import SolveParams
from optimizer.solution import Solution
from optimizer.solve import solve
from tests.factory import order, problem, tech

DAY = generate_day(40, 5, seed=2, bad_day=BadDay())
LIMIT = 10_000.0  # seconds: a deterministic limit binds long before


def _plan(day: dict[str, Any]) -> dict[str, Any]:
    """The plan of a deterministic one-worker solve, without its wall time (short probes for
    the reasons: the day leaves about 17 orders out)."""
    params = SolveParams(
        deterministic_limit=0.5,
        workers=1,
        seed=0,
        time_limit=LIMIT,
        timing={"probe_deterministic": 0.02},
    )
    plan = solve(load_problem(copy.deepcopy(day)), params).plan.model_dump(mode="json")
    plan["solver"].pop("wall_time")
    return plan


def test_a_slow_machine_gives_the_same_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine that stalls for 90% of the wall limit as the first plan is built (the clock
    jumps) gives the same plan: the stages end by work, the limit is only a safety stop."""
    plan = _plan(DAY)
    real, jump = time.monotonic, [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + jump[0])
    built = search_module.first_plan

    def stalled(*args: Any, **kwargs: Any) -> Solution:
        jump[0] = 0.9 * LIMIT
        return built(*args, **kwargs)

    monkeypatch.setattr(search_module, "first_plan", stalled)
    slow = _plan(DAY)
    assert jump[0] > 0 and "wall_limit_bound" not in slow["solver"]
    assert slow == plan


def test_the_record_says_when_the_wall_limit_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine that stalls past the wall limit still gives a plan, marked as cut short."""
    real = time.monotonic
    built = search_module.first_plan

    def stalled(*args: Any, **kwargs: Any) -> Solution:
        monkeypatch.setattr(time, "monotonic", lambda: real() + 2 * LIMIT)
        return built(*args, **kwargs)

    monkeypatch.setattr(search_module, "first_plan", stalled)
    plan = _plan(DAY)
    assert plan["solver"]["wall_limit_bound"] is True
    assert plan["routes"] or plan["unassigned"]


_MODEL = """
import hashlib, json, sys
from models import load_problem
from optimizer.cp.build import build, eligible_shifts, make_scope
from optimizer.construct import construct
from optimizer.instance import compile_problem
inst = compile_problem(load_problem(json.load(sys.stdin)))
eligible = eligible_shifts(inst)
sol = construct(inst, eligible)
everything = list(range(len(inst.shifts))), list(range(len(inst.orders)))
scope = make_scope(inst, sol, *everything, eligible)
print(hashlib.sha256(str(build(inst, scope).cp.Proto()).encode()).hexdigest())
"""


def test_the_model_does_not_depend_on_the_hash_seed() -> None:
    """The CP-SAT model of a day with depot equipment is the same under three hash seeds."""

    day = generate_day(30, 4, seed=5, bad_day=BadDay())
    digests = set()
    for seed in ("1", "2", "3"):
        out = subprocess.run(
            [sys.executable, "-c", _MODEL],
            input=json.dumps(day),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1, digests


def test_a_tiny_crew_day_ends_by_work_not_by_the_clock() -> None:
    """On a two-technician crew day (solved by neighbourhoods, then one model) the search under
    a deterministic limit does the same work whatever the wall limit: each neighbourhood
    counts towards the budget however little it takes (failed before: they ran to the clock)."""
    p = problem([tech("A", 0, 0), tech("B", 0, 10)], [order("C", 0, 5, crew_size=2, priority=1)])
    runs = [
        solve(p, SolveParams(deterministic_limit=0.2, workers=1, seed=0, time_limit=limit))
        for limit in (30.0, 120.0)  # neither binds, even on a machine loaded 40 deep
    ]
    assert runs[0].stats.iterations == runs[1].stats.iterations < 20
    assert runs[0].plan.routes == runs[1].plan.routes
