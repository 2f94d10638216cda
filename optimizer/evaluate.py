"""Solver-free evaluation of a plan: feasibility, objective terms and KPIs, from the plan alone.

This module is the executable form of the contract's "Plan" section: every solver result is held
against it, and published objective values are the ones it computes. It trusts the problem
(validated at load) but not the plan: every rule is checked and every violation is collected.

Violation codes (`Violation.code`):

================= ===========================================================================
status            a `no_solution` plan has routes, or an `infeasible` plan serves every
                  mandatory and pinned order
unknown_id        a technician, shift, order or depot id that the problem does not have
shift_owner       the route's shift belongs to another technician
duplicate_route   a second route for the same shift
route_shape       the first item is not `start`, the last not `end`, `start`/`end` in between,
                  or the route serves no order
shift_start       the route leaves before its shift starts
horizon           an item time outside the horizon
travel            an item begins before the previous one ends plus the travel between them
arrival           a visit or depot stop starts before its arrival
duration          a visit, depot stop or break lasts other than the order, depot or break says
time_window       a visit starts outside every time window of its order
skill             a technician on a visit lacks a required skill level
equipment         the providing technician holds a required equipment type neither in the van
                  nor from an earlier depot stop of the same shift
parts             the providing technician's van is short of a required part
depot_stock       a pick-up of a type the depot does not stock, a negative pick-up, or more
                  shifts (equipment) or a larger total (parts) than the depot allows
depot_opening     a depot stop starts or ends outside the depot's opening
depot_visits      more depot stops than the shift's `max_depot_visits`
break_missing     a break of the shift is not taken
break_extra       more break items than the shift has breaks
break_window      a break starts before its `earliest_start` or ends after its `latest_end`
overtime          the route ends later than shift end + `max_overtime`
crew_mismatch     an order is not in exactly `crew_size` routes of distinct technicians, or
                  their starts, ends or crew lists differ, or the crew is not those technicians
duplicate_visit   a route visits the same order twice
pinned            a pinned order is served, but not by its technician or not at its start
after             an order is served although an `after` order is not, or starts before it ends
linked            one of two linked orders is served and the other is not, or the gap between
                  their starts lies outside [min_gap, max_gap]
on_call           an on-call shift serves an order that is neither an emergency nor priority 1
mandatory         a mandatory or pinned order is not served (the one violation an `infeasible`
                  plan holds; see `Evaluation.valid`)
unassigned        an order is both served and unassigned, neither, or listed twice; or an
                  unassigned entry's `mandatory` flag is not true exactly for the mandatory
                  and pinned orders
unassigned_reason an unassigned entry gives no reason
route_totals      a route's travel_time, working_time or overtime is not the recomputed value
================= ===========================================================================

Where an order is served by several visits (a crew), its start is the earliest visit start and
its end the latest visit end; a feasible plan has them all equal. Its arrival (for the response
time) is the earliest arrival of the crew.

Statuses: a `feasible` or `optimal` plan has no violation at all. An `infeasible` plan holds
routes for everything else and follows every other rule: its only violations are `mandatory`
ones (each such order listed in `unassigned` with `"mandatory": true`). A `no_solution` plan
has no routes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, get_args

import numpy as np

from models.common import Window
from models.plan import (
    BreakItem,
    DepotItem,
    EndItem,
    Item,
    Objective,
    Plan,
    Route,
    SolveStatus,
    StartItem,
    VisitItem,
)
from models.problem import Depot, Order, OrderKind, PriorityKey, Problem, Shift, Technician
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


@dataclass(frozen=True)
class _Visit:
    """One visit item of a plan, with its route and item index."""

    route: int
    item: int
    technician: str
    visit: VisitItem


@dataclass(frozen=True)
class _Served:
    """How an order is served: its technicians, earliest start and latest end."""

    technicians: frozenset[str]
    arrival: datetime
    start: datetime
    end: datetime


def evaluate(
    problem: Problem,
    plan: Plan,
    travel: TravelMatrix | None = None,
    *,
    previous: Plan | None = None,
    change_tolerance: timedelta = timedelta(minutes=15),
    frozen_before: datetime | None = None,
) -> Evaluation:
    """Check a plan against its problem and recompute its objective and KPIs.

    Parameters
    ----------
    problem
        The (validated) problem the plan answers.
    plan
        The plan to check; its own objective, KPIs and route totals are not trusted.
    travel
        The problem's travel matrix; built from the problem when not given.
    previous
        Re-planning only: the plan before; each order whose technicians or served-ness changed,
        or whose start moved by more than `change_tolerance`, counts one `change`. Orders the
        previous plan does not mention (new orders) never count.
    change_tolerance
        How far a start may move without counting as a change.
    frozen_before
        Orders whose old or new start is before this instant (frozen work) never count.

    Returns
    -------
    Evaluation
        Feasibility with every violation found, the objective under `problem.weights`, the
        KPIs and the recomputed totals.
    """
    travel = travel if travel is not None else TravelMatrix.from_problem(problem)
    ctx = _Context.build(problem, travel)
    views = [_view(ctx, r, route) for r, route in enumerate(plan.routes)]
    visits = _visits_by_order(plan)
    served = _summarise(visits)

    violations = list(_status_rules(ctx, plan, served))
    violations += _route_rules(ctx, views)
    for view in views:
        violations += _timing_rules(ctx, view)
        violations += _visit_rules(ctx, view)
        violations += _depot_stop_rules(ctx, view)
        violations += _break_rules(view)
        violations += _totals_rules(view)
    violations += _van_rules(ctx, views)
    violations += _depot_stock_rules(ctx, views)
    violations += _crew_rules(ctx, visits)
    violations += _order_rules(ctx, served)
    violations += _link_rules(ctx, served)
    violations += _coverage_rules(ctx, plan, served)

    changed = None
    if previous is not None:
        changed = _changed(problem, served, previous, change_tolerance, frozen_before)
    totals = [v.totals for v in views]
    return Evaluation(
        feasible=not violations,
        violations=violations,
        objective=_objective(ctx, views, served, changed),
        kpis=_kpis(ctx, views, served),
        routes=totals,
        travel_seconds=int(sum(t.travel.total_seconds() for t in totals)),
        working_seconds=_seconds(t.working for t in totals),
        service_seconds=_seconds(t.service for t in totals),
        idle_seconds=_seconds(t.idle for t in totals),
        overtime_seconds=_seconds(t.overtime for t in totals),
        break_seconds=_seconds(t.breaks for t in totals),
        depot_seconds=_seconds(t.depot for t in totals),
        changed_orders=None if changed is None else tuple(changed),
        valid=_valid(plan, violations),
    )


def _valid(plan: Plan, violations: list[Violation]) -> bool:
    """The plan keeps the contract of its status (see `Evaluation`)."""
    if plan.status.is_feasible:
        return not violations
    return all(v.code == "mandatory" for v in violations)


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


def changed_orders(
    problem: Problem,
    plan: Plan,
    previous: Plan,
    tolerance: timedelta = timedelta(minutes=15),
    frozen_before: datetime | None = None,
) -> list[str]:
    """Ids of the problem's orders that count as changed between `previous` and `plan`.

    An order changes when it is served in one plan and not the other, or served by another set
    of technicians, or its start moves by more than `tolerance`. Orders that `previous` does
    not mention at all (new orders) and orders whose old or new start is before
    `frozen_before` never count.
    """
    return _changed(
        problem, _summarise(_visits_by_order(plan)), previous, tolerance, frozen_before
    )


def _changed(
    problem: Problem,
    new: dict[str, _Served],
    previous: Plan,
    tolerance: timedelta,
    frozen_before: datetime | None,
) -> list[str]:
    """`changed_orders`, given how the new plan serves its orders."""
    old = _summarise(_visits_by_order(previous))
    known = set(old) | {u.order for u in previous.unassigned}
    out = []
    for order in problem.orders:
        before, after = old.get(order.id), new.get(order.id)
        if order.id not in known or (before is None and after is None):
            continue
        if frozen_before is not None and any(
            s is not None and s.start < frozen_before for s in (before, after)
        ):
            continue
        if (
            before is None
            or after is None
            or before.technicians != after.technicians
            or abs(after.start - before.start) > tolerance
        ):
            out.append(order.id)
    return out


# --- Building blocks ----------------------------------------------------------------------------


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
    return {
        order: _Served(
            technicians=frozenset(v.technician for v in vs),
            arrival=min(v.visit.arrival for v in vs),
            start=min(v.visit.start for v in vs),
            end=max(v.visit.end for v in vs),
        )
        for order, vs in visits.items()
    }


def _provider(visit: VisitItem, route: Route) -> str:
    """The technician who provides equipment and parts for a visit: the crew's first."""
    return visit.crew[0] if visit.crew else route.technician


