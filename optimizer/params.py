"""Solve parameters: small validated objects, loadable from TOML presets."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from models.problem import Problem

PRESETS = Path(__file__).parent / "presets"


class SolveParams(BaseModel):
    """How long and how to search. Unset fields fall back to the problem's `options`."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(
        default=None, ge=0, description="Wall-clock seconds for the whole solve, I/O excluded."
    )
    seed: int | None = Field(default=None, ge=0, description="Random seed.")
    workers: int | None = Field(default=None, ge=1, le=64, description="CP-SAT search workers.")
    deterministic_limit: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Budget in CP-SAT deterministic seconds; with one worker and a seed the plan is "
            "reproducible. The wall-clock limit still applies."
        ),
    )
    lns_routes: int = Field(default=3, ge=1, description="Routes re-optimized per LNS step.")
    lns_step_time: float = Field(default=0.5, gt=0, description="Seconds per LNS sub-solve.")
    log: bool = Field(default=False, description="Print CP-SAT progress on stderr.")

    def resolved(self, problem: Problem) -> SolveParams:
        """These parameters with every unset field taken from the problem's options."""
        opts = problem.options
        return self.model_copy(
            update={
                "time_limit": (
                    self.time_limit
                    if self.time_limit is not None
                    else opts.time_limit.total_seconds()
                ),
                "seed": self.seed if self.seed is not None else opts.seed,
                "workers": self.workers if self.workers is not None else opts.workers,
            }
        )

    @classmethod
    def preset(cls, name: str) -> SolveParams:
        """Load parameters from `optimizer/presets/<name>.toml`."""
        with (PRESETS / f"{name}.toml").open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))
