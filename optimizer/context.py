"""What a re-plan keeps of the running day, as an input of `compile_problem` and `solve`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from models.plan import Plan
from optimizer.travel import TravelMatrix

if TYPE_CHECKING:  # the replan package builds contexts; it imports the solver, not back
    from optimizer.instance import Instance
    from optimizer.replan.freeze import Frozen


@dataclass(frozen=True)
class Context:
    """A re-plan's context: the previous plan (its starts and technicians price changes
    beyond `tolerance`; its unstarted part is the warm start), the frozen part of each
    started shift, and the day's travel matrix (with where each technician is free).
    `kept`: the whole day compiled once by the caller (`optimizer.replan.KeptDay`), over a
    matrix the context's extends: orders it compiled are taken from it, not compiled again."""

    previous: Plan
    frozen: Mapping[str, Frozen] = field(default_factory=dict)
    tolerance: timedelta = timedelta(minutes=15)
    travel: TravelMatrix | None = None
    kept: Instance | None = None
