"""Roster jobs: stored in their own table, solved in worker processes, cancellable.

A submitted roster problem is stored `queued`; a supervisor thread waits for a free slot (at
most `pool_size` rosters solve at once, at most `queue_size` more wait), marks it `solving`,
runs `optimizer.roster.solve.solve_roster` in a worker process and stores the roster `done`
(or `failed` with the error). Cancelling a waiting or running job terminates its process; it
ends `cancelled`. No FastAPI here; the runner lives on the application's state.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from api.db import Base, UTCDateTime, utcnow
from api.jobs import STOP_SECONDS, QueueFull, WorkerContext, _stop, default_context
from api.store import Store

ACTIVE = ("queued", "solving")


class RosterRecord(Base):
    """A submitted roster problem, its job's status and the roster it produced."""

    __tablename__ = "rosters"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    problem_id: Mapped[str | None] = mapped_column(String(200), index=True)
    author_key: Mapped[str | None] = mapped_column(String(32))
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RosterStore:
    """The `rosters` table of the service's database (created when missing)."""

    def __init__(self, store: Store) -> None:
        RosterRecord.__table__.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]
        self._session = sessionmaker(store.engine, expire_on_commit=False)

    def add(
        self,
        problem: dict[str, Any],
        options: dict[str, Any],
        problem_id: str | None,
        author_key: str | None,
    ) -> RosterRecord:
        """Store a new queued roster job."""
        record = RosterRecord(
            id=str(uuid.uuid4()),
            status="queued",
            problem_id=problem_id,
            author_key=author_key,
            problem=problem,
            options=options,
            created_at=utcnow(),
        )
        with self._session.begin() as session:
            session.add(record)
        return record

    def get(self, roster_id: str) -> RosterRecord | None:
        """The record, or None."""
        with self._session() as session:
            return session.get(RosterRecord, roster_id)

    def update(self, roster_id: str, only_if: tuple[str, ...] = ACTIVE, **values: Any) -> bool:
        """Set fields of a job still in one of the `only_if` statuses; whether it was."""
        with self._session.begin() as session:
            record = session.scalars(
                select(RosterRecord).where(RosterRecord.id == roster_id).with_for_update()
            ).first()
            if record is None or record.status not in only_if:
                return False
            for key, value in values.items():
                setattr(record, key, value)
            return True

    def recover(self) -> None:
        """Jobs left active by a stopped service are failed (their processes are gone)."""
        with self._session.begin() as session:
            for record in session.scalars(
                select(RosterRecord).where(RosterRecord.status.in_(ACTIVE))
            ):
                record.status, record.error = "failed", "the service stopped during the solve"
                record.finished_at = utcnow()


def run_roster(conn: Connection, problem: dict[str, Any], params: dict[str, Any]) -> None:
    """Worker process: solve a roster problem, send `("done", result)` or `("failed", why)`."""
    try:
        from models.roster import load_roster_problem
        from optimizer.roster.params import RosterParams
        from optimizer.roster.solve import solve_roster

        result = solve_roster(load_roster_problem(problem), RosterParams.model_validate(params))
        conn.send(("done", result.model_dump(mode="json")))
    except Exception as exc:  # the supervisor records the job failed with this message
        with contextlib.suppress(OSError):
            conn.send(("failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(3)}"))
    finally:
        conn.close()


@dataclass
class _Job:
    roster_id: str
    params: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    cancelled_by: str | None = None
    ended: threading.Event = field(default_factory=threading.Event)


class RosterRunner:
    """Solves roster jobs in worker processes, `pool_size` at once, `queue_size` waiting."""

    def __init__(
        self,
        store: RosterStore,
        *,
        pool_size: int,
        queue_size: int,
        grace_seconds: float,
        context: WorkerContext | None = None,
    ) -> None:
        self.store = store
        self._slots = threading.BoundedSemaphore(pool_size)
        self._room = pool_size + queue_size
        self._grace = grace_seconds
        self._context = context or default_context()
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._closed = False

    def submit(self, roster_id: str, params: dict[str, Any]) -> None:
        """Start supervising a stored queued job; `QueueFull` when there is no room."""
        with self._lock:
            if self._closed or len(self._jobs) >= self._room:
                raise QueueFull(retry_after=max(1, round(params.get("time_limit", 1))))
            job = self._jobs[roster_id] = _Job(roster_id, params)
        threading.Thread(target=self._supervise, args=(job,), daemon=True).start()

    def has_room(self) -> bool:
        """Whether a job submitted now would be accepted."""
        with self._lock:
            return not self._closed and len(self._jobs) < self._room

    def wait(self, roster_id: str, timeout: float) -> bool:
        """Block until the job has ended or `timeout` passed; whether it ended."""
        with self._lock:
            job = self._jobs.get(roster_id)
        return job is None or job.ended.wait(timeout)

    def cancel(self, roster_id: str, by: str | None, timeout: float = 30.0) -> bool:
        """Cancel a job this runner holds and wait for it to end; False when it holds none."""
        with self._lock:
            job = self._jobs.get(roster_id)
        if job is None:
            return False
        job.cancelled_by = by
        job.cancel.set()
        job.ended.wait(timeout)
        return True

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop every job: they end cancelled."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        for job in jobs:
            job.ended.wait(timeout)

    def _supervise(self, job: _Job) -> None:
        try:
            while not self._slots.acquire(timeout=0.1):
                if job.cancel.is_set():
                    self._finish(job, "cancelled", cancelled_by=job.cancelled_by)
                    return
            try:
                if self.store.update(
                    job.roster_id, ("queued",), status="solving", started_at=utcnow()
                ):
                    self._run(job)
            finally:
                self._slots.release()
        except Exception as exc:
            self._finish(job, "failed", error=f"service error: {exc}")
        finally:
            with self._lock:
                self._jobs.pop(job.roster_id, None)
            job.ended.set()

    def _run(self, job: _Job) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=run_roster,
            args=(writer, self.store.get(job.roster_id).problem, job.params),  # type: ignore[union-attr]
            name=f"dispatch-roster-{job.roster_id[:8]}",
        )
        process.start()
        writer.close()
        limit = float(job.params.get("time_limit", 60.0)) + self._grace
        began = utcnow()
        try:
            while True:
                if job.cancel.is_set():
                    self._finish(job, "cancelled", cancelled_by=job.cancelled_by)
                    return
                if (utcnow() - began).total_seconds() > limit:
                    self._finish(job, "failed", error="the solver overran its time limit")
                    return
                if not wait([reader, process.sentinel], timeout=0.1):
                    continue
                try:
                    kind, payload = reader.recv()
                except (EOFError, OSError):
                    process.join(STOP_SECONDS)
                    self._finish(job, "failed", error="the solver process ended unexpectedly")
                    return
                if kind == "done":
                    self._finish(job, "done", result=payload)
                else:
                    self._finish(job, "failed", error=str(payload).splitlines()[0])
                return
        finally:
            reader.close()
            _stop(process)

    def _finish(self, job: _Job, status: str, **values: Any) -> None:
        self.store.update(job.roster_id, status=status, finished_at=utcnow(), **values)
