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
        default=30.0,
        gt=0,
        description="A worker still running this long past its time limit is stopped.",
    )