# --- Rule families ------------------------------------------------------------------------------


def _must_serve(order: Order) -> bool:
    """A mandatory or pinned order: a plan that leaves it out is infeasible."""
    return order.mandatory or order.pinned is not None


def _status_rules(ctx: _Context, plan: Plan, served: dict[str, _Served]) -> Iterator[Violation]:
    """A plan without a solution has no routes; an infeasible one leaves out some mandatory or
    pinned order (it keeps its routes for everything else)."""
    if plan.status == SolveStatus.no_solution and plan.routes:
        yield Violation("status", "routes", "a plan with status 'no_solution' must have no routes")
    if plan.status == SolveStatus.infeasible and all(
        o.id in served for o in ctx.problem.orders if _must_serve(o)
    ):
        yield Violation(
            "status",
            "status",
            "an infeasible plan must leave out some mandatory or pinned order; this one "
            "serves them all",
        )


def _route_rules(ctx: _Context, views: list[_RouteView]) -> Iterator[Violation]:
    """Technician and shift exist and match, one route per shift, start ... visits ... end."""
    first_route: dict[str, int] = {}
    for view in views:
        route, where = view.route, view.where
        if view.technician is None:
            yield Violation(
                "unknown_id", f"{where}.technician", f"unknown technician '{route.technician}'"
            )
        owner = ctx.shifts.get(route.shift)
        if owner is None:
            yield Violation("unknown_id", f"{where}.shift", f"unknown shift '{route.shift}'")
        elif owner[0].id != route.technician:
            yield Violation(
                "shift_owner",
                f"{where}.shift",
                f"shift '{route.shift}' belongs to technician '{owner[0].id}', "
                f"not '{route.technician}'",
            )
        if route.shift in first_route:
            yield Violation(
                "duplicate_route",
                where,
                f"shift '{route.shift}' already has a route (routes[{first_route[route.shift]}])",
            )
        first_route.setdefault(route.shift, view.index)
        yield from _shape_rules(view)


