"""The whole model restricted by column generation's reduced costs, below an incumbent.

At the best cover duals `pi` of column generation, every roster x satisfies

    SCALE x objective(x) >= pi . required + sum_e rc_e(x_e),    rc_e(x_e) >= m_e

where rc_e is person e's reduced cost (SCALE x the request cost of their row less the duals
of the cover cells it works) and m_e its proven minimum (`ColumnGeneration.person_bounds`).
A roster better than the incumbent, objective <= incumbent - 1, therefore has every person's
reduced cost within `slack = SCALE x (incumbent - 1) - (pi . required + sum_e m_e)` of their
minimum. A cell (person, day, shift) whose cheapest row through it (the dynamic programme of
`pricing.RowPricer` with the cell imposed, exact or a proven lower bound) exceeds m_e + slack
can be fixed to 0; a day whose cheapest row off it exceeds that bound must be worked.
(Reduced-cost fixing; the tighter the Lagrangian bound and the incumbent, the more it fixes.)

The restricted model is the whole CP-SAT model with those fixings, each person's reduced
cost bounded on both sides, the Lagrangian inequality and the objective at most
incumbent - 1: a solution is a better roster, and a proof of infeasibility proves the
incumbent optimal. Every fixing and bound holds for every roster better than the incumbent,
so nothing better is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.roster.colgen import SCALE, ColumnGeneration, PersonCosts, dual_constant
from optimizer.roster.evaluate import evaluate_assignment
from optimizer.roster.instance import OFF, RosterInstance
from optimizer.roster.model import RosterModel, build_model
from optimizer.roster.params import Budget
from optimizer.roster.pricing import INF, WORK_CELL_COST, RowPricer

if TYPE_CHECKING:
    from optimizer.roster.solve import Search


@dataclass
class Fixings:
    """What reduced-cost fixing proved about every roster better than the incumbent."""

    slack: int
    """SCALE x (incumbent - 1) less the Lagrangian bound (times SCALE): how far above its
    minimum each person's reduced cost may be."""
    off_cells: set[tuple[int, int, int]] = field(default_factory=set)
    """(person, day, shift) cells no better roster works."""
    worked_days: set[tuple[int, int]] = field(default_factory=set)
    """(person, day) that every better roster works."""
    rest_days: set[tuple[int, int]] = field(default_factory=set)
    """(person, day) that no better roster works."""
    cells: int = 0
    """Cells examined."""
    work: int = 0
    """DP state values computed (the deterministic time is `work x WORK_CELL_COST`)."""
    complete: bool = True
    """Whether every cell was examined (else the budget ran out first)."""

    def beyond(self, priced: tuple[float | None, int], limit: int) -> bool:
        """Whether a cell's cheapest row (`cheapest_through`) costs more than `limit` (or
        does not exist); its work counted."""
        value, work = priced
        self.cells += 1
        self.work += work
        return value is None or value > limit

    def stats(self) -> dict[str, object]:
        """A summary for the result's solver statistics."""
        return {
            "slack": round(self.slack / SCALE, 3),
            "cells": self.cells,
            "off_cells": len(self.off_cells),
            "worked_days": len(self.worked_days),
            "rest_days": len(self.rest_days),
            "complete": self.complete,
        }


def lagrangian_scaled(inst: RosterInstance, cg: ColumnGeneration) -> int | None:
    """SCALE x the Lagrangian bound at column generation's best duals (None without them)."""
    if cg.duals is None or len(cg.person_bounds) != inst.num_staff:
        return None
    return dual_constant(inst, cg.duals, cg.floor) + sum(cg.person_bounds)


def reduced_cost_fixing(
    inst: RosterInstance, cg: ColumnGeneration, incumbent: int, budget: Budget | None = None
) -> Fixings | None:
    """Reduced-cost fixing of the cells and days of every person against `incumbent` (None
    without column generation's duals); stops when `budget` (charged the DP's work) runs
    out, keeping what it proved. An empty slack (negative) means the incumbent is optimal."""
    total = lagrangian_scaled(inst, cg)
    if total is None:
        return None
    assert cg.duals is not None
    out = Fixings(slack=SCALE * (incumbent - 1) - total)
    if out.slack < 0:
        return out
    for e in range(inst.num_staff):
        costs = PersonCosts(inst, e)
        pricer = RowPricer(inst, e)
        limit = cg.person_bounds[e] + out.slack
        base = [
            [float(costs.reduced(d, s, cg.duals)) for s in range(inst.num_shifts)]
            for d in range(inst.num_days)
        ]
        constant = SCALE * costs.constant

        for d in range(inst.num_days):
            if budget is not None:
                budget.spent_deterministic += out.work * WORK_CELL_COST
                out.work = 0
                if budget.exhausted():
                    out.complete = False
                    return out
            shifts = [s for s in range(inst.num_shifts) if inst.allowed[e][d][s]]
            for s in shifts:
                if out.beyond(cheapest_through(pricer, base, constant, d, s), limit):
                    out.off_cells.add((e, d, s))
            if all((e, d, s) in out.off_cells for s in shifts):
                out.rest_days.add((e, d))
            elif out.beyond(cheapest_through(pricer, base, constant, d, OFF), limit):
                out.worked_days.add((e, d))
    if budget is not None:
        budget.spent_deterministic += out.work * WORK_CELL_COST
        out.work = 0
    return out


