"""Branch and price on the Dantzig-Wolfe master of column generation.

The master's LP bound is often one or two units short of the optimum; closing that needs
branching. A node fixes cells of people: person e on day d works shift s (`on`) or does not
work s. Columns that break a node's fixes are held at zero in the master, and each person's
pricing (the dynamic programme of `pricing.RowPricer`, exact) keeps them, so the node's
column generation gives the Lagrangian bound of the node's rosters; it stops as soon as that
bound meets the restricted master's LP value rounded up (more columns could not raise it:
Instance5 below 1148, 147 nodes in 6.3 deterministic s before, 137 in 5.0 after). It
branches on whether a person works a day at all first (the day off whose LP value is nearest
1/2), then on the cell nearest 1/2, and plunges depth first into the child that rounds it
first; when a plunge ends, the open node whose parent's LP value is least goes next. A node
whose bound (rounded up) reaches the incumbent is pruned, and a node whose LP is whole gives
a roster.
When every node is done, the incumbent is optimal; else the least bound of the nodes left is
a proven bound.
"""

from __future__ import annotations

import heapq
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from optimizer.roster.colgen import (
    EPS,
    SCALE,
    Column,
    Master,
    PersonCosts,
    ceil_div,
    dual_constant,
    rounded,
)
from optimizer.roster.evaluate import evaluate_assignment
from optimizer.roster.instance import OFF, RosterInstance
from optimizer.roster.params import Budget
from optimizer.roster.pricing import INF, WORK_CELL_COST, Priced, RowPricer

NODE_COST = 0.01
"""Deterministic seconds charged per restricted master solved (GLOP's own time is not
counted by any deterministic clock)."""


@dataclass(frozen=True)
class Fix:
    """A branching decision: person `staff` works `shift` on `day` (on) or does not (off)."""

    staff: int
    day: int
    shift: int
    on: bool

    def keeps(self, row: tuple[int, ...] | list[int]) -> bool:
        """Whether a row of this person keeps the decision."""
        return (row[self.day] == self.shift) == self.on


@dataclass
class BranchOutcome:
    """The best roster found (None: none better than the incumbent given), its value, the
    proven bound, whether the tree was searched to the end, and how it went."""

    roster: list[list[int]] | None = None
    value: int | None = None
    bound: int | None = None
    complete: bool = False
    nodes: int = 0
    pruned: int = 0
    columns: int = 0
    inexact: bool = False
    tailed: int = 0
    """Nodes whose column generation ended once their bound met the LP value."""
    history: list[tuple[int, int, int]] = field(default_factory=list)
    """(node, depth, node bound) per node solved."""
    found: list[tuple[int, int]] = field(default_factory=list)
    """(node, value) of every roster better than the incumbent, in the order found."""

    def stats(self) -> dict[str, object]:
        """A summary for the result's solver statistics."""
        return {
            "nodes": self.nodes,
            "pruned": self.pruned,
            "complete": self.complete,
            "bound": self.bound,
            "value": self.value,
            "columns": self.columns,
            "inexact_pricing": self.inexact,
            "tailed": self.tailed,
        }


