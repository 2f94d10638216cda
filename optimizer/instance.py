"""The problem compiled to dense integer indices: the one place where ids become indices.

Times are whole seconds from the horizon start; locations are rows of the travel matrix;
orders, technicians and shifts are numbered in input order (shifts across technicians).
The solver works on an `Instance` only; `ids` on it map indices back to contract ids.
An instance is immutable once compiled (frozen dataclasses, read-only arrays): a re-plan's
previous plan and tolerance (`Context`) are inputs of `compile_problem`, not patches.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import get_args

import numpy as np

from models.plan import Plan
from models.problem import Order, PriorityKey, Problem
from optimizer.compatibility import compatibility, kept_compatibility
from optimizer.context import Context
from optimizer.travel import TravelMatrix

SCALE = 100
"""Objective units per weight-second (per-minute weights) and per weight-minute / 60."""

PRIORITY_KEYS: tuple[PriorityKey, ...] = get_args(PriorityKey)
"""The per-priority weight keys "1".."5", in priority order."""


@dataclass(frozen=True)
class OrderData:
    """One order in solver units."""

    id: str
    loc: int
    duration: int
    windows: list[tuple[int, int]]
    priority: int
    due: int | None
    created: int | None
    mandatory: bool
    crew: int
    after: list[int]
    pin_tech: int | None
    pin_start: int | None
    preferred: frozenset[int]
    skills: dict[str, int]
    equipment: frozenset[str]
    parts: dict[str, int]
    kind: str = "other"
    # Start-to-start links, both directions: (other order, least, most of this start minus
    # the other's start), in seconds.
    links: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class BreakData:
    """A break rule of a shift, in solver units."""

    earliest: int
    latest_end: int
    duration: int


@dataclass(frozen=True)
class ShiftData:
    """One shift (a potential route) in solver units."""

    id: str
    tech: int
    start: int
    end: int
    max_overtime: int
    start_loc: int
    end_loc: int
    breaks: list[BreakData]
    max_depot_visits: int | None
    on_call: bool = False


@dataclass(frozen=True)
class DepotData:
    """A depot in solver units; None = unlimited."""

    id: str
    loc: int
    open_start: int
    open_end: int
    duration: int
    equipment: dict[str, int | None]
    parts: dict[str, int | None]

    def has_equipment(self, kind: str) -> bool:
        """True when the depot lends this equipment type at all."""
        return kind in self.equipment and self.equipment[kind] != 0

    def part_limit(self, kind: str) -> float:
        """Total of a part type the depot can give (inf = unlimited)."""
        if kind not in self.parts:
            return 0
        qty = self.parts[kind]
        return float("inf") if qty is None else qty


@dataclass(frozen=True)
class TechData:
    """A technician's skills and van."""

    id: str
    skills: dict[str, int]
    equipment: frozenset[str]
    parts: dict[str, int]
    shifts: list[int]


@dataclass(frozen=True)
class Instance:
    """Everything the solver needs, indexed densely."""

    problem: Problem
    travel: TravelMatrix
    origin: datetime
    horizon: int
    orders: list[OrderData]
    shifts: list[ShiftData]
    techs: list[TechData]
    depots: list[DepotData]
    order_idx: dict[str, int]
    tech_idx: dict[str, int]
    shift_idx: dict[str, int]
    depot_idx: dict[str, int] = field(default_factory=dict)
    # The travel matrix as Python lists: much faster to read one cell at a time.
    rows: list[list[int]] = field(default_factory=list)
    # Objective coefficients in SCALE units.
    c_travel: int = 0
    c_idle: int = 0
    c_overtime: int = 0
    c_used: int = 0
    c_preference: int = 0
    c_change: int = 0
    c_unassigned: list[int] = field(default_factory=list)
    c_lateness: list[int] = field(default_factory=list)
    c_max_lateness: int = 0
    # qualified[o, t]: t meets every required skill level of o.
    qualified: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # van_ok[o, t]: t's van holds o's equipment and enough parts for o alone.
    van_ok: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # supply_ok[o, t]: t can provide o from the van, or with one depot stop.
    supply_ok: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    def depot_supplies(self, o: int, t: int, d: int) -> bool:
        """Depot d makes up everything t's van lacks for order o alone."""
        order, tech, depot = self.orders[o], self.techs[t], self.depots[d]
        if any(not depot.has_equipment(e) for e in order.equipment - tech.equipment):
            return False
        return all(tech.parts.get(k, 0) + depot.part_limit(k) >= q for k, q in order.parts.items())

    def needs_depot(self, o: int, t: int) -> bool:
        """Order o would draw on a depot for t: it needs equipment or parts t's van lacks,
        or parts at all (van stock runs down over the day)."""
        order = self.orders[o]
        return bool(order.parts) or not order.equipment <= self.techs[t].equipment

    # Re-planning: how the previous plan served each order, to price changes.
    baseline: dict[int, tuple[frozenset[int], int]] = field(default_factory=dict)
    prev_known: frozenset[int] = frozenset()  # orders the previous plan mentions
    tolerance: int = 900

    def __post_init__(self) -> None:
        for name in ("qualified", "van_ok", "supply_ok"):
            getattr(self, name).flags.writeable = False
        # The groups of linked orders, made once each (`linked_group`).
        object.__setattr__(self, "_groups", {})

    def change_cost(self, o: int, techs: frozenset[int], start: int) -> int:
        """Cost of serving o by `techs` at `start` against the previous plan (0 if unchanged
        or the order is new)."""
        if o not in self.prev_known:
            return 0
        base = self.baseline.get(o)
        if base is None or base[0] != techs or abs(start - base[1]) > self.tolerance:
            return self.c_change
        return 0

    def on_call_ok(self, o: int, s: int) -> bool:
        """Shift s may serve order o: an on-call shift takes only emergency and priority-1
        orders."""
        order = self.orders[o]
        return not self.shifts[s].on_call or order.kind == "emergency" or order.priority == 1

    def linked_group(self, o: int) -> list[int]:
        """Order o and every order linked to it, directly or through others, sorted."""
        if not self.orders[o].links:
            return [o]
        groups: dict[int, list[int]] = self._groups  # type: ignore[attr-defined]
        if o not in groups:
            groups[o] = self._linked_group(o)
        return list(groups[o])

    def _linked_group(self, o: int) -> list[int]:
        seen = {o}
        todo = [o]
        while todo:
            for other, _, _ in self.orders[todo.pop()].links:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return sorted(seen)

    def seconds(self, when: datetime) -> int:
        """Seconds from the horizon start."""
        return round((when - self.origin).total_seconds())

    def instant(self, seconds: int) -> datetime:
        """The instant `seconds` after the horizon start (in the horizon's offset)."""
        return self.origin + timedelta(seconds=int(seconds))

    def t(self, a: int, b: int) -> int:
        """Travel seconds between two location rows."""
        return self.rows[a][b]


