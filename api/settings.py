"""Service settings, from the environment (`DISPATCH_*`) or from `dispatch serve` options.

No FastAPI here: the CLI reads these settings for `dispatch keys` too.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///dispatch.db"


class Settings(BaseSettings):
    """How the HTTP service runs: where it stores plans, how many solves run at once, and the
    limits it puts on requests.

    Every field can be set through the environment as `DISPATCH_<NAME>` (for example
    `DISPATCH_DB=postgresql+psycopg://user@host/dispatch`).
    """

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    db: str = Field(
        default=DEFAULT_DB,
        description=(
            "SQLAlchemy database URL; default a SQLite file `dispatch.db` in the working "
            "folder. PostgreSQL: `postgresql+psycopg://user:password@host/name`."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `dispatch serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `dispatch serve` uses.")
    pool_size: int = Field(
        default=1, ge=1, le=64, description="Solver worker processes running at once."
    )
    queue_size: int = Field(
        default=16,
        ge=0,
        le=10_000,
        description="Submitted solves that may wait for a worker; beyond that, 429.",
    )
    solve_workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="CP-SAT workers per solve when a request does not say; default the "
        "problem's options.",
    )
    max_time_limit: float = Field(
        default=300.0, gt=0, description="Longest solve time limit accepted, in seconds."
    )
    first_stage_seconds: float = Field(
        default=1.0,
        ge=0,
        description=(
            "A solve publishes a first plan after this many seconds, then goes on from it "
            "(for long limits in up to four stages of 30 s or more, each publishing its plan "
            "when it improves); 0 runs one stage and publishes only the final plan."
        ),
    )
    replan_time_limit: float = Field(
        default=5.0, gt=0, description="Default time limit of a re-plan, in seconds."
    )
    max_replan_time_limit: float = Field(
        default=60.0, gt=0, description="Longest re-plan time limit accepted, in seconds."
    )
    hold_seconds: float = Field(
        default=300.0, gt=0, le=3600, description="How long a held slot option is kept."
    )
    max_wait: float = Field(
        default=60.0, ge=0, description="Longest `?wait=` a submission may block, in seconds."
    )
    grace_seconds: float = Field(
        default=1.0,
        gt=0,
        description="A solve that has not ended this long past its time limit ends with its "
        "best plan so far (a `no_solution` plan saying so when it has none); its worker is "
        "stopped.",
    )
    max_body_bytes: int = Field(
        default=20_000_000,
        ge=1_000,
        description="Largest request body, in bytes; a larger one is answered 413 before it is "
        "read.",
    )
    max_orders: int = Field(
        default=10_000, ge=1, description="Most orders in a problem (422 beyond, naming it)."
    )
    max_technicians: int = Field(
        default=2_000, ge=1, description="Most technicians in a problem (422 beyond)."
    )
    max_nodes: int = Field(
        default=100_000,
        ge=1,
        description="Most nodes of a road network, or rows of a travel matrix (422 beyond).",
    )
    max_edges: int = Field(
        default=500_000, ge=1, description="Most edges of a road network (422 beyond)."
    )
    max_events: int = Field(
        default=1_000, ge=1, description="Most events in one re-planning request (422 beyond)."
    )
    max_depth: int = Field(
        default=32,
        ge=8,
        le=200,
        description="Deepest nesting of arrays and objects in a request body (422 beyond).",
    )
    max_query_params: int = Field(
        default=64, ge=1, description="Most query parameters in a request (422 beyond)."
    )
    short_pool_size: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes running re-plans and recommendations at once, beside "
        "the solves (these short jobs never wait for a long solve).",
    )
    short_queue_size: int = Field(
        default=8,
        ge=0,
        le=10_000,
        description="Re-plans and recommendations that may wait for a short-job worker; "
        "beyond that, 429.",
    )
    kept_days: int = Field(
        default=4,
        ge=0,
        le=64,
        description="Plan versions each short-job worker keeps compiled, so that "
        "recommendations and fast-path re-plans (time limit 0) on a version asked about "
        "before skip validating and compiling its day; 0 runs each in a fresh process.",
    )
    db_password_file: str | None = Field(
        default=None,
        description="File holding the database password (its first line), so that it is "
        "neither in the URL nor on the command line; PostgreSQL's own `PGPASSWORD` and "
        "`~/.pgpass` work as well.",
    )
    key_lifetime_days: float | None = Field(
        default=None,
        gt=0,
        description="Keys made from now on expire after this many days unless they say "
        "otherwise; default never.",
    )

    def database_url(self) -> str:
        """The database URL to connect with: `db`, with the password of `db_password_file`
        when one is given."""
        from api.db import with_password  # lazy: the settings load without SQLAlchemy

        return with_password(self.db, self.db_password_file)
