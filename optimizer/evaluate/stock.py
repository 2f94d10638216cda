"""Rules on supply: depot stops, what each van holds and picks up, and depot stock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from models.plan import (
    DepotItem,
    VisitItem,
)
from models.problem import Order, Technician
from optimizer.evaluate.context import Violation, _Context, _minutes, _provider, _RouteView


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