def _shape_rules(view: _RouteView) -> Iterator[Violation]:
    """A route is start, then visits, depot stops and breaks, then end; it serves an order."""
    items, where = view.route.items, view.where
    if not items or not isinstance(items[0], StartItem):
        yield Violation("route_shape", where, "the route does not begin with a start item")
    if not items or not isinstance(items[-1], EndItem):
        yield Violation("route_shape", where, "the route does not finish with an end item")
    for i, item in enumerate(items[1:-1], start=1):
        if isinstance(item, StartItem | EndItem):
            yield Violation(
                "route_shape", f"{where}.items[{i}]", f"a {item.type} item inside the route"
            )
    if not any(isinstance(item, VisitItem) for item in items):
        yield Violation("route_shape", where, "the route serves no order")


def _timing_rules(ctx: _Context, view: _RouteView) -> Iterator[Violation]:
    """Shift start, travel between consecutive items, start after arrival, overtime, horizon."""
    horizon = ctx.problem.horizon
    items, shift = view.route.items, view.shift
    for i, item in enumerate(items):
        where = f"{view.where}.items[{i}]"
        for name, instant in _instants(item):
            if not horizon.start <= instant <= horizon.end:
                yield Violation(
                    "horizon", where, f"{name} {instant.isoformat()} lies outside the horizon"
                )
        if i > 0:
            ready = _finish(items[i - 1]) + timedelta(seconds=view.legs[i])
            if _begin(item) < ready:
                yield Violation(
                    "travel",
                    where,
                    f"begins at {_begin(item).isoformat()}, before {ready.isoformat()} (the "
                    f"previous item's end plus {view.legs[i]} s of travel)",
                )
        if isinstance(item, VisitItem | DepotItem) and item.start < item.arrival:
            yield Violation("arrival", where, "starts before it arrives")
    if shift is None or not items:
        return
    if isinstance(items[0], StartItem) and items[0].time < shift.start:
        yield Violation(
            "shift_start",
            f"{view.where}.items[0]",
            f"leaves at {items[0].time.isoformat()}, before the shift starts at "
            f"{shift.start.isoformat()}",
        )
    last = items[-1]
    if isinstance(last, EndItem) and last.arrival > shift.end + shift.max_overtime:
        yield Violation(
            "overtime",
            f"{view.where}.items[{len(items) - 1}]",
            f"{_minutes(last.arrival - shift.end):g} min past the shift end, more than the "
            f"{_minutes(shift.max_overtime):g} min of overtime allowed",
        )


