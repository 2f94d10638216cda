"""Freezing a running plan at `now`: what each technician has begun (crews held together), and
the frozen part folded into the problem."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.common import Location
from models.events import (
    Event,
    TechnicianPosition,
)
from models.plan import EndItem, Item, Plan, Route, StartItem, VisitItem
from models.problem import Order, Pin, Problem
from optimizer.replan.events import visit_times


@dataclass
class Frozen:
    """The part of one route that started before `now`."""

    route: Route
    items: list[Item]  # the frozen items, unchanged (times of started visits updated)
    free_at: datetime  # when the technician can go on
    free_loc: Location  # from where
    depot_stops: int = 0


def _item_begin(item: Item) -> datetime:
    """When an item begins: a start's departure, an end's arrival, the others' start."""
    if isinstance(item, StartItem):
        return item.time
    return item.arrival if isinstance(item, EndItem) else item.start


def _item_finish(item: Item) -> datetime:
    """When an item is over: a start's departure, an end's arrival, the others' end."""
    if isinstance(item, StartItem):
        return item.time
    return item.arrival if isinstance(item, EndItem) else item.end


def _finish(item: Item, times: dict[str, dict[str, datetime]]) -> datetime:
    """When an item is over, a visit's reported (expected) end taken over the plan's."""
    if item.type == "visit" and "end" in times.get(item.order, {}):
        return times[item.order]["end"]
    return _item_finish(item)


def _begun(route: Route, now: datetime, times: dict[str, dict[str, datetime]]) -> list[Item]:
    """The items of a route under way at `now`, in route order: those begun before it, the
    stop the technician is driving to, and visits reported as started."""
    items = route.items
    # Positions, not items: comparing items is slow on long routes.
    picked = {i for i, it in enumerate(items[:-1]) if _item_begin(it) < now}
    # The stop the technician is driving to is under way too: plans set off as soon as the
    # item before ends and wait on site, so its drive began then (re-planned from the item
    # before, the drive already made would be lost and the day run late). Not if the item
    # before runs late past `now`.
    ahead = len(picked)
    on_the_way = 0 < ahead < len(items) - 1 and items[ahead].type in ("visit", "depot")
    if on_the_way and _finish(items[ahead - 1], times) < now:
        picked.add(ahead)
    # A visit reported as started is frozen however the plan had it.
    reported = {o for o, seen in times.items() if "start" in seen}
    picked |= {i for i, it in enumerate(items) if it.type == "visit" and it.order in reported}
    return [items[i] for i in sorted(picked)]


def _in_time(
    route: Route, k: int, held: list[Item], times: dict[str, dict[str, datetime]]
) -> bool:
    """Whether the member whose route holds `held` and then the visit at `k` still reaches
    it by its start: the last held item's (reported) end plus the drive the plan had."""
    visit = route.items[k]
    assert isinstance(visit, VisitItem)
    drive = visit.arrival - _item_finish(route.items[k - 1])
    return _finish(held[-1], times) + drive <= visit.start


def _hold_crews_together(
    plan: Plan, begun: dict[str, list[Item]], now: datetime, times: dict[str, dict[str, datetime]]
) -> None:
    """A crew visit that one member is driving to (or waiting at) and that has not begun:
    every other member is held to it too when it is their next stop and they reach it by
    its start (their visit before may run late), or else nobody is (the crew is re-planned
    as a whole)."""
    for route in plan.routes:
        started = begun[route.shift]
        last = started[-1] if started else None
        if last is None or last.type != "visit" or len(last.crew) < 2 or last.start < now:
            continue
        # Each other member's visit: already held, or their next stop (so it may be held).
        others = []
        for other in plan.routes:
            if other is route:
                continue
            held = begun[other.shift]
            for k, it in enumerate(other.items):
                if it.type == "visit" and it.order == last.order:
                    kept = any(h is it for h in held)  # identity: items compare field by field
                    next_stop = k == len(held) and k > 0 and _in_time(other, k, held, times)
                    others.append((held, it, kept, kept or next_stop))
        if all(ok for *_, ok in others):
            for held, it, kept, _ in others:
                if not kept:
                    held.append(it)
        else:
            started.pop()


