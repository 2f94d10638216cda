"""Solve jobs: a bounded pool of worker processes fed from a bounded queue.

A submission reserves room first (`SolveRunner.reservation`); when the pool and the queue are
full it is refused with `QueueFull`, which says when to retry. Each running job has a
supervisor thread in the service process: it starts a worker process (`api.worker`), stores
every improved plan the worker streams back as the job's best plan so far, and records the
outcome. Cancelling a running job terminates its worker process; the job then ends
`cancelled` and keeps the best plan it had published (nothing when it had not published one
yet). A worker that overruns its time limit by the grace period is stopped the same way and
its job ends `done` with its best plan (`failed` without one).

No FastAPI here; the runner lives on the application's state, one per application.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from api.day_workers import KEPT_AS, DayWorkers, StoredVersion, WorkerLost
from api.store import Store, database_down
from api.worker import COLD, DONE, FAILED, INVALID, PLAN, run_solve, run_task, timed_out_plan
from models import FieldError, InvalidInput

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
"""How often a supervisor looks at a cancel request while its worker is quiet."""

STOP_SECONDS = 5.0
"""How long a terminated worker gets to exit before it is killed."""


RETRY_SECONDS = 0.5
"""First wait before writing again to a database that does not answer (then doubled)."""

MAX_RETRY_SECONDS = 5.0
"""Longest wait between writes to a database that does not answer."""

T = TypeVar("T")

TASK_SLACK_SECONDS = 10.0
"""Extra time a short task gets past its time limit and the grace period before it fails."""

OVERRAN = "the solver overran its time limit"
ENDED = "the solver process ended unexpectedly"


class QueueFull(RuntimeError):
    """The pool and the queue are full; `retry_after` estimates when room frees up."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the solve queue is full; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Job:
    """A job the runner holds: waiting, or running under a supervisor."""

    plan_id: str
    time_limit: float
    params: dict[str, Any]
    started: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    cancelled_by: str | None = None
    stopping: bool = False


@dataclass
class Reservation:
    """Room for one job, taken before the plan is stored; `fill` queues the job."""

    runner: SolveRunner
    filled: bool = False

    def fill(self, plan_id: str, time_limit: float, params: dict[str, Any]) -> None:
        """Queue the stored plan's job in the room reserved for it."""
        self.runner._fill(_Job(plan_id=plan_id, time_limit=time_limit, params=params))
        self.filled = True


WorkerContext = ForkServerContext | SpawnContext