def _urgent(order: Order) -> bool:
    """An order an on-call shift may serve: an emergency or priority 1."""
    return order.kind == "emergency" or order.priority == 1


def _in_windows(instant: datetime, windows: list[Window]) -> bool:
    return any(w.start <= instant <= w.end for w in windows)


def _visit_rules(ctx: _Context, view: _RouteView) -> Iterator[Violation]:
    """Each visit: a known order, its duration, a time window, the technician's skills."""
    tech = view.technician
    for i, item in enumerate(view.route.items):
        if not isinstance(item, VisitItem):
            continue
        where = f"{view.where}.items[{i}]"
        order = ctx.orders.get(item.order)
        if order is None:
            yield Violation("unknown_id", f"{where}.order", f"unknown order '{item.order}'")
            continue
        if item.end - item.start != order.duration:
            yield Violation(
                "duration",
                where,
                f"lasts {_minutes(item.end - item.start):g} min, order '{order.id}' takes "
                f"{_minutes(order.duration):g} min",
            )
        if not _in_windows(item.start, order.time_windows or [ctx.problem.horizon]):
            yield Violation(
                "time_window",
                where,
                f"starts at {item.start.isoformat()}, outside every time window of '{order.id}'",
            )
        if view.shift is not None and view.shift.on_call and not _urgent(order):
            yield Violation(
                "on_call",
                where,
                f"on-call shift '{view.shift.id}' serves '{order.id}', which is neither an "
                f"emergency nor priority 1",
            )
        if tech is not None:
            lacking = [
                s for s, lvl in order.required_skills.items() if tech.skills.get(s, 0) < lvl
            ]
            if lacking:
                yield Violation(
                    "skill",
                    where,
                    f"technician '{tech.id}' lacks the level of {', '.join(lacking)} that "
                    f"'{order.id}' requires",
                )


def _depot_stop_rules(ctx: _Context, view: _RouteView) -> Iterator[Violation]:
    """Each depot stop: a known depot, its visit duration, inside its opening; stop count."""
    stops = 0
    for i, item in enumerate(view.route.items):
        if not isinstance(item, DepotItem):
            continue
        stops += 1
        where = f"{view.where}.items[{i}]"
        depot = ctx.depots.get(item.depot)
        if depot is None:
            yield Violation("unknown_id", f"{where}.depot", f"unknown depot '{item.depot}'")
            continue
        if item.end - item.start != depot.visit_duration:
            yield Violation(
                "duration",
                where,
                f"the stop lasts {_minutes(item.end - item.start):g} min, depot '{depot.id}' "
                f"takes {_minutes(depot.visit_duration):g} min",
            )
        opening = depot.opening or ctx.problem.horizon
        if item.start < opening.start or item.end > opening.end:
            yield Violation(
                "depot_opening", where, f"the stop lies outside the opening of '{depot.id}'"
            )
    limit = view.shift.max_depot_visits if view.shift else None
    if limit is not None and stops > limit:
        yield Violation(
            "depot_visits", view.where, f"{stops} depot stops, the shift allows {limit}"
        )


def _break_rules(view: _RouteView) -> Iterator[Violation]:
    """Every break of the shift is taken once, for its duration, inside its window.

    Break items are matched, in route order, to the shift's breaks sorted by earliest start.
    """
    if view.shift is None:
        return
    wanted = sorted(view.shift.breaks, key=lambda b: b.earliest_start)
    taken = [(i, it) for i, it in enumerate(view.route.items) if isinstance(it, BreakItem)]
    for brk, (i, item) in zip(wanted, taken, strict=False):
        where = f"{view.where}.items[{i}]"
        if item.end - item.start != brk.duration:
            yield Violation(
                "duration",
                where,
                f"the break lasts {_minutes(item.end - item.start):g} min, not "
                f"{_minutes(brk.duration):g}",
            )
        if item.start < brk.earliest_start or item.end > brk.latest_end:
            yield Violation(
                "break_window",
                where,
                f"the break lies outside its window {brk.earliest_start.isoformat()} .. "
                f"{brk.latest_end.isoformat()}",
            )
    for brk in wanted[len(taken) :]:
        yield Violation(
            "break_missing",
            view.where,
            f"the break from {brk.earliest_start.isoformat()} is not taken",
        )
    for i, _ in taken[len(wanted) :]:
        yield Violation(
            "break_extra", f"{view.where}.items[{i}]", "the shift has no further break"
        )


