"""Database migrations (Alembic): the service's schema, one revision at a time.

`target_metadata()` is every table of the service (`api.db`, `api.booking_db`,
`api.roster_jobs`); the revisions are in `api/migrations/versions`. Upgrade a database with
`python -m api.migrate upgrade URL` (or `alembic -x url=URL upgrade head` from the repository),
and write a revision after a change of the tables with `alembic -x url=sqlite:///scratch.db
revision --autogenerate -m "what changed"` on a database at head.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

MIGRATIONS = Path(__file__).parent / "migrations"


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
