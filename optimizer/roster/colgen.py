"""The Dantzig-Wolfe lower bound of a roster problem by column generation, and rosters from
its columns (price and branch).

Every labour rule binds one person, so the problem decomposes: each person picks one whole
roster row that keeps their rules (a column, costing its requests), and the cover rows link
the people, soft, with an under and an over slack at their weights. The LP of that master is
far tighter than the compact model's (on this benchmark it often equals the optimum after
rounding up). The restricted master is solved by GLOP; each person's pricing problem (the
cheapest row under the cover duals) by a one-person CP-SAT model of their rules.

At any cover duals `pi` inside the slacks' box (-weight over <= pi <= weight under), the
Lagrangian function

    L(pi) = sum_k pi_k required_k + sum_e min over rows p of e (cost_p - sum_k pi_k a_kp)

is a lower bound on the optimum, whether the column generation has converged or not. The
duals are rounded to 1/`SCALE` so that each pricing objective is integer and the bound is
computed exactly in integers; a pricing run stopped before its optimum contributes its proven
bound, so the bound stays valid. Pricing happens at duals smoothed towards the best ones seen
(Wentges), which damps the oscillation of the LP duals that makes column generation tail off.

Every roster leaves a whole number of places under-covered, at least the least LP number
rounded up (`under_floor`: the same column generation with one unit of cost per place under
and no other cost). Where the master's LP leaves fewer, the row `sum of the under slacks >=
floor` cuts it off; its multiplier sigma only narrows the duals' box (pi <= weight_under -
sigma), so the pricing is unchanged and L(pi) gains floor x sigma (`dual_constant`).
Instance9: the LP covers 3.67 places under, every roster 4, and the bound rises from 406 to
439, the optimum (a 100 a place under); Instance1 from 558 to 607.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from optimizer.roster.constraints import CONSTRAINTS
from optimizer.roster.evaluate import evaluate_assignment, hard_violations
from optimizer.roster.instance import OFF, RosterInstance
from optimizer.roster.model import RosterModel
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.pricing import WORK_CELL_COST, RowPricer
from optimizer.roster.variables import RosterVars

Cell = tuple[int, int, cp_model.IntVar]
"""A cell of the one-person model: (day, shift, its Boolean)."""

if TYPE_CHECKING:
    from optimizer.roster.branch import BranchAndPrice
    from optimizer.roster.solve import Search

SCALE = 1000
"""Duals are rounded to multiples of 1/SCALE: pricing objectives are integers times SCALE."""
EPS = 1e-6
"""Reduced costs below -EPS price a column into the master."""


@dataclass(frozen=True)
class Column:
    """One person's whole row of shifts, its request cost and the cover rows it counts on."""

    staff: int
    row: tuple[int, ...]
    cost: int
    cells: tuple[int, ...]