class BranchAndPrice:
    """The tree search over one master shared by every node (columns only accumulate)."""

    def __init__(
        self,
        inst: RosterInstance,
        columns: list[Column],
        budget: Budget,
        pool: ThreadPoolExecutor | None = None,
        floor: int = 0,
    ):
        self.inst, self.budget = inst, budget
        self.pool = pool or ThreadPoolExecutor(max_workers=1)
        self.master = Master(inst, floor)
        for column in columns:
            self.master.add(column)
        self.costs = [PersonCosts(inst, e) for e in range(inst.num_staff)]
        self.pricers = [RowPricer(inst, e) for e in range(inst.num_staff)]
        self.inexact = False
        self.tailed = 0
        """Nodes whose column generation stopped once the bound met the LP value."""
        self.lp_value = 0.0
        """The restricted master's LP value at the end of the last node solved."""
        self.heap: list[tuple[float, int, int, list[Fix], int | None, int]] = []
        """Open nodes: (parent's LP value, -depth, order made, fixes, parent's bound, depth)."""
        self.made = 0
        self.plunge: tuple[list[Fix], int | None, int] | None = None
        """The node the plunge goes on with: (fixes, parent's bound, depth)."""

    def price(
        self, e: int, duals: list[int], fixes: list[Fix]
    ) -> tuple[float | None, Column | None]:
        """Person e's least reduced cost (times SCALE) under the node's fixes and one row of
        it; (None, None) when they have no row there. Sets `inexact` when the DP's state did
        not fit (the node's bound is then unknown)."""
        return self._take(e, self._run(e, duals, fixes))

    def price_all(
        self, duals: list[int], fixes: list[Fix]
    ) -> list[tuple[float | None, Column | None]]:
        """`price` for every person, on the pool's threads (the DP's numpy work runs outside
        the interpreter's lock), taken in order so that the outcome does not depend on them."""
        runs = list(
            self.pool.map(lambda e: self._run(e, duals, fixes), range(self.inst.num_staff))
        )
        return [self._take(e, out) for e, out in enumerate(runs)]

    def _run(self, e: int, duals: list[int], fixes: list[Fix]) -> Priced:
        """Person e's pricing pass under the node's fixes (no side effect but the pricer's
        own cache)."""
        costs = self.costs[e]
        cost: list[list[float]] = [
            [costs.reduced(d, s, duals) for s in range(self.inst.num_shifts)]
            for d in range(self.inst.num_days)
        ]
        work_on = set()
        for fix in fixes:
            if fix.staff != e:
                continue
            if fix.shift == OFF:
                if fix.on:  # a day off: no shift that day
                    cost[fix.day] = [INF] * self.inst.num_shifts
                else:
                    work_on.add(fix.day)
            elif fix.on:
                work_on.add(fix.day)
                cost[fix.day] = [c if s == fix.shift else INF for s, c in enumerate(cost[fix.day])]
            else:
                cost[fix.day][fix.shift] = INF
        return self.pricers[e].price(cost, SCALE * costs.constant, frozenset(work_on))

    def _take(self, e: int, out: Priced) -> tuple[float | None, Column | None]:
        """A pricing pass counted in the budget: its value and column (`price`)."""
        self.budget.spent_deterministic += out.work * WORK_CELL_COST
        if not out.exact:
            self.inexact = True
            return out.value, None
        if out.value is None or out.row is None:
            return None, None
        return out.value, self.costs[e].column(out.row)

    def solve(self) -> tuple[float, list[float], list[float]]:
        """The master's LP (`Master.solve`); GLOP's warm start fails now and then after the
        bounds changed (ABNORMAL): the master is then built again with the same columns."""
        try:
            return self.master.solve()
        except RuntimeError:
            old = self.master
            self.master = Master(self.inst, old.floor)
            for column, var in zip(old.columns, old.vars, strict=True):
                self.master.add(column)
                self.master.vars[-1].SetUb(var.ub())
            return self.master.solve()

    def restrict(self, fixes: list[Fix]) -> None:
        """Hold every column that breaks a fix at zero, free the others."""
        by_staff: dict[int, list[Fix]] = {}
        for fix in fixes:
            by_staff.setdefault(fix.staff, []).append(fix)
        for column, var in zip(self.master.columns, self.master.vars, strict=True):
            keeps = all(fix.keeps(column.row) for fix in by_staff.get(column.staff, []))
            var.SetUb(self.master.lp.infinity() if keeps else 0.0)

    def node(self, fixes: list[Fix], incumbent: int | None) -> tuple[int | None, list[float]]:
        """Column generation at a node: its proven bound (None: no roster keeps the fixes)
        and the LP values of the master's columns at the end (empty when pruned); it ends once
        the bound meets the restricted master's LP value rounded up (it can rise no more)."""
        self.restrict(fixes)
        free = [
            e
            for e in range(self.inst.num_staff)
            if not any(
                var.ub() > 0
                for column, var in zip(self.master.columns, self.master.vars, strict=True)
                if column.staff == e
            )
        ]
        zero = [0] * len(self.inst.cover)
        for e in free:
            _, column = self.price(e, zero, fixes)
            if column is None:
                return None, []
            self.master.add(column)
        bound: int | None = None
        while True:
            lp_value, duals, convexity = self.solve()
            self.budget.spent_deterministic += NODE_COST
            at = rounded(self.inst, duals)
            total = dual_constant(self.inst, at, self.master.floor)
            added = 0
            for e, (value, column) in enumerate(self.price_all(at, fixes)):
                if value is None and not self.inexact:
                    return None, []
                if value is not None:
                    total += int(value)
                if column is None:
                    continue
                reduced = column.cost - sum(duals[k] for k in column.cells) - convexity[e]
                if reduced < -EPS and self.master.add(column):
                    added += 1
            if not self.inexact:
                lagrangian = ceil_div(total, SCALE)
                bound = lagrangian if bound is None else max(bound, lagrangian)
            if bound is not None and incumbent is not None and bound >= incumbent:
                return bound, []
            if bound is not None and bound >= ceil_div(round(SCALE * lp_value - 1), SCALE):
                # the node's LP value lies between the bound and the restricted master's
                # value: both round up alike, so more columns cannot raise the node's bound
                self.tailed += 1
                break
            if added == 0 or self.budget.exhausted():
                break
        self.lp_value = self.solve()[0]
        return bound, [var.solution_value() for var in self.master.vars]

    def fractional(self, values: list[float]) -> tuple[Fix | None, list[list[int]] | None]:
        """The cell to branch on, or None and the roster when every person's row is whole:
        the person and day whose LP value of a day off is nearest 1/2 (works or rests),
        else the cell (person, day, shift) nearest 1/2; on (first) when at least 1/2."""
        share: dict[tuple[int, int, int], float] = {}
        whole: dict[int, tuple[int, ...]] = {}
        for column, value in zip(self.master.columns, values, strict=True):
            if value <= EPS:
                continue
            if value >= 1 - EPS:
                whole[column.staff] = column.row
            for d, s in enumerate(column.row):
                key = (column.staff, d, s)
                share[key] = share.get(key, 0.0) + value
        if len(whole) == self.inst.num_staff:
            return None, [list(whole[e]) for e in range(self.inst.num_staff)]
        split = [key for key, v in share.items() if EPS < v < 1 - EPS]
        # whether a person works a day at all first: Instance7 with its optimum as the
        # incumbent is proven in 9 nodes that way, against more than 575 on any cell first
        days_off = [key for key in split if key[2] == OFF]
        e, d, s = min(days_off or split, key=lambda key: (abs(share[key] - 0.5), key))
        return Fix(e, d, s, share[(e, d, s)] >= 0.5), None

    def search(self, incumbent: int | None, root_bound: int | None) -> BranchOutcome:
        """Branch and price below an incumbent's value: depth first along the child that
        rounds the cell first (a plunge); when a plunge ends, the open node whose parent's LP
        value is least next (Instance7 from its columns below 1158: 85 nodes depth first, 37
        so, the optimum 1056 found at node 36 instead of 73)."""
        self.start(root_bound)
        return self.search_on(incumbent)

    def start(self, root_bound: int | None) -> None:
        """Open the tree at its root, whose proven bound is `root_bound`."""
        self.heap, self.made = [], 0
        self.plunge = ([], root_bound, 0)

    def search_on(self, incumbent: int | None) -> BranchOutcome:
        """Go on with the open nodes where the last search stopped (on its budget), below
        `incumbent` (open nodes whose bound reaches it are pruned first; `resume_tree` sets a
        new budget and pool). The outcome counts this run's nodes."""
        out = BranchOutcome()
        heap, plunge, tailed = self.heap, self.plunge, self.tailed
        if incumbent is not None:
            kept = [n for n in heap if n[4] is None or n[4] < incumbent]
            out.pruned += len(heap) - len(kept)
            heap = kept
            heapq.heapify(heap)
            if plunge is not None and plunge[1] is not None and plunge[1] >= incumbent:
                plunge = None
                out.pruned += 1

        def shelve(fixes: list[Fix], bound: int | None, depth: int, estimate: float) -> None:
            heapq.heappush(heap, (estimate, -depth, self.made, fixes, bound, depth))
            self.made += 1

        while plunge is not None or heap:
            if plunge is None:
                _, _, _, fixes, bound, depth = heapq.heappop(heap)
                plunge = (fixes, bound, depth)
            if self.budget.exhausted() or self.inexact:
                break
            fixes, parent_bound, depth = plunge
            plunge = None
            out.nodes += 1
            bound, values = self.node(fixes, incumbent)
            if self.inexact:
                plunge = (fixes, parent_bound, depth)
                break
            if bound is None and not values:
                out.pruned += 1  # no roster keeps these fixes
                continue
            if parent_bound is not None:
                bound = parent_bound if bound is None else max(bound, parent_bound)
            out.history.append((out.nodes, depth, -1 if bound is None else bound))
            if not values:
                out.pruned += 1
                continue
            if self.budget.exhausted():
                plunge = (fixes, bound, depth)
                break
            fix, roster = self.fractional(values)
            if roster is not None:
                value = evaluate_assignment(self.inst, roster).value
                if incumbent is None or value < incumbent:
                    incumbent, out.roster, out.value = value, roster, value
                    out.found.append((out.nodes, value))
                    kept = [n for n in heap if n[4] is None or n[4] < value]
                    out.pruned += len(heap) - len(kept)
                    heap = kept
                    heapq.heapify(heap)
                if bound is not None and bound >= value:
                    continue
                # whole but not proven optimal at this node: branch on a person's row
                fix = self._any_cell(values, fixes)
                if fix is None:
                    continue
            assert fix is not None
            other = Fix(fix.staff, fix.day, fix.shift, not fix.on)
            shelve([*fixes, other], bound, depth + 1, self.lp_value)
            plunge = ([*fixes, fix], bound, depth + 1)
        self.heap, self.plunge = heap, plunge
        left = [b for *_, b, _ in heap] + ([] if plunge is None else [plunge[1]])
        out.complete = not left and not self.inexact
        if out.complete:
            out.bound = incumbent
        elif left and all(b is not None for b in left):
            least = min(b for b in left if b is not None)
            out.bound = least if incumbent is None else min(least, incumbent)
        out.columns = len(self.master.columns)
        out.inexact = self.inexact
        out.tailed = self.tailed - tailed
        return out

    def _any_cell(self, values: list[float], fixes: list[Fix]) -> Fix | None:
        """A cell of a whole LP row not fixed yet (to branch on when the LP is whole but its
        bound is not proven), or None."""
        fixed = {(f.staff, f.day) for f in fixes}
        for column, value in zip(self.master.columns, values, strict=True):
            if value >= 1 - EPS:
                for d, s in enumerate(column.row):
                    if (column.staff, d) not in fixed:
                        return Fix(column.staff, d, s, True)
        return None


def branch_and_price(
    inst: RosterInstance,
    columns: list[Column],
    budget: Budget,
    incumbent: int | None = None,
    root_bound: int | None = None,
    workers: int = 1,
    floor: int = 0,
) -> BranchOutcome:
    """Branch and price from column generation's columns within `budget`, below
    `incumbent` (a roster's value) and from the root's proven bound, pricing on `workers`
    threads (the same outcome with any number); `floor` as in `colgen.Master`."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        tree = BranchAndPrice(inst, columns, budget, pool, floor)
        return tree.search(incumbent, root_bound)


def resume_tree(
    tree: BranchAndPrice, budget: Budget, incumbent: int | None, workers: int = 1
) -> BranchOutcome:
    """Go on with a tree stopped on its budget, within `budget` and below `incumbent`."""
    tree.budget = budget
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        tree.pool = pool
        return tree.search_on(incumbent)
