"""Database tables of the service (SQLAlchemy 2): plans, their versions, API keys.

SQLite by default (a file, no set-up), PostgreSQL by URL. The database is migrated to the
latest schema on start (`api.migrate`); JSON columns hold contract documents exactly as the
API returns them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant stored in UTC; read back aware even from SQLite, which drops offsets."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store in UTC (naive values are taken as UTC)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Read back as an aware UTC instant."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of the service's tables."""


class PlanRecord(Base):
    """A submitted problem and the job that solves it; its plans are its versions."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    problem_id: Mapped[str | None] = mapped_column(String(200), index=True)
    author_key: Mapped[str | None] = mapped_column(String(32))
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_role: Mapped[str | None] = mapped_column(String(16))
    # The request and the problem may be megabytes: read only where they are used (a poll
    # of a large plan must not parse them every time).
    request: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    problem: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    best_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VersionRecord(Base):
    """One version of a plan: its input, the problem it answers, the plan and its changes."""

    __tablename__ = "plan_versions"

    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="RESTRICT"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_key: Mapped[str | None] = mapped_column(String(32))
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_role: Mapped[str | None] = mapped_column(String(16))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class KeyRecord(Base):
    """An API key: its public id, role, and the salted hash of its secret."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    salt: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_plans_status_created", PlanRecord.status, PlanRecord.created_at)


def normalize_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg (3) driver."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Write-ahead log, wait on locks, enforce keys; transactions are begun by SQLAlchemy."""
    # The driver's own implicit BEGIN is turned off so `_begin_immediate` decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction begins: a transaction that reads and then
    writes cannot then fail because another thread wrote in between."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for the URL, its database migrated to the latest schema (`api.migrate`)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        args: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 10}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            args["poolclass"] = StaticPool  # one in-memory database shared by every thread
        engine = create_engine(url, **args)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    from api.migrate import migrate  # it imports the tables of every module, this one too

    migrate(engine)
    return engine


def masked(url: str) -> str:
    """A database URL fit to print: its password replaced by `***`."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def with_password(url: str, password_file: str | None) -> str:
    """The URL with the password read from `password_file` (its first line), if one is
    given; the password never has to be in the URL or on a command line."""
    if password_file is None:
        return url
    with open(password_file, encoding="utf-8") as f:
        password = f.readline().rstrip("\r\n")
    full = make_url(normalize_url(url)).set(password=password)
    return full.render_as_string(hide_password=False)