def _secs(d: timedelta) -> int:
    return round(d.total_seconds())


def compile_problem(
    problem: Problem, travel: TravelMatrix | None = None, context: Context | None = None
) -> Instance:
    """Compile a validated problem into solver units; with a re-plan's `context`, its
    previous plan prices changes (and its travel matrix is used unless `travel` is given)."""
    travel = travel or (context.travel if context is not None else None)
    travel = travel or TravelMatrix.from_problem(problem)
    origin = problem.horizon.start
    horizon = _secs(problem.horizon.end - origin)

    def sec(when: datetime) -> int:
        return _secs(when - origin)

    tech_idx = {t.id: i for i, t in enumerate(problem.technicians)}
    order_idx = {o.id: i for i, o in enumerate(problem.orders)}
    depots = [
        DepotData(
            id=d.id,
            loc=travel.index(d.location),
            open_start=sec(d.opening.start) if d.opening else 0,
            open_end=sec(d.opening.end) if d.opening else horizon,
            duration=_secs(d.visit_duration),
            equipment=dict(d.equipment),
            parts=dict(d.parts),
        )
        for d in problem.depots
    ]
    shifts: list[ShiftData] = []
    techs: list[TechData] = []
    for ti, t in enumerate(problem.technicians):
        own: list[int] = []
        for s in sorted(t.shifts, key=lambda s: s.start):
            own.append(len(shifts))
            shifts.append(
                ShiftData(
                    id=s.id or "",
                    tech=ti,
                    start=sec(s.start),
                    end=sec(s.end),
                    max_overtime=_secs(s.max_overtime),
                    start_loc=travel.index(s.start_location),
                    end_loc=travel.index(s.final_location),
                    breaks=sorted(
                        (
                            BreakData(sec(b.earliest_start), sec(b.latest_end), _secs(b.duration))
                            for b in s.breaks
                        ),
                        key=lambda b: (b.earliest, b.latest_end),
                    ),
                    max_depot_visits=s.max_depot_visits,
                    on_call=s.on_call,
                )
            )
        techs.append(TechData(t.id, dict(t.skills), frozenset(t.equipment), dict(t.parts), own))

    links: list[list[tuple[int, int, int]]] = [[] for _ in problem.orders]
    for i, o in enumerate(problem.orders):
        for link in o.linked:
            j = order_idx[link.order]
            lo, hi = _secs(link.min_gap), _secs(link.max_gap)
            links[i].append((j, lo, hi))
            links[j].append((i, -hi, -lo))
    kept = _kept_day(problem, travel, tech_idx, context)
    orders: list[OrderData] = []
    rows: list[int] = []  # the kept day's index of each order compiled alike, or -1
    for i, o in enumerate(problem.orders):
        same = _kept_order(kept, o, order_idx, links[i]) if kept is not None else None
        if same is not None:
            orders.append(same)
            rows.append(kept.order_idx[o.id])  # type: ignore[union-attr]
            continue
        rows.append(-1)
        windows = [(sec(w.start), sec(w.end)) for w in o.time_windows] or [(0, horizon)]
        orders.append(
            OrderData(
                id=o.id,
                loc=travel.index(o.location),
                duration=_secs(o.duration),
                windows=sorted(windows),
                priority=o.priority,
                due=sec(o.due) if o.due is not None else None,
                created=sec(o.created_at) if o.created_at is not None else None,
                mandatory=o.mandatory,
                crew=o.crew_size,
                after=[order_idx[a] for a in o.after],
                pin_tech=(
                    tech_idx[o.pinned.technician]
                    if o.pinned is not None and o.pinned.technician is not None
                    else None
                ),
                pin_start=(
                    sec(o.pinned.start)
                    if o.pinned is not None and o.pinned.start is not None
                    else None
                ),
                preferred=frozenset(tech_idx[t] for t in o.preferred_technicians),
                skills=dict(o.required_skills),
                equipment=frozenset(o.required_equipment),
                parts=dict(o.required_parts),
                kind=o.kind,
                links=links[i],
            )
        )

    w = problem.weights
    if kept is not None:
        qualified, van_ok, supply_ok = kept_compatibility(kept, rows, orders, techs, depots)
    else:
        qualified, van_ok, supply_ok = compatibility(orders, techs, depots)
    baseline, known, tolerance = (
        _baseline(context.previous, order_idx, tech_idx, origin, context.tolerance)
        if context is not None
        else ({}, frozenset(), 900)
    )
    return Instance(
        problem=problem,
        travel=travel,
        origin=origin,
        horizon=horizon,
        orders=orders,
        shifts=shifts,
        techs=techs,
        depots=depots,
        order_idx=order_idx,
        tech_idx=tech_idx,
        shift_idx={s.id: i for i, s in enumerate(shifts)},
        depot_idx={d.id: i for i, d in enumerate(depots)},
        rows=travel.rows,
        c_travel=round(w.travel * SCALE),
        c_idle=round(w.idle * SCALE),
        c_overtime=round(w.overtime * SCALE),
        c_used=round(w.technician_used * 60 * SCALE),
        c_preference=round(w.preference * 60 * SCALE),
        c_change=round(w.change * 60 * SCALE),
        c_unassigned=[round(w.unassigned[p] * 60 * SCALE) for p in PRIORITY_KEYS],
        c_lateness=[round(w.lateness[p] * SCALE) for p in PRIORITY_KEYS],
        c_max_lateness=round(w.max_lateness * SCALE),
        qualified=qualified,
        van_ok=van_ok,
        supply_ok=supply_ok,
        baseline=baseline,
        prev_known=known,
        tolerance=tolerance,
    )


