"""Day workers: long-lived worker processes that keep the compiled days of the plan versions
asked about last, so that a recommendation or a fast-path re-plan (time limit 0) on a version
already asked about skips validating the stored problem and plan and compiling the day
(`optimizer.replan.keep_day`), with the same answers as a fresh task process.

A version is kept under its plan id, number and storage time (stored versions never change;
a new version is a new key), at most `capacity` per worker, the least recently used dropped
first. The isolation is a task process's: a worker that overruns its time limit (with the
runner's grace) or ends is stopped and replaced by a fresh one at the next call; a task that
fails drops the version it ran on. Input the kept path refuses (an order or events that do
not fit) is handed to a fresh task, which reports it as it always has.

No FastAPI here; `api.jobs.TaskRunner` owns the workers.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from api.worker import ADOPT, COLD, DONE, MISSING, VersionKey, kept_args, serve_days

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext, SpawnContext
    from multiprocessing.process import BaseProcess

    from api.db import VersionRecord


@dataclass(frozen=True)
class StoredVersion:
    """A stored plan version a short task works on: its key and its documents."""

    key: VersionKey
    problem: dict[str, Any]
    plan: dict[str, Any]

    @classmethod
    def of(cls, record: VersionRecord) -> StoredVersion:
        """The version as the store holds it."""
        key = (record.plan_id, record.number, record.created_at.isoformat())
        return cls(key, record.problem, record.plan)


KEPT_AS = "kept_as"
"""The key of a re-plan's answer that names its result in the worker that made it (for
`DayWorkers.adopt`)."""


class WorkerLost(RuntimeError):
    """The day worker overran the time limit or ended; it has been stopped."""


class DayWorker:
    """One day worker process, and the versions it keeps (mirrored here, in the order the
    worker drops them)."""

    def __init__(self, context: ForkServerContext | SpawnContext, capacity: int) -> None:
        self.capacity = capacity
        self.held: OrderedDict[VersionKey, None] = OrderedDict()
        self.token: str | None = None  # of the last re-plan, while its result is kept
        self._conn, child = context.Pipe(duplex=True)
        self._process: BaseProcess = context.Process(
            target=serve_days,
            args=(child, os.getpid(), capacity),
            name="dispatch-days",
            daemon=True,  # it forks no chains: a fast-path re-plan runs no search
        )
        self._process.start()
        child.close()

    def adopt(self, token: str, key: VersionKey) -> None:
        """Have the worker keep the result of its last re-plan (`token`) as the version
        `key`; no answer is awaited (the next call finds it kept)."""
        self.token = None
        self._send((ADOPT, key, None, token))
        self._keep(key)

    def _keep(self, key: VersionKey) -> None:
        self.held[key] = None
        self.held.move_to_end(key)
        while len(self.held) > self.capacity:
            self.held.popitem(last=False)

    def holds(self, key: VersionKey) -> bool:
        """Whether the worker keeps the version."""
        return key in self.held

    def ask(
        self, task: str, version: StoredVersion, args: dict[str, Any], deadline: float
    ) -> tuple[str, Any]:
        """Run the task on the version by `deadline` (a `time.monotonic()` instant); the
        answer `(kind, payload)`, kind `done`, `cold` or `failed`. Raises `WorkerLost` when
        the worker overruns or ends (it is stopped then)."""
        small = kept_args(task, args)
        small["clock"] = args["clock"]
        # A re-plan's result may become the next version: the worker keeps it a while.
        self.token = small["token"] = uuid.uuid4().hex if task == "replan" else None
        documents = None if self.holds(version.key) else (version.problem, version.plan)
        self._send((task, version.key, documents, small))
        kind, payload = self._receive(deadline)
        if kind == MISSING:  # the mirror was wrong: send the documents
            self._send((task, version.key, (version.problem, version.plan), small))
            kind, payload = self._receive(deadline)
        if kind in (DONE, COLD):
            self._keep(version.key)
        else:
            self.held.pop(version.key, None)
        if kind != DONE:
            self.token = None
        return kind, payload

    def alive(self) -> bool:
        """Whether the worker process runs."""
        return self._process.is_alive()

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._conn.send(message)
        except OSError:
            self.stop()
            raise WorkerLost(f"ended unexpectedly ({self._process.exitcode})") from None

    def _receive(self, deadline: float) -> tuple[str, Any]:
        timeout = max(0.0, deadline - time.monotonic())
        if not wait([self._conn, self._process.sentinel], timeout=timeout):
            self.stop()
            raise WorkerLost("overran its time limit")
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError):
            self.stop()
            raise WorkerLost(f"ended unexpectedly ({self._process.exitcode})") from None
        return str(kind), payload

    def stop(self) -> None:
        """End the worker: close its pipe, terminate it, kill it if it does not exit."""
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5.0)


class DayWorkers:
    """At most as many day workers as the runner has slots, made when first needed; a call
    goes to an idle worker that keeps its version when there is one."""

    def __init__(self, context: ForkServerContext | SpawnContext, capacity: int) -> None:
        self._context = context
        self._capacity = capacity
        self._lock = threading.Lock()
        self._idle: list[DayWorker] = []
        self._busy: set[DayWorker] = set()
        self._closed = False

    def run(
        self, task: str, version: StoredVersion, args: dict[str, Any], deadline: float
    ) -> tuple[str, Any]:
        """Run the task in a day worker (the caller holds one of the runner's slots, so one
        is idle or may be made). Raises `WorkerLost` as `DayWorker.ask`."""
        worker = self._take(version.key)
        try:
            answer = worker.ask(task, version, args, deadline)
        except BaseException:
            worker.stop()
            with self._lock:
                self._busy.discard(worker)
            raise
        kind, payload = answer
        token = worker.token  # read before another call may take the worker
        self._give_back(worker)
        if kind == DONE and token is not None:
            payload = {**payload, KEPT_AS: token}
        return kind, payload

    def adopt(self, token: str, key: VersionKey) -> None:
        """The result of the re-plan that answered with `token` (in `kept_as`) was stored as
        the version `key`: the worker that made it keeps it, when it is idle and has not run
        another re-plan since (otherwise the version is made when first asked about)."""
        with self._lock:
            worker = next((w for w in self._idle if w.token == token), None)
            if worker is None:
                return
            self._idle.remove(worker)
            self._busy.add(worker)
        try:
            worker.adopt(token, key)
        except WorkerLost:
            with self._lock:
                self._busy.discard(worker)
            return
        self._give_back(worker)

    def _take(self, key: VersionKey) -> DayWorker:
        with self._lock:
            dead = [w for w in self._idle if not w.alive()]
            self._idle = [w for w in self._idle if w not in dead]
            worker = next((w for w in self._idle if w.holds(key)), None)
            if worker is None and self._idle:
                worker = self._idle[-1]
            if worker is not None:
                self._idle.remove(worker)
                self._busy.add(worker)
        for gone in dead:  # ended between calls (killed, out of memory): replaced
            gone.stop()
        if worker is None:
            worker = DayWorker(self._context, self._capacity)
            with self._lock:
                self._busy.add(worker)
        return worker

    def _give_back(self, worker: DayWorker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not self._closed:
                self._idle.append(worker)
                return
        worker.stop()

    def close(self) -> None:
        """Stop the idle workers; busy ones stop when their call returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
