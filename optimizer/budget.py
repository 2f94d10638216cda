"""The time budget of a solve: one object handed down the call chain (PyVRP `pyvrp/stop/`),
instead of deadlines and fractions cut at every layer.

A budget is a wall-clock limit counted from the instant its entry point chose (the process
start for the command line, the call for `solve()` and `replan()`), and optionally a limit in
CP-SAT deterministic seconds, which makes a one-worker run reproducible. The steps of a pipeline
end at named `Stage`s of it: a share of the limit, less the seconds kept for what follows.
What is kept is measured as work on an idle machine and counted at the budget's `pace`, which
an entry point that can measure it sets (`dispatch`, from how long its start-up took).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Stage:
    """A named step of a pipeline: it ends at `share` of the budget's limit, less `keep`
    seconds (kept for the steps after it)."""

    name: str
    share: float = 1.0
    keep: float = 0.0


@dataclass(frozen=True)
class Budget:
    """How long a solve may run: `limit` wall-clock seconds from `started` (a
    `time.monotonic()` instant), and at most `deterministic` CP-SAT deterministic seconds of
    search when that is set (the wall-clock limit still applies)."""

    limit: float
    started: float = field(default_factory=time.monotonic)
    deterministic: float | None = None
    pace: float = 1.0
    """Wall seconds that a second of work takes on this machine now (1 unless the entry
    point measured it, as `dispatch` does from its start-up): what is kept back for the work
    after a stage, measured in seconds of work on an idle machine, is scaled by it."""

    @classmethod
    def start(
        cls,
        limit: float | None,
        deterministic: float | None = None,
        *,
        started: float | None = None,
        pace: float = 1.0,
    ) -> Budget:
        """A budget of `limit` seconds (none: 0) from `started`, default now."""
        return cls(
            limit=max(float(limit or 0.0), 0.0),
            started=time.monotonic() if started is None else started,
            deterministic=deterministic,
            pace=max(pace, 1.0),
        )

    @property
    def deadline(self) -> float:
        """The `time.monotonic()` instant the budget runs out."""
        return self.started + self.limit

    def remaining(self) -> float:
        """Seconds left, never below 0."""
        return max(self.deadline - time.monotonic(), 0.0)

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.monotonic() - self.started

    def expired(self) -> bool:
        """Whether the wall-clock limit has passed."""
        return time.monotonic() >= self.deadline

    def end_of(self, stage: Stage) -> float:
        """The instant `stage` ends: its share of the limit, less what it keeps (at this
        budget's pace), never before the start."""
        return self.started + max(0.0, stage.share * self.limit - stage.keep * self.pace)

    def keep(self, seconds: float) -> Budget:
        """The same budget ending `seconds` earlier (kept for the caller's own work after it,
        such as writing the plan)."""
        return replace(self, limit=max(self.limit - seconds, 0.0))

    def keep_work(self, seconds: float) -> Budget:
        """The same budget ending early enough for `seconds` of work (as measured on an idle
        machine) at this budget's pace."""
        return self.keep(seconds * self.pace)

    def until(self, stage: Stage) -> Budget:
        """The part of this budget up to the end of `stage` (same start, same
        deterministic limit)."""
        return replace(self, limit=self.end_of(stage) - self.started)

    def ending(self, instant: float) -> Budget:
        """The part of this budget up to `instant` (a `time.monotonic()` instant)."""
        return replace(self, limit=max(min(instant, self.deadline) - self.started, 0.0))
