"""Re-planning a running day, and recommendations for one new order.

`replan` applies the events to the problem, freezes every item that started before `now`,
and plans the rest from where each technician is: first a fast path (the previous routes kept
in order and at their old starts where possible, new and orphaned orders inserted at their
cheapest place, changes priced), then CP-SAT and ruin-and-recreate improving it until the time
limit. The new plan holds the frozen items unchanged and lists every change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from models.common import Location
from models.events import (
    Event,
    OrderAdded,
    OrderCancelled,
    OrderUpdated,
    TechnicianPosition,
    TechnicianUnavailable,
    VisitCompleted,
    VisitDelayed,
    VisitStarted,
)
from models.plan import BreakItem, Change, EndItem, Plan, Recommendation, Route, SolveStatus
from models.problem import Order, Pin, Problem, Shift
from models.validation import (
    FieldError,
    InvalidInput,
    check_problem,
    location_error,
    used_locations,
)
from optimizer.budget import Budget
from optimizer.construct import construct
from optimizer.cp.build import eligible_for, eligible_shifts
from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.evaluate import evaluate, recompute_route_totals
from optimizer.groups import GroupInsertion, best_group, is_grouped
from optimizer.insert import Insertion
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.params import SolveParams
from optimizer.reasons import static_reasons
from optimizer.schedule import fixed_start, schedule
from optimizer.search import SearchStats, search
from optimizer.solution import RouteSol, Solution
from optimizer.solve import post_reasons, to_plan
from optimizer.supply import DepotStock, tech_supply
from optimizer.travel import TravelMatrix, extended


@dataclass
class ReplanResult:
    """The re-planned day: the updated problem, the new plan (with `changes`)."""

    problem: Problem
    plan: Plan
    stats: SearchStats = field(default_factory=SearchStats)


# --------------------------------------------------------------------------- events


def apply_events(problem: Problem, events: list[Event]) -> Problem:
    """The problem as it stands after the events (orders added, updated, cancelled;
    technicians unavailable; actual visit times folded into the orders as pins).

    Raises `InvalidInput` when an event names an unknown id or breaks the contract.
    """
    data = problem.model_copy()  # shallow: whatever changes is copied where it changes
    data.technicians = list(data.technicians)
    orders = {o.id: o for o in data.orders}
    errors: list[FieldError] = []
    for i, ev in enumerate(events):
        where = f"events[{i}]"
        if isinstance(ev, OrderAdded):
            if ev.order.id in orders:
                errors.append(FieldError(f"{where}.order.id", f"order '{ev.order.id}' exists"))
            orders[ev.order.id] = ev.order
        elif isinstance(ev, OrderUpdated):
            if ev.order.id not in orders:
                errors.append(FieldError(f"{where}.order.id", f"unknown order '{ev.order.id}'"))
            orders[ev.order.id] = ev.order
        elif isinstance(ev, OrderCancelled):
            if orders.pop(ev.order, None) is None:
                errors.append(FieldError(f"{where}.order", f"unknown order '{ev.order}'"))
        elif (
            isinstance(ev, VisitStarted | VisitCompleted | VisitDelayed) and ev.order not in orders
        ):
            errors.append(FieldError(f"{where}.order", f"unknown order '{ev.order}'"))
        elif isinstance(ev, TechnicianUnavailable | TechnicianPosition) and ev.technician not in {
            t.id for t in data.technicians
        }:
            errors.append(
                FieldError(f"{where}.technician", f"unknown technician '{ev.technician}'")
            )
        if isinstance(ev, TechnicianPosition):
            wrong = location_error(problem, ev.location)
            if wrong is not None:
                errors.append(FieldError(f"{where}.location", wrong))
    if errors:
        raise InvalidInput(errors)
    # Cancelled prerequisites no longer hold anything up, and a link to a cancelled order goes
    # with it: its partner is planned on its own.
    data.orders = [
        o
        if all(a in orders for a in o.after) and all(k.order in orders for k in o.linked)
        else o.model_copy(
            update={
                "after": [a for a in o.after if a in orders],
                "linked": [k for k in o.linked if k.order in orders],
            }
        )
        for o in orders.values()
    ]
    for ev in events:
        if isinstance(ev, TechnicianUnavailable):
            _make_unavailable(data, ev)
    found = check_problem(data)
    if found:
        raise InvalidInput([FieldError(f"updated problem: {e.path}", e.message) for e in found])
    return data


def visit_times(events: list[Event]) -> dict[str, dict[str, datetime]]:
    """Order id -> reported actual `start` and/or (expected) `end` of its visit."""
    out: dict[str, dict[str, datetime]] = {}
    for ev in events:
        if isinstance(ev, VisitStarted):
            out.setdefault(ev.order, {})["start"] = ev.at
        elif isinstance(ev, VisitCompleted):
            out.setdefault(ev.order, {})["end"] = ev.at
        elif isinstance(ev, VisitDelayed):
            out.setdefault(ev.order, {})["end"] = ev.expected_end
    return out


def _make_unavailable(problem: Problem, ev: TechnicianUnavailable) -> None:
    """Cut the technician's shifts around [from, until]; a shift split in two resumes at its
    start location."""
    index = next(i for i, t in enumerate(problem.technicians) if t.id == ev.technician)
    tech = problem.technicians[index] = problem.technicians[index].model_copy()
    kept: list[Shift] = []
    for sh in tech.shifts:
        end = sh.end + sh.max_overtime
        if ev.until <= sh.start or ev.from_ >= end:
            kept.append(sh)
            continue
        if ev.from_ > sh.start:
            head = sh.model_copy(deep=True)
            head.end = min(sh.end, ev.from_)
            # Work under way is finished and the way home driven, as overtime if need be.
            head.max_overtime = end - head.end
            head.breaks = [b for b in sh.breaks if b.latest_end <= ev.from_]
            kept.append(head)
        if ev.until < end:
            tail = sh.model_copy(deep=True)
            tail.id = f"{sh.id}-r" if ev.from_ > sh.start else sh.id
            tail.start = max(ev.until, sh.start)
            tail.end = max(sh.end, tail.start)
            tail.max_overtime = end - tail.end
            tail.breaks = [b for b in sh.breaks if b.earliest_start >= tail.start]
            kept.append(tail)
    tech.shifts = kept


# --------------------------------------------------------------------------- freezing


@dataclass
class Frozen:
    """The part of one route that started before `now`."""

    route: Route
    items: list[Any]  # the frozen items, unchanged (times of started visits updated)
    free_at: datetime  # when the technician can go on
    free_loc: Location  # from where
    depot_stops: int = 0


def _item_begin(item: Any) -> datetime:
    return (
        item.time if item.type == "start" else item.start if item.type != "end" else item.arrival
    )


def _item_finish(item: Any) -> datetime:
    return item.time if item.type == "start" else item.end


def _begun(route: Route, now: datetime, times: dict[str, dict[str, datetime]]) -> list[Any]:
    """The items of a route under way at `now`, in route order: those begun before it, the
    stop the technician is driving to, and visits reported as started."""
    items = route.items
    # Positions, not items: comparing items is slow on long routes.
    picked = {i for i, it in enumerate(items[:-1]) if _item_begin(it) < now}
    # The stop the technician is driving to is under way too: plans set off as soon as the
    # item before ends and wait on site, so its drive began then (re-planned from the item
    # before, the drive already made would be lost and the day run late).
    ahead = len(picked)
    on_the_way = 0 < ahead < len(items) - 1 and items[ahead].type in ("visit", "depot")
    if on_the_way and _item_finish(items[ahead - 1]) < now:
        picked.add(ahead)
    # A visit reported as started is frozen however the plan had it.
    reported = {o for o, seen in times.items() if "start" in seen}
    picked |= {i for i, it in enumerate(items) if it.type == "visit" and it.order in reported}
    return [items[i] for i in sorted(picked)]


def _hold_crews_together(plan: Plan, begun: dict[str, list[Any]], now: datetime) -> None:
    """A crew visit that one member is driving to (or waiting at) and that has not begun:
    every other member is held to it too when it is their next stop, or else nobody is (the
    crew is re-planned as a whole)."""
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
                    others.append((held, it, kept, kept or (k == len(held) and k > 0)))
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
    _hold_crews_together(plan, begun, now)
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


def fold_frozen(updated: Problem, frozen: dict[str, Frozen]) -> Problem:
    """The updated problem with every frozen visit as it happened: pinned to its technician
    and start, lasting as long as it does. An unstarted order linked to a started one must be
    served now (linked orders are served both or neither): it becomes mandatory."""
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
        if o.id in bound and not o.mandatory:
            o = o.model_copy(update={"mandatory": True})
        if o.id in actual:
            lead, start, end = actual[o.id]
            inside = any(w.start <= start <= w.end for w in o.time_windows)
            o = o.model_copy(
                update={
                    "duration": end - start,
                    "pinned": Pin(technician=lead, start=start),
                    "time_windows": o.time_windows if inside else [],
                }
            )
        orders.append(o)
    out.orders = orders
    return out


# --------------------------------------------------------------------------- the residual day


def residual_problem(updated: Problem, frozen: dict[str, Frozen], now: datetime) -> Problem:
    """What is left to plan: unstarted orders, each shift from where its technician is free
    (shifts that are over are dropped), van stock as the frozen part leaves it."""
    # Shallow copies throughout: only what changes is copied (days of thousands of orders).
    res = updated.model_copy()
    done = {it.order for f in frozen.values() for it in f.items if it.type == "visit"}
    ends: dict[str, datetime] = {}
    for f in frozen.values():
        for it in f.items:
            if it.type == "visit":
                ends[it.order] = max(ends.get(it.order, it.end), it.end)
    starts: dict[str, datetime] = {}
    for f in frozen.values():
        for it in f.items:
            if it.type == "visit":
                starts[it.order] = min(starts.get(it.order, it.start), it.start)
    # A link to a started order becomes a range for the start: [its start + gap].
    ranges: dict[str, tuple[datetime, datetime]] = {}
    for oid, (partner, (least, most)) in _linked_to_started(res, done):
        lo, hi = ranges.get(oid, (res.horizon.start, res.horizon.end))
        ranges[oid] = (max(lo, starts[partner] + least), min(hi, starts[partner] + most))
    orders = []
    for o in res.orders:
        if o.id in done:
            continue
        # A prerequisite already under way: start after it ends.
        frozen_after = [ends[a] for a in o.after if a in ends]
        floor = max(frozen_after, default=None)
        if floor is not None or o.id in ranges:
            first, last = ranges.get(o.id, (res.horizon.start, res.horizon.end))
            first = max(first, floor or first)
            kept = [
                w.model_copy(update={"start": max(w.start, first), "end": min(w.end, last)})
                for w in o.time_windows or [res.horizon]
                if w.end >= first and w.start <= last
            ] or [res.horizon.model_copy(update={"start": res.horizon.end})]
            o = o.model_copy(
                update={
                    "after": [a for a in o.after if a not in done],
                    "linked": [k for k in o.linked if k.order not in done],
                    "time_windows": kept,
                }
            )
        orders.append(o)
    res.orders = orders
    used_parts: dict[str, dict[str, int]] = {}
    picked: dict[str, dict[str, int]] = {}
    taken_equipment: dict[tuple[str, str], int] = {}
    taken_parts: dict[tuple[str, str], int] = {}
    by_id = {o.id: o for o in updated.orders}
    for f in frozen.values():
        tech = f.route.technician
        for it in f.items:
            if it.type == "visit" and it.crew and it.crew[0] == tech and it.order in by_id:
                for k, q in by_id[it.order].required_parts.items():
                    used_parts.setdefault(tech, {})[k] = used_parts.get(tech, {}).get(k, 0) + q
            if it.type == "depot":
                for k, q in it.parts.items():
                    picked.setdefault(tech, {})[k] = picked.get(tech, {}).get(k, 0) + q
                    taken_parts[(it.depot, k)] = taken_parts.get((it.depot, k), 0) + q
                for e in it.equipment:
                    taken_equipment[(it.depot, e)] = taken_equipment.get((it.depot, e), 0) + 1
    technicians = []
    for t in res.technicians:
        t = t.model_copy()
        technicians.append(t)
        stock = dict(t.parts)
        for k, q in picked.get(t.id, {}).items():
            stock[k] = stock.get(k, 0) + q
        for k, q in used_parts.get(t.id, {}).items():
            stock[k] = max(0, stock.get(k, 0) - q)
        t.parts = stock
        shifts = []
        for sh in t.shifts:
            sh = sh.model_copy()
            f = frozen.get(sh.id or "")
            end = sh.end + sh.max_overtime
            if f is None:
                if end <= now:
                    continue
                if sh.start < now:
                    sh.start = now
                    sh.breaks = [b for b in sh.breaks if b.latest_end - b.duration >= now]
                shifts.append(sh)
                continue
            if f.free_at >= sh.end:
                continue  # no regular time left: no new work, only the way home
            taken = {(b.start, b.end) for b in f.items if b.type == "break"}
            sh.breaks = [
                b
                for b in sh.breaks
                if not any(b.earliest_start <= s and e <= b.latest_end for s, e in taken)
            ]
            sh.breaks = [b for b in sh.breaks if b.latest_end - b.duration >= f.free_at]
            sh.end_location = sh.final_location
            sh.start = f.free_at
            sh.start_location = f.free_loc
            if sh.max_depot_visits is not None:
                sh.max_depot_visits = max(0, sh.max_depot_visits - f.depot_stops)
            # Equipment picked up earlier in this shift stays in the van until its end.
            carried = {e for it in f.items if it.type == "depot" for e in it.equipment}
            if carried and len(t.shifts) == 1:
                t.equipment = sorted(set(t.equipment) | carried)
            shifts.append(sh)
        t.shifts = shifts
    res.technicians = technicians
    res.depots = [
        d.model_copy(
            update={
                "equipment": {
                    e: None if n is None else max(0, n - taken_equipment.get((d.id, e), 0))
                    for e, n in d.equipment.items()
                },
                "parts": {
                    k: None if q is None else max(0, q - taken_parts.get((d.id, k), 0))
                    for k, q in d.parts.items()
                },
            }
        )
        for d in res.depots
    ]
    return res


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


def _baseline(inst: Instance, plan: Plan, tolerance: timedelta) -> None:
    """Tell the instance how the previous plan served each order (to price changes)."""
    starts: dict[str, datetime] = {}
    techs: dict[str, set[int]] = {}
    for r in plan.routes:
        for it in r.items:
            if it.type == "visit" and it.order in inst.order_idx:
                starts[it.order] = min(starts.get(it.order, it.start), it.start)
                if r.technician in inst.tech_idx:
                    techs.setdefault(it.order, set()).add(inst.tech_idx[r.technician])
    inst.baseline = {
        inst.order_idx[o]: (frozenset(techs.get(o, ())), inst.seconds(s))
        for o, s in starts.items()
    }
    inst.prev_known = set(inst.baseline) | {
        inst.order_idx[u.order] for u in plan.unassigned if u.order in inst.order_idx
    }
    inst.tolerance = int(tolerance.total_seconds())


def _previous_solution(inst: Instance, plan: Plan, frozen: dict[str, Frozen]) -> Solution:
    """The previous plan's unstarted part as a solution of the residual instance: same
    technicians, same order, same depot stop, starts no earlier than before. Orders that no
    longer fit (or are no longer supplied) are left for re-insertion."""
    sol = Solution()
    stock = DepotStock.full(inst)
    accepted: dict[int, list[RouteSol]] = {}  # technician -> routes kept, in shift order
    before: dict[int, DepotStock] = {}  # technician -> depot stock before their routes
    routes = [r for r in plan.routes if r.shift in inst.shift_idx]
    routes.sort(key=lambda r: inst.shift_idx[r.shift])
    # A crew order is kept only if every crew member's route is still there.
    crew_routes: dict[str, int] = {}
    for r in routes:
        for it in r.items:
            if it.type == "visit":
                crew_routes[it.order] = crew_routes.get(it.order, 0) + 1
    providers: dict[int, int] = {}
    for r in routes:
        s = inst.shift_idx[r.shift]
        seq: list[tuple[int, int]] = []
        depot: tuple[int, int] | None = None
        for it in r.items:
            if (
                it.type == "depot"
                and it.depot in inst.depot_idx
                and depot is None
                and (r.shift not in frozen or it not in frozen[r.shift].items)  # unstarted
            ):
                depot = (inst.depot_idx[it.depot], len(seq))
            if it.type != "visit" or it.order not in inst.order_idx:
                continue
            o = inst.order_idx[it.order]
            if not inst.on_call_ok(o, s):
                continue  # no longer urgent enough for an on-call shift: re-inserted
            if inst.orders[o].crew == 1:
                seq.append((o, inst.seconds(it.start)))
            elif crew_routes.get(it.order) == inst.orders[o].crew:
                seq.append((o, fixed_start(inst.seconds(it.start))))
                if it.crew and it.crew[0] == r.technician:
                    providers[o] = s
        orders = [o for o, _ in seq]
        lower = dict(seq)
        while orders:
            stop = depot if depot is not None and depot[1] <= len(orders) else None
            timed = schedule(inst, s, orders, lower, depot=stop)
            if timed is not None:
                tech = inst.shifts[s].tech
                trial = before.setdefault(tech, stock).copy()
                mine = [*accepted.get(tech, []), timed.route]
                provided = {
                    o
                    for x in mine
                    for o in x.orders
                    if inst.orders[o].crew == 1 or providers.get(o) == x.shift
                }
                if tech_supply(inst, tech, mine, provided, trial) is not None:
                    stock = trial
                    accepted[tech] = mine
                    sol.routes[s] = timed.route
                    for o, st in zip(orders, timed.starts, strict=True):
                        sol.start[o] = st
                        if inst.orders[o].crew == 1:
                            sol.provider[o] = s
                    break
            # Keep the longest head that still fits; the rest is re-inserted.
            orders = orders[:-1]
    _drop_broken_crews(inst, sol, providers)
    _drop_broken_relations(inst, sol)
    return sol


def _drop_broken_relations(inst: Instance, sol: Solution) -> None:
    """Orders kept where they no longer keep their relations are taken out, for
    re-insertion: linked orders whose partner is gone or whose gap no longer holds (re-timed
    routes move starts later, each route on its own), with every order linked to them;
    orders that no longer start after what they wait for ends, or whose predecessor is gone;
    crew orders no longer in all their crew's routes. Repeated until what is kept holds."""
    where = sol.shifts_of()
    broken = _broken_relations(inst, sol, where)
    while broken:
        for o in broken:
            for x in inst.linked_group(o):
                sol.start.pop(x, None)
                sol.provider.pop(x, None)
                for s in where.get(x, []):
                    if s in sol.routes and x in sol.routes[s].orders:
                        _retime_without(inst, sol, s, x)
        where = sol.shifts_of()
        broken = _broken_relations(inst, sol, where)