def default_context() -> WorkerContext:
    """Worker processes come from a fork server that has the solver imported already (each
    job then starts in milliseconds), or are spawned where there is no fork server."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # The CLI too: a worker imports the service's main module before it reads its job,
        # and the service waits for that while it hands over a large problem.
        context.set_forkserver_preload(["api.worker", "api.cli"])
        return context
    return multiprocessing.get_context("spawn")


def warm(context: WorkerContext) -> None:
    """Start the fork server now, in the background, so that the first job does not wait
    for it to load the solver."""
    if isinstance(context, ForkServerContext):
        from multiprocessing import forkserver

        threading.Thread(
            target=forkserver.ensure_running, name="warm-forkserver", daemon=True
        ).start()


class SolveRunner:
    """Runs solves in at most `pool_size` worker processes, with at most `queue_size` more
    waiting, and records everything in the store."""

    def __init__(
        self,
        store: Store,
        *,
        pool_size: int,
        queue_size: int,
        first_stage_seconds: float,
        grace_seconds: float,
        context: WorkerContext | None = None,
    ) -> None:
        self._store = store
        self._pool_size = pool_size
        self._queue_size = queue_size
        self._first_stage = first_stage_seconds
        self._grace = grace_seconds
        self._context = context or default_context()
        warm(self._context)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting: deque[_Job] = deque()
        self._running: dict[str, _Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._reserved = 0
        self._closed = False

    # ----------------------------------------------------------------------------- queueing

    @property
    def counts(self) -> tuple[int, int]:
        """Jobs (waiting, running)."""
        with self._lock:
            return len(self._waiting), len(self._running)

    @property
    def pool_size(self) -> int:
        """Worker processes that may run at once."""
        return self._pool_size

    @contextmanager
    def reservation(self) -> Iterator[Reservation]:
        """Reserve room for one job, or raise `QueueFull`; the room is given back unless the
        block fills it."""
        with self._lock:
            room = self._pool_size - len(self._running) + self._queue_size
            if self._closed or len(self._waiting) + self._reserved >= room:
                raise QueueFull(self._retry_after())
            self._reserved += 1
        slot = Reservation(self)
        try:
            yield slot
        finally:
            if not slot.filled:
                with self._lock:
                    self._reserved -= 1

    def requeue(self, jobs: list[tuple[str, float, dict[str, Any]]]) -> None:
        """Queue jobs accepted before a restart (beyond the queue's size if need be)."""
        with self._lock:
            for plan_id, time_limit, params in jobs:
                self._waiting.append(_Job(plan_id=plan_id, time_limit=time_limit, params=params))
            self._start_ready()

    def _fill(self, job: _Job) -> None:
        with self._lock:
            self._reserved -= 1
            self._waiting.append(job)
            self._start_ready()

    def _retry_after(self) -> int:
        """Seconds until the first running job should end (at least 1)."""
        now = time.monotonic()
        left = [
            job.started + job.time_limit - now
            for job in self._running.values()
            if job.started is not None
        ]
        return max(1, math.ceil(min(left, default=1.0)))

    def _start_ready(self) -> None:
        """Start waiting jobs while workers are free (the lock is held)."""
        while self._waiting and len(self._running) < self._pool_size and not self._closed:
            job = self._waiting.popleft()
            job.started = time.monotonic()
            self._running[job.plan_id] = job
            thread = threading.Thread(
                target=self._supervise, args=(job,), name=f"solve-{job.plan_id[:8]}", daemon=True
            )
            self._threads[job.plan_id] = thread
            thread.start()

    # ----------------------------------------------------------------------------- control

    def active(self, plan_id: str) -> bool:
        """Whether the job is waiting or running."""
        with self._lock:
            return self._is_active(plan_id)

    def _is_active(self, plan_id: str) -> bool:
        return plan_id in self._running or any(j.plan_id == plan_id for j in self._waiting)

    def wait(self, plan_id: str, timeout: float) -> bool:
        """Block until the job has ended or `timeout` seconds passed; whether it ended."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._is_active(plan_id), timeout)

    def cancel(self, plan_id: str, by: str | None, timeout: float = 30.0) -> bool:
        """Cancel a waiting or running job and wait until it has ended; False when the runner
        does not hold it."""
        with self._lock:
            waiting = next((j for j in self._waiting if j.plan_id == plan_id), None)
            running = self._running.get(plan_id)
            if waiting is not None:
                self._waiting.remove(waiting)
            elif running is not None:
                running.cancelled_by = by
                running.cancel.set()
        if waiting is not None:
            self._store.cancel_queued(plan_id, by)
            with self._changed:
                self._changed.notify_all()
            return True
        if running is None:
            return False
        self.wait(plan_id, timeout)
        return True

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop taking jobs and stop the running ones; they and the waiting ones stay queued
        in the store, to run after the next start."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            for job in self._running.values():
                job.stopping = True
                job.cancel.set()
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    # ----------------------------------------------------------------------------- supervision

    def _supervise(self, job: _Job) -> None:
        """Run one job in a worker process and record its outcome."""
        try:
            if job.cancel.is_set():
                if not job.stopping:  # a job not started at a shutdown stays queued
                    self._persist(self._store.cancel_queued, job.plan_id, job.cancelled_by)
                return
            record = self._persist(self._store.mark_solving, job.plan_id)
            if record is None:  # cancelled or gone meanwhile
                return
            self._run(job, self._persist(self._store.problem_text, job.plan_id))
        except Exception as exc:
            log.exception("solve job %s failed in the service", job.plan_id)
            with contextlib.suppress(Exception):  # the database may be gone: restart recovers
                self._store.finish(job.plan_id, "failed", error=f"service error: {exc}")
        finally:
            with self._changed:
                self._running.pop(job.plan_id, None)
                self._threads.pop(job.plan_id, None)
                self._start_ready()
                self._changed.notify_all()

    def _run(self, job: _Job, problem: str) -> None:
        """Start the worker, follow it until it ends, is cancelled or overruns; record it."""
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=run_solve,
            args=(writer, problem, job.params, self._first_stage, os.getpid(), job.started),
            name=f"dispatch-solve-{job.plan_id[:8]}",
            # Not daemonic, so that the solve may fork its ruin-and-recreate chains; it still
            # ends with the service (`_stop` on shutdown and cancel, and it watches its parent).
            daemon=False,
        )
        process.start()
        writer.close()
        # The limit counts from the job's start, handing the problem over included.
        deadline = (job.started or time.monotonic()) + job.time_limit + self._grace
        best: dict[str, Any] | None = None
        fallback: dict[str, Any] | None = None
        try:
            while True:
                if job.cancel.is_set():
                    if job.stopping:
                        self._persist(self._store.requeue, job.plan_id)
                    else:
                        self._persist(
                            self._store.finish,
                            job.plan_id,
                            "cancelled",
                            plan=best,
                            cancelled_by=job.cancelled_by,
                        )
                    return
                if best is None and fallback is None and time.monotonic() > deadline - 1.0:
                    # Made ahead, so that the answer is stored at the deadline, not after.
                    fallback = timed_out_plan(problem, job.time_limit)
                if time.monotonic() > deadline:
                    log.warning("solve job %s overran its time limit", job.plan_id)
                    plan = best if best is not None else fallback
                    self._persist(self._store.finish, job.plan_id, "done", plan=plan)
                    return
                if not wait([reader, process.sentinel], timeout=POLL_SECONDS):
                    continue
                message = _receive(reader)
                if message is None:
                    process.join(STOP_SECONDS)
                    self._persist(
                        self._store.finish,
                        job.plan_id,
                        "failed",
                        plan=best,
                        error=f"{ENDED} (exit code {process.exitcode})",
                    )
                    return
                kind, payload = message
                if kind == PLAN:
                    best = payload
                    self._save_progress(job.plan_id, payload)
                elif kind == DONE:
                    self._persist(self._store.finish, job.plan_id, "done", plan=payload)
                    return
                elif kind == FAILED:
                    log.error("solve job %s failed: %s", job.plan_id, payload)
                    self._persist(
                        self._store.finish,
                        job.plan_id,
                        "failed",
                        plan=best,
                        error=str(payload).splitlines()[0],
                    )
                    return
        finally:
            reader.close()
            _stop(process)

    def _save_progress(self, plan_id: str, plan: dict[str, Any]) -> None:
        """Store a best plan so far; while the database is down it stays in memory (the
        supervisor's `best`) and the job's end writes it."""
        try:
            self._store.save_progress(plan_id, plan)
        except DBAPIError as exc:
            if not database_down(exc):
                raise
            log.warning("database down: plan %s keeps its best plan in memory", plan_id)

    def _persist(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store write, retrying while the database is down (what it writes waits in
        memory meanwhile); a shutdown stops the retries, and the next start recovers."""
        delay = RETRY_SECONDS
        while True:
            try:
                return action(*args, **kwargs)
            except DBAPIError as exc:
                if not database_down(exc) or self._closed:
                    raise
                log.warning("database down; writing again in %.1f s", delay)
                time.sleep(delay)
                delay = min(2 * delay, MAX_RETRY_SECONDS)


def _receive(reader: Connection) -> tuple[str, Any] | None:
    """The next message from a worker, or None once it has closed its end."""
    if not reader.poll():
        return None
    try:
        kind, payload = reader.recv()
    except (EOFError, OSError):
        return None
    return str(kind), payload


def _stop(process: BaseProcess) -> None:
    """End a worker process: terminate, then kill if it does not exit."""
    if process.is_alive():
        process.terminate()
        process.join(STOP_SECONDS)
    if process.is_alive():
        process.kill()
        process.join(STOP_SECONDS)


class TaskFailed(RuntimeError):
    """A short task ended without a result (its message says why)."""


class TaskRunner:
    """Runs short tasks (re-plans, recommendations) in worker processes from the solves'
    fork server, so that their CPU work and the chains they fork stay out of the service
    process: at most `pool_size` at once, `queue_size` more waiting, beyond that
    `QueueFull`. They have slots of their own, so they never wait for a long solve."""

    def __init__(
        self,
        *,
        pool_size: int,
        queue_size: int,
        grace_seconds: float,
        kept_days: int = 0,
        context: WorkerContext | None = None,
    ) -> None:
        self._context = context or default_context()
        self._days = DayWorkers(self._context, kept_days) if kept_days > 0 else None
        self._slots = threading.BoundedSemaphore(pool_size)
        # A task's own time limit is short and its process starts cold: more slack than a
        # solve gets before it is given up.
        self._room = pool_size + queue_size
        self._grace = grace_seconds + TASK_SLACK_SECONDS
        self._lock = threading.Lock()
        self._admitted = 0
        self._ends: list[float] = []

    @property
    def keeps_days(self) -> bool:
        """Whether tasks given a stored version run in day workers that keep it."""
        return self._days is not None

    def adopt(self, result: dict[str, Any], stored: StoredVersion) -> None:
        """A re-plan's result was stored as the version `stored`: the day worker that made
        it keeps it for the calls on that version (nothing when a fresh process made it)."""
        token = result.get(KEPT_AS)
        if self._days is not None and token is not None:
            self._days.adopt(token, stored.key)

    def close(self) -> None:
        """Stop the day workers."""
        if self._days is not None:
            self._days.close()

    def run(
        self,
        task: str,
        args: dict[str, Any],
        time_limit: float,
        version: StoredVersion | None = None,
    ) -> Any:
        """Run the task and return its result; raise `QueueFull` when there is no room,
        `InvalidInput` for input the task refused, `TaskFailed` otherwise. With the stored
        `version` the task works on (a recommendation, a fast-path re-plan), it runs in a day
        worker that keeps the version (`api.day_workers`), when the runner has them."""
        with self._lock:
            if self._admitted >= self._room:
                now = time.monotonic()
                raise QueueFull(max(1, math.ceil(min(self._ends, default=now + 1) - now)))
            self._admitted += 1
        try:
            with self._slots:
                end = time.monotonic() + time_limit
                with self._lock:
                    self._ends.append(end)
                try:
                    if version is not None and self._days is not None:
                        return self._run_kept(task, args, time_limit, end - time_limit, version)
                    return self._run(task, args, time_limit, started=end - time_limit)
                finally:
                    with self._lock:
                        self._ends.remove(end)
        finally:
            with self._lock:
                self._admitted -= 1

    def _run_kept(
        self,
        task: str,
        args: dict[str, Any],
        time_limit: float,
        started: float,
        version: StoredVersion,
    ) -> Any:
        """`_run` in a day worker; input it refuses goes to a fresh task process."""
        assert self._days is not None
        clock = {"started": started, "time_limit": time_limit}
        try:
            kind, payload = self._days.run(
                task, version, {**args, "clock": clock}, started + time_limit + self._grace
            )
        except WorkerLost as exc:
            raise TaskFailed(f"the {task} {exc}") from None
        if kind == DONE:
            return payload
        if kind == COLD:
            return self._run(task, args, time_limit, started)
        log.error("%s failed: %s", task, payload)
        raise TaskFailed(str(payload).splitlines()[0])

    def _run(self, task: str, args: dict[str, Any], time_limit: float, started: float) -> Any:
        reader, writer = self._context.Pipe(duplex=False)
        # The task's time limit counts from when it got its slot (`started`, a
        # `time.monotonic()` instant: the clock is the machine's), so that starting its
        # process and reading its input are inside it.
        clock = {"started": started, "time_limit": time_limit}
        process = self._context.Process(
            target=run_task,
            args=(writer, task, {**args, "clock": clock}, os.getpid()),
            name=f"dispatch-{task}",
            daemon=False,  # a re-plan may fork its ruin-and-recreate chains
        )
        process.start()
        writer.close()
        try:
            if not wait([reader, process.sentinel], timeout=time_limit + self._grace):
                raise TaskFailed(f"the {task} overran its time limit")
            message = _receive(reader)
            if message is None:
                raise TaskFailed(f"the {task} process ended unexpectedly ({process.exitcode})")
            kind, payload = message
            if kind == DONE:
                return payload
            if kind == INVALID:
                raise InvalidInput([FieldError(path, text) for path, text in payload])
            log.error("%s failed: %s", task, payload)
            raise TaskFailed(str(payload).splitlines()[0])
        finally:
            reader.close()
            _stop(process)