def _totals_rules(view: _RouteView) -> Iterator[Violation]:
    """The route's travel_time, working_time and overtime are the recomputed ones."""
    route, totals = view.route, view.totals
    checks = [("travel_time", route.travel_time, totals.travel)]
    if view.closed:
        checks.append(("working_time", route.working_time, totals.working))
        if view.shift is not None:
            checks.append(("overtime", route.overtime, totals.overtime))
    for name, given, actual in checks:
        if given != actual:
            yield Violation(
                "route_totals",
                f"{view.where}.{name}",
                f"{name} is {given.total_seconds():g} s, recomputed {actual.total_seconds():g} s",
            )


def _van_rules(ctx: _Context, views: list[_RouteView]) -> Iterator[Violation]:
    """The providing technician holds the equipment and the parts of each visit.

    Equipment is the van's plus what the shift picked up earlier; parts are the van stock at
    the first shift plus pick-ups minus use, carried over the technician's shifts in time order.
    """
    by_tech: dict[str, list[tuple[datetime, int, _RouteView]]] = defaultdict(list)
    for view in views:
        if view.technician is not None and view.shift is not None:
            by_tech[view.technician.id].append((view.shift.start, view.index, view))
    for tech_id, tech_views in by_tech.items():
        tech = ctx.technicians[tech_id]
        stock = dict(tech.parts)
        for _, _, view in sorted(tech_views, key=lambda entry: entry[:2]):
            tools = set(tech.equipment)
            for i, item in enumerate(view.route.items):
                if isinstance(item, DepotItem):
                    tools.update(item.equipment)
                    for part, qty in item.parts.items():
                        stock[part] = stock.get(part, 0) + qty
                elif isinstance(item, VisitItem):
                    order = ctx.orders.get(item.order)
                    if order is None or _provider(item, view.route) != tech.id:
                        continue
                    yield from _provide(f"{view.where}.items[{i}]", tech, order, tools, stock)


def _provide(
    where: str, tech: Technician, order: Order, tools: set[str], stock: dict[str, int]
) -> Iterator[Violation]:
    """Check and take one order's equipment and parts from a van (stock never below zero)."""
    missing = [t for t in order.required_equipment if t not in tools]
    if missing:
        yield Violation(
            "equipment",
            where,
            f"technician '{tech.id}' holds no {', '.join(missing)} for '{order.id}'",
        )
    short = {
        p: q - stock.get(p, 0) for p, q in order.required_parts.items() if stock.get(p, 0) < q
    }
    if short:
        listed = ", ".join(f"{q} {p}" for p, q in short.items())
        yield Violation(
            "parts", where, f"technician '{tech.id}' is {listed} short for '{order.id}'"
        )
    for part, qty in order.required_parts.items():
        stock[part] = max(0, stock.get(part, 0) - qty)


def _depot_stock_rules(ctx: _Context, views: list[_RouteView]) -> Iterator[Violation]:
    """Pick-ups only of stocked types, within each depot's equipment counts and part totals."""
    takers: dict[tuple[str, str], set[str]] = defaultdict(set)
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for view in views:
        for i, item in enumerate(view.route.items):
            if not isinstance(item, DepotItem) or item.depot not in ctx.depots:
                continue  # an unknown depot is reported at the item
            depot = ctx.depots[item.depot]
            where = f"{view.where}.items[{i}]"
            for kind in item.equipment:
                if kind in depot.equipment:
                    takers[depot.id, kind].add(view.route.shift)
                else:
                    yield Violation(
                        "depot_stock", where, f"depot '{depot.id}' has no equipment '{kind}'"
                    )
            for part, qty in item.parts.items():
                if qty < 0:
                    yield Violation("depot_stock", where, f"negative pick-up of '{part}'")
                if part in depot.parts:
                    taken[depot.id, part] += qty
                else:
                    yield Violation("depot_stock", where, f"depot '{depot.id}' has no '{part}'")
    for (depot_id, kind), shifts in takers.items():
        count = ctx.depots[depot_id].equipment[kind]
        if count is not None and len(shifts) > count:
            yield Violation(
                "depot_stock",
                f"depots/{depot_id}",
                f"{len(shifts)} shifts take '{kind}', the depot has {count}",
            )
    for (depot_id, part), total in taken.items():
        quantity = ctx.depots[depot_id].parts[part]
        if quantity is not None and total > quantity:
            yield Violation(
                "depot_stock",
                f"depots/{depot_id}",
                f"{total} '{part}' taken, the depot has {quantity}",
            )