def _broken_relations(inst: Instance, sol: Solution, where: dict[int, list[int]]) -> list[int]:
    """Orders in the routes whose start is gone, or whose crew, links or `after` relations
    the kept starts break."""
    start = sol.start
    out = []
    for o, shifts in where.items():
        order = inst.orders[o]
        st = start.get(o)
        if (
            st is None
            or (order.crew > 1 and len(shifts) != order.crew)
            or any(p not in start or not lo <= st - start[p] <= hi for p, lo, hi in order.links)
            or any(p not in start or st < start[p] + inst.orders[p].duration for p in order.after)
        ):
            out.append(o)
    return out


def _drop_broken_crews(inst: Instance, sol: Solution, providers: dict[int, int]) -> None:
    """Crew orders not kept in every crew route (or without their provider) are taken out
    of the routes that kept them; the search may plan them again."""
    where = sol.shifts_of()
    for o, shifts in where.items():
        crew = inst.orders[o].crew
        if crew == 1:
            continue
        if len(shifts) == crew and providers.get(o) in shifts:
            sol.provider[o] = providers[o]
            continue
        sol.start.pop(o, None)
        for s in shifts:
            _retime_without(inst, sol, s, o)


def _retime_without(inst: Instance, sol: Solution, s: int, o: int) -> None:
    """Route s without order o, re-timed with its other starts kept as lower bounds (crew
    starts fixed); if that fails the whole route is emptied for re-insertion."""
    route = sol.routes[s]
    at = route.orders.index(o)
    seq = route.orders[:at] + route.orders[at + 1 :]
    depot = None
    if route.depot is not None:
        depot = (route.depot[0], route.depot[1] - (1 if at < route.depot[1] else 0))
    lower = {
        x: fixed_start(sol.start[x]) if inst.orders[x].crew > 1 else sol.start[x] for x in seq
    }
    timed = schedule(inst, s, seq, lower, depot=depot) if seq else None
    if timed is None:
        for x in seq:
            sol.start.pop(x, None)
            sol.provider.pop(x, None)
        sol.routes.pop(s)
        return
    sol.routes[s] = timed.route
    for x, st in zip(seq, timed.starts, strict=True):
        sol.start[x] = st


