"""Large neighbourhood search: re-optimise a window of days or a group of people with the rest
of the roster fixed, warm-started from the incumbent, until the budget is spent."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.roster.instance import OFF

if TYPE_CHECKING:
    from optimizer.roster.solve import Search

KINDS = ("days", "staff", "block")
"""Neighbourhoods in turn: a window of days (everyone), a group of people (every day), and a
block of twice the days for a random half of the people."""
GROW, SHRINK = 1.15, 0.85
STEP_COST = 0.1
"""Deterministic seconds each step costs at least (its set-up is not counted by CP-SAT), so a
deterministic budget bounds the number of steps."""
"""How the neighbourhood size moves after a sub-solve proved optimal / ran out of time."""


def improve(search: Search) -> None:
    """Run LNS steps on `search` (which holds a first solution) while its budget lasts."""
    params, budget, rm = search.params, search.budget, search.rm
    inst = rm.inst
    assert search.assignment is not None and params.seed is not None
    rng = random.Random(params.seed)
    sizes = {
        "days": float(params.lns_days),
        "staff": float(params.lns_staff),
        "block": float(2 * params.lns_days),
    }
    limits = {"days": inst.num_days, "staff": inst.num_staff, "block": inst.num_days}
    steps = accepted = 0
    while not budget.exhausted():
        kind = KINDS[steps % len(KINDS)]
        size = max(1, min(limits[kind], round(sizes[kind])))
        free = _neighbourhood(kind, size, inst.num_days, inst.num_staff, rng)
        fixed = _fix(search, free)
        _hint_free(search, free)
        det = budget.deterministic_left()
        step = params.lns_step_time
        solver = search.run(
            min(step, budget.wall_left()) if det is None else budget.wall_left(),
            None if det is None else min(step, det),
            params.seed + steps + 1,
        )
        _restore(search, fixed)
        budget.spent_deterministic += max(0.0, STEP_COST - solver.deterministic_time)
        before = search.value
        if search.take(solver) and search.value is not None and before is not None:
            accepted += search.value < before
        if search.last_status == cp_model.OPTIMAL:
            sizes[kind] = min(limits[kind], sizes[kind] * GROW)
            if size == limits[kind] and kind == "staff":
                search.proven = True  # every person free: the whole model was solved
                break
        else:
            sizes[kind] = max(1.0, sizes[kind] * SHRINK)
        steps += 1
    search.stats.update(lns_steps=steps, lns_improving_steps=accepted)


def _neighbourhood(
    kind: str, size: int, num_days: int, num_staff: int, rng: random.Random
) -> tuple[set[int] | None, set[int] | None]:
    """The free part: (days, people), None meaning all of them."""
    if kind == "staff":
        return None, set(rng.sample(range(num_staff), size))
    first = rng.randrange(0, num_days - size + 1)
    days = set(range(first, first + size))
    if kind == "days":
        return days, None
    return days, set(rng.sample(range(num_staff), max(1, num_staff // 2)))


def _is_free(free: tuple[set[int] | None, set[int] | None], e: int, d: int) -> bool:
    days, people = free
    return (days is None or d in days) and (people is None or e in people)


def _fix(search: Search, free: tuple[set[int] | None, set[int] | None]) -> list[int]:
    """Fix every (person, day) outside the neighbourhood to the incumbent by narrowing variable
    domains in the model itself (cheap to undo); returns the indices narrowed."""
    assert search.assignment is not None
    rm, proto = search.rm, search.rm.model.proto
    narrowed = []
    for e, row in enumerate(search.assignment):
        for d, s in enumerate(row):
            if _is_free(free, e, d):
                continue
            if s == OFF:
                idx, value = rm.vars.works[e][d].index, 0
            else:
                var = rm.vars.x[e][d][s]
                assert var is not None
                idx, value = var.index, 1
            dom = proto.variables[idx].domain
            dom[0], dom[1] = value, value
            narrowed.append(idx)
    return narrowed


def _restore(search: Search, narrowed: list[int]) -> None:
    """Give the narrowed Boolean variables back their [0, 1] domain."""
    proto = search.rm.model.proto
    for idx in narrowed:
        dom = proto.variables[idx].domain
        dom[0], dom[1] = 0, 1


def _hint_free(search: Search, free: tuple[set[int] | None, set[int] | None]) -> None:
    """Hint the free variables with the incumbent (the fixed ones need none)."""
    assert search.assignment is not None
    rm = search.rm
    model = rm.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    for e, row in enumerate(search.assignment):
        for d, s_on in enumerate(row):
            if not _is_free(free, e, d):
                continue
            for s, var in enumerate(rm.vars.x[e][d]):
                if var is not None:
                    model.add_hint(var, s == s_on)
            model.add_hint(rm.vars.works[e][d], s_on != OFF)
