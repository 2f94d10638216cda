"""The set-up that `replan` and `recommend` share: the events applied to the problem (only what
they change checked again on a kept valid day), the part of each started shift frozen at
`now`, the residual day left to plan, its travel matrix and the re-plan's context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.events import Event
from models.plan import Plan
from models.problem import Problem
from optimizer.context import Context
from optimizer.replan.events import apply_events
from optimizer.replan.freeze import Frozen, fold_frozen, freeze
from optimizer.replan.kept import KeptDay, kept_for
from optimizer.replan.residual import matrix, residual_problem
from optimizer.travel import TravelMatrix


@dataclass(frozen=True)
class ResidualDay:
    """A running day at `now` after its events: the updated problem, the frozen part of each
    started shift, the residual problem, the travel matrix and the context to compile and
    solve the residual problem with."""

    day: KeptDay | None
    updated: Problem
    frozen: dict[str, Frozen]
    residual: Problem
    travel: TravelMatrix
    context: Context


def residual_day(
    problem: Problem,
    plan: Plan,
    now: datetime,
    events: list[Event],
    *,
    tolerance: timedelta,
    travel: TravelMatrix | None,
    day: KeptDay | None,
    whole_day: bool,
) -> ResidualDay:
    """The residual day of `problem` planned by `plan`, at `now`, after `events`.

    `whole_day`: the caller builds the whole day's plan again (`replan`): the frozen visits
    are folded into the updated problem as pinned, and the matrix covers the updated problem
    and where each technician is free (the way home of finished routes, the evaluation);
    otherwise (`recommend`) they are left as they are and the matrix covers the residual
    problem. Raises `InvalidInput` for events that do not fit the problem,
    `ValueError` for a kept day of another problem."""
    day = kept_for(day, problem)
    updated = apply_events(problem, events, valid=day is not None and day.valid)
    frozen = freeze(updated, plan, now, events)
    updated = fold_frozen(updated, frozen, pins=whole_day)
    residual = residual_problem(updated, frozen, now)
    kept = travel or (day.travel if day is not None else None)
    if whole_day:
        travel = matrix(updated, [f.free_loc for f in frozen.values()], kept)
    else:
        travel = matrix(residual, [], kept)
    context = Context(
        previous=plan,
        frozen=frozen,
        tolerance=tolerance,
        travel=travel,
        kept=day.instance if day is not None else None,
    )
    return ResidualDay(day, updated, frozen, residual, travel, context)