def replan(
    problem: Problem,
    plan: Plan,
    now: datetime,
    events: list[Event],
    params: SolveParams | None = None,
    *,
    tolerance: timedelta = timedelta(minutes=15),
    budget: Budget | None = None,
    travel: TravelMatrix | None = None,
) -> ReplanResult:
    """Re-plan the day at `now` after `events`; returns the new plan with its changes.

    With `time_limit` 0 only the fast path runs (keep what can be kept, insert the rest at
    the cheapest place). The budget defaults to the parameters' limits from this call.
    `travel` is a matrix of the day a caller keeps across calls (`day_matrix`); locations it
    lacks are added. Raises `InvalidInput` for events that do not fit the problem.
    """
    params = (params or SolveParams()).resolved(problem)
    if params.time_limit is None:
        params = params.model_copy(update={"time_limit": 5.0})
    if budget is None:
        budget = Budget.start(params.time_limit, params.deterministic_limit)
    began = budget.started
    # Building, merging and evaluating the plan (twice) come after every stage.
    budget = budget.keep(2 * params.timing.plan_seconds_per_order * len(problem.orders))
    updated = apply_events(problem, events)
    frozen = freeze(updated, plan, now, events)
    updated = fold_frozen(updated, frozen)
    residual = residual_problem(updated, frozen, now)
    # One matrix serves the residual day, the way home of finished routes and the evaluation.
    travel = _matrix(updated, [f.free_loc for f in frozen.values()], travel)
    inst = compile_problem(residual, travel)
    _baseline(inst, plan, tolerance)
    start = _previous_solution(inst, plan, frozen)
    # The fast path alone looks at few orders: their eligible shifts are found when asked for
    # (unless every van holds everything: then the inserter reads them all).
    eligible = eligible_shifts(inst) if budget.limit > 0 or inst.van_ok.all() else _Eligible(inst)
    # The fast path places new and orphaned orders; the search tries the rest.
    orphans = {o for o in range(len(inst.orders)) if o not in start.start} - {
        o for o in inst.prev_known if o not in inst.baseline
    }
    fast = construct(inst, eligible, start, only=orphans)
    fast = _make_room(inst, fast, eligible, orphans)
    fast.cost = solution_cost(inst, fast)
    stats = SearchStats(mode="fast-path")
    sol = fast
    # No search when its stage is already over (a loaded machine): the fast path's plan stands.
    searching = budget.until(params.timing.replan_search())
    if budget.limit > 0 and searching.remaining() > 0:
        sol, stats = search(inst, params, searching, fast)
        if (sol.cost or 0) > (fast.cost or 0):
            sol = fast
    # Reasons are only wanted for the orders left out (and what those wait for).
    served = sol.shifts_of()
    static = static_reasons(inst, [o for o in range(len(inst.orders)) if o not in served])
    reasons = post_reasons(
        inst,
        sol,
        static,
        deadline=budget.end_of(params.timing.reasons()),
        params=params,
        eligible=eligible,
    )
    # Scored once, merged with the frozen part, below.
    residual_plan = to_plan(inst, sol, stats, reasons, static, params, began, score=False)
    merged = _merge(updated, frozen, residual_plan, travel)
    ev = evaluate(
        updated, merged, travel, previous=plan, change_tolerance=tolerance, frozen_before=now
    )
    merged.objective = ev.objective
    merged.kpis = ev.kpis
    assert ev.changed_orders is not None  # evaluated against the previous plan
    merged.changes = _changes(updated, plan, merged, set(ev.changed_orders))
    merged.solver = {**residual_plan.solver, "frozen_routes": len(frozen)}
    if not ev.valid:
        broken = [v for v in ev.violations if v.code != "mandatory"] or ev.violations
        merged.solver["evaluator_violations"] = [str(v) for v in broken[:20]]
    return ReplanResult(problem=updated, plan=merged, stats=stats)