def _kept_day(
    problem: Problem, travel: TravelMatrix, tech_idx: dict[str, int], context: Context | None
) -> Instance | None:
    """The context's kept day when the problem's orders may be compiled alike from it: the
    same horizon and technicians, and a travel matrix with the day's rows at the same
    indices (the kept matrix, or one extended from it)."""
    kept = context.kept if context is not None else None
    if kept is None or kept.origin != problem.horizon.start or kept.tech_idx != tech_idx:
        return None
    if kept.horizon != _secs(problem.horizon.end - problem.horizon.start):
        return None  # orders without windows are open over the whole horizon
    n = len(kept.travel.keys)
    if travel is not kept.travel and travel.keys[:n] != kept.travel.keys:
        return None
    return kept


def _kept_order(
    kept: Instance, o: Order, order_idx: dict[str, int], links: list[tuple[int, int, int]]
) -> OrderData | None:
    """The kept day's compiled order when `o` is the very order object it was compiled from,
    with its order indices (`after`, links) renumbered for this problem; else None."""
    j = kept.order_idx.get(o.id)
    if j is None or kept.problem.orders[j] is not o:
        return None
    data = kept.orders[j]
    after = [order_idx[a] for a in o.after]
    if after == data.after and links == data.links:
        return data
    return replace(data, after=after, links=links)


def _baseline(
    plan: Plan,
    order_idx: dict[str, int],
    tech_idx: dict[str, int],
    origin: datetime,
    tolerance: timedelta,
) -> tuple[dict[int, tuple[frozenset[int], int]], frozenset[int], int]:
    """How the previous plan served each order (technicians, start in seconds), the orders
    it mentions at all, and the tolerance in seconds: what prices a change."""
    starts: dict[str, datetime] = {}
    techs: dict[str, set[int]] = {}
    for r in plan.routes:
        for it in r.items:
            if it.type == "visit" and it.order in order_idx:
                starts[it.order] = min(starts.get(it.order, it.start), it.start)
                if r.technician in tech_idx:
                    techs.setdefault(it.order, set()).add(tech_idx[r.technician])
    baseline = {
        order_idx[o]: (frozenset(techs.get(o, ())), _secs(s - origin)) for o, s in starts.items()
    }
    known = frozenset(baseline) | {
        order_idx[u.order] for u in plan.unassigned if u.order in order_idx
    }
    return baseline, known, int(tolerance.total_seconds())
