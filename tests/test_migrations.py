"""Database migrations: the revisions build exactly the tables the service maps."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from api.migrate import alembic_config, target_metadata, upgrade


def _differences(url: str) -> list[object]:
    """What autogenerate would change to bring the database at `url` to the models."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, target_metadata()))
    finally:
        engine.dispose()


def test_an_empty_database_upgraded_to_head_matches_the_models(tmp_path: Path) -> None:
    """Upgrading an empty SQLite database to head gives every mapped table, column, type and
    index, with nothing for autogenerate to add or drop."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    upgrade(url)
    assert _differences(url) == []
    tables = set(inspect(create_engine(url)).get_table_names())
    assert set(target_metadata().tables) <= tables
    assert "alembic_version" in tables


def test_an_empty_database_differs_from_the_models(tmp_path: Path) -> None:
    """Before any upgrade the comparison reports the missing tables (so it can fail)."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_engine(url).connect().close()
    added = {d[1].name for d in _differences(url) if d[0] == "add_table"}  # type: ignore[index]
    assert added == set(target_metadata().tables)


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    """Every revision can be undone and applied again."""
    url = f"sqlite:///{tmp_path / 'round.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(create_engine(url)).get_table_names()) == {"alembic_version"}
    upgrade(url)
    assert _differences(url) == []