def ceil_div(a: int, b: int) -> int:
    """The ceiling of a / b for integers, b > 0."""
    return -(-a // b)


class PersonCosts:
    """What one person's cells cost in the master: the request cost of each cell (a constant,
    every on-request unmet, plus a coefficient per cell) and the cover rows it counts on."""

    def __init__(self, inst: RosterInstance, e: int):
        self.staff = e
        h, num = inst.num_days, inst.num_shifts
        self.constant = 0
        self.request = [[0] * num for _ in range(h)]
        for r in inst.requests:
            if r.staff != e:
                continue
            if r.on:
                self.constant += r.weight
                self.request[r.day][r.shift] -= r.weight
            else:
                self.request[r.day][r.shift] += r.weight
        self.counts_on: list[list[list[int]]] = [[[] for _ in range(num)] for _ in range(h)]
        for k, c in enumerate(inst.cover):
            if e in c.staff:
                self.counts_on[c.day][c.shift].append(k)

    def reduced(self, d: int, s: int, duals: list[int]) -> int:
        """SCALE x the request cost of cell (d, s) less its cover duals (times SCALE)."""
        return SCALE * self.request[d][s] - sum(duals[k] for k in self.counts_on[d][s])

    def column(self, row: list[int] | tuple[int, ...]) -> Column:
        """The column of a row of this person."""
        cost = self.constant + sum(self.request[d][s] for d, s in enumerate(row) if s != OFF)
        cells = tuple(k for d, s in enumerate(row) if s != OFF for k in self.counts_on[d][s])
        return Column(self.staff, tuple(row), cost, cells)


class Person(PersonCosts):
    """One person's pricing: the dynamic programme over their days (`pricing.RowPricer`),
    with a one-person CP-SAT model of their rules (built when first needed) where the DP's
    state would be too large, or when asked for (`dp=False`)."""

    def __init__(self, inst: RosterInstance, e: int, dp: bool = True):
        super().__init__(inst, e)
        self.inst = inst
        self.dp = RowPricer(inst, e) if dp else None
        self._model: tuple[cp_model.CpModel, RosterVars, list[Cell]] | None = None

    def model(self) -> tuple[cp_model.CpModel, RosterVars, list[Cell]]:
        """The one-person CP-SAT model, its variables and its cells (d, s, variable)."""
        if self._model is None:
            inst, e = self.inst, self.staff
            sub = RosterInstance(
                num_days=inst.num_days,
                shift_ids=inst.shift_ids,
                staff_ids=[inst.staff_ids[e]],
                minutes=inst.minutes,
                forbidden_next=inst.forbidden_next,
                rules=[inst.rules[e]],
                requests=[],
                cover=[],
                allowed=[inst.allowed[e]],
                must_work=[inst.must_work[e]] if inst.must_work else [],
            )
            model = cp_model.CpModel()
            v = RosterVars.build(model, sub)
            for _, family in CONSTRAINTS:
                family(model, sub, v)
            cells = [
                (d, s, var)
                for d, xed in enumerate(v.x[0])
                for s, var in enumerate(xed)
                if var is not None
            ]
            self._model = (model, v, cells)
        return self._model

    def price(
        self, duals: list[int], wall: float, deterministic: float | None, seed: int
    ) -> tuple[int | None, list[Column], float, bool]:
        """The cheapest rows under integer duals (the cover duals times SCALE): a lower bound
        on SCALE x (cost - duals . cells) over this person's rows (None when they have no
        row or the run found none), the rows found on the way (the last the cheapest), the
        deterministic time spent, and whether the person is proven to have no row. The DP
        answers exactly when its state fits; else CP-SAT does, and the larger bound counts."""
        relaxed: int | None = None
        spent = 0.0
        if self.dp is not None:
            cost = [
                [self.reduced(d, s, duals) for s in range(self.inst.num_shifts)]
                for d in range(self.inst.num_days)
            ]
            out = self.dp.price(cost, SCALE * self.constant)
            spent = out.work * WORK_CELL_COST
            if out.exact:
                if out.value is None or out.row is None:
                    return None, [], spent, True
                return int(out.value), [self.column(out.row)], spent, False
            relaxed = None if out.value is None else int(out.value)
        bound, columns, det, infeasible = self.price_cp_sat(duals, wall, deterministic, seed)
        if relaxed is not None:
            bound = relaxed if bound is None else max(bound, relaxed)
        return bound, columns, spent + det, infeasible

    def price_cp_sat(
        self, duals: list[int], wall: float, deterministic: float | None, seed: int
    ) -> tuple[int | None, list[Column], float, bool]:
        """`price` by the one-person CP-SAT model."""
        model, v, cells = self.model()
        coefficients = [self.reduced(d, s, duals) for d, s, _ in cells]
        model.minimize(
            cp_model.LinearExpr.weighted_sum([var for _, _, var in cells], coefficients)
            + SCALE * self.constant
        )
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.num_workers = 1
        # a one-person model: presolve costs more than it saves (Instance8: 70 -> 51 ms a run)
        p.cp_model_presolve = False
        p.random_seed = seed
        p.max_time_in_seconds = max(0.01, wall)
        if deterministic is not None:
            p.max_deterministic_time = max(0.001, deterministic)
        rows: list[list[int]] = []
        collector = _Rows(v, rows)
        status = solver.solve(model, collector)
        if status == cp_model.INFEASIBLE:
            return None, [], solver.deterministic_time, True
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, [], solver.deterministic_time, False
        # the objective is integer: its proven bound rounds up
        bound = math.ceil(solver.best_objective_bound - 1e-6)
        return bound, [self.column(r) for r in rows], solver.deterministic_time, False


class _Rows(cp_model.CpSolverSolutionCallback):
    """Collects the row of every solution of a one-person model."""

    def __init__(self, v: RosterVars, rows: list[list[int]]):
        super().__init__()
        self.v, self.rows = v, rows

    def on_solution_callback(self) -> None:
        row = []
        for xed in self.v.x[0]:
            on = [s for s, var in enumerate(xed) if var is not None and self.boolean_value(var)]
            row.append(on[0] if on else OFF)
        self.rows.append(row)


@dataclass
class ColumnGeneration:
    """The outcome of column generation: the best proven lower bound (rounded up), the last
    restricted master's LP value, every column generated, and how it went."""

    bound: int | None = None
    lp_value: float | None = None
    columns: list[Column] = field(default_factory=list)
    infeasible: bool = False
    converged: bool = False
    iterations: int = 0
    pricing_runs: int = 0
    history: list[tuple[float, float, int]] = field(default_factory=list)
    """(wall seconds, LP value, bound) per iteration."""
    duals: list[int] | None = None
    """The cover duals (times SCALE) of the best bound."""
    person_bounds: list[int] = field(default_factory=list)
    """At those duals, each person's least reduced cost (times SCALE), proven."""
    dive_roster: list[list[int]] | None = None
    """The roster of the dive, when asked."""
    dive_wall_time: float | None = None
    dive_steps: int = 0
    """The dive's fixing steps (LP solves that fixed people)."""
    floor_tried: bool = False
    """Whether `under_floor` was computed (the LP's under-cover count was fractional)."""
    floor: int = 0
    """The floor on the under-cover count in the master (`under_floor`), which the bound,
    the duals' Lagrangian constraints and every later master take over."""
    tree: BranchAndPrice | None = None
    """The branch-and-price tree (`branch.BranchAndPrice`) when it stopped on its budget, for
    the proof after LNS to go on with."""

    def stats(self) -> dict[str, object]:
        """A summary for the result's solver statistics."""
        return {
            "bound": self.bound,
            "lp_value": None if self.lp_value is None else round(self.lp_value, 3),
            "columns": len(self.columns),
            "iterations": self.iterations,
            "pricing_runs": self.pricing_runs,
            "converged": self.converged,
            "floor": self.floor,
        }


class Master:
    """The restricted master LP in GLOP: a convexity row per person, a cover row per cover
    requirement with its under and over slacks, a variable per column, and with a `floor`
    the row `sum of the under slacks >= floor` (`under_floor`)."""

    def __init__(self, inst: RosterInstance, floor: int = 0):
        self.inst = inst
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.convexity = [self.lp.Constraint(1, 1) for _ in range(inst.num_staff)]
        self.cover = []
        self.under: list[pywraplp.Variable] = []
        objective = self.lp.Objective()
        for c in inst.cover:
            row = self.lp.Constraint(c.required, c.required)
            under, over = (
                self.lp.NumVar(0, self.lp.infinity(), ""),
                self.lp.NumVar(0, self.lp.infinity(), ""),
            )
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            objective.SetCoefficient(under, c.weight_under)
            objective.SetCoefficient(over, c.weight_over)
            self.cover.append(row)
            self.under.append(under)
        objective.SetMinimization()
        self.floor = 0
        self.set_floor(floor)
        self.known: set[tuple[int, tuple[int, ...]]] = set()
        self.columns: list[Column] = []
        self.vars: list[pywraplp.Variable] = []
        self.people_with_columns: set[int] = set()

    def set_floor(self, floor: int) -> None:
        """Add the row `sum of the under slacks of the rows with an under weight >= floor`
        (a proven least under-cover count, `under_floor`); nothing when it is not above the
        floor there already."""
        if floor <= self.floor:
            return
        row = self.lp.Constraint(floor, self.lp.infinity())
        for c, under in zip(self.inst.cover, self.under, strict=True):
            if c.weight_under > 0:
                row.SetCoefficient(under, 1)
        self.floor = floor

    def under_value(self) -> float:
        """The under slacks' sum in the last LP solution (the rows with an under weight)."""
        return sum(
            float(u.solution_value())
            for c, u in zip(self.inst.cover, self.under, strict=True)
            if c.weight_under > 0
        )

    def add(self, column: Column) -> bool:
        """Add a column unless it is there already."""
        key = (column.staff, column.row)
        if key in self.known:
            return False
        self.known.add(key)
        var = self.lp.NumVar(0, self.lp.infinity(), "")
        self.convexity[column.staff].SetCoefficient(var, 1)
        for k in column.cells:
            self.cover[k].SetCoefficient(var, 1)
        self.lp.Objective().SetCoefficient(var, column.cost)
        self.columns.append(column)
        self.vars.append(var)
        self.people_with_columns.add(column.staff)
        return True

    def dive(
        self,
        people: list[Person],
        price_free: Callable[[list[Person]], int],
        clock: Budget,
        rounds: int,
        threshold: float = 1.0,
        fix_share: float = 0.0,
        fallback: list[list[int]] | None = None,
    ) -> tuple[list[list[int]], int]:
        """A roster by diving: fix every person whose largest LP row is at least `threshold`,
        and the `fix_share` of the people still free whose largest rows are the largest (one
        at least), to that row; price the people still free (`rounds` times at most, while
        it adds columns), and again until everyone is fixed; when `clock` runs out, everyone
        left takes their largest row at once, or their row of `fallback` (a roster) when that
        costs less. The cover rows' slacks keep every LP feasible, so the dive always ends
        with a roster. Returns the roster and the number of steps."""
        fixed: dict[int, Column] = {}
        steps = 0
        free_at_end: list[int] = []
        while len(fixed) < len(people):
            steps += 1
            free = [p for p in people if p.staff not in fixed]
            for _ in range(rounds):
                if clock.exhausted() or not price_free(free):
                    break
            self.solve()
            best: dict[int, tuple[float, int]] = {}
            for j, (column, var) in enumerate(zip(self.columns, self.vars, strict=True)):
                if column.staff in fixed:
                    continue
                value = var.solution_value()
                if column.staff not in best or value > best[column.staff][0]:
                    best[column.staff] = (value, j)
            if clock.exhausted():
                chosen = free_at_end = list(best)
            else:
                # the largest first, ties by index, so that one worker reproduces the dive
                ranked = sorted(best, key=lambda e: (-best[e][0], e))
                many = max(1, math.ceil(fix_share * len(ranked)))
                chosen = [
                    e for k, e in enumerate(ranked) if k < many or best[e][0] >= threshold - EPS
                ]
            for e in chosen:
                fixed[e] = self.columns[best[e][1]]
            now = {e: best[e][1] for e in chosen}
            for j, column in enumerate(self.columns):
                if now.get(column.staff, j) != j:
                    self.vars[j].SetUb(0)
        roster = [list(fixed[e].row) for e in range(len(people))]
        if fallback is not None and free_at_end:
            other = [list(row) for row in roster]
            for e in free_at_end:
                if not hard_violations(self.inst, e, fallback[e]):
                    other[e] = list(fallback[e])
            if (
                evaluate_assignment(self.inst, other).value
                < evaluate_assignment(self.inst, roster).value
            ):
                roster = other
        return roster, steps

    def solve(self) -> tuple[float, list[float], list[float]]:
        """The LP value, the cover duals and the convexity duals."""
        status = self.lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"restricted master not solved to optimality: {status}")
        return (
            self.lp.Objective().Value(),
            [row.dual_value() for row in self.cover],
            [row.dual_value() for row in self.convexity],
        )