def _crew_rules(ctx: _Context, visits: dict[str, list[_Visit]]) -> Iterator[Violation]:
    """Each served order is in exactly crew_size routes of distinct technicians, once per
    route, with identical start, end and crew list, the crew being those technicians."""
    for order_id, order_visits in visits.items():
        order = ctx.orders.get(order_id)
        if order is None:
            continue  # reported at the item
        where = f"orders/{order_id}"
        per_route: dict[int, _Visit] = {}
        for v in order_visits:
            if v.route in per_route:
                yield Violation(
                    "duplicate_visit",
                    f"routes[{v.route}].items[{v.item}]",
                    f"the route already visits '{order_id}' (items[{per_route[v.route].item}])",
                )
            per_route.setdefault(v.route, v)
        techs = [v.technician for v in per_route.values()]
        if len(per_route) != order.crew_size:
            yield Violation(
                "crew_mismatch",
                where,
                f"served in {len(per_route)} routes, its crew size is {order.crew_size}",
            )
        if len(set(techs)) < len(techs):
            yield Violation(
                "crew_mismatch", where, "one technician serves it in more than one route"
            )
        crew_visits = [v.visit for v in per_route.values()]
        first = crew_visits[0]
        if any(v.start != first.start or v.end != first.end for v in crew_visits):
            yield Violation("crew_mismatch", where, "its visits start or end at different times")
        if any(v.crew != first.crew for v in crew_visits):
            yield Violation("crew_mismatch", where, "its visits list different crews")
        if len(set(first.crew)) != len(first.crew) or set(first.crew) != set(techs):
            yield Violation(
                "crew_mismatch",
                where,
                f"crew {first.crew} is not the technicians serving it {sorted(set(techs))}",
            )


def _order_rules(ctx: _Context, served: dict[str, _Served]) -> Iterator[Violation]:
    """Mandatory and pinned orders are served, pins are honoured, `after` orders come first."""
    for order in ctx.problem.orders:
        where = f"orders/{order.id}"
        s = served.get(order.id)
        pin = order.pinned
        if s is None:
            if _must_serve(order):
                kind = "mandatory" if order.mandatory else "pinned"
                yield Violation("mandatory", where, f"a {kind} order is not served")
            continue
        if pin is not None and pin.technician is not None and pin.technician not in s.technicians:
            yield Violation(
                "pinned", where, f"pinned to '{pin.technician}', who does not serve it"
            )
        if pin is not None and pin.start is not None and s.start != pin.start:
            yield Violation(
                "pinned",
                where,
                f"starts at {s.start.isoformat()}, pinned to {pin.start.isoformat()}",
            )
        for ref in order.after:
            before = served.get(ref)
            if before is None:
                yield Violation("after", where, f"served although '{ref}' is not")
            elif s.start < before.end:
                yield Violation(
                    "after",
                    where,
                    f"starts at {s.start.isoformat()}, before '{ref}' ends at "
                    f"{before.end.isoformat()}",
                )


def _link_rules(ctx: _Context, served: dict[str, _Served]) -> Iterator[Violation]:
    """Linked orders are served both or neither, and each link's start-to-start gap (this
    start minus the other's) lies in [min_gap, max_gap]. Reported at the order declaring it."""
    for order in ctx.problem.orders:
        s = served.get(order.id)
        for j, link in enumerate(order.linked):
            where = f"orders/{order.id}/linked[{j}]"
            other = served.get(link.order)
            if s is None and other is None:
                continue
            if other is None:
                yield Violation("linked", where, f"served although linked '{link.order}' is not")
            elif s is None:
                yield Violation(
                    "linked", where, f"not served although linked '{link.order}' is served"
                )
            elif not link.min_gap <= s.start - other.start <= link.max_gap:
                yield Violation(
                    "linked",
                    where,
                    f"starts {_minutes(s.start - other.start):g} min after '{link.order}', "
                    f"the link allows {_minutes(link.min_gap):g} .. {_minutes(link.max_gap):g}",
                )


