"""Turn a solver `Solution` into the contract's routes, with canonical times.

Service, depot and break starts are the solver's; the route leaves its start location as late
as they allow, leaves each stop as early as it may, and returns as early as it can, so that no
idle time is invented. Depot pick-ups are the just-in-time ones of `optimizer.supply`.
"""

from __future__ import annotations

from datetime import timedelta

from models.plan import BreakItem, DepotItem, EndItem, Item, Route, StartItem, VisitItem
from optimizer.instance import Instance
from optimizer.solution import RouteSol, Solution
from optimizer.supply import Pickup, supply_plan

Stop = tuple[str, int, int, int, int]  # (kind "o"/"d", index, location, start, duration)


def _stops(inst: Instance, route: RouteSol, start: dict[int, int]) -> list[Stop]:
    """The route's visits and depot stop in order (breaks aside)."""
    out: list[Stop] = []
    for pos, o in enumerate(route.orders):
        if route.depot is not None and route.depot[1] == pos:
            out.append(_depot_stop(inst, route.depot))
        order = inst.orders[o]
        out.append(("o", o, order.loc, start[o], order.duration))
    if route.depot is not None and route.depot[1] >= len(route.orders):
        out.append(_depot_stop(inst, route.depot))
    return out


def _depot_stop(inst: Instance, depot: tuple[int, int, int]) -> Stop:
    dep = inst.depots[depot[0]]
    return ("d", depot[0], dep.loc, depot[2], dep.duration)


def _breaks_after(route: RouteSol, stops: list[Stop], idx: int) -> list[int]:
    """Break rules taken after stop idx (-1 = the start location)."""
    if idx < 0:
        key = -1
    elif stops[idx][0] == "o":
        key = sum(1 for s in stops[: idx + 1] if s[0] == "o") - 1
    else:
        return []
    return [k for k, (pos, _) in enumerate(route.breaks) if pos == key]


def _departure(inst: Instance, r: RouteSol, stops: list[Stop]) -> int:
    """Leave as late as the first stop (or a break at the start location) allows."""
    sh = inst.shifts[r.shift]
    first_breaks = [r.breaks[k][1] for k in _breaks_after(r, stops, -1)]
    depart = min(first_breaks) if first_breaks else stops[0][3] - inst.t(sh.start_loc, stops[0][2])
    return max(sh.start, r.depart, depart)


def settle(inst: Instance, r: RouteSol, start: dict[int, int]) -> None:
    """Set a non-empty route's departure and return to the plan's canonical times (as
    `build_routes` writes them): a solver may leave them looser than they need be."""
    stops = _stops(inst, r, start)
    r.depart = _departure(inst, r, stops)
    sh = inst.shifts[r.shift]
    loc, t = sh.start_loc, r.depart
    ends = [r.breaks[k][1] + sh.breaks[k].duration for k in _breaks_after(r, stops, -1)]
    t = max([t, *ends])
    for idx, (_, _, where, begin, duration) in enumerate(stops):
        loc, t = where, begin + duration
        ends = [r.breaks[k][1] + sh.breaks[k].duration for k in _breaks_after(r, stops, idx)]
        t = max([t, *ends])
    r.ret = t + inst.t(loc, sh.end_loc)


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
    pickups = supply_plan(inst, sol) or {}
    routes = []
    for s in sorted(sol.routes):
        route = sol.routes[s]
        if route.orders:
            routes.append(_route(inst, route, sol.start, crews, pickups.get(s, Pickup())))
    return routes


def _route(
    inst: Instance,
    r: RouteSol,
    start: dict[int, int],
    crews: dict[int, list[str]],
    pickup: Pickup,
) -> Route:
    sh = inst.shifts[r.shift]
    rules = sh.breaks
    at = inst.instant
    stops = _stops(inst, r, start)
    depart = _departure(inst, r, stops)

    # The items are built from the solver's own times, tz-aware by construction: not validated
    # again (`model_construct`), which is a third of the time it takes to build a plan.
    items: list[Item] = [StartItem.model_construct(type="start", time=at(depart))]
    loc, t, travel = sh.start_loc, depart, 0

    def take_breaks(idx: int) -> None:
        nonlocal t
        for k in sorted(_breaks_after(r, stops, idx), key=lambda k: r.breaks[k][1]):
            bstart = r.breaks[k][1]
            items.append(
                BreakItem.model_construct(
                    type="break", start=at(bstart), end=at(bstart + rules[k].duration)
                )
            )
            t = max(t, bstart + rules[k].duration)

    take_breaks(-1)
    for idx, (kind, index, where, begin, duration) in enumerate(stops):
        leg = inst.t(loc, where)
        travel += leg
        arrival = t + leg
        if kind == "o":
            items.append(
                VisitItem.model_construct(
                    type="visit",
                    order=inst.orders[index].id,
                    arrival=at(arrival),
                    start=at(begin),
                    end=at(begin + duration),
                    crew=crews[index],
                )
            )
        else:
            items.append(
                DepotItem.model_construct(
                    type="depot",
                    depot=inst.depots[index].id,
                    arrival=at(arrival),
                    start=at(begin),
                    end=at(begin + duration),
                    equipment=sorted(pickup.equipment),
                    parts=dict(sorted(pickup.parts.items())),
                )
            )
        loc, t = where, begin + duration
        take_breaks(idx)
    leg = inst.t(loc, sh.end_loc)
    travel += leg
    ret = t + leg
    items.append(EndItem.model_construct(type="end", arrival=at(ret)))
    return Route.model_construct(
        technician=inst.techs[sh.tech].id,
        shift=sh.id,
        items=items,
        travel_time=timedelta(seconds=travel),
        working_time=timedelta(seconds=ret - depart),
        overtime=timedelta(seconds=max(0, ret - sh.end)),
    )
