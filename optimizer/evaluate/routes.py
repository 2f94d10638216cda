"""Rules on routes: ids and owners, shape, timing (travel, arrival, horizon, overtime) and
totals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from models.plan import (
    DepotItem,
    EndItem,
    StartItem,
    VisitItem,
)
from optimizer.evaluate.context import (
    Violation,
    _begin,
    _Context,
    _finish,
    _instants,
    _minutes,
    _RouteView,
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
