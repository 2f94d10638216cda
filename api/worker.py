"""What a solver worker process runs: solve a stored problem and stream plans back.

A solve publishes a first plan after a short first stage (1 s by default), then goes on from
that plan's solution for the rest of its time limit, in one stage or, for long limits, in up
to four stages of at least 30 s; each stage's plan that improves on the best is sent to the
parent at once. So a running job soon has a best-so-far plan to show, and cancelling it
(terminating this process) keeps that plan. With a deterministic limit the solve runs in one
stage, so that its plan stays reproducible. (Many short stages cost plan quality: each one
restarts the search; a few long ones do not.)

No FastAPI here: this module is loaded in the worker processes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

from models import Plan, load_problem
from models.common import format_duration
from optimizer.params import SolveParams
from optimizer.solve import solve

PLAN = "plan"
DONE = "done"
FAILED = "failed"

_STATUS_RANK = {"optimal": 0, "feasible": 0, "infeasible": 1, "no_solution": 2}


MIN_STAGE_SECONDS = 30.0
"""Shortest stage after the first one."""

MAX_LATER_STAGES = 4
"""Most stages after the first one."""


def stages(time_limit: float, first: float) -> list[float]:
    """Stage lengths in seconds that add up to `time_limit`: `first`, then the rest in equal
    stages of at least `MIN_STAGE_SECONDS`, at most `MAX_LATER_STAGES` of them (one stage
    when `first` is 0 or the limit is under twice `first`)."""
    if first <= 0 or time_limit <= 2 * first:
        return [time_limit]
    rest = time_limit - first
    count = max(1, min(MAX_LATER_STAGES, int(rest // MIN_STAGE_SECONDS)))
    return [first] + [rest / count] * count


def clean(plan: Plan) -> bool:
    """Whether the solver's own evaluation of the plan found no broken rule."""
    return not plan.solver.get("evaluator_violations")


def better(plan: Plan, best: Plan | None) -> bool:
    """Whether `plan` beats `best`: a feasible status the evaluator agrees with first, then a
    lower objective."""
    if best is None:
        return True

    def key(p: Plan) -> tuple[int, int, float]:
        return (_STATUS_RANK[p.status], 0 if clean(p) else 1, p.objective.value)

    return key(plan) < key(best)


def document(plan: Plan) -> dict[str, Any]:
    """A plan as contract JSON data (aliases, no null fields)."""
    return plan.model_dump(mode="json", by_alias=True, exclude_none=True)


def run_solve(
    conn: Connection, problem_data: dict[str, Any], params_data: dict[str, Any], first: float
) -> None:
    """Solve in stages, sending `("plan", plan)` for each improvement, then `("done", plan)`;
    `("failed", message)` when the solve raises."""
    _exit_with_parent()
    try:
        began = time.monotonic()
        problem = load_problem(problem_data)
        params = SolveParams.model_validate(params_data).resolved(problem)
        limit = float(params.time_limit or 0.0)
        lengths = [limit] if params.deterministic_limit is not None else stages(limit, first)
        best: Plan | None = None
        initial = None
        for n, length in enumerate(lengths):
            result = solve(problem, params.model_copy(update={"time_limit": length}), initial)
            if better(result.plan, best):
                best = result.plan
                if clean(best):  # the next stage starts from it
                    initial = result.solution
                if n < len(lengths) - 1:
                    conn.send((PLAN, document(best)))
        assert best is not None
        solver = dict(best.solver)
        solver["wall_time"] = format_duration_seconds(time.monotonic() - began)
        solver["stages"] = len(lengths)
        conn.send((DONE, document(best.model_copy(update={"solver": solver}))))
    except BrokenPipeError:  # the service is gone: nobody to tell
        pass
    except Exception as exc:  # the parent records the job as failed with this message
        message = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(OSError):  # the service is gone: nobody to tell
            conn.send((FAILED, message + "\n" + traceback.format_exc(limit=5)))
    finally:
        conn.close()


def _exit_with_parent(every: float = 1.0) -> None:
    """End this process when its parent ends (the service was killed): a solve nobody will
    read must not keep a core busy until its time limit."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def format_duration_seconds(seconds: float) -> str:
    """Seconds as an ISO 8601 duration, to the millisecond."""
    return format_duration(timedelta(seconds=round(seconds, 3)))
