"""Exact pricing of one person's row by dynamic programming over the days.

The cheapest row under per-cell costs (a request cost less the cover duals) is a shortest path
through the days whose state holds what the person's rules need: the run automaton of
`constraints.run_automaton` (worked days or days off in a row, the runs at either end exempt)
with the shift of the previous day (forbidden successions), and resources: the worked minutes
(in units of the lengths' greatest common divisor), the weekends worked and the shifts of each
capped type. The values of every state are dense numpy arrays, one per day, so a day costs a
few array operations whatever the number of states.

Resources are added only when needed (decremental state-space relaxation): the first pass
keeps the minutes alone; when its cheapest row works too many weekends or too many shifts of
a type, those resources join the state and the pass runs again. A relaxed pass is a lower
bound, and a row that keeps every rule at that bound is optimal. When the state would exceed
`max_cells` (days x states), `RowPricer.price` gives up and returns the relaxed bound alone,
for the caller's CP-SAT pricing to finish.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.roster.constraints import run_automaton
from optimizer.roster.instance import OFF, RosterInstance

INF = np.inf
WORK_CELL_COST = 2e-9
"""Deterministic seconds charged per state value computed (about the CPU time here)."""


@dataclass
class Priced:
    """A pricing pass: the least cost (when exact; else a lower bound on it), its row when
    exact, whether it is exact (every resource either in the state or kept by the row), and
    the number of state values computed. A value of None: the person has no row (exact) or
    not even the minutes fitted in the state (not exact)."""

    value: float | None
    row: list[int] | None
    exact: bool
    work: int


class RowPricer:
    """One person's rules compiled for pricing: the nodes (automaton state, last shift), their
    predecessors, and the resources that can bind."""

    def __init__(self, inst: RosterInstance, e: int, max_cells: int = 3_000_000):
        rule = inst.rules[e]
        h = self.num_days = inst.num_days
        self.max_cells = max_cells
        self.allowed = [list(day) for day in inst.allowed[e]]
        must = inst.must_work[e] if inst.must_work else frozenset()
        self.may_rest = [d not in must for d in range(h)]
        shifts = [s for s in range(inst.num_shifts) if any(day[s] for day in self.allowed)]
        self.shifts = shifts
        states, first, moves = run_automaton(
            rule.min_consecutive_shifts,
            min(rule.max_consecutive_shifts, h),
            rule.min_consecutive_days_off,
        )
        working = [kind in "WX" for kind, _ in states]
        nodes: list[tuple[int, int]] = []
        for i in range(len(states)):
            nodes += [(i, s) for s in shifts] if working[i] else [(i, OFF)]
        at = {node: j for j, node in enumerate(nodes)}
        succ: dict[int, list[int]] = {}
        for a, b in moves:
            succ.setdefault(a, []).append(b)
        preds_work: list[list[int]] = [[] for _ in nodes]
        preds_off: list[list[int]] = [[] for _ in nodes]
        for i, (a, s_a) in enumerate(nodes):
            for b in succ.get(a, []):
                for s_b in shifts if working[b] else [OFF]:
                    if s_a != OFF and s_b != OFF and inst.forbidden_next[s_a][s_b]:
                        continue
                    (preds_work if s_a != OFF else preds_off)[at[(b, s_b)]].append(i)
        # nodes in order of their number of predecessors rounded up to a power of two: a day
        # is then one gather and one minimum per such group, over a slice of the states
        fan_in = [_bucket(len(w) + len(o)) for w, o in zip(preds_work, preds_off, strict=True)]
        order = sorted(range(len(nodes)), key=lambda j: (fan_in[j], j))
        rank = {j: k for k, j in enumerate(order)}
        self.nodes = [nodes[j] for j in order]
        self.fan_in = [fan_in[j] for j in order]
        preds_work = [[rank[i] for i in preds_work[j]] for j in order]
        preds_off = [[rank[i] for i in preds_off[j]] for j in order]
        self.first = sorted(
            rank[j] for j, (a, _) in enumerate(nodes) if a in first
        )  # day 0's nodes: the first run (worked or not) starts there
        self.shift_of = [s for _, s in self.nodes]
        self.preds_list = (preds_work, preds_off)
        self._kept: tuple[bool, tuple[int, ...]] = (False, ())
        self._where: dict[tuple[tuple[bool, tuple[int, ...], int], int], int] = {}
        """Each node's group in the transitions of a kind of day."""
        self._cache: dict[
            tuple[bool, tuple[int, ...], int], list[tuple[int, int, np.ndarray]]
        ] = {}
        g = math.gcd(*(inst.minutes[s] for s in shifts)) if shifts else 1
        self.unit = g
        self.length = {s: inst.minutes[s] // g for s in shifts}
        most = h * max((inst.minutes[s] for s in shifts), default=0)
        self.min_units = -(-rule.min_minutes // g)
        self.max_units = min(rule.max_minutes, most) // g
        self.num_weekends = inst.num_weekends
        self.max_weekends = rule.max_weekends
        worked_weekends = sum(
            1
            for w in range(inst.num_weekends)
            if any(self.allowed[7 * w + k][s] for k in (5, 6) for s in shifts)
        )
        self.weekends_bind = rule.max_weekends < worked_weekends
        self.caps = {
            s: rule.max_shifts[s]
            for s in shifts
            if rule.max_shifts[s] < sum(1 for day in self.allowed if day[s])
        }
        """Types whose cap can bind: those the person could work more often than allowed."""

    def price(
        self,
        cost: Sequence[Sequence[float]],
        constant: int = 0,
        work_on: frozenset[int] = frozenset(),
    ) -> Priced:
        """The cheapest row under `cost[d][s]` (plus `constant`; an infinite cost forbids the
        cell) that works every day of `work_on`, exact when the state fits, else the bound of
        the last relaxation that fitted."""
        # start from the resources the last call needed (a pass with more is still exact)
        weekends, caps = self._kept
        work = 0
        best: Priced | None = None
        while True:
            if not self._fits(weekends, caps):
                return Priced(None if best is None else best.value, None, False, work)
            value, row, spent = self._solve(cost, weekends, caps, work_on)
            work += spent
            if value is None:
                return Priced(None, None, True, work)
            assert row is not None
            best = Priced(value + constant, row, True, work)
            add_weekends = (
                not weekends and self.weekends_bind and self._weekends(row) > (self.max_weekends)
            )
            over = tuple(s for s in self.caps if s not in caps and row.count(s) > self.caps[s])
            if not add_weekends and not over:
                self._kept = (weekends, caps)
                return best
            weekends = weekends or add_weekends
            caps = tuple(sorted((*caps, *over)))

    def fits_whole(self) -> bool:
        """Whether the state with every resource that can bind fits in `max_cells` (then
        the DP never needs CP-SAT for this person)."""
        return self._fits(self.weekends_bind, tuple(sorted(self.caps)))

    def _weekends(self, row: list[int]) -> int:
        """Weekends the row works."""
        return sum(
            1 for w in range(self.num_weekends) if row[7 * w + 5] != OFF or row[7 * w + 6] != OFF
        )

    def _shape(self, weekends: bool, caps: tuple[int, ...]) -> tuple[int, ...]:
        """The resource axes: minutes, then weekends (when kept), then each kept cap."""
        shape = [self.max_units + 1]
        if weekends:
            shape.append(self.max_weekends + 1)
        shape += [self.caps[s] + 1 for s in caps]
        return tuple(shape)

    def _fits(self, weekends: bool, caps: tuple[int, ...]) -> bool:
        """Whether days x nodes x resources stays within `max_cells`."""
        size = self.num_days * len(self.nodes) * math.prod(self._shape(weekends, caps))
        return size <= self.max_cells

    def _deltas(
        self, s: int, d: int, weekends: bool, caps: tuple[int, ...], after_off: bool
    ) -> list[int]:
        """How working s on day d moves each resource axis (after a day off or not)."""
        out = [self.length[s]]
        if weekends:
            weekday, week = d % 7, d // 7
            counted = week < self.num_weekends and (weekday == 5 or (weekday == 6 and after_off))
            out.append(1 if counted else 0)
        out += [1 if t == s else 0 for t in caps]
        return out

    def _transitions(
        self, weekends: bool, caps: tuple[int, ...], kind: int
    ) -> list[tuple[int, int, np.ndarray]]:
        """The states (node x resources, flat) of the day before that lead to each state of a
        day of `kind` (0: no weekend counted, 1: a counted Saturday, 2: a counted Sunday), by
        groups of consecutive nodes with as many predecessors (padded): the group's first
        and last node + 1, and for each of their states (node-major) a column of its
        predecessors (the index of an infinite value where one does not exist)."""
        key = (weekends, caps, kind)
        if key in self._cache:
            return self._cache[key]
        shape = self._shape(weekends, caps)
        width = math.prod(shape)
        coords = np.indices(shape).reshape(len(shape), -1)
        strides = np.array([math.prod(shape[a + 1 :]) for a in range(len(shape))])
        pad = len(self.nodes) * width
        flat = np.arange(width)
        day = {0: 0, 1: 5, 2: 6}[kind]
        out: list[tuple[int, int, np.ndarray]] = []
        blocks: list[np.ndarray] = []
        for j, s in enumerate(self.shift_of):
            columns = []
            for after_off, preds in zip((False, True), self.preds_list, strict=True):
                deltas = (
                    [0] * len(shape)
                    if s == OFF
                    else self._deltas(s, day, weekends, caps, after_off)
                )
                valid = np.all(coords >= np.array(deltas)[:, None], axis=0)
                source = np.where(valid, flat - int(np.dot(strides, deltas)), -1)
                columns += [np.where(source >= 0, i * width + source, pad) for i in preds[j]]
            columns += [np.full(width, pad)] * (self.fan_in[j] - len(columns))
            blocks.append(np.stack(columns))
            if j + 1 == len(self.nodes) or self.fan_in[j + 1] != self.fan_in[j]:
                start = j + 1 - len(blocks)
                out.append((start, j + 1, np.ascontiguousarray(np.concatenate(blocks, axis=1))))
                for k in range(start, j + 1):
                    self._where[(key, k)] = len(out) - 1
                blocks = []
        self._cache[key] = out
        return out

    def _solve(
        self,
        cost: Sequence[Sequence[float]],
        weekends: bool,
        caps: tuple[int, ...],
        work_on: frozenset[int],
    ) -> tuple[float | None, list[int] | None, int]:
        """One pass of the DP with the given resources: the least cost, a row of it, and the
        number of state values computed."""
        h, num = self.num_days, len(self.nodes)
        shape = self._shape(weekends, caps)
        width = math.prod(shape)
        node_cost = self._node_costs(cost, work_on)
        # day 0: the first run starts, from no resource used
        value = np.full(num * width + 1, INF)
        grid = value[:-1].reshape(num, width)
        strides = [math.prod(shape[a + 1 :]) for a in range(len(shape))]
        for j in self.first:
            s = self.shift_of[j]
            if s == OFF:
                grid[j, 0] = node_cost[0, j]
            else:
                deltas = self._deltas(s, 0, weekends, caps, True)
                if all(k < size for k, size in zip(deltas, shape, strict=True)):
                    grid[j, int(np.dot(strides, deltas))] = node_cost[0, j]
        values = [value]
        kinds = []
        work = 0
        for d in range(1, h):
            week, weekday = divmod(d, 7)
            kind = 0
            if weekends and week < self.num_weekends and weekday in (5, 6):
                kind = weekday - 4
            after = np.empty(num * width + 1)
            after[-1] = INF
            for start, end, preds in self._transitions(weekends, caps, kind):
                # the ufunc's own reduce: np.min's wrapper cost a third of it on small groups
                np.minimum.reduce(value[preds], axis=0, out=after[start * width : end * width])
                work += preds.size
            after[:-1].reshape(num, width)[...] += node_cost[d][:, None]
            value = after
            values.append(value)
            kinds.append(kind)
        final = value[:-1].reshape(num, *shape)[:, self.min_units :]
        if final.size == 0 or not np.isfinite(final.min()):
            return None, None, work
        at = np.unravel_index(int(np.argmin(final)), final.shape)
        state = int(np.ravel_multi_index((at[0], at[1] + self.min_units, *at[2:]), (num, *shape)))
        least = float(value[state])
        row = [OFF] * h
        for d in range(h - 1, -1, -1):
            j = state // width
            row[d] = self.shift_of[j]
            if not d:
                break
            before = values[d - 1]
            target = values[d][state] - node_cost[d, j]
            groups = self._transitions(weekends, caps, kinds[d - 1])
            start, _, preds = groups[self._where[((weekends, caps, kinds[d - 1]), j)]]
            column = preds[:, (j - start) * width + state % width]
            state = next(int(i) for i in column.tolist() if before[i] == target)
        return least, row, work

    def _node_costs(self, cost: Sequence[Sequence[float]], work_on: frozenset[int]) -> np.ndarray:
        """cost[d][node]: what the node's shift costs on day d (a day off nothing), infinite
        where the shift (or the rest, on a day that must be worked) is not allowed."""
        h = self.num_days
        table = np.zeros((h, len(self.shifts) + 1))
        for k, s in enumerate(self.shifts):
            for d in range(h):
                table[d, k] = cost[d][s] if self.allowed[d][s] else INF
        for d in range(h):
            if not self.may_rest[d] or d in work_on:
                table[d, -1] = INF
        column = {s: k for k, s in enumerate(self.shifts)}
        pick = [column.get(s, len(self.shifts)) for s in self.shift_of]
        return table[:, pick]


def _bucket(n: int) -> int:
    """The least power of two at least n (and 1)."""
    return 1 << max(0, n - 1).bit_length()


def dp_share(inst: RosterInstance) -> float:
    """The share of the people whose whole pricing state fits (`RowPricer.fits_whole`)."""
    fits = sum(RowPricer(inst, e).fits_whole() for e in range(inst.num_staff))
    return fits / max(1, inst.num_staff)