def dual_constant(inst: RosterInstance, duals: list[int], floor: int = 0) -> int:
    """SCALE x the part of the Lagrangian bound that no row changes: pi . required, and with
    a `floor` on the under-cover count (`under_floor`), floor x the largest multiplier of it
    that the duals leave room for (the least SCALE x weight_under - pi over the rows it
    counts; the under slacks' costs stay non-negative there, so the bound holds)."""
    total = sum(d * c.required for d, c in zip(duals, inst.cover, strict=True))
    if floor > 0:
        room = min(
            (
                SCALE * c.weight_under - d
                for d, c in zip(duals, inst.cover, strict=True)
                if c.weight_under > 0
            ),
            default=0,
        )
        total += floor * max(0, room)
    return total


def rounded(inst: RosterInstance, duals: list[float]) -> list[int]:
    """Cover duals times SCALE, rounded and clipped to the slacks' box (where L is valid)."""
    return [
        min(SCALE * c.weight_under, max(-SCALE * c.weight_over, round(SCALE * pi)))
        for c, pi in zip(inst.cover, duals, strict=True)
    ]


def generate(
    inst: RosterInstance,
    budget: Budget,
    workers: int = 1,
    seed: int = 0,
    initial: list[list[int]] | None = None,
    stop_at: int | None = None,
    smoothing: float = 0.5,
    pricing_time: float = 2.0,
    dive: tuple[float, float | None] | None = None,
    dive_rounds: int = 2,
    dive_threshold: float = 1.0,
    dive_fix_share: float = 0.0,
    dp: bool = True,
    floor: int = 0,
    columns: list[Column] | None = None,
    floor_share: float = 0.0,
) -> ColumnGeneration:
    """Column generation until the rounded-up bound can no longer rise (it meets the
    restricted master's LP value rounded up), reaches `stop_at` (an incumbent's value), or
    `budget` is spent. `initial` (a roster) seeds the master with its rows; people without a
    column get one priced at zero duals. Pricing runs on `workers` threads of one CP-SAT
    worker each, people in order, so that one worker and a deterministic budget reproduce.

    With a `dive` budget (wall and deterministic seconds from its start), a roster follows
    from the master (`Master.dive`), with at most `dive_rounds` pricing rounds between
    fixings, fixing the rows of LP value `dive_threshold` or more and the `dive_fix_share` of
    the people free whose rows are the largest; when its clock runs out, the people left
    take their largest rows, or their rows of `initial` when that costs less. `dp`: price by
    dynamic programming (else by CP-SAT alone). `floor`: the master has the row `sum of the
    under slacks >= floor` (a proven `under_floor`); `columns` seed the master too. With a
    `floor_share` of what is left, when the master converged with a fractional number of
    under-covered rows, that floor is found (`under_floor`) and column generation goes on
    with it when it cuts the LP off."""
    out = ColumnGeneration(floor=floor)
    people = [Person(inst, e, dp) for e in range(inst.num_staff)]
    master = Master(inst, floor)
    for column in columns or ():
        master.add(column)
    if initial is not None:
        for e, row in enumerate(initial):
            if not hard_violations(inst, e, row):
                master.add(people[e].column(row))
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    center: list[int] | None = None
    best_scaled: int | None = None

    def lagrangian(
        duals: list[int], who: list[Person], clock: Budget = budget
    ) -> tuple[int | None, list[Column], list[int]]:
        """SCALE x L(duals) (None when unknown), the columns the pricing found and each
        person's proven bound."""
        det = clock.deterministic_left()
        # under a deterministic budget, that one binds (the rows then do not depend on load)
        wall = clock.wall_left() if det is not None else min(pricing_time, clock.wall_left())
        det_each = None if det is None else min(pricing_time, det / max(1, len(who)))
        runs = list(
            pool.map(
                lambda person: person.price(duals, wall, det_each, seed + out.iterations),
                who,
            )
        )
        total = dual_constant(inst, duals, master.floor)
        found: list[Column] = []
        bounds: list[int] = []
        known = True
        for bound, columns, det_spent, infeasible in runs:
            clock.spent_deterministic += det_spent
            out.pricing_runs += 1
            if infeasible:
                out.infeasible = True
            if bound is None:
                known = False
            else:
                total += bound
                bounds.append(bound)
            found += columns
        return (total if known and len(who) == inst.num_staff else None), found, bounds

    try:
        missing = [p for p in people if p.staff not in master.people_with_columns]
        if missing:
            zero = [0] * len(inst.cover)
            who = people if len(missing) == len(people) else missing
            scaled, columns, bounds = lagrangian(zero, who)
            if out.infeasible:
                return out
            for column in columns:
                master.add(column)
            if scaled is not None:
                best_scaled, center = scaled, zero
                out.duals, out.person_bounds = zero, bounds
            if len(master.people_with_columns) < inst.num_staff:
                return out

        def converge() -> None:
            """Column generation until the bound meets the LP value (or `stop_at`, or the
            budget ends), from the master as it is."""
            nonlocal best_scaled, center
            alpha = smoothing
            while not budget.exhausted():
                lp_value, duals, convexity = master.solve()
                out.lp_value = lp_value
                at_lp = rounded(inst, duals)
                if center is None:
                    at = at_lp
                else:
                    at = [
                        round(alpha * c + (1 - alpha) * x)
                        for c, x in zip(center, at_lp, strict=True)
                    ]
                scaled, columns, bounds = lagrangian(at, people)
                out.iterations += 1
                if out.infeasible:
                    return
                if scaled is not None and (best_scaled is None or scaled > best_scaled):
                    best_scaled, center = scaled, at
                    out.duals, out.person_bounds = at, bounds
                if best_scaled is not None:
                    out.bound = ceil_div(best_scaled, SCALE)
                out.history.append(
                    (round(budget.elapsed(), 3), round(lp_value, 3), out.bound or 0)
                )
                added = 0
                for column in columns:
                    reduced = column.cost - sum(duals[k] for k in column.cells)
                    reduced -= convexity[column.staff]
                    if reduced < -EPS and master.add(column):
                        added += 1
                if out.bound is not None and out.bound >= ceil_div(
                    round(lp_value * SCALE - SCALE * EPS), SCALE
                ):
                    out.converged = True
                    break
                if stop_at is not None and out.bound is not None and out.bound >= stop_at:
                    break
                if added == 0:
                    if at == at_lp:
                        out.converged = scaled is not None
                        break
                    alpha = 0.0  # mis-priced: the next run prices at the LP duals themselves
                else:
                    alpha = smoothing

        converge()
        if out.infeasible:
            return out
        proven = stop_at is not None and out.bound is not None and out.bound >= stop_at
        if floor_share > 0 and out.converged and not proven:
            master.solve()
            under = master.under_value()
            if abs(under - round(under)) > 1e-6:
                # the LP covers a fractional number of places under: every roster covers at
                # least the least LP number (rounded up), which may cut this LP off
                det = budget.deterministic_left()
                det = None if det is None else det * floor_share
                sub = Budget(budget.wall_left() * floor_share, det)
                least, spent = under_floor(inst, sub, workers, seed, stop_at=math.ceil(under))
                budget.spent_deterministic += spent
                out.floor_tried = True
                if least > under + 1e-6:
                    master.set_floor(least)
                    out.floor, out.converged = least, False
                    converge()
                    if out.infeasible:
                        return out
                    proven = stop_at is not None and out.bound is not None and out.bound >= stop_at
        if dive is not None and not out.infeasible and not proven:
            clock = Budget(*dive)

            def price_free(free: list[Person]) -> int:
                """Columns of negative reduced cost at the master's duals for `free`."""
                _, duals, convexity = master.solve()
                _, columns, _ = lagrangian(rounded(inst, duals), free, clock)
                return sum(
                    1
                    for column in columns
                    if column.cost - sum(duals[k] for k in column.cells) - convexity[column.staff]
                    < -EPS
                    and master.add(column)
                )

            out.dive_roster, out.dive_steps = master.dive(
                people, price_free, clock, dive_rounds, dive_threshold, dive_fix_share, initial
            )
            budget.spent_deterministic += clock.spent_deterministic
            out.dive_wall_time = round(clock.elapsed(), 3)
    finally:
        pool.shutdown(wait=True)
        out.columns = master.columns
    return out


