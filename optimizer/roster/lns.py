"""Large neighbourhood search on sub-models: re-optimise everyone over a window of days, a
group of people over every day, or a larger group over a window of days, with the rest of the
roster fixed, warm-started from the incumbent, until the budget is spent; and the first roster
of a large instance.

Every labour rule binds one person, so a neighbourhood is a small model of its own
(`RosterInstance.subproblem`): the people outside it count as constants in the cover rows.
Building it costs what its free part costs, whatever the size of the whole instance.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model

from optimizer.roster import first_row
from optimizer.roster.evaluate import evaluate_assignment, hard_violations
from optimizer.roster.instance import OFF, RosterInstance
from optimizer.roster.model import RosterModel, build_model
from optimizer.roster.solve import search_redundant

if TYPE_CHECKING:
    from optimizer.roster.solve import Search

KINDS = ("days", "staff", "block")
"""Neighbourhoods in turn: everyone over a window of days, a group of people over every day,
and a group of twice as many people over a window of twice the days."""
KINDS_BY_PARTS = ("row", "staff", "block")
"""On instances solved by parts, everyone over a window costs too much to build (a model of
every person over the whole horizon); "row" is one person's best row given the others.
With `RosterParams.lns_cover`, also "cover": the people who could fill a cover row that is
short (`cover_part`) over a window of twice the days around it, the rows that cost the most
drawn most often."""


def solve_part(
    search: Search,
    people: list[int],
    days: set[int] | None,
    wall: float,
    deterministic: float | None,
    seed: int,
) -> tuple[int, bool] | None:
    """Re-optimise `people` (on `days`, None for all) with everything else fixed, hinted with
    the incumbent; write the rows back when they cost no more. Returns (the change in the
    objective, whether the sub-model was solved to optimality), None without a solution."""
    assert search.assignment is not None
    inst = search.rm_inst
    sub = inst.subproblem(people, search.assignment, days)
    # with most days fixed the flow of runs costs more to build than it helps
    redundant = search_redundant(search.params) if days is None else ()
    rm = build_model(sub, redundant=redundant)
    before = [search.assignment[e] for e in people]
    rm.hint(before)
    solver, status = search.run_model(rm.model, wall, deterministic, seed)
    search.budget.spent_deterministic += max(
        0.0, search.params.lns_step_cost - solver.deterministic_time
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.INFEASIBLE:
            search.infeasible = True
        return None
    rows = rm.assignment(solver)
    old = evaluate_assignment(sub, before)
    new = evaluate_assignment(sub, rows)
    delta = new.value - old.value if old.feasible else new.value
    if new.feasible and (delta <= 0 or not old.feasible):
        for k, e in enumerate(people):
            search.assignment[e] = rows[k]
        return delta, status == cp_model.OPTIMAL
    return 0, status == cp_model.OPTIMAL


def construct(search: Search) -> None:
    """A first roster, person by person: every labour rule binds one person, so each row is
    a small model of its own, solved with the people before counted in the cover (a greedy
    that is feasible whenever each person's rules are). The days worked come from the
    dynamic programme of `first_row`, the shift types of those days from CP-SAT; a person it
    finds no row for gets the whole one-person model. The phase has `lns_first_share` of the
    budget, shared out over the people left; a model that finds no row in its share is solved
    again on feasibility alone, stopped at its first row."""
    inst = search.rm_inst
    params, budget = search.params, search.budget
    assert params.seed is not None
    assignment = [[OFF] * inst.num_days for _ in range(inst.num_staff)]
    share = params.lns_first_share
    wall, det = budget.wall_left() * share, budget.deterministic_left()
    det = None if det is None else det * share
    began, det_began = budget.elapsed(), budget.spent_deterministic
    for k, e in enumerate(construct_order(inst)):
        left = inst.num_staff - k
        wall_share = max(0.0, wall - (budget.elapsed() - began)) / left
        det_share = None
        if det is not None:
            det_share = max(0.0, det - (budget.spent_deterministic - det_began)) / left
        sub = inst.subproblem([e], assignment)
        # without a deterministic budget the clock is watched: a phase behind its share
        # of time gives the rest the best pattern of days alone
        late = det is None and k > 0 and budget.elapsed() - began > wall * k / inst.num_staff
        row = person_row(search, sub, wall_share, det_share, params.seed + k, 1 if late else None)
        if row is None:
            return
        assignment[e] = row
    search.assignment = assignment
    search.value = evaluate_assignment(inst, assignment).value
    search.note_improvement()


def person_row(
    search: Search,
    sub: RosterInstance,
    wall: float,
    deterministic: float | None,
    seed: int,
    counts: int | None = None,
) -> list[int] | None:
    """The row of the one person of `sub`: days worked by the dynamic programme (its best
    pattern and patterns with other numbers of days, `RosterParams.lns_day_counts` in all),
    their shift types by a Viterbi pass; the cheapest of those rows that meets every rule
    (caps per type and minutes may not); else CP-SAT on the best pattern's days, hinted with
    its types; else the whole one-person model. `counts` overrides `lns_day_counts`."""
    gain = first_row.day_gains(sub)
    options = first_row.worked_days_options(sub, gain, counts or search.params.lns_day_counts)
    # the other counts get fewer rounds of prices: their rows seldom win when those fail
    rows = [
        first_row.capped_types(sub, days, gain, 24 if k == 0 else search.params.lns_day_rounds)
        for k, days in enumerate(options)
    ]
    kept = [row for row in rows if not hard_violations(sub, 0, row)]
    if kept:
        costs = first_row.row_costs(sub, kept)
        return kept[costs.index(min(costs))]
    if options:
        rm = build_model(first_row.with_days_worked(sub, options[0]))
        rm.hint([rows[0]])
        found = solve_row(search, rm, wall, deterministic, seed)
        if found is not None:
            return found
    return solve_row(search, build_model(sub), wall, deterministic, seed)


def solve_row(
    search: Search, rm: RosterModel, wall: float, deterministic: float | None, seed: int
) -> list[int] | None:
    """The best row of a one-person model found in the given time (at least
    `RosterParams.lns_row_time`), else in that much more, else its first feasible row in
    whatever budget is left (a row solved on feasibility alone ignores the cover); None (and
    `search.infeasible` when proven) without one."""
    budget = search.budget

    def limit(seconds: float) -> float:
        """Wall seconds of a run: all that is left under a deterministic budget (which then
        binds, so that the row does not depend on the machine's load)."""
        return (
            budget.wall_left() if deterministic is not None else min(budget.wall_left(), seconds)
        )

    least = search.params.lns_row_time
    solver, status = search.run_model(rm.model, limit(max(wall, least)), deterministic, seed)
    if status == cp_model.UNKNOWN:
        solver, status = search.run_model(rm.model, limit(least), deterministic, seed + 1)
    if status == cp_model.UNKNOWN:
        rm.model.clear_objective()  # type: ignore[no-untyped-call]
        solver, status = search.run_model(
            rm.model, budget.wall_left(), budget.deterministic_left(), seed, True
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        search.infeasible = status == cp_model.INFEASIBLE and not rm.inst.must_work[0]
        return None
    return rm.assignment(solver)[0]


def best_row(search: Search, e: int, seed: int) -> int:
    """Give person e the best row the dynamic programme and CP-SAT find with everyone else
    fixed, when it costs less than the row it has; returns the change in the objective."""
    assert search.assignment is not None
    sub = search.rm_inst.subproblem([e], search.assignment)
    budget = search.budget
    det = budget.deterministic_left()
    step = min(search.params.lns_step_time, budget.wall_left())
    row = person_row(search, sub, step, None if det is None else min(step, det), seed)
    search.budget.spent_deterministic += search.params.lns_step_cost
    if row is None:
        return 0
    new, old = first_row.row_costs(sub, [row, search.assignment[e]])
    delta = new - old
    if delta < 0:
        search.assignment[e] = row
    return min(0, delta)


def construct_order(inst: RosterInstance) -> list[int]:
    """People in the order the first roster places them: those who may work the fewest shift
    types first, so that the flexible people fill the cover around them (ties by index)."""
    options = [sum(1 for s in range(inst.num_shifts) if r.max_shifts[s] > 0) for r in inst.rules]
    return sorted(range(inst.num_staff), key=lambda e: (options[e], e))


@dataclass
class KindRecord:
    """What one kind of neighbourhood has done: steps, improving steps, the objective it
    removed, the budget it spent, and its recent rate (objective removed per second)."""

    steps: int = 0
    improving: int = 0
    gain: int = 0
    seconds: float = 0.0
    rate: float = 0.0

    def add(self, gain: int, seconds: float, decay: float) -> None:
        """Count one step that removed `gain` from the objective in `seconds`."""
        self.steps += 1
        self.improving += gain > 0
        self.gain += gain
        self.seconds += seconds
        step_rate = gain / max(seconds, 1e-3)
        self.rate = step_rate if self.steps == 1 else decay * self.rate + (1 - decay) * step_rate


def choose_kind(records: dict[str, KindRecord], rng: random.Random, floor: float) -> str:
    """The kind of the next step: each kind once, then drawn with weights by recent
    improvement per second, each kind keeping at least `floor` of the best weight (so that a
    kind that stopped paying is still tried now and then)."""
    kinds = list(records)
    for kind in kinds:
        if records[kind].steps == 0:
            return kind
    best = max(r.rate for r in records.values())
    if best <= 0:
        return rng.choice(kinds)
    weights = [max(records[k].rate, floor * best) for k in kinds]
    return rng.choices(kinds, weights=weights)[0]


def improve(search: Search) -> None:
    """Run LNS steps on `search` (which holds a first solution) while its budget lasts, the
    kind of each step chosen by `choose_kind` (`RosterParams.lns_adaptive`: by default on
    instances solved by parts) or in turn.
    Steps are timed in deterministic seconds under a deterministic budget (so that the
    choices reproduce), else in CPU seconds."""
    params, budget = search.params, search.budget
    inst: RosterInstance = search.rm_inst
    assert search.assignment is not None and search.value is not None
    assert params.seed is not None
    rng = random.Random(params.seed)
    num_staff, num_days = inst.num_staff, inst.num_days
    sizes = {
        "days": float(params.lns_days),
        "staff": float(params.lns_staff),
        "block": float(2 * params.lns_days),
        "cover": float(2 * params.lns_staff),
    }
    steps = accepted = 0
    kinds: tuple[str, ...] = KINDS if search.rm is not None else KINDS_BY_PARTS
    if params.lns_cover and search.rm is None:
        kinds = (*kinds, "cover")
    records = {kind: KindRecord() for kind in kinds}
    deterministic = budget.deterministic is not None
    adaptive = params.lns_adaptive == "on" or (params.lns_adaptive == "auto" and search.rm is None)
    while not budget.exhausted() and not search.infeasible and search.value > (search.bound or -1):
        if adaptive:
            kind = choose_kind(records, rng, params.lns_adaptive_floor)
        else:
            kind = kinds[steps % len(kinds)]
        began = budget.spent_deterministic if deterministic else time.process_time()
        value_before = search.value
        outcome = step(search, kind, sizes, rng, params.seed + steps + 1)
        steps += 1
        assert search.value is not None
        spent = (budget.spent_deterministic if deterministic else time.process_time()) - began
        records[kind].add(value_before - search.value, spent, params.lns_adaptive_decay)
        if search.value < value_before:
            accepted += 1
            search.note_improvement()
        if outcome is None or kind == "row":
            continue
        size, optimal = outcome
        if optimal:
            if kind == "staff" and size == num_staff:
                search.proven = True  # every person free: the whole model was solved
                break
            limit = num_staff if kind in ("staff", "cover") else num_days
            sizes[kind] = min(float(limit), sizes[kind] * params.lns_grow)
        else:
            sizes[kind] = max(1.0, sizes[kind] * params.lns_shrink)
    search.stats.update(
        lns_steps=steps,
        lns_improving_steps=accepted,
        lns_kinds={
            kind: {
                "steps": r.steps,
                "improving": r.improving,
                "gain": r.gain,
                "seconds": round(r.seconds, 3),
            }
            for kind, r in records.items()
        },
    )


def step(
    search: Search,
    kind: str,
    sizes: dict[str, float],
    rng: random.Random,
    seed: int,
) -> tuple[int, bool] | None:
    """One LNS step of `kind`, the incumbent and its value updated when it improves: "row"
    gives a person drawn at random their best row given the others (`best_row`); the others
    re-optimise a part drawn at random by CP-SAT. Returns (the part's size, whether
    it was solved to optimality), None for a row or a part without a solution (whose size
    then shrinks)."""
    params, budget = search.params, search.budget
    inst = search.rm_inst
    assert search.assignment is not None and search.value is not None
    num_staff, num_days = inst.num_staff, inst.num_days
    if kind == "row":
        search.value += best_row(search, rng.randrange(num_staff), seed)
        return None
    if kind == "staff":
        size = max(1, min(num_staff, round(sizes[kind])))
        people, days = sorted(rng.sample(range(num_staff), size)), None
    elif kind == "cover":
        size = max(1, min(num_staff, round(sizes[kind])))
        window = min(num_days, 2 * params.lns_days)
        people, days = cover_part(inst, search.assignment, size, window, rng)
    else:
        size = max(1, min(num_days, round(sizes[kind])))
        group = num_staff if kind == "days" else max(2, 2 * round(sizes["staff"]))
        people = sorted(rng.sample(range(num_staff), min(num_staff, group)))
        first = rng.randrange(0, num_days - size + 1)
        days = set(range(first, first + size))
    det = budget.deterministic_left()
    limit = params.lns_step_time if search.rm is not None else params.lns_parts_step_time
    outcome = solve_part(
        search,
        people,
        days,
        min(limit, budget.wall_left()) if det is None else budget.wall_left(),
        None if det is None else min(limit, det),
        seed,
    )
    if outcome is None:
        sizes[kind] = max(1.0, sizes[kind] * params.lns_shrink)
        return None
    delta, optimal = outcome
    search.value += min(0, delta)
    return size, optimal


def cover_part(
    inst: RosterInstance,
    assignment: list[list[int]],
    size: int,
    window: int,
    rng: random.Random,
) -> tuple[list[int], set[int]]:
    """A neighbourhood around a cover row that is short (drawn by its cost; any row when none
    is): `size` of the people it counts who may work it and do not, those off that day or on
    a row that is over first, over `window` days around its day."""
    dense = np.asarray(assignment, dtype=np.int64)
    counts = [
        int(np.count_nonzero(dense[np.asarray(c.staff, dtype=np.int64), c.day] == c.shift))
        for c in inst.cover
    ]
    short = [
        c.weight_under * max(0, c.required - n) for c, n in zip(inst.cover, counts, strict=True)
    ]
    if sum(short):
        c = inst.cover[rng.choices(range(len(inst.cover)), weights=short)[0]]
    else:
        c = inst.cover[rng.randrange(len(inst.cover))]
    spare = {(r.day, r.shift) for r, n in zip(inst.cover, counts, strict=True) if n > r.required}
    able = [e for e in c.staff if inst.allowed[e][c.day][c.shift] and dense[e, c.day] != c.shift]
    rng.shuffle(able)
    able.sort(key=lambda e: dense[e, c.day] != OFF and (c.day, int(dense[e, c.day])) not in spare)
    people = able[:size]
    if len(people) < size:
        rest = sorted(set(range(inst.num_staff)) - set(people))
        people += rng.sample(rest, min(len(rest), size - len(people)))
    first = min(max(0, c.day - window // 2), inst.num_days - window)
    return sorted(people), set(range(first, first + window))