def _coverage_rules(ctx: _Context, plan: Plan, served: dict[str, _Served]) -> Iterator[Violation]:
    """Every order is either served or unassigned, once, and every unassigned has a reason."""
    listed: set[str] = set()
    for k, entry in enumerate(plan.unassigned):
        where = f"unassigned[{k}]"
        if entry.order not in ctx.orders:
            yield Violation("unknown_id", f"{where}.order", f"unknown order '{entry.order}'")
        elif entry.order in listed:
            yield Violation("unassigned", where, f"'{entry.order}' is listed twice")
        elif entry.order in served:
            yield Violation("unassigned", where, f"'{entry.order}' is served and unassigned")
        listed.add(entry.order)
        order = ctx.orders.get(entry.order)
        if order is not None and bool(entry.mandatory) != _must_serve(order):
            yield Violation(
                "unassigned",
                f"{where}.mandatory",
                f"'{entry.order}' is a mandatory or pinned order: flag it mandatory"
                if _must_serve(order)
                else f"'{entry.order}' is neither mandatory nor pinned: do not flag it mandatory",
            )
        if not entry.reasons:
            yield Violation("unassigned_reason", f"{where}.reasons", "no reason is given")
    for order in ctx.problem.orders:
        if order.id not in served and order.id not in listed:
            yield Violation(
                "unassigned", f"orders/{order.id}", "neither served nor listed as unassigned"
            )


# --- Objective and KPIs -------------------------------------------------------------------------


def _lateness(ctx: _Context, served: dict[str, _Served]) -> dict[str, float]:
    """Minutes past `due` of each served order that starts late."""
    return {
        o.id: _minutes(served[o.id].start - o.due)
        for o in ctx.problem.orders
        if o.id in served and o.due is not None and served[o.id].start > o.due
    }


def _objective(
    ctx: _Context,
    views: list[_RouteView],
    served: dict[str, _Served],
    changed: list[str] | None,
) -> Objective:
    """The weighted terms of the contract's objective, keyed by weight key, and their sum."""
    weights = ctx.problem.weights
    orders = ctx.problem.orders
    lateness = _lateness(ctx, served)
    late = sum(
        weights.lateness[PRIORITY_KEY[ctx.orders[o].priority]] * minutes
        for o, minutes in lateness.items()
    )
    unpreferred = 0
    for view in views:
        for item in view.route.items:
            order = ctx.orders.get(item.order) if isinstance(item, VisitItem) else None
            if order and order.preferred_technicians:
                unpreferred += view.route.technician not in order.preferred_technicians
    terms = {
        "unassigned": sum(
            weights.unassigned[PRIORITY_KEY[o.priority]] for o in orders if o.id not in served
        ),
        "lateness": late,
        "overtime": weights.overtime * sum(_minutes(v.totals.overtime) for v in views),
        "travel": weights.travel * sum(_minutes(v.totals.travel) for v in views),
        "idle": weights.idle * sum(_minutes(v.totals.idle) for v in views),
        "technician_used": weights.technician_used
        * sum(any(isinstance(it, VisitItem) for it in v.route.items) for v in views),
        "preference": weights.preference * unpreferred,
        "max_lateness": weights.max_lateness * max(lateness.values(), default=0.0),
    }
    if changed is not None:
        terms["change"] = weights.change * len(changed)
    terms = {k: float(v) for k, v in terms.items()}
    return Objective(value=sum(terms.values()), bound=None, terms=terms)


def _rate(met: int, total: int) -> float | None:
    return met / total if total else None


KINDS: tuple[OrderKind, ...] = get_args(OrderKind)
RESPONSE_KINDS: tuple[OrderKind, ...] = ("repair", "emergency")
"""The kinds that have a response and a restore time (an installation booked weeks ahead
has none)."""


