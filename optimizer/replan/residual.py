"""The residual problem (what is left to plan from where each technician is) and the warm start
from the previous plan: its solution on the residual instance, with broken relations and crews
dropped; the travel matrix of the day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from models.common import Location
from models.plan import Plan
from models.problem import Problem
from models.validation import (
    used_locations,
)
from optimizer.evaluate.visits import breaks_owed
from optimizer.instance import Instance
from optimizer.replan.freeze import Frozen, _linked_to_started
from optimizer.schedule import fixed_start, schedule
from optimizer.solution import RouteSol, Solution
from optimizer.supply import DepotStock, tech_supply
from optimizer.travel import TravelMatrix, extended


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
            held = frozen.get(sh.id or "")
            end = sh.end + sh.max_overtime
            if held is None:
                if end <= now:
                    continue
                if sh.start < now:
                    sh.start = now
                    sh.breaks = breaks_owed(sh.breaks, [], None, now)
                shifts.append(sh)
                continue
            if held.free_at >= sh.end:
                continue  # no regular time left: no new work, only the way home
            # A break the work under way leaves no room for is taken as soon as it is over.
            taken = [(b.start, b.end) for b in held.items if b.type == "break"]
            sh.breaks = breaks_owed(sh.breaks, taken, held.free_at, now)
            sh.end_location = sh.final_location
            sh.start = held.free_at
            sh.start_location = held.free_loc
            if sh.max_depot_visits is not None:
                sh.max_depot_visits = max(0, sh.max_depot_visits - held.depot_stops)
            # Equipment picked up earlier in this shift stays in the van until its end.
            carried = {e for it in held.items if it.type == "depot" for e in it.equipment}
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


def previous_solution(inst: Instance, plan: Plan, frozen: Mapping[str, Frozen]) -> Solution:
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
            # Leaving later to wait less (`schedule`) may move a start past the old one
            # where the old plan waited further on: keep the old starts where they hold.
            old = [max(lower[o], -lower[o] - 1) for o in orders]  # see `fixed_start`
            if timed is not None and timed.starts != old:
                kept = schedule(inst, s, orders, lower, depart=inst.shifts[s].start, depot=stop)
                if kept is not None and kept.starts == old:
                    timed = kept
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


def day_matrix(problem: Problem) -> TravelMatrix:
    """The travel matrix of a day, for a caller that re-plans it or asks for recommendations
    many times (`replan(..., travel=)`, `recommend(..., travel=)`): built once, it spares
    each call the matrix over every location of the day."""
    return TravelMatrix.from_problem(problem)


def matrix(problem: Problem, extra: list[Location], kept: TravelMatrix | None) -> TravelMatrix:
    """The travel matrix over the problem's locations and the extra ones: the kept one with
    the locations it lacks added (the same seconds: each pair is computed on its own), or a
    new one."""
    if kept is None:
        return TravelMatrix.from_problem(problem, extra=extra)
    return extended(kept, problem, [*(loc for _, loc in used_locations(problem)), *extra])