def cheapest_through(
    pricer: RowPricer, cost: list[list[float]], constant: int, day: int, shift: int
) -> tuple[float | None, int]:
    """A lower bound on the cheapest row of the pricer's person under `cost` (plus
    `constant`) with `shift` on `day` (OFF: resting; exact when the DP's state fits; -inf
    when not even its relaxation fits), None when proven to have none; and the DP's work."""
    imposed = [list(row) for row in cost]
    work_on: frozenset[int] = frozenset()
    if shift == OFF:
        imposed[day] = [INF] * len(cost[day])
    else:
        imposed[day] = [c if s == shift else INF for s, c in enumerate(cost[day])]
        work_on = frozenset({day})
    priced = pricer.price(imposed, constant, work_on)
    if priced.value is None:
        return (None if priced.exact else -INF), priced.work
    return priced.value, priced.work


def restricted_model(
    inst: RosterInstance, cg: ColumnGeneration, fixings: Fixings, incumbent: int
) -> RosterModel:
    """The whole model with the fixings, each person's reduced cost within [m_e, m_e +
    slack], the Lagrangian inequality and the objective at most incumbent - 1."""
    assert cg.duals is not None
    rm = build_model(inst)
    model, v = rm.model, rm.vars
    for e, d, s in sorted(fixings.off_cells):
        var = v.x[e][d][s]
        if var is not None:
            model.add(var == 0)
    for e, d in sorted(fixings.worked_days):
        model.add(v.works[e][d] == 1)
    for e, d in sorted(fixings.rest_days):
        model.add(v.works[e][d] == 0)
    reduced = []
    for e in range(inst.num_staff):
        costs = PersonCosts(inst, e)
        xs, coefficients = [], []
        for d, xed in enumerate(v.x[e]):
            for s, var in enumerate(xed):
                if var is not None and (coefficient := costs.reduced(d, s, cg.duals)):
                    xs.append(var)
                    coefficients.append(coefficient)
        rc = cp_model.LinearExpr.weighted_sum(xs, coefficients) + SCALE * costs.constant
        bound = cg.person_bounds[e]
        model.add_linear_constraint(rc, bound, bound + fixings.slack)
        reduced.append(rc)
    fixed = dual_constant(inst, cg.duals, cg.floor)
    total = rm.terms.total()
    model.add(SCALE * total >= fixed + cp_model.LinearExpr.sum(reduced))
    model.add(total <= incumbent - 1)
    return rm


def improve_restricted(search: Search, wall: float, deterministic: float | None) -> str:
    """Reduced-cost fixing against the incumbent, then CP-SAT on the restricted model within
    the given time: a better roster is adopted (and fixing starts again below it while time
    is left), a proof of infeasibility proves the incumbent optimal. Returns how it ended
    (`optimal`: the incumbent proven; `improved`; `unknown`; `skipped`), its statistics under
    `search.stats["restricted"]`."""
    cg = search.lagrangian
    if cg is None or search.value is None or search.assignment is None:
        return "skipped"
    assert search.params.seed is not None
    inst = search.rm_inst
    phase = Budget(wall, deterministic)
    stats: dict[str, object] = {"rounds": []}
    search.stats["restricted"] = stats
    ended = "unknown"
    seed = search.params.seed + 3
    share = search.params.colgen_restricted_fixing_share
    while not phase.exhausted():
        det = phase.deterministic_left()
        # the fixing gets a share of what is left; what it proved before it stopped holds
        fixing = Budget(phase.wall_left() * share, None if det is None else det * share)
        fixings = reduced_cost_fixing(inst, cg, search.value, fixing)
        phase.spent_deterministic += fixing.spent_deterministic
        search.budget.spent_deterministic += fixing.spent_deterministic
        if fixings is None:
            ended = "skipped"
            break
        round_stats = fixings.stats()
        stats["rounds"].append(round_stats)  # type: ignore[attr-defined]
        if fixings.slack < 0:
            ended = "optimal"
            break
        rm = restricted_model(inst, cg, fixings, search.value)
        rm.hint(search.assignment)
        solver, status = search.run_model(
            rm.model, phase.wall_left(), phase.deterministic_left(), seed
        )
        phase.spent_deterministic += solver.deterministic_time
        round_stats["status"] = solver.status_name(status)
        if status == cp_model.INFEASIBLE:
            ended = "optimal"
            break
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if status == cp_model.UNKNOWN:
                # no roster better than the incumbent lies below the model's bound
                least = min(search.value, math.ceil(solver.best_objective_bound - 1e-6))
                search.bound = least if search.bound is None else max(search.bound, least)
            break
        assignment = rm.assignment(solver)
        value = evaluate_assignment(inst, assignment).value
        round_stats["value"] = value
        if value >= search.value:
            break
        search.assignment, search.value = assignment, value
        search.note_improvement()
        ended = "improved"
        if status == cp_model.OPTIMAL:
            ended = "optimal"  # the least of every roster better than the old incumbent
            break
        seed += 1
    if ended == "optimal":
        search.bound = search.value
        search.proven = True
    stats["ended"] = ended
    return ended