class _Eligible(dict[int, list[int]]):
    """Order -> its eligible shifts (`eligible_for`), each found the first time it is asked
    for. Only what was asked for is in it: for callers that read it by order, not iterate."""

    def __init__(self, inst: Instance) -> None:
        super().__init__()
        self.inst = inst

    def __missing__(self, o: int) -> list[int]:
        found = self[o] = eligible_for(self.inst, o)
        return found


def day_matrix(problem: Problem) -> TravelMatrix:
    """The travel matrix of a day, for a caller that re-plans it or asks for recommendations
    many times (`replan(..., travel=)`, `recommend(..., travel=)`): built once, it spares
    each call the matrix over every location of the day."""
    return TravelMatrix.from_problem(problem)


def _matrix(problem: Problem, extra: list[Location], kept: TravelMatrix | None) -> TravelMatrix:
    """The travel matrix over the problem's locations and the extra ones: the kept one with
    the locations it lacks added (the same seconds: each pair is computed on its own), or a
    new one."""
    if kept is None:
        return TravelMatrix.from_problem(problem, extra=extra)
    return extended(kept, problem, [*(loc for _, loc in used_locations(problem)), *extra])


def _merge(
    updated: Problem,
    frozen: dict[str, Frozen],
    residual: Plan,
    travel: TravelMatrix,
) -> Plan:
    """Frozen prefixes followed by the re-planned rest, one route per shift."""
    new_routes = residual.routes
    by_shift = {r.shift: r for r in new_routes}
    routes: list[Route] = []
    shifts = [s.id for t in updated.technicians for s in t.shifts]
    for shift_id in shifts:
        f = frozen.get(shift_id or "")
        r = by_shift.get(shift_id or "")
        if f is None and r is None:
            continue
        if f is None:
            routes.append(r)  # type: ignore[arg-type]
            continue
        items = list(f.items)
        if r is not None:
            items += [it for it in r.items[1:]]  # the residual start is where f leaves off
        else:
            items += _go_home(updated, shift_id, f, travel)
        route = Route(
            technician=f.route.technician,
            shift=f.route.shift,
            items=items,
            travel_time=timedelta(0),
            working_time=timedelta(0),
            overtime=timedelta(0),
        )
        routes.append(route)
    plan = Plan(
        status=residual.status,
        objective=residual.objective,
        routes=[r for r in routes if any(it.type == "visit" for it in r.items)],
        unassigned=residual.unassigned,
    )
    if plan.status == SolveStatus.no_solution:  # an infeasible plan keeps its routes
        plan.routes = []
        served_before = {it.order for f in frozen.values() for it in f.items if it.type == "visit"}
        plan.unassigned = [u for u in plan.unassigned if u.order not in served_before]
    totals = recompute_route_totals(updated, plan, travel)
    for route, (travel, working, overtime) in zip(plan.routes, totals, strict=True):
        route.travel_time, route.working_time, route.overtime = travel, working, overtime
    return plan