def under_floor(
    inst: RosterInstance,
    budget: Budget,
    workers: int = 1,
    seed: int = 0,
    stop_at: int | None = None,
) -> tuple[int, float]:
    """A proven least number of under-covered places over every roster (the rows with an
    under weight): column generation's bound on the problem whose only cost is one per place
    under-covered (no requests, no over-cover cost), stopped at `stop_at`; and the
    deterministic time spent. Every roster keeps it, so the master may have it as a row."""
    counted = dataclasses.replace(
        inst,
        requests=[],
        cover=[
            dataclasses.replace(c, weight_under=1 if c.weight_under > 0 else 0, weight_over=0)
            for c in inst.cover
        ],
    )
    out = generate(counted, budget, workers=workers, seed=seed, stop_at=stop_at)
    return max(0, out.bound or 0), budget.spent_deterministic


def integer_master(
    inst: RosterInstance,
    columns: list[Column],
    wall: float,
    deterministic: float | None,
    workers: int,
    seed: int,
    lower: int | None = None,
    hint: list[list[int]] | None = None,
) -> tuple[list[list[int]] | None, float]:
    """Price and branch: the best roster made of the generated columns, one per person, by
    CP-SAT within the given time (the cover soft, as in the whole model), hinted with a
    roster whose rows are columns; `lower` (a proven bound) lets CP-SAT stop at it. Returns
    the roster (None without one) and the deterministic time spent."""
    by_staff: list[list[Column]] = [[] for _ in range(inst.num_staff)]
    for column in columns:
        by_staff[column.staff].append(column)
    if any(not cs for cs in by_staff):
        return None, 0.0
    model = cp_model.CpModel()
    pick = [
        [model.new_bool_var(f"y[{e},{j}]") for j in range(len(cs))]
        for e, cs in enumerate(by_staff)
    ]
    counted: list[list[cp_model.IntVar]] = [[] for _ in inst.cover]
    who: list[set[int]] = [set() for _ in inst.cover]
    cost: list[tuple[cp_model.IntVar, int]] = []
    for e, cs in enumerate(by_staff):
        model.add_exactly_one(pick[e])
        for j, column in enumerate(cs):
            if column.cost:
                cost.append((pick[e][j], column.cost))
            for k in column.cells:
                counted[k].append(pick[e][j])
                who[k].add(e)
    hinted = [0] * len(inst.cover)
    if hint is not None:
        for e, cs in enumerate(by_staff):
            for j, column in enumerate(cs):
                on = list(column.row) == list(hint[e])
                model.add_hint(pick[e][j], on)
                for k in column.cells if on else ():
                    hinted[k] += 1
    objective: list[cp_model.LinearExprT] = [var * w for var, w in cost]
    for k, c in enumerate(inst.cover):
        short = model.new_int_var(0, max(0, c.required), f"under[{k}]")
        extra = model.new_int_var(0, max(0, len(who[k]) - c.required), f"over[{k}]")
        model.add(cp_model.LinearExpr.sum(counted[k]) + short - extra == c.required)
        objective += [c.weight_under * short, c.weight_over * extra]
        if hint is not None:
            model.add_hint(short, max(0, c.required - hinted[k]))
            model.add_hint(extra, max(0, hinted[k] - c.required))
    total = cp_model.LinearExpr.sum(objective)
    if lower is not None:
        model.add(total >= lower)
    model.minimize(total)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = workers
    p.random_seed = seed
    p.max_time_in_seconds = max(0.01, wall)
    if deterministic is not None:
        p.max_deterministic_time = max(0.001, deterministic)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.deterministic_time
    roster = [
        list(cs[next(j for j, var in enumerate(pick[e]) if solver.boolean_value(var))].row)
        for e, cs in enumerate(by_staff)
    ]
    assert evaluate_assignment(inst, roster).feasible
    return roster, solver.deterministic_time


