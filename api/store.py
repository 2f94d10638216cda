"""What the service keeps: plans, their versions and API keys, behind one small class.

Every method runs in its own short transaction, so the store is safe to share between the
request threads and the job supervisors. Nothing is ever deleted: a plan, its versions and
their inputs stay; a revoked key keeps its row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, Text, cast, func, insert, literal, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import sessionmaker

from api.auth import Role, key_id_of, matches, new_key, split_key
from api.db import KeyRecord, PlanRecord, UTCDateTime, VersionRecord, make_engine, utcnow

FINISHED = ("done", "failed", "cancelled")
"""Statuses a plan's job does not leave."""

INTERRUPTED = "the service stopped while this plan was being solved"

VERSION_COLUMNS = [
    "plan_id",
    "number",
    "kind",
    "created_at",
    "author_key",
    "author_name",
    "author_role",
    "input",
    "problem",
    "plan",
    "changes",
]
"""Columns of a version, in the order `Store.finish` copies them."""


def storable(text: str) -> bool:
    """Whether a text can be a column value or a query parameter everywhere: PostgreSQL text
    cannot hold NUL characters, so no stored id or name has one."""
    return "\x00" not in text


def database_down(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be reached (rather than a bad
    statement): a lost or refused connection."""
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class NotFound(LookupError):
    """No such record."""


class Ambiguous(LookupError):
    """A prefix names more than one record."""


class VersionConflict(RuntimeError):
    """Another version was stored first."""


@dataclass(frozen=True)
class Author:
    """Who did something: the key's id, its name and its role."""

    key_id: str | None
    name: str | None
    role: str | None

    @classmethod
    def of(cls, key: KeyRecord) -> Author:
        """The author a key stands for."""
        return cls(key_id=key.id, name=key.name, role=key.role)


@dataclass(frozen=True)
class PlanFilter:
    """Which plans a listing returns."""

    statuses: Sequence[str] = ()
    problem_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


class Store:
    """Plans, versions and keys in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Store:
        """A store on the database at `url` (tables created when missing)."""
        return cls(make_engine(url))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise when the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # ----------------------------------------------------------------------------- keys

    def create_key(
        self, role: Role, name: str | None = None, expires_in_days: float | None = None
    ) -> tuple[KeyRecord, str]:
        """Store a new key; return its record and its full text (shown only this once)."""
        made = new_key()
        now = utcnow()
        record = KeyRecord(
            id=made.key_id,
            name=name,
            role=role.value,
            salt=made.salt,
            digest=made.digest,
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        with self._session.begin() as session:
            session.add(record)
        return record, made.text

    def authenticate(self, key_text: str) -> KeyRecord | None:
        """The live key whose text this is, or None (unknown, revoked or malformed)."""
        parts = split_key(key_text)
        if parts is None:
            return None
        key_id, secret = parts
        if not storable(key_id):
            return None
        with self._session.begin() as session:
            record = session.get(KeyRecord, key_id)
        if record is None or record.revoked_at is not None:
            return None
        if record.expires_at is not None and record.expires_at <= utcnow():
            return None
        return record if matches(record.salt, record.digest, secret) else None

    def list_keys(self) -> list[KeyRecord]:
        """Every key, revoked ones included, oldest first."""
        with self._session.begin() as session:
            return list(session.scalars(select(KeyRecord).order_by(KeyRecord.created_at)))

    def get_key(self, key_id: str) -> KeyRecord | None:
        """The key with this id, or None."""
        if not storable(key_id):
            return None
        with self._session.begin() as session:
            return session.get(KeyRecord, key_id)

    def revoke_key(self, id_or_prefix: str) -> KeyRecord:
        """Revoke the key named by its id, a unique prefix of its id, its printed prefix
        (`dsp_<id>`) or its whole text; revoking twice keeps the first time.

        Raises `NotFound` or `Ambiguous`.
        """
        wanted = key_id_of(id_or_prefix)
        if not wanted or not storable(wanted):
            raise NotFound(id_or_prefix)
        with self._session.begin() as session:
            record = session.get(KeyRecord, wanted)
            if record is None:
                found = list(
                    session.scalars(
                        select(KeyRecord).where(KeyRecord.id.startswith(wanted, autoescape=True))
                    )
                )
                if not found:
                    raise NotFound(id_or_prefix)
                if len(found) > 1:
                    raise Ambiguous(id_or_prefix)
                record = found[0]
            if record.revoked_at is None:
                record.revoked_at = utcnow()
            return record

    # ----------------------------------------------------------------------------- plans

    def add_plan(
        self,
        *,
        author: Author,
        request: dict[str, Any],
        problem: dict[str, Any],
        options: dict[str, Any],
        problem_id: str | None,
    ) -> PlanRecord:
        """Store a newly submitted plan, queued."""
        now = utcnow()
        record = PlanRecord(
            id=str(uuid.uuid4()),
            status="queued",
            problem_id=problem_id,
            author_key=author.key_id,
            author_name=author.name,
            author_role=author.role,
            request=request,
            problem=problem,
            options=options,
            version=0,
            created_at=now,
            updated_at=now,
        )
        with self._session.begin() as session:
            session.add(record)
        return record

    def problem_text(self, plan_id: str) -> str:
        """A plan's problem as the JSON text stored (for a worker process to parse)."""
        with self._session.begin() as session:
            text_ = session.scalar(
                select(cast(PlanRecord.problem, Text)).where(PlanRecord.id == plan_id)
            )
        if text_ is None:
            raise NotFound(plan_id)
        return str(text_)

    def get_plan(self, plan_id: str) -> PlanRecord | None:
        """The plan with this id, or None."""
        if not storable(plan_id):
            return None
        with self._session.begin() as session:
            return session.get(PlanRecord, plan_id)

    def list_plans(
        self, where: PlanFilter, *, limit: int, offset: int
    ) -> tuple[list[PlanRecord], int]:
        """One page of plans (newest first) and the number of plans that match."""
        if where.problem_id is not None and not storable(where.problem_id):
            return [], 0
        query = select(PlanRecord)
        if where.statuses:
            query = query.where(PlanRecord.status.in_(list(where.statuses)))
        if where.problem_id is not None:
            query = query.where(PlanRecord.problem_id == where.problem_id)
        if where.created_after is not None:
            query = query.where(PlanRecord.created_at >= where.created_after)
        if where.created_before is not None:
            query = query.where(PlanRecord.created_at < where.created_before)
        with self._session.begin() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = session.scalars(
                query.order_by(PlanRecord.created_at.desc(), PlanRecord.id)
                .limit(limit)
                .offset(offset)
            )
            return list(page), total

    def mark_solving(self, plan_id: str) -> PlanRecord | None:
        """Move a queued plan to solving; None when it is no longer queued (cancelled)."""
        with self._session.begin() as session:
            record = session.get(PlanRecord, plan_id)
            if record is None or record.status != "queued":
                return None
            record.status = "solving"
            record.started_at = record.updated_at = utcnow()
            return record

    def save_progress(self, plan_id: str, plan: dict[str, Any]) -> None:
        """Record the best plan found so far by a running solve."""
        with self._session.begin() as session:
            record = session.get(PlanRecord, plan_id)
            if record is not None and record.status == "solving":
                record.best_plan = plan
                record.updated_at = utcnow()

    def requeue(self, plan_id: str) -> None:
        """Put a solving plan back in the queue (its solve was stopped by a shutdown; it runs
        again from the start after the next start)."""
        with self._session.begin() as session:
            record = session.get(PlanRecord, plan_id)
            if record is not None and record.status == "solving":
                record.status = "queued"
                record.best_plan = None
                record.started_at = None
                record.updated_at = utcnow()

    def cancel_queued(self, plan_id: str, by: str | None) -> bool:
        """Cancel a plan that is still queued; False when it is not queued."""
        with self._session.begin() as session:
            record = session.get(PlanRecord, plan_id)
            if record is None or record.status != "queued":
                return False
            record.status = "cancelled"
            record.cancelled_by = by
            record.finished_at = record.updated_at = utcnow()
            return True

    def finish(
        self,
        plan_id: str,
        status: str,
        *,
        plan: dict[str, Any] | None = None,
        error: str | None = None,
        cancelled_by: str | None = None,
    ) -> PlanRecord | None:
        """End a solve: record its status, and its plan (if any) as version 1."""
        with self._session.begin() as session:
            record = session.get(PlanRecord, plan_id)
            if record is None or record.status in FINISHED:
                return record
            now = utcnow()
            plan = plan if plan is not None else record.best_plan
            record.status = status
            record.error = error
            record.cancelled_by = cancelled_by
            record.finished_at = record.updated_at = now
            record.best_plan = None
            if plan is not None and record.version == 0:
                # The request and the problem are copied by the database: a large problem
                # is not parsed and written again here.
                copied = select(
                    PlanRecord.id,
                    literal(1),
                    literal("solve"),
                    literal(now, UTCDateTime),
                    PlanRecord.author_key,
                    PlanRecord.author_name,
                    PlanRecord.author_role,
                    PlanRecord.request,
                    PlanRecord.problem,
                    literal(plan, JSON),
                    literal([], JSON),
                ).where(PlanRecord.id == plan_id)
                session.execute(insert(VersionRecord).from_select(VERSION_COLUMNS, copied))
                record.version = 1
            return record

    def recover(self) -> list[str]:
        """After a restart: solves that were running are failed (keeping the best plan they
        had published); the ids of queued plans are returned, oldest first, to re-queue."""
        with self._session.begin() as session:
            running = list(
                session.scalars(select(PlanRecord.id).where(PlanRecord.status == "solving"))
            )
        for plan_id in running:
            self.finish(plan_id, "failed", error=INTERRUPTED)
        with self._session.begin() as session:
            return list(
                session.scalars(
                    select(PlanRecord.id)
                    .where(PlanRecord.status == "queued")
                    .order_by(PlanRecord.created_at, PlanRecord.id)
                )
            )

    # ----------------------------------------------------------------------------- versions

    def versions(self, plan_id: str) -> list[VersionRecord]:
        """Every version of a plan, oldest first."""
        if not storable(plan_id):
            return []
        with self._session.begin() as session:
            return list(
                session.scalars(
                    select(VersionRecord)
                    .where(VersionRecord.plan_id == plan_id)
                    .order_by(VersionRecord.number)
                )
            )

    def version_plan(self, plan_id: str, number: int) -> dict[str, Any] | None:
        """The plan of one version alone (not its input and problem), or None."""
        if not storable(plan_id):
            return None
        with self._session.begin() as session:
            return session.scalar(
                select(VersionRecord.plan).where(
                    VersionRecord.plan_id == plan_id, VersionRecord.number == number
                )
            )

    def get_version(self, plan_id: str, number: int) -> VersionRecord | None:
        """One version of a plan, or None."""
        if not storable(plan_id):
            return None
        with self._session.begin() as session:
            return session.get(VersionRecord, (plan_id, number))

    def add_version(
        self,
        plan_id: str,
        number: int,
        *,
        kind: str,
        author: Author,
        input: dict[str, Any],
        problem: dict[str, Any],
        plan: dict[str, Any],
        changes: list[dict[str, Any]],
    ) -> VersionRecord:
        """Store version `number`, which must follow the plan's latest version.

        Raises `NotFound` for an unknown plan and `VersionConflict` when another version was
        stored since the caller read the latest one.
        """
        try:
            with self._session.begin() as session:
                record = session.get(PlanRecord, plan_id, with_for_update=True)
                if record is None:
                    raise NotFound(plan_id)
                if record.version != number - 1:
                    raise VersionConflict(f"plan is at version {record.version}")
                now = utcnow()
                version = VersionRecord(
                    plan_id=plan_id,
                    number=number,
                    kind=kind,
                    created_at=now,
                    author_key=author.key_id,
                    author_name=author.name,
                    author_role=author.role,
                    input=input,
                    problem=problem,
                    plan=plan,
                    changes=changes,
                )
                session.add(version)
                record.version = number
                record.updated_at = now
        except IntegrityError as exc:
            raise VersionConflict(f"version {number} exists") from exc
        return version