def _go_home(updated: Problem, shift_id: str | None, f: Frozen, travel: TravelMatrix) -> list[Any]:
    """The breaks still due after the frozen part, then the way home."""
    shift = next(s for t in updated.technicians for s in t.shifts if s.id == shift_id)
    taken = {(it.start, it.end) for it in f.items if it.type == "break"}
    t = f.free_at
    items: list[Any] = []
    for b in sorted(shift.breaks, key=lambda b: b.earliest_start):
        if any(b.earliest_start <= s and e <= b.latest_end for s, e in taken):
            continue
        start = max(t, b.earliest_start)
        items.append(BreakItem(type="break", start=start, end=start + b.duration))
        t = start + b.duration
    home = shift.final_location
    items.append(EndItem(type="end", arrival=t + timedelta(seconds=travel.time(f.free_loc, home))))
    return items


def _changes(updated: Problem, old: Plan, new: Plan, ids: set[str]) -> list[Change]:
    """Every counted change (`ids`, as the evaluator counts them), with technicians and
    starts before and after."""

    def served(plan: Plan) -> dict[str, tuple[str, datetime]]:
        out: dict[str, tuple[str, datetime]] = {}
        for r in plan.routes:
            for it in r.items:
                if it.type == "visit" and it.order not in out:
                    lead = it.crew[0] if it.crew else r.technician
                    out[it.order] = (lead, it.start)
        return out

    before, after = served(old), served(new)
    out = []
    for order in updated.orders:
        if order.id not in ids:
            continue
        b, a = before.get(order.id), after.get(order.id)
        out.append(
            Change(
                order=order.id,
                from_technician=b[0] if b else None,
                to_technician=a[0] if a else None,
                old_start=b[1] if b else None,
                new_start=a[1] if a else None,
            )
        )
    # New orders now served are listed too (no from_technician), for the coordinator.
    known = set(before) | {u.order for u in old.unassigned}
    for oid, (tech, start) in after.items():
        if oid not in known:
            out.append(Change(order=oid, to_technician=tech, new_start=start))
    return out


