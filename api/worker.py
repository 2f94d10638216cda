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
import json
import multiprocessing
import os
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from api import checking
from api.settings import Settings
from models import (
    Event,
    InvalidInput,
    Objective,
    Order,
    Plan,
    Problem,
    Reason,
    SolveStatus,
    Unassigned,
    load_problem,
)
from models.common import format_duration
from models.problem import Weights
from optimizer.budget import Budget
from optimizer.params import SolveParams
from optimizer.replan import KeptDay, day_matrix, keep_day, recommend, replan
from optimizer.solve import Solver
from optimizer.travel import TravelMatrix

PLAN = "plan"
DONE = "done"
FAILED = "failed"
INVALID = "invalid"

_STATUS_RANK = {
    SolveStatus.optimal: 0,
    SolveStatus.feasible: 0,
    SolveStatus.infeasible: 1,
    SolveStatus.no_solution: 2,
}


MIN_STAGE_SECONDS = 30.0
"""Shortest stage after the first one."""

MAX_LATER_STAGES = 4
"""Most stages after the first one."""

RESULT_SECONDS_PER_ORDER = 0.0002
"""Seconds per order a solve or a task keeps for turning its result into JSON and sending it
(measured: a 1,000-order plan's JSON took 0.01-0.07 s on a machine at load 15 on 2 cores; a
re-plan sends the problem too)."""


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


