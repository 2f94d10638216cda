"""Rules on routes: ids and owners, shape, timing (travel, arrival, horizon, overtime) and
totals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from models.plan import (
    BreakItem,
    DepotItem,
    EndItem,
    StartItem,
    VisitItem,
)
from optimizer.evaluate.context import (
    Violation,
    _Context,
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
    items, shift, legs = view.route.items, view.shift, view.legs
    ready = None  # the previous item's end plus the travel into this one
    for i, item in enumerate(items):
        # An item's instants, earliest and latest (each in time order when the item is sound).
        if isinstance(item, StartItem):
            begin = finish = first = last = item.time
        elif isinstance(item, EndItem):
            begin = finish = first = last = item.arrival
        elif isinstance(item, BreakItem):
            begin, finish = item.start, item.end
            first, last = min(begin, finish), max(begin, finish)
        else:
            begin, finish = item.arrival, item.end
            first, last = min(begin, item.start, finish), max(begin, item.start, finish)
        if first < horizon.start or last > horizon.end:
            for name, instant in _instants(item):
                if not horizon.start <= instant <= horizon.end:
                    yield Violation(
                        "horizon",
                        f"{view.where}.items[{i}]",
                        f"{name} {instant.isoformat()} lies outside the horizon",
                    )
        if ready is not None:
            ready += timedelta(seconds=legs[i])
            if begin < ready:
                yield Violation(
                    "travel",
                    f"{view.where}.items[{i}]",
                    f"begins at {begin.isoformat()}, before {ready.isoformat()} (the "
                    f"previous item's end plus {legs[i]} s of travel)",
                )
        if isinstance(item, VisitItem | DepotItem) and item.start < item.arrival:
            yield Violation("arrival", f"{view.where}.items[{i}]", "starts before it arrives")
        ready = finish
    if shift is None or not items:
        return
    if isinstance(items[0], StartItem) and items[0].time < shift.start:
        yield Violation(
            "shift_start",
            f"{view.where}.items[0]",
            f"leaves at {items[0].time.isoformat()}, before the shift starts at "
            f"{shift.start.isoformat()}",
        )
    end = items[-1]
    if isinstance(end, EndItem) and end.arrival > shift.end + shift.max_overtime:
        yield Violation(
            "overtime",
            f"{view.where}.items[{len(items) - 1}]",
            f"{_minutes(end.arrival - shift.end):g} min past the shift end, more than the "
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