def _spread(minutes: list[float]) -> dict[str, float | None]:
    """Mean and 90th percentile (linear interpolation) of some minutes; None when empty."""
    if not minutes:
        return {"mean_minutes": None, "p90_minutes": None}
    return {
        "mean_minutes": float(np.mean(minutes)),
        "p90_minutes": float(np.percentile(minutes, 90)),
    }


def _kpis(ctx: _Context, views: list[_RouteView], served: dict[str, _Served]) -> dict[str, Any]:
    """Service-quality KPIs of the plan (see the contract's KPI list).

    Response time is the first arrival minus `created_at`, restore time the end minus
    `created_at`, over served repair and emergency orders with a `created_at`. SLA rates count
    the orders with a `due` that started by it over all orders with a `due` (unserved ones
    missed).
    """
    orders = ctx.problem.orders
    served_by = dict.fromkeys(PRIORITIES, 0)
    unassigned_by = dict.fromkeys(PRIORITIES, 0)
    due_all: dict[str, int] = defaultdict(int)  # by priority and by kind
    due_met: dict[str, int] = defaultdict(int)
    response: dict[str, list[float]] = {k: [] for k in RESPONSE_KINDS}
    restore: dict[str, list[float]] = {k: [] for k in RESPONSE_KINDS}
    late_by = dict.fromkeys(PRIORITIES, 0.0)
    lateness = _lateness(ctx, served)
    for o in orders:
        p, s = PRIORITY_KEY[o.priority], served.get(o.id)
        (served_by if s else unassigned_by)[p] += 1
        late_by[p] += lateness.get(o.id, 0.0)
        if o.due is not None:
            met = bool(s and s.start <= o.due)
            for key in (p, o.kind):
                due_all[key] += 1
                due_met[key] += met
        if s and o.created_at is not None and o.kind in response:
            response[o.kind].append(_minutes(s.arrival - o.created_at))
            restore[o.kind].append(_minutes(s.end - o.created_at))
    responses = _spread([m for k in RESPONSE_KINDS for m in response[k]])
    restores = _spread([m for k in RESPONSE_KINDS for m in restore[k]])

    service_by_tech = {t.id: ZERO for t in ctx.problem.technicians}
    for view in views:
        if view.route.technician in service_by_tech:
            service_by_tech[view.route.technician] += view.totals.service
    shift_length = {
        t.id: sum((s.end - s.start for s in t.shifts), ZERO) for t in ctx.problem.technicians
    }
    total_length = sum(shift_length.values(), ZERO)

    def total(name: str) -> float:
        return sum(_minutes(getattr(v.totals, name)) for v in views)

    return {
        "orders_total": len(orders),
        "orders_served": sum(served_by.values()),
        "orders_unassigned": sum(unassigned_by.values()),
        "served_by_priority": served_by,
        "unassigned_by_priority": unassigned_by,
        "sla_met_rate": _rate(
            sum(due_met[p] for p in PRIORITIES), sum(due_all[p] for p in PRIORITIES)
        ),
        "sla_met_rate_by_priority": {p: _rate(due_met[p], due_all[p]) for p in PRIORITIES},
        "sla_met_rate_by_kind": {k: _rate(due_met[k], due_all[k]) for k in KINDS},
        "response_time_mean_minutes": responses["mean_minutes"],
        "response_time_p90_minutes": responses["p90_minutes"],
        "restore_time_mean_minutes": restores["mean_minutes"],
        "restore_time_p90_minutes": restores["p90_minutes"],
        "response_time_by_kind": {k: _spread(response[k]) for k in RESPONSE_KINDS},
        "restore_time_by_kind": {k: _spread(restore[k]) for k in RESPONSE_KINDS},
        "lateness_minutes_by_priority": late_by,
        "max_lateness_minutes": max(lateness.values(), default=0.0),
        "travel_minutes": total("travel"),
        "service_minutes": total("service"),
        "working_minutes": total("working"),
        "idle_minutes": total("idle"),
        "overtime_minutes": total("overtime"),
        "break_minutes": total("breaks"),
        "depot_minutes": total("depot"),
        "utilisation_by_technician": {
            t: (service_by_tech[t] / shift_length[t] if shift_length[t] else None)
            for t in service_by_tech
        },
        "utilisation": (
            sum(service_by_tech.values(), ZERO) / total_length if total_length else None
        ),
        "routes_used": len(views),
    }