def freeze(problem: Problem, plan: Plan, now: datetime, events: list[Event]) -> dict[str, Frozen]:
    """Shift id -> its frozen part, for every route with an item that started before now."""
    times = visit_times(events)
    orders = {o.id: o for o in problem.orders}
    depots = {d.id: d for d in problem.depots}
    shifts = {s.id: s for t in problem.technicians for s in t.shifts}
    positions = {ev.technician: ev for ev in events if isinstance(ev, TechnicianPosition)}
    begun = {route.shift: _begun(route, now, times) for route in plan.routes}
    _hold_crews_together(plan, begun, now, times)
    out: dict[str, Frozen] = {}
    for route in plan.routes:
        started = begun[route.shift]
        if not started:
            continue
        shift = shifts.get(route.shift)
        frozen_items = []
        free_at = now
        loc: Location | None = shift.start_location if shift else None
        depot_stops = 0
        for it in started:
            it = it.model_copy()
            if it.type == "visit":
                actual = times.get(it.order, {})
                if "start" in actual:
                    it.start = actual["start"]
                    it.arrival = min(it.arrival, it.start)
                if "end" in actual:
                    it.end = actual["end"]
                else:
                    order = orders.get(it.order)
                    if order is not None:
                        it.end = it.start + order.duration
                loc = orders[it.order].location if it.order in orders else loc
                free_at = max(free_at, it.end)
            elif it.type == "depot":
                depot_stops += 1
                loc = depots[it.depot].location
                free_at = max(free_at, it.end)
            elif it.type == "break":
                free_at = max(free_at, it.end)
            frozen_items.append(it)
        pos = positions.get(route.technician)
        if pos is not None and loc is not None:
            loc = pos.location
            free_at = max(free_at, pos.at)
        assert loc is not None
        out[route.shift] = Frozen(route, frozen_items, free_at, loc, depot_stops)
    return out


FoldCache = dict[tuple[str, bool, tuple[str, datetime, datetime] | None], tuple[Order, Order]]
"""A day's folded orders: (order id, made mandatory, its frozen visit's lead, start, end) ->
(the order, its folded copy). A kept day keeps one: its re-plans fold the same started
visits into the same objects (and the evaluator's memo then knows them)."""

FOLD_LIMIT = 20000
"""Most folded orders a cache holds (it starts again when full)."""


def fold_frozen(
    updated: Problem,
    frozen: dict[str, Frozen],
    *,
    pins: bool = True,
    cache: FoldCache | None = None,
) -> Problem:
    """The updated problem with every frozen visit as it happened: pinned to its technician
    and start, lasting as long as it does. An unstarted order linked to a started one must be
    served now (linked orders are served both or neither): it becomes mandatory. `pins`
    False: the frozen visits are left as they are (for a caller that plans only the rest,
    which leaves them out). `cache`: a kept day's folded orders, reused when the same order
    object is folded alike again (orders are values: the same copies, made once)."""
    out = updated.model_copy()
    actual: dict[str, tuple[str, datetime, datetime]] = {}
    for f in frozen.values():
        for it in f.items:
            if it.type == "visit":
                lead = it.crew[0] if it.crew else f.route.technician
                actual[it.order] = (lead, it.start, it.end)
    bound = {p for p, _ in _linked_to_started(out, set(actual))}
    orders = []
    for o in out.orders:
        mandatory = o.id in bound and not o.mandatory
        pin = actual.get(o.id) if pins else None
        if not mandatory and pin is None:
            orders.append(o)
            continue
        key = (o.id, mandatory, pin)
        hit = cache.get(key) if cache is not None else None
        if hit is not None and hit[0] is o:
            orders.append(hit[1])
            continue
        folded = _folded(o, mandatory, pin)
        if cache is not None:
            if len(cache) >= FOLD_LIMIT:
                cache.clear()
            cache[key] = (o, folded)
        orders.append(folded)
    out.orders = orders
    return out


def _folded(o: Order, mandatory: bool, pin: tuple[str, datetime, datetime] | None) -> Order:
    """Order o made mandatory, and pinned to its frozen visit's lead and start (lasting as
    the visit does), as `fold_frozen` folds it."""
    if mandatory:
        o = o.model_copy(update={"mandatory": True})
    if pin is not None:
        lead, start, end = pin
        inside = any(w.start <= start <= w.end for w in o.time_windows)
        o = o.model_copy(
            update={
                "duration": end - start,
                # Both from the validated plan: nothing to validate again.
                "pinned": Pin.model_construct(technician=lead, start=start),
                "time_windows": o.time_windows if inside else [],
            }
        )
    return o


def _linked_to_started(
    problem: Problem, started: set[str]
) -> list[tuple[str, tuple[str, tuple[timedelta, timedelta]]]]:
    """Each unstarted order linked to a started one: (order, (started order, (least, most)
    of the order's start minus the started one's))."""
    out: list[tuple[str, tuple[str, tuple[timedelta, timedelta]]]] = []
    for o in problem.orders:
        for k in o.linked:
            if o.id not in started and k.order in started:
                out.append((o.id, (k.order, (k.min_gap, k.max_gap))))
            elif o.id in started and k.order not in started:
                out.append((k.order, (o.id, (-k.max_gap, -k.min_gap))))
    return out
