"""Alembic's environment: the service's tables as the target, one connection per run.

The connection is the caller's when it hands one over in `config.attributes["connection"]`
(`api.migrate.migrate`, at the service's start); else one to the URL given with `-x url=URL`
or set on the configuration (`alembic` command, `python -m api.migrate`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, MetaData, create_engine

from api.migrate import target_metadata

config = context.config


def run_on(connection: Connection, metadata: MetaData | None) -> None:
    """Run the migrations on `connection` (batch mode, so SQLite can alter tables), with
    `metadata` as the target of autogenerate."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Run the migrations on the caller's connection, or on a new one to the URL."""
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        # Upgrading needs no models: importing every module's tables (the rosters' bring
        # the job runners) would cost a `dispatch keys` command seconds.
        run_on(given, None)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("no database URL: pass -x url=URL")
    engine = create_engine(url)
    with engine.connect() as connection:
        run_on(connection, target_metadata())
    engine.dispose()


run()
