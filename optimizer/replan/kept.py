"""A day kept by a caller that re-plans it or asks for recommendations many times (a
dispatcher's board, the service): its travel matrix and its compiled instance, made once. Each
call then derives its residual instance from the kept one (orders the call leaves as they were
are taken as compiled, their compatibility rows sliced) instead of compiling the day again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from models.problem import Problem
from models.validation import check_problem
from optimizer.evaluate.memo import RouteMemo
from optimizer.instance import Instance, compile_problem
from optimizer.travel import TravelMatrix


def problem_key(problem: Problem) -> str:
    """The content key of a problem: the SHA-256 of its JSON (equal problems, equal keys)."""
    return hashlib.sha256(problem.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class KeptDay:
    """A day compiled once: the problem, its content key, its travel matrix, its compiled
    instance (over that matrix, without a re-plan's context) and whether it is valid (then
    a call checks only what its events change); and the evaluator's findings on the routes
    of the plans re-planned on it (`RouteMemo`: a re-plan checks again only the routes that
    changed). Problems are values: a kept day serves the
    problem it was made of, not one changed in place since."""

    problem: Problem
    key: str
    travel: TravelMatrix
    instance: Instance
    valid: bool = False  # the problem passed `check_problem` when it was kept
    # The evaluator's findings on single routes of this day's plans (over its matrix).
    memo: RouteMemo = field(default_factory=RouteMemo, compare=False, repr=False)

    def serves(self, problem: Problem) -> bool:
        """The day was kept for this problem: the same object, or one of the same content."""
        return problem is self.problem or problem_key(problem) == self.key


def keep_day(problem: Problem, travel: TravelMatrix | None = None) -> KeptDay:
    """Keep a validated day for later calls (`recommend(..., day=)`, `replan(..., day=)`),
    over `travel` when the caller has the day's matrix already."""
    travel = travel or TravelMatrix.from_problem(problem)
    instance = compile_problem(problem, travel)
    valid = not check_problem(problem)
    return KeptDay(problem, problem_key(problem), travel, instance, valid)


def kept_for(day: KeptDay | None, problem: Problem) -> KeptDay | None:
    """The kept day when it serves the problem; raises `ValueError` when it is another
    day's (a stale kept day is never used)."""
    if day is None:
        return None
    if not day.serves(problem):
        raise ValueError("the kept day is of another problem (its content key differs)")
    return day
