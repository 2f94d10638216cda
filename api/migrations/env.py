"""Alembic's environment: the service's tables as the target, one connection per run."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from api.migrate import target_metadata

config = context.config
given = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
    "sqlalchemy.url"
)
if not given:
    raise SystemExit("no database URL: pass -x url=URL")
url: str = given


def run() -> None:
    """Run the migrations on a connection to `url` (batch mode, so SQLite can alter tables)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata(),
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
