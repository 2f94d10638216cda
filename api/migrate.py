"""Database migrations (Alembic): the service's schema, one revision at a time.

`target_metadata()` is every table of the service (`api.db`, `api.booking_db`,
`api.roster_jobs`); the revisions are in `api/migrations/versions`. The service upgrades its
database to the latest revision when it opens it (`migrate`, from `api.db.make_engine`); by
hand, `python -m api.migrate upgrade URL` (or `alembic -x url=URL upgrade head` from the
repository). Write a revision after a change of the tables with `alembic -x
url=sqlite:///scratch.db revision --autogenerate -m "what changed"` on a database at head.

A database made before migrations (by `Base.metadata.create_all`, with no `alembic_version`
table) is adopted by revision 0001, which creates only the tables, indexes and columns it
lacks and keeps every row; the later revisions then apply as to any other.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, text

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(Exception):
    """The database cannot be brought to the latest schema without losing what it stores."""


def target_metadata() -> MetaData:
    """The tables the revisions must produce: every table the service maps."""
    import api.booking_db
    import api.roster_jobs  # noqa: F401  (each module maps its tables on `Base`)
    from api.db import Base

    return Base.metadata


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at `url` (no alembic.ini needed)."""
    from api.db import normalize_url

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default the latest)."""
    command.upgrade(alembic_config(url), revision)


MIGRATION_LOCK = 0x64697370
"""PostgreSQL advisory lock key held while migrating: services starting together on one
database migrate it one after the other (SQLite's write lock does the same there)."""


def migrate(engine: Engine) -> None:
    """Bring the database of `engine` to the latest revision in one transaction on the
    engine's own connection (so an in-memory SQLite database is the one migrated)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def main(argv: list[str] | None = None) -> int:
    """`python -m api.migrate upgrade URL [REVISION]`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] != "upgrade":
        print("usage: python -m api.migrate upgrade URL [REVISION]", file=sys.stderr)
        return 2
    upgrade(args[1], *args[2:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