def rosters_follow(params: RosterParams, num_vars: int, use_colgen: bool) -> bool:
    """Whether column generation's rosters (the dive, the roster of the columns, branch and
    price) follow the first whole-model solve (at most `colgen_rosters_max_vars` shift
    variables): that solve then gets `colgen_first_share` of the budget."""
    return use_colgen and num_vars <= params.colgen_rosters_max_vars


def improve_bound(search: Search) -> None:
    """The column generation phase of a solve: the Dantzig-Wolfe bound within
    `colgen_share` of the budget left, seeded with the incumbent's rows and stopped when it
    proves the incumbent; then a dive, (on instances of at most `colgen_rosters_max_vars`
    shift variables) the best roster of its columns within `colgen_ip_share` of what is left,
    and (at most `colgen_branch_max_vars`) branch and price; a roster is adopted when it
    costs less than the incumbent."""
    params, budget = search.params, search.budget
    assert params.seed is not None
    inst = search.rm_inst
    num_vars = sum(a for person in inst.allowed for day in person for a in day)
    rosters = num_vars <= params.colgen_rosters_max_vars
    trees = params.colgen_branch_share > 0 and num_vars <= params.colgen_branch_max_vars
    wall, det = budget.wall_left(), budget.deterministic_left()
    share, dive = params.colgen_share, params.colgen_dive_share
    phase = Budget(wall * share, None if det is None else det * share)
    cg = generate(
        inst,
        phase,
        workers=params.workers or 1,
        seed=params.seed,
        initial=search.assignment,
        stop_at=search.value,
        smoothing=params.colgen_smoothing,
        pricing_time=params.colgen_pricing_time,
        dive=(wall * (1 - share) * dive, None if det is None else det * (1 - share) * dive)
        if dive > 0
        else None,
        dive_rounds=params.colgen_dive_rounds,
        dive_threshold=params.colgen_dive_threshold,
        dive_fix_share=params.colgen_dive_fix,
        dp=params.colgen_pricing == "dp",
        floor_share=params.colgen_floor_share,
    )
    budget.spent_deterministic += phase.spent_deterministic
    search.stats["colgen"] = cg.stats() | {"wall_time": round(phase.elapsed(), 3)}
    if cg.infeasible:
        search.infeasible = True
        return
    if cg.dive_roster is not None:
        value = evaluate_assignment(inst, cg.dive_roster).value
        search.stats["colgen"] |= {
            "dive_value": value,
            "dive_wall_time": cg.dive_wall_time,
            "dive_steps": cg.dive_steps,
        }
        if search.value is None or value < search.value:
            search.assignment, search.value = cg.dive_roster, value
            search.note_improvement()
    search.lagrangian = cg
    if cg.bound is not None:
        search.bound = cg.bound if search.bound is None else max(search.bound, cg.bound)
    if search.value is not None and search.bound is not None and search.bound >= search.value:
        search.proven = True
        return
    if budget.exhausted():
        return
    if not rosters or params.colgen_ip_share == 0:
        if trees:
            branch(search, cg)
        return
    det = budget.deterministic_left()
    share = params.colgen_ip_share
    began = budget.elapsed()
    roster, spent = integer_master(
        inst,
        cg.columns,
        budget.wall_left() * share,
        None if det is None else det * share,
        params.workers or 1,
        params.seed,
        lower=search.bound,
        hint=search.assignment,
    )
    budget.spent_deterministic += spent
    found = None if roster is None else evaluate_assignment(inst, roster).value
    search.stats["colgen"] |= {
        "integer_value": found,
        "integer_wall_time": round(budget.elapsed() - began, 3),
    }
    if roster is not None and found is not None and (search.value is None or found < search.value):
        search.assignment, search.value = roster, found
        search.note_improvement()
        if search.bound is not None and search.bound >= found:
            search.proven = True
    if not search.proven and not budget.exhausted() and trees:
        branch(search, cg)