# --------------------------------------------------------------------------- recommend


def _make_room(
    inst: Instance, sol: Solution, eligible: dict[int, list[int]], only: set[int]
) -> Solution:
    """Fit each unserved priority-1 or mandatory order by dropping one order of no higher
    priority from a full route when nothing else works; then re-insert what was dropped."""
    urgent = [
        o
        for o, order in enumerate(inst.orders)
        if o not in sol.start
        and order.crew == 1
        and (order.priority == 1 or order.mandatory)
        and eligible[o]
    ]
    if not urgent:
        return sol
    urgent.sort(key=lambda o: -unassigned_cost(inst, o))
    dropped_all: list[int] = []
    for o in urgent:
        ins = Inserter(inst, sol, eligible)
        direct = ins.best(o)
        if direct is not None:
            ins.apply(direct)
            continue
        near = ins.nearest_routes(o)
        options = _bumping_options(ins, o, near)
        if not options:
            continue
        best = min(options, key=lambda x: (x.delta, x.insertion.shift))
        if best.delta >= unassigned_cost(inst, o):
            continue
        dropped = best.dropped[0]
        if ins.remove(dropped):
            dropped_all.append(dropped)
            again = ins.best(o, shifts=[best.insertion.shift])
            if again is not None:
                ins.apply(again)
    return construct(inst, eligible, sol, only=only | set(dropped_all))