def document(model: BaseModel) -> dict[str, Any]:
    """A contract model (a plan, a problem, a change) as JSON data (aliases, no null
    fields)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def run_solve(
    conn: Connection,
    problem_text: str,
    params_data: dict[str, Any],
    first: float,
    service_pid: int | None = None,
    started: float | None = None,
) -> None:
    """Solve in stages, sending `("plan", plan)` for each improvement, then `("done", plan)`;
    `("failed", message)` when the solve raises. The problem comes as JSON text: the
    service hands it over without parsing it. The limit counts from `started` (the job's
    start, a `time.monotonic()` instant: the clock is the machine's, shared by processes),
    so that starting this process and reading the problem are inside it."""
    _exit_with_parent(service_pid)
    try:
        began = time.monotonic() if started is None else min(started, time.monotonic())
        problem = load_problem(json.loads(problem_text))
        params = SolveParams.model_validate(params_data).resolved(problem)
        limit = float(params.time_limit or 0.0)
        lengths = [limit] if params.deterministic_limit is not None else stages(limit, first)
        best: Plan | None = None
        initial = None
        # Each stage ends where its share of the limit, counted from the job's start, ends;
        # the problem is compiled once and each stage continues from the best clean solution.
        budget = Budget.start(limit, params.deterministic_limit, started=began)
        budget = budget.keep(RESULT_SECONDS_PER_ORDER * len(problem.orders))  # sending it
        pipeline = Solver(problem, params)
        end = began
        for n, length in enumerate(lengths):
            end += length
            result = pipeline.run(budget.ending(end).keep_work(pipeline.plan_seconds), initial)
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


def _exit_with_parent(service_pid: int | None = None, every: float = 0.25) -> None:
    """End this process (and the chains it forked) within a second of the service's end: a
    solve nobody will read must not keep a core busy until its time limit. The parent is
    the fork server, which may outlive the service, so the service's own pid is watched
    too."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent or (service_pid is not None and not alive(service_pid)):
                for child in multiprocessing.active_children():
                    with contextlib.suppress(Exception):
                        child.kill()
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def timed_out_plan(problem_text: str, time_limit: float) -> dict[str, Any]:
    """The plan of a solve that reached its time limit before it built any plan: every
    order unassigned, saying so, at the cost of leaving it out (no solver needed)."""
    problem = json.loads(problem_text)
    weights = Weights.model_validate(problem.get("weights", {}))
    detail = (
        f"The solve reached its time limit ({time_limit:g} s) before it had built a plan; "
        "give it more time or split the day."
    )
    orders = problem.get("orders", [])
    per_order = {str(k): v for k, v in weights.unassigned.items()}
    cost = float(sum(per_order[str(o.get("priority", 3))] for o in orders))
    plan = Plan(
        status=SolveStatus.no_solution,
        objective=Objective(value=cost, terms={"unassigned": cost}),
        unassigned=[
            Unassigned(order=o["id"], reasons=[Reason(code="capacity", detail=detail)])
            for o in orders
        ],
        solver={"timed_out": True, "time_limit": format_duration_seconds(time_limit)},
    )
    return document(plan)


def format_duration_seconds(seconds: float) -> str:
    """Seconds as an ISO 8601 duration, to the millisecond."""
    return format_duration(timedelta(seconds=round(seconds, 3)))


# --------------------------------------------------------------------------- short tasks


def task_budget(
    args: dict[str, Any], orders: int, limit: float | None = None, det: float | None = None
) -> Budget | None:
    """The budget of a short task: its time limit (`limit`, else the runner's) from when the
    runner started it (`args["clock"]`, set by `api.jobs.TaskRunner`), less the time kept for
    its result; None when the task was not started by a runner."""
    clock = args.get("clock")
    if clock is None:
        return None
    limit = clock["time_limit"] if limit is None else limit
    budget = Budget.start(limit, det, started=min(clock["started"], time.monotonic()))
    return budget.keep(RESULT_SECONDS_PER_ORDER * orders)


def replan_task(args: dict[str, Any]) -> dict[str, Any]:
    """Re-plan a stored version after events: the new problem, plan and changes as JSON."""
    problem = load_problem(args["problem"])
    params = SolveParams.model_validate(args["params"])
    result = replan(
        problem,
        Plan.model_validate(args["plan"]),
        datetime.fromisoformat(args["now"]),
        _EVENTS.validate_python(args["events"]),
        params,
        tolerance=timedelta(seconds=args["tolerance"]),
        budget=task_budget(
            args, len(problem.orders), params.time_limit, params.deterministic_limit
        ),
    )
    return {
        "problem": document(result.problem),
        "plan": document(result.plan),
        "changes": [document(c) for c in result.plan.changes or []],
    }


def recommend_task(args: dict[str, Any]) -> dict[str, Any]:
    """The best ways to fit one order into a stored version, as JSON (`items`), and the
    version's travel matrix (`travel`: keys and seconds) when the caller did not pass it
    (`travel`), for the caller to keep."""
    # The stored problem with the order appended, validated once: the order is checked in
    # its context, and the stored problem (valid when it was stored) is the same without it.
    with_order = load_problem(args["with_order"])
    budget = task_budget(args, len(with_order.orders))
    order = with_order.orders[-1]
    problem = with_order.model_copy(update={"orders": with_order.orders[:-1]})
    given = args.get("travel")
    travel = TravelMatrix(*given) if given is not None else day_matrix(problem)
    items = recommend(
        problem,
        Plan.model_validate(args["plan"]),
        order,
        datetime.fromisoformat(args["now"]),
        k=args["k"],
        travel=travel,
        budget=budget,
    )
    made = None if given is not None else (travel.keys, travel.seconds)
    return {"items": [document(item) for item in items], "travel": made}


def check_task(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A check of `api.checking` as a task: the body's bytes and the service's settings."""
    check = getattr(checking, name)

    def run(args: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = check(args["body"], Settings.model_construct(**args["settings"]))
        return found

    return run


TASKS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "replan": replan_task,
    "recommend": recommend_task,
    "validate": check_task("validate"),
    "evaluate": check_task("evaluate"),
    "submission": check_task("submission"),
}
"""The short tasks a worker runs, by name."""

_EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def run_task(conn: Connection, task: str, args: dict[str, Any], service_pid: int) -> None:
    """Run one short task and send `("done", result)`, `("invalid", [(path, message)])` for
    input that does not fit, or `("failed", message)`."""
    _exit_with_parent(service_pid)
    try:
        conn.send((DONE, TASKS[task](args)))
    except InvalidInput as exc:
        with contextlib.suppress(OSError):
            conn.send((INVALID, [(e.path, e.message) for e in exc.errors]))
    except Exception as exc:
        with contextlib.suppress(OSError):
            conn.send((FAILED, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))
    finally:
        conn.close()


# --------------------------------------------------------------------------- kept days

MISSING = "missing"
COLD = "cold"
ADOPT = "adopt"


class ColdNeeded(Exception):
    """The kept path cannot answer this call the way a fresh task would (input it refused):
    the caller runs the fresh task instead, which reports the errors as it always has."""


@dataclass(frozen=True)
class KeptVersion:
    """A stored plan version held by a day worker: its problem and plan validated, and its
    day compiled (`optimizer.replan.keep_day`)."""

    problem: Problem
    plan: Plan
    day: KeptDay


def keep_version(problem_doc: dict[str, Any], plan_doc: dict[str, Any]) -> KeptVersion:
    """Validate a stored version's problem and plan and keep its day."""
    problem = load_problem(problem_doc)
    return KeptVersion(problem, Plan.model_validate(plan_doc), keep_day(problem))


def kept_args(task: str, args: dict[str, Any]) -> dict[str, Any]:
    """A task's arguments without the stored version's documents (the day worker holds
    them): the order, the events, the time and the options."""
    if task == "recommend":
        return {"order": args["with_order"]["orders"][-1], "now": args["now"], "k": args["k"]}
    return {k: args[k] for k in ("now", "events", "params", "tolerance")}


def kept_recommend(kept: KeptVersion, args: dict[str, Any]) -> dict[str, Any]:
    """`recommend_task` on a kept version: the same items (no matrix to hand back)."""
    try:
        order = Order.model_validate(args["order"])
        items = recommend(
            kept.problem,
            kept.plan,
            order,
            datetime.fromisoformat(args["now"]),
            k=args["k"],
            budget=task_budget(args, len(kept.problem.orders) + 1),
            day=kept.day,
        )
    except (ValidationError, InvalidInput) as exc:
        raise ColdNeeded from exc
    return {"items": [document(item) for item in items], "travel": None}


def kept_replan(kept: KeptVersion, args: dict[str, Any]) -> dict[str, Any]:
    """`replan_task` on a kept version: the same problem, plan and changes."""
    params = SolveParams.model_validate(args["params"])
    try:
        events = _EVENTS.validate_python(args["events"])
        result = replan(
            kept.problem,
            kept.plan,
            datetime.fromisoformat(args["now"]),
            events,
            params,
            tolerance=timedelta(seconds=args["tolerance"]),
            budget=task_budget(
                args, len(kept.problem.orders), params.time_limit, params.deterministic_limit
            ),
            day=kept.day,
        )
    except (ValidationError, InvalidInput) as exc:
        raise ColdNeeded from exc
    return {
        "problem": document(result.problem),
        "plan": document(result.plan),
        "changes": [document(c) for c in result.plan.changes or []],
    }


KEPT_TASKS: dict[str, Callable[[KeptVersion, dict[str, Any]], dict[str, Any]]] = {
    "recommend": kept_recommend,
    "replan": kept_replan,
}
"""The short tasks a day worker runs on a kept version, by name."""

VersionKey = tuple[str, int, str]
"""A stored version: plan id, version number and when it was stored (versions never change)."""


def serve_days(conn: Connection, service_pid: int, capacity: int) -> None:
    """A day worker: run the tasks the service sends, one at a time, on the stored versions
    it keeps (at most `capacity`, the least recently used dropped first), until the service
    closes its end. Each message is `(task, key, documents, args)`, `documents` the
    version's problem and plan or None; the answer is `("done", result)`,
    `("missing", None)` when the documents are needed, `("cold", None)` when the fresh task
    must run instead, or `("failed", message)` (that version is dropped: it is made afresh
    next time). A re-plan given a `token` in its arguments keeps its result's documents
    until the next message; `("adopt", key, None, token)` (no answer) then keeps them as the
    version `key`, which the service stored them as."""
    _exit_with_parent(service_pid)
    held: OrderedDict[VersionKey, KeptVersion] = OrderedDict()
    last: tuple[str, dict[str, Any], dict[str, Any]] | None = None
    try:
        while True:
            try:
                task, key, documents, args = conn.recv()
            except (EOFError, OSError):
                return
            made, last = last, None
            if task == ADOPT:
                if made is not None and made[0] == args:
                    with contextlib.suppress(Exception):  # then made afresh when asked for
                        held[key] = keep_version(made[1], made[2])
                        while len(held) > capacity:
                            held.popitem(last=False)
                continue
            kept = held.get(key)
            if kept is None and documents is None:
                conn.send((MISSING, None))
                continue
            try:
                if kept is None:
                    try:
                        kept = keep_version(*documents)
                    except InvalidInput as exc:  # the fresh task reports it
                        raise ColdNeeded from exc
                    held[key] = kept
                    while len(held) > capacity:
                        held.popitem(last=False)
                held.move_to_end(key)
                result = KEPT_TASKS[task](kept, args)
                conn.send((DONE, result))
                if args.get("token"):
                    last = (args["token"], result["problem"], result["plan"])
            except ColdNeeded:
                conn.send((COLD, None))
            except Exception as exc:
                held.pop(key, None)
                message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
                conn.send((FAILED, message))
    except (BrokenPipeError, OSError):  # the service is gone: nobody to tell
        pass
    finally:
        conn.close()
