"""The evaluator's types (`Violation`, `RouteTotals`, `Evaluation`) and its building blocks: the
problem's ids resolved once (`Context`), each plan route with its travel legs and recomputed
totals (`RouteView`), and how each order is served."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, NamedTuple

from models.plan import (
    BreakItem,
    DepotItem,
    EndItem,
    Item,
    Objective,
    Plan,
    Route,
    StartItem,
    VisitItem,
)
from models.problem import Depot, Order, PriorityKey, Problem, Shift, Technician
from optimizer.travel import TravelMatrix

PRIORITIES: tuple[PriorityKey, ...] = ("1", "2", "3", "4", "5")


PRIORITY_KEY: dict[int, PriorityKey] = {int(p): p for p in PRIORITIES}


ZERO = timedelta(0)


@dataclass(frozen=True)
class Violation:
    """One broken rule of the contract: a short machine code, where, and a one-line message."""

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.code}] {self.message}"


@dataclass(frozen=True)
class RouteTotals:
    """Recomputed durations of one route (travel from the travel matrix, the rest from the
    plan's times); `idle` = working - travel - service - breaks - depot."""

    travel: timedelta
    working: timedelta
    service: timedelta
    breaks: timedelta
    depot: timedelta
    idle: timedelta
    overtime: timedelta


@dataclass(frozen=True)
class Evaluation:
    """Everything the evaluator finds about a plan.

    `feasible`: no rule is broken (every mandatory and pinned order served). `valid`: the plan
    keeps the contract of its status: feasible with status `optimal` or `feasible`, or, with
    status `infeasible` or `no_solution`, broken only in leaving mandatory or pinned orders
    out. `routes` holds the recomputed totals of each plan route, in plan order; the `*_seconds`
    fields are their sums. `changed_orders` lists the orders counted as changes (None without
    a previous plan).
    """

    feasible: bool
    violations: list[Violation]
    objective: Objective
    kpis: dict[str, Any]
    routes: list[RouteTotals]
    travel_seconds: int
    working_seconds: float
    service_seconds: float
    idle_seconds: float
    overtime_seconds: float
    break_seconds: float
    depot_seconds: float
    changed_orders: tuple[str, ...] | None = None
    valid: bool = False

    @property
    def codes(self) -> set[str]:
        """The distinct violation codes."""
        return {v.code for v in self.violations}


@dataclass(frozen=True)
class _Context:
    """The problem with its ids resolved once, and the travel matrix."""

    problem: Problem
    travel: TravelMatrix
    orders: dict[str, Order]
    technicians: dict[str, Technician]
    shifts: dict[str, tuple[Technician, Shift]]
    depots: dict[str, Depot]
    order_loc: dict[str, int]
    depot_loc: dict[str, int]

    @classmethod
    def build(cls, problem: Problem, travel: TravelMatrix) -> _Context:
        """Resolve the problem's ids into lookup tables."""
        return cls(
            problem=problem,
            travel=travel,
            orders={o.id: o for o in problem.orders},
            technicians={t.id: t for t in problem.technicians},
            shifts={s.id or "": (t, s) for t in problem.technicians for s in t.shifts},
            depots={d.id: d for d in problem.depots},
            order_loc={o.id: travel.index(o.location) for o in problem.orders},
            depot_loc={d.id: travel.index(d.location) for d in problem.depots},
        )


@dataclass(frozen=True)
class _RouteView:
    """A plan route with its technician, shift, incoming travel legs and totals resolved."""

    index: int
    route: Route
    technician: Technician | None
    shift: Shift | None
    legs: tuple[int, ...]  # seconds of travel into each item from the one before (0 first)
    totals: RouteTotals

    @property
    def where(self) -> str:
        """JSON path of the route."""
        return f"routes[{self.index}]"

    @property
    def closed(self) -> bool:
        """Whether the route begins with a start item and finishes with an end item."""
        items = self.route.items
        return bool(items) and isinstance(items[0], StartItem) and isinstance(items[-1], EndItem)


class _Visit(NamedTuple):  # a tuple: a plan makes hundreds of them per evaluation
    """One visit item of a plan, with its route and item index."""

    route: int
    item: int
    technician: str
    visit: VisitItem


class _Served(NamedTuple):
    """How an order is served: its technicians, earliest start and latest end."""

    technicians: frozenset[str]
    arrival: datetime
    start: datetime
    end: datetime


def recompute_route_totals(
    problem: Problem, plan: Plan, travel: TravelMatrix | None = None
) -> list[tuple[timedelta, timedelta, timedelta]]:
    """The `(travel_time, working_time, overtime)` each route of the plan should carry.

    Travel is summed over the route's legs from the travel matrix; working time is the end
    arrival minus the start time; overtime is how far the end arrival passes the shift end.
    """
    travel = travel if travel is not None else TravelMatrix.from_problem(problem)
    ctx = _Context.build(problem, travel)
    out = []
    for r, route in enumerate(plan.routes):
        t = _view(ctx, r, route).totals
        out.append((t.travel, t.working, t.overtime))
    return out


def _seconds(deltas: Iterable[timedelta]) -> float:
    return float(sum(d.total_seconds() for d in deltas))


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _begin(item: Item) -> datetime:
    """When the item begins at its location: its arrival (start time, break start)."""
    if isinstance(item, StartItem):
        return item.time
    if isinstance(item, BreakItem):
        return item.start
    return item.arrival


def _finish(item: Item) -> datetime:
    """When the technician may leave the item's location."""
    if isinstance(item, StartItem):
        return item.time
    if isinstance(item, EndItem):
        return item.arrival
    return item.end


def _instants(item: Item) -> list[tuple[str, datetime]]:
    """Every instant of an item, by field name."""
    if isinstance(item, StartItem):
        return [("time", item.time)]
    if isinstance(item, EndItem):
        return [("arrival", item.arrival)]
    if isinstance(item, BreakItem):
        return [("start", item.start), ("end", item.end)]
    return [("arrival", item.arrival), ("start", item.start), ("end", item.end)]


def _view(ctx: _Context, index: int, route: Route) -> _RouteView:
    """Resolve a route's technician and shift, its travel legs and its totals."""
    owner = ctx.shifts.get(route.shift)
    shift = owner[1] if owner else None
    locs: list[int | None] = []
    for item in route.items:
        loc: int | None
        if isinstance(item, StartItem):
            loc = ctx.travel.index(shift.start_location) if shift else None
        elif isinstance(item, EndItem):
            loc = ctx.travel.index(shift.final_location) if shift else None
        elif isinstance(item, VisitItem):
            loc = ctx.order_loc.get(item.order)
        elif isinstance(item, DepotItem):
            loc = ctx.depot_loc.get(item.depot)
        else:  # a break is taken where the item before it is
            loc = locs[-1] if locs else None
        locs.append(loc)
    seconds = ctx.travel.seconds
    legs = (
        0,
        *(int(seconds[a, b]) if a is not None and b is not None else 0 for a, b in pairwise(locs)),
    )
    return _RouteView(
        index=index,
        route=route,
        technician=ctx.technicians.get(route.technician),
        shift=shift,
        legs=legs,
        totals=_route_totals(route, shift, legs),
    )


def _route_totals(route: Route, shift: Shift | None, legs: tuple[int, ...]) -> RouteTotals:
    """Totals of one route; working time and overtime are zero unless it has a start and end."""
    spent = {VisitItem: ZERO, BreakItem: ZERO, DepotItem: ZERO}
    for item in route.items:
        if isinstance(item, VisitItem | BreakItem | DepotItem):
            spent[type(item)] += item.end - item.start
    items = route.items
    working = overtime = ZERO
    if items and isinstance(items[0], StartItem) and isinstance(items[-1], EndItem):
        working = items[-1].arrival - items[0].time
        if shift is not None:
            overtime = max(ZERO, items[-1].arrival - shift.end)
    travel = timedelta(seconds=sum(legs))
    return RouteTotals(
        travel=travel,
        working=working,
        service=spent[VisitItem],
        breaks=spent[BreakItem],
        depot=spent[DepotItem],
        idle=working - travel - spent[VisitItem] - spent[BreakItem] - spent[DepotItem],
        overtime=overtime,
    )


def _visits_by_order(plan: Plan) -> dict[str, list[_Visit]]:
    """Every visit of the plan, grouped by order id, in plan order."""
    out: dict[str, list[_Visit]] = defaultdict(list)
    for r, route in enumerate(plan.routes):
        for i, item in enumerate(route.items):
            if isinstance(item, VisitItem):
                out[item.order].append(_Visit(r, i, route.technician, item))
    return dict(out)


def _summarise(visits: dict[str, list[_Visit]]) -> dict[str, _Served]:
    """How each visited order is served."""
    out = {}
    for order, vs in visits.items():
        if len(vs) == 1:  # most orders: one technician
            v = vs[0].visit
            out[order] = _Served(frozenset((vs[0].technician,)), v.arrival, v.start, v.end)
            continue
        out[order] = _Served(
            technicians=frozenset(v.technician for v in vs),
            arrival=min(v.visit.arrival for v in vs),
            start=min(v.visit.start for v in vs),
            end=max(v.visit.end for v in vs),
        )
    return out


def _provider(visit: VisitItem, route: Route) -> str:
    """The technician who provides equipment and parts for a visit: the crew's first."""
    return visit.crew[0] if visit.crew else route.technician


def _must_serve(order: Order) -> bool:
    """A mandatory or pinned order: a plan that leaves it out is infeasible."""
    return order.mandatory or order.pinned is not None