@dataclass
class _Option:
    """One way to fit the new order: the insertion, and the orders it pushes out."""

    delta: int
    insertion: Insertion
    dropped: list[int]
    before: dict[int, int]  # starts of the route's orders before the insertion


def recommend(
    problem: Problem,
    plan: Plan,
    order: Order,
    now: datetime,
    k: int = 5,
    *,
    tolerance: timedelta = timedelta(minutes=15),
    travel: TravelMatrix | None = None,
) -> list[Recommendation]:
    """The k cheapest ways to fit one new order into the running plan, best first. Where a
    route is full, dropping one of its orders of no higher priority is an option too (listed
    in the changes and priced in `cost_delta`). A crew order gets the k cheapest crews, each
    led by another technician (`crew` lists them). `travel`: as for `replan`."""
    updated = apply_events(problem, [OrderAdded(type="order_added", order=order)])
    frozen = freeze(updated, plan, now, [])
    updated = fold_frozen(updated, frozen)
    residual = residual_problem(updated, frozen, now)
    inst = compile_problem(residual, _matrix(residual, [], travel))
    _baseline(inst, plan, tolerance)
    o = inst.order_idx[order.id]
    eligible = {o: eligible_for(inst, o)}
    sol = _previous_solution(inst, plan, frozen)
    if inst.orders[o].crew > 1:
        return _crew_recommendations(inst, sol, o, eligible[o], k)
    ins = Inserter(inst, sol, eligible, granularity=len(inst.shifts))
    options: list[_Option] = []
    full: list[int] = []
    for s in eligible[o]:
        best = ins.best(o, shifts=[s])
        if best is not None:
            options.append(_Option(best.delta, best, [], dict(sol.start)))
        else:
            full.append(s)
    if len(options) < k:
        options += _bumping_options(ins, o, full)
    options.sort(key=lambda x: (x.delta, x.insertion.shift))
    return [_recommendation(inst, opt, o) for opt in options[:k]]


def _crew_recommendations(
    inst: Instance, sol: Solution, o: int, shifts: list[int], k: int
) -> list[Recommendation]:
    """The k cheapest crews for a new crew order, each led by another technician: the best
    crew, then the best without the leaders offered before."""
    out: list[Recommendation] = []
    leaders: set[int] = set()
    while len(out) < k:
        eligible = {x: eligible_for(inst, x) for x in inst.linked_group(o)}
        eligible[o] = [s for s in shifts if inst.shifts[s].tech not in leaders]
        ins = Inserter(inst, sol.copy(), eligible, granularity=len(inst.shifts))
        group = best_group(ins, o)
        if group is None:
            break
        lead = group.provider[o]
        leaders.add(inst.shifts[lead].tech)
        out.append(_crew_recommendation(inst, sol, group, o, lead))
    out.sort(key=lambda r: r.cost_delta)
    return out


