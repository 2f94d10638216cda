"""Turn a solver `Solution` into the contract's routes, with canonical times.

Service starts and break starts are the solver's; the route leaves its start location as late
as that allows, leaves each stop as early as it may, and returns as early as it can, so that no
idle time is invented.
"""

from __future__ import annotations

from datetime import timedelta

from models.plan import BreakItem, EndItem, Route, StartItem, VisitItem
from optimizer.instance import Instance
from optimizer.solution import RouteSol, Solution


def normalize(inst: Instance, route: RouteSol, start: dict[int, int]) -> RouteSol:
    """The same route with departure as late and return as early as the starts allow."""
    sh = inst.shifts[route.shift]
    if not route.orders:
        return route
    first_breaks = [b for pos, b in route.breaks if pos < 0]
    first = route.orders[0]
    latest = start[first] - inst.t(sh.start_loc, inst.orders[first].loc)
    if first_breaks:
        latest = min(first_breaks)
    depart = max(sh.start, min(latest, start[first]))
    depart = max(depart, route.depart)
    leave = _leave_times(inst, route, start, depart)
    last = route.orders[-1]
    ret = leave[len(route.orders) - 1] + inst.t(inst.orders[last].loc, sh.end_loc)
    return RouteSol(route.shift, list(route.orders), depart, ret, list(route.breaks))


def _leave_times(
    inst: Instance, route: RouteSol, start: dict[int, int], depart: int
) -> dict[int, int]:
    """When the route leaves each stop (-1 = the start location): after the service and
    after every break taken there."""
    rules = inst.shifts[route.shift].breaks
    leave: dict[int, int] = {}
    for pos in range(-1, len(route.orders)):
        if pos < 0:
            done = depart
        else:
            o = route.orders[pos]
            done = start[o] + inst.orders[o].duration
        for k, (bpos, bstart) in enumerate(route.breaks):
            if bpos == pos:
                done = max(done, bstart + rules[k].duration)
        leave[pos] = done
    return leave


def build_routes(inst: Instance, sol: Solution) -> list[Route]:
    """Contract routes of every shift that serves at least one order."""
    crews: dict[int, list[str]] = {}
    for o, shifts in sol.shifts_of().items():
        techs = [inst.techs[inst.shifts[s].tech].id for s in shifts]
        prov = sol.provider.get(o)
        if prov is not None:
            pid = inst.techs[inst.shifts[prov].tech].id
            techs = [pid] + [t for t in techs if t != pid]
        crews[o] = techs
    routes = []
    for s in sorted(sol.routes):
        route = sol.routes[s]
        if not route.orders:
            continue
        routes.append(_route(inst, normalize(inst, route, sol.start), sol.start, crews))
    return routes


def _route(inst: Instance, r: RouteSol, start: dict[int, int], crews: dict) -> Route:
    sh = inst.shifts[r.shift]
    at = inst.instant
    items: list = [StartItem(type="start", time=at(r.depart))]
    leave = _leave_times(inst, r, start, r.depart)
    # Break entries are in rule order; each keeps its rule's duration.
    brk = [(pos, b, sh.breaks[k].duration) for k, (pos, b) in enumerate(r.breaks)]
    travel = 0
    loc = sh.start_loc

    def add_breaks(pos: int) -> None:
        for _, bstart, dur in sorted(x for x in brk if x[0] == pos):
            items.append(BreakItem(type="break", start=at(bstart), end=at(bstart + dur)))

    add_breaks(-1)
    for pos, o in enumerate(r.orders):
        order = inst.orders[o]
        leg = inst.t(loc, order.loc)
        travel += leg
        arrival = leave[pos - 1] + leg
        items.append(
            VisitItem(
                type="visit",
                order=order.id,
                arrival=at(arrival),
                start=at(start[o]),
                end=at(start[o] + order.duration),
                crew=crews[o],
            )
        )
        loc = order.loc
        add_breaks(pos)
    leg = inst.t(loc, sh.end_loc)
    travel += leg
    items.append(EndItem(type="end", arrival=at(r.ret)))
    return Route(
        technician=inst.techs[sh.tech].id,
        shift=sh.id,
        items=items,
        travel_time=timedelta(seconds=travel),
        working_time=timedelta(seconds=r.ret - r.depart),
        overtime=timedelta(seconds=max(0, r.ret - sh.end)),
    )
