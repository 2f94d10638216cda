"""Incremental evaluation: what the evaluator finds of one route on its own (its travel legs
and totals, its timing, visit, depot-stop and totals rules), kept across the evaluations of
the plans of one day (a kept day's re-plans: most routes come back as they were), so that
only the routes that changed are checked again. The rules on the whole plan, and the break
rules (which depend on the re-plan's `now`, `visits.breaks_owed`), are always checked."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from models.plan import Route
from models.problem import Order
from optimizer.evaluate.context import RouteTotals, Violation, _Context, _RouteView, _view
from optimizer.evaluate.routes import _timing_rules, _totals_rules
from optimizer.evaluate.stock import _depot_stop_rules
from optimizer.evaluate.visits import _visit_rules

_Entry = tuple[tuple[object, ...], tuple[int, ...], RouteTotals, list[Violation], list[Violation]]
"""What is kept of a route: the objects its key names by id (held, so that no other object
takes their ids), its legs and totals, its timing, visit and depot-stop violations, and its
totals violations."""


class RouteMemo:
    """The evaluator's per-route findings, by the route's content and everything of the
    problem its rules read (its shift, technician, depots and orders). One memo serves the
    plans of one day over one travel matrix (or matrices that give every pair the same
    seconds, as a kept day's extended matrices do): a route's legs are taken from it."""

    LIMIT = 4000
    """Most routes kept (it starts again when full)."""

    def __init__(self) -> None:
        self.routes: dict[Hashable, _Entry] = {}
        self.orders: dict[int, tuple[Order, Hashable]] = {}
        self.hits = 0
        self.misses = 0

    def route_rules(
        self, ctx: _Context, index: int, route: Route, fill_totals: bool
    ) -> tuple[_RouteView, list[Violation], list[Violation]]:
        """The route's view, its timing, visit and depot-stop violations, and its totals
        violations (none with `fill_totals`: the totals are then set from the view), as
        `evaluate` finds them."""
        owner = ctx.shifts.get(route.shift)
        shift = owner[1] if owner else None
        tech = ctx.technicians.get(route.technician)
        held: list[object] = [shift, tech]
        items: list[Hashable] = []
        for item in route.items:
            fields = item.__dict__  # not getattr: a model's missing attribute is slow
            items.append(tuple(map(_hashable, fields.values())))
            order = ctx.orders.get(fields.get("order", ""))
            if order is not None:
                items.append(self._order_key(order))
            depot = ctx.depots.get(fields.get("depot", ""))
            if depot is not None:
                held.append(depot)
        totals = None if fill_totals else (route.travel_time, route.working_time, route.overtime)
        horizon = ctx.problem.horizon
        key = (
            index,
            route.technician,
            route.shift,
            tuple(items),
            tuple(map(id, held)),
            (horizon.start, horizon.end),
            totals,
        )
        hit = self.routes.get(key)
        if hit is not None:
            self.hits += 1
            _, legs, found, rules, totals_rules = hit
            view = _RouteView(index, route, tech, shift, legs, found)
            return view, rules, totals_rules
        self.misses += 1
        view = _view(ctx, index, route)
        rules = [
            *_timing_rules(ctx, view),
            *_visit_rules(ctx, view),
            *_depot_stop_rules(ctx, view),
        ]
        totals_rules = [] if fill_totals else list(_totals_rules(view))
        if len(self.routes) >= self.LIMIT:
            self.routes.clear()
        self.routes[key] = (tuple(held), view.legs, view.totals, rules, totals_rules)
        return view, rules, totals_rules

    def _order_key(self, order: Order) -> Hashable:
        """What the route's rules read of an order: its id, location, duration, windows,
        kind, priority and skills."""
        hit = self.orders.get(id(order))
        if hit is not None and hit[0] is order:
            return hit[1]
        key = (
            order.id,
            repr(order.location),
            order.duration,
            tuple((w.start, w.end) for w in order.time_windows),
            order.kind,
            order.priority,
            tuple(sorted(order.required_skills.items())),
        )
        if len(self.orders) >= 4 * self.LIMIT:
            self.orders.clear()
        self.orders[id(order)] = (order, key)
        return key


def _hashable(value: Any) -> Hashable:
    """A plan item's field as a hashable value (its lists and dicts as tuples)."""
    kind = type(value)
    if kind is list:
        return tuple(value)
    if kind is dict:
        return tuple(sorted(value.items()))
    return value  # type: ignore[no-any-return]