def _crew_recommendation(
    inst: Instance, sol: Solution, group: GroupInsertion, o: int, lead: int
) -> Recommendation:
    """One crew as a recommendation: its leader's route and the crew, with every other order
    of the crew's routes that moves."""
    timed = group.routes[lead]
    pos = timed.route.orders.index(o)
    start = timed.starts[pos]
    crew = [lead, *sorted(s for s in group.routes if s != lead)]
    changes = []
    for s in crew:
        changes += _moved(inst, group.routes[s], o, sol.start)
    due = inst.orders[o].due
    return Recommendation(
        technician=inst.techs[inst.shifts[lead].tech].id,
        shift=inst.shifts[lead].id,
        crew=[inst.techs[inst.shifts[s].tech].id for s in crew],
        arrival=inst.instant(_arrival(inst, timed, pos)),
        start=inst.instant(start),
        end=inst.instant(start + inst.orders[o].duration),
        sla_met=None if due is None else start <= due,
        cost_delta=group.delta / (60 * 100),
        changes=changes,
    )


def _bumping_options(ins: Inserter, o: int, shifts: list[int]) -> list[_Option]:
    """For each full route, the best option that drops one order of o's priority or lower
    (each tried on a clone of the inserter of the current solution: only the route touched
    is re-timed and priced)."""
    inst, sol = ins.inst, ins.sol
    out = []
    for s in shifts:
        route = sol.routes.get(s)
        if route is None:
            continue
        mine = inst.orders[o]
        cheaper = sorted(
            (
                x
                for x in route.orders
                if inst.orders[x].priority >= mine.priority
                and not is_grouped(inst, x)  # a crew or linked order moves only as a whole
                and not inst.orders[x].mandatory
                and inst.orders[x].pin_tech is None
                and inst.orders[x].pin_start is None
            ),
            key=lambda x: (unassigned_cost(inst, x), x),
        )
        best: _Option | None = None
        for x in cheaper[:3]:
            tins = ins.clone()
            before = tins.cost.get(s, 0)
            if not tins.remove(x):
                continue
            fit = tins.best(o, shifts=[s])
            if fit is None:
                continue
            delta = tins.cost.get(s, 0) - before + fit.delta + unassigned_cost(inst, x)
            if best is None or delta < best.delta:
                best = _Option(delta, fit, [x], dict(sol.start))
        if best is not None:
            out.append(best)
    return out


def _recommendation(inst: Instance, opt: _Option, o: int) -> Recommendation:
    best = opt.insertion
    route = best.timed.route
    pos = route.orders.index(o)
    start = best.timed.starts[pos]
    tid = inst.techs[inst.shifts[best.shift].tech].id
    changes = [
        Change(
            order=inst.orders[x].id,
            from_technician=tid,
            old_start=inst.instant(opt.before[x]),
        )
        for x in opt.dropped
    ]
    changes += _moved(inst, best.timed, o, opt.before)
    due = inst.orders[o].due
    return Recommendation(
        technician=tid,
        shift=inst.shifts[best.shift].id,
        arrival=inst.instant(_arrival(inst, best.timed, pos)),
        start=inst.instant(start),
        end=inst.instant(start + inst.orders[o].duration),
        sla_met=None if due is None else start <= due,
        cost_delta=opt.delta / (60 * 100),
        changes=changes,
    )


def _moved(inst: Instance, timed: Any, o: int, before: dict[int, int]) -> list[Change]:
    """The orders of a timed route, other than the new order o, whose start moves by more
    than the tolerance from `before`."""
    tid = inst.techs[inst.shifts[timed.route.shift].tech].id
    return [
        Change(
            order=inst.orders[x].id,
            from_technician=tid,
            to_technician=tid,
            old_start=inst.instant(before[x]),
            new_start=inst.instant(st),
        )
        for x, st in zip(timed.route.orders, timed.starts, strict=True)
        if x != o and abs(st - before.get(x, st)) > inst.tolerance
    ]


def _arrival(inst: Instance, timed: Any, pos: int) -> int:
    """Arrival at the pos-th order of a scheduled route."""
    r = timed.route
    sh = inst.shifts[r.shift]
    if pos == 0:
        t, loc = r.depart, sh.start_loc
        if r.depot is not None and r.depot[1] == 0:
            dep = inst.depots[r.depot[0]]
            t, loc = r.depot[2] + dep.duration, dep.loc
        for k, (bpos, bstart) in enumerate(r.breaks):
            if bpos == -1:
                t = max(t, bstart + sh.breaks[k].duration)
    else:
        prev = r.orders[pos - 1]
        t = timed.starts[pos - 1] + inst.orders[prev].duration
        loc = inst.orders[prev].loc
        for k, (bpos, bstart) in enumerate(r.breaks):
            if bpos == pos - 1:
                t = max(t, bstart + sh.breaks[k].duration)
        if r.depot is not None and r.depot[1] == pos:
            dep = inst.depots[r.depot[0]]
            t, loc = r.depot[2] + dep.duration, dep.loc
    return t + inst.t(loc, inst.orders[r.orders[pos]].loc)