def branch(search: Search, cg: ColumnGeneration, key: str = "branch") -> None:
    """Branch and price from column generation's columns within `colgen_branch_share` of
    the budget left, or (`key` "branch_after_lns") the first tree gone on with where it
    stopped: a better roster is adopted, and a tree searched to the end proves the incumbent
    optimal (else the least bound of the nodes left may raise the bound). Its statistics go
    under `key`; a tree stopped on its budget is kept in `cg.tree`."""
    from optimizer.roster.branch import BranchAndPrice, resume_tree

    params, budget = search.params, search.budget
    incumbent, workers = search.value, params.workers or 1
    share = params.colgen_branch_share
    det = budget.deterministic_left()
    phase = Budget(budget.wall_left() * share, None if det is None else det * share)
    if cg.tree is None:
        cg.tree = BranchAndPrice(search.rm_inst, cg.columns, phase, floor=cg.floor)
        cg.tree.start(search.bound)
    out = resume_tree(cg.tree, phase, search.value, workers)
    budget.spent_deterministic += phase.spent_deterministic
    if out.complete or out.inexact:
        cg.tree = None
    search.stats[key] = out.stats() | {
        "incumbent": incumbent,
        "wall_time": round(phase.elapsed(), 3),
        "deterministic_time": round(phase.spent_deterministic, 3),
    }
    better = out.value is not None and (search.value is None or out.value < search.value)
    if out.roster is not None and out.value is not None and better:
        search.assignment, search.value = out.roster, out.value
        search.note_improvement()
    if out.bound is not None:
        search.bound = out.bound if search.bound is None else max(search.bound, out.bound)
    if search.value is not None and search.bound is not None and search.bound >= search.value:
        search.proven = True


