"""Database migrations: the revisions build exactly the tables the service maps, the service
migrates its database on start, and a database made before migrations is adopted with every
row it holds. On SQLite, and on PostgreSQL with DISPATCH_TEST_POSTGRES (the `db_url`
fixture of tests/test_api.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, Table, create_engine, inspect, text
from typer.testing import CliRunner

from api.auth import Role, new_key
from api.cli import app
from api.db import make_engine, normalize_url
from api.migrate import MigrationError, alembic_config, target_metadata, upgrade
from api.store import Store

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
FIRST_RELEASE = ("plans", "plan_versions", "api_keys")
"""The tables of the first release with a database, whose keys had no `expires_at`."""


def _engine(url: str) -> Engine:
    return create_engine(normalize_url(url))


def _differences(url: str) -> list[Any]:
    """What autogenerate would change to bring the database at `url` to the models."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, target_metadata()))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    """The revision the database at `url` is stamped with (None: no alembic_version)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _head(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_an_empty_database_upgraded_to_head_matches_the_models(db_url: str) -> None:
    """Upgrading an empty database to head gives every mapped table, column, type and
    index, with nothing for autogenerate to add or drop."""
    upgrade(db_url)
    assert _differences(db_url) == []
    tables = _tables(db_url)
    assert set(target_metadata().tables) <= tables
    assert "alembic_version" in tables


def test_an_empty_database_differs_from_the_models(db_url: str) -> None:
    """Before any upgrade the comparison reports the missing tables (so it can fail)."""
    added = {d[1].name for d in _differences(db_url) if d[0] == "add_table"}
    assert added == set(target_metadata().tables)


def test_downgrade_to_base_and_back(db_url: str) -> None:
    """Every revision can be undone and applied again."""
    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "base")
    assert _tables(db_url) == {"alembic_version"}
    upgrade(db_url)
    assert _differences(db_url) == []


def test_the_service_migrates_a_new_database_when_it_opens_it(db_url: str) -> None:
    """Opening a new database (as the service, the worker and the CLI do) upgrades it to
    head; opening it again changes nothing."""
    make_engine(db_url).dispose()
    assert _revision(db_url) == _head(db_url)
    assert _differences(db_url) == []
    make_engine(db_url).dispose()
    assert _revision(db_url) == _head(db_url)


def _legacy(url: str, tables: tuple[str, ...]) -> MetaData:
    """Make `tables` the way `Base.metadata.create_all` made them before migrations (the
    first release's keys without `expires_at`); no alembic_version."""
    legacy = MetaData()
    for name in tables:
        table = target_metadata().tables[name]
        if name == "api_keys" and tables == FIRST_RELEASE:
            Table(name, legacy, *_columns(table, without="expires_at"))
        else:
            table.to_metadata(legacy)
    engine = _engine(url)
    legacy.create_all(engine)
    engine.dispose()
    return legacy


def _missing(url: str) -> set[str]:
    """The tables and the columns (`table.column`) the database at `url` lacks."""
    found = set()
    for d in _differences(url):
        if d[0] == "add_table":
            found.add(d[1].name)
        elif d[0] == "add_column":
            found.add(f"{d[2]}.{d[3].name}")
    return found


def _columns(table: Table, without: str) -> list[Column[Any]]:
    """Copies of the table's columns but one (no foreign keys, no indexes)."""
    return [
        Column(c.name, c.type, nullable=c.nullable, primary_key=c.primary_key)
        for c in table.columns
        if c.name != without
    ]


def _stored(url: str, legacy: MetaData) -> tuple[str, str]:
    """A key, a plan and its first version written into a legacy database; the key's text
    and the plan's id."""
    made = new_key()
    plan_id = "0b5c4c2e-2f5e-4f57-9d52-1f4d7c1f0a11"
    key: dict[str, Any] = {"id": made.key_id, "name": "night dispatcher", "role": "dispatcher"}
    key |= {"salt": made.salt, "digest": made.digest, "created_at": WHEN}
    plan: dict[str, Any] = {"id": plan_id, "status": "done", "problem_id": "day-1"}
    plan |= {"request": {"problem": {"id": "day-1"}}, "problem": {"id": "day-1"}}
    plan |= {"options": {"time_limit": 5}, "best_plan": {"status": "feasible"}, "version": 1}
    plan |= {"created_at": WHEN, "updated_at": WHEN, "finished_at": WHEN}
    version: dict[str, Any] = {"plan_id": plan_id, "number": 1, "kind": "solve"}
    version |= {"created_at": WHEN, "input": {}, "problem": {"id": "day-1"}}
    version |= {"plan": {"status": "feasible", "routes": []}, "changes": []}
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(legacy.tables["api_keys"].insert(), key)
        conn.execute(legacy.tables["plans"].insert(), plan)
        conn.execute(legacy.tables["plan_versions"].insert(), version)
    engine.dispose()
    return made.text, plan_id


@pytest.mark.parametrize(
    ("tables", "lacking"),
    [
        (FIRST_RELEASE, {"access_log", "rosters", "slot_offers", "api_keys.expires_at"}),
        (tuple(target_metadata().tables), set()),
    ],
    ids=["first-release", "last-release-before-migrations"],
)
def test_a_database_made_before_migrations_is_adopted_with_its_rows(
    db_url: str, tables: tuple[str, ...], lacking: set[str]
) -> None:
    """A database made by `create_all` (no alembic_version) is brought to head when the
    service opens it: the tables and columns it lacked are added, and its key still
    authenticates, its plan and version read back as written."""
    legacy = _legacy(db_url, tables)
    key_text, plan_id = _stored(db_url, legacy)
    assert _revision(db_url) is None
    assert _missing(db_url) == lacking
    store = Store.open(db_url)
    try:
        key = store.authenticate(key_text)
        assert key is not None and key.role == Role.dispatcher and key.expires_at is None
        assert key.name == "night dispatcher" and key.created_at == WHEN
        record = store.get_plan(plan_id)
        assert record is not None and record.status == "done" and record.version == 1
        assert record.options == {"time_limit": 5} and record.best_plan == {"status": "feasible"}
        assert store.version_plan(plan_id, 1) == {"status": "feasible", "routes": []}
        assert [k.id for k in store.list_keys()] == [key.id]
    finally:
        store.close()
    assert _revision(db_url) == _head(db_url)
    assert _differences(db_url) == []


def test_a_table_lacking_a_required_column_stops_the_migration_and_keeps_everything(
    db_url: str,
) -> None:
    """A plans table without a required column cannot be adopted: opening the database
    fails (the CLI says why, exit 2), and it is left exactly as it was (no table added, no
    stamp, its rows kept)."""
    legacy = MetaData()
    plans = target_metadata().tables["plans"]
    Table("plans", legacy, *_columns(plans, without="version"))
    engine = _engine(db_url)
    legacy.create_all(engine)
    row = {"id": "p1", "status": "done", "request": {}, "problem": {}, "options": {}}
    row |= {"created_at": WHEN, "updated_at": WHEN}
    with engine.begin() as conn:
        conn.execute(legacy.tables["plans"].insert(), row)
    engine.dispose()
    with pytest.raises(MigrationError, match="plans lacks the required column version"):
        make_engine(db_url)
    listing = CliRunner().invoke(app, ["keys", "list", "--db", db_url])
    assert listing.exit_code == 2 and "lacks the required column" in listing.output
    assert "Traceback" not in listing.output
    assert _tables(db_url) == {"plans"}
    engine = _engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, status FROM plans")).all() == [("p1", "done")]
    engine.dispose()