def reserve_for_proof(search: Search) -> float:
    """The share of the budget left to keep from LNS: `colgen_prove_share` when the first
    tree stopped on its budget after finding a better roster (Instance7: 1057 found, bound
    1056, its proof cut short by LNS), else `lns_last_share` for the last whole-model solve
    (none without a whole model)."""
    params = search.params
    share = params.lns_last_share if search.rm is not None else 0.0
    cg, first = search.lagrangian, search.stats.get("branch", {})
    if cg is not None and cg.tree is not None and first.get("value") is not None:
        share = max(share, params.colgen_prove_share)
    return share


def prove(search: Search) -> None:
    """After LNS, on an instance whose first branch-and-price tree stopped on its budget: go
    on with that tree below the incumbent (LNS's when better; open nodes whose bound reaches
    it are pruned), its master keeping every column priced so far. (A tree searched to the
    end has proven its incumbent, which LNS cannot beat.)"""
    cg, params = search.lagrangian, search.params
    if (
        cg is None
        or cg.tree is None
        or search.proven
        or search.value is None
        or search.budget.exhausted()
        or params.colgen_branch_share == 0
    ):
        return
    branch(search, cg, key="branch_after_lns")


def add_lagrangian_cuts(rm: RosterModel, cg: ColumnGeneration) -> None:
    """Add the bound of column generation to the whole model as linear constraints that
    hold for every roster: at the best duals `pi`, each person's reduced cost
    rc_e(x) = SCALE x (request cost of e's row) - sum of pi over the cover cells e works is at
    least its proven minimum, and SCALE x objective >= pi . required + sum_e rc_e(x) (the
    slacks' weights bound the duals). CP-SAT then propagates the Dantzig-Wolfe bound: a
    person's row may cost at most the gap between the incumbent and the bound more than
    their cheapest row."""
    if cg.duals is None or len(cg.person_bounds) != rm.inst.num_staff:
        return
    inst, duals = rm.inst, cg.duals
    model = rm.model
    reduced = []
    for e in range(inst.num_staff):
        person = PersonCosts(inst, e)
        xs, coefficients = [], []
        for d, xed in enumerate(rm.vars.x[e]):
            for s, var in enumerate(xed):
                if var is None:
                    continue
                coefficient = person.reduced(d, s, duals)
                if coefficient:
                    xs.append(var)
                    coefficients.append(coefficient)
        rc = cp_model.LinearExpr.weighted_sum(xs, coefficients) + SCALE * person.constant
        model.add(rc >= cg.person_bounds[e])
        reduced.append(rc)
    fixed = dual_constant(inst, duals, cg.floor)
    model.add(SCALE * rm.terms.total() >= fixed + cp_model.LinearExpr.sum(reduced))
