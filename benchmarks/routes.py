"""Timed contract routes and plans from sequences of stops (best-known solutions, checks).

A sequence names, per technician, the orders served and the depot stops in between; it is timed
in whole seconds with the problem's own travel matrix, each stop as early as possible after the
departure. The departure is the shift start, or the latest one that keeps every stop in its
window (found by a backward pass), which gives the shortest working time of the sequence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.common import Location
from models.plan import (
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
from models.problem import Depot, Order, Problem, Shift, Technician
from optimizer.travel import TravelMatrix


@dataclass(frozen=True)
class DepotStop:
    """A stop at a depot, with what is picked up."""

    depot: str
    equipment: tuple[str, ...] = ()
    parts: dict[str, int] = field(default_factory=dict)


Stop = str | DepotStop
"""An order id, or a depot stop."""


@dataclass(frozen=True)
class _Node:
    location: Location
    lo: int
    hi: int
    duration: int
    stop: Stop


def _secs(at: datetime, origin: datetime) -> int:
    return round((at - origin).total_seconds())


def _nodes(problem: Problem, stops: Sequence[Stop]) -> list[_Node]:
    origin, horizon_end = problem.horizon.start, _secs(problem.horizon.end, problem.horizon.start)
    orders: dict[str, Order] = {o.id: o for o in problem.orders}
    depots: dict[str, Depot] = {d.id: d for d in problem.depots}
    out = []
    for stop in stops:
        if isinstance(stop, DepotStop):
            depot = depots[stop.depot]
            lo, hi = 0, horizon_end
            if depot.opening is not None:
                lo, hi = _secs(depot.opening.start, origin), _secs(depot.opening.end, origin)
            duration = round(depot.visit_duration.total_seconds())
            # The stop must end inside the opening.
            out.append(_Node(depot.location, lo, hi - duration, duration, stop))
        else:
            order = orders[stop]
            if len(order.time_windows) > 1:
                raise ValueError(f"order {stop!r} has several windows; not supported here")
            lo, hi = 0, horizon_end
            if order.time_windows:
                window = order.time_windows[0]
                lo, hi = _secs(window.start, origin), _secs(window.end, origin)
            duration = round(order.duration.total_seconds())
            out.append(_Node(order.location, lo, hi, duration, stop))
    return out


def latest_departure(
    problem: Problem, shift: Shift, stops: Sequence[Stop], travel: TravelMatrix
) -> int:
    """Latest departure (seconds from the horizon start) that keeps every stop in its window."""
    origin = problem.horizon.start
    nodes = _nodes(problem, stops)
    latest = _secs(shift.end + shift.max_overtime, origin)
    nxt = shift.final_location
    for node in reversed(nodes):
        latest = min(node.hi, latest - travel.time(node.location, nxt) - node.duration)
        nxt = node.location
    return latest - travel.time(shift.start_location, nxt)


def build_route(
    problem: Problem,
    technician: Technician,
    stops: Sequence[Stop],
    *,
    shift_idx: int = 0,
    latest: bool = False,
    travel: TravelMatrix | None = None,
    starts: Mapping[str, int] | None = None,
) -> Route:
    """Time one shift's stops, each as early as possible after the departure.

    Parameters
    ----------
    problem
        The problem; its travel model gives the leg times.
    technician, shift_idx
        Who drives, and which of their shifts.
    stops
        Order ids and depot stops, in visiting order.
    latest
        Depart as late as the windows allow (never before the shift start) instead of at it.
    travel
        A precomputed travel matrix of the problem.
    starts
        Seconds from the horizon start before which an order may not start (published times).
    """
    travel = travel or TravelMatrix.from_problem(problem)
    origin = problem.horizon.start
    starts = starts or {}
    shift = technician.shifts[shift_idx]
    depart = _secs(shift.start, origin)
    if latest:
        depart = max(depart, latest_departure(problem, shift, stops, travel))

    def at(s: int) -> datetime:
        return origin + timedelta(seconds=s)

    items: list[Item] = [StartItem(type="start", time=at(depart))]
    t, here, total_travel = depart, shift.start_location, 0
    for node in _nodes(problem, stops):
        leg = travel.time(here, node.location)
        total_travel += leg
        arrival = t + leg
        start = max(arrival, node.lo)
        if isinstance(node.stop, str):
            start = max(start, starts.get(node.stop, start))
        t = start + node.duration
        if isinstance(node.stop, DepotStop):
            items.append(
                DepotItem(
                    type="depot",
                    depot=node.stop.depot,
                    arrival=at(arrival),
                    start=at(start),
                    end=at(t),
                    equipment=list(node.stop.equipment),
                    parts=dict(node.stop.parts),
                )
            )
        else:
            items.append(
                VisitItem(
                    type="visit",
                    order=node.stop,
                    arrival=at(arrival),
                    start=at(start),
                    end=at(t),
                    crew=[technician.id],
                )
            )
        here = node.location
    leg = travel.time(here, shift.final_location)
    total_travel += leg
    end = t + leg
    items.append(EndItem(type="end", arrival=at(end)))
    shift_end = _secs(shift.end, origin)
    assert shift.id is not None
    return Route(
        technician=technician.id,
        shift=shift.id,
        items=items,
        travel_time=timedelta(seconds=total_travel),
        working_time=timedelta(seconds=end - depart),
        overtime=timedelta(seconds=max(0, end - shift_end)),
    )


def build_plan(
    problem: Problem,
    sequences: Sequence[tuple[str, Sequence[Stop]]],
    *,
    latest: bool = False,
    travel: TravelMatrix | None = None,
    starts: Mapping[str, int] | None = None,
) -> Plan:
    """A plan of one route per (technician id, stops) pair, timed by `build_route`
    (`starts`: earliest starts of orders, seconds from the horizon start).

    Its objective counts only travel, idle and routes used (the terms the benchmark problems
    weigh); the evaluator recomputes everything.
    """
    travel = travel or TravelMatrix.from_problem(problem)
    by_id = {t.id: t for t in problem.technicians}
    routes = [
        build_route(problem, by_id[tech], stops, latest=latest, travel=travel, starts=starts)
        for tech, stops in sequences
        if stops
    ]
    travel_s = sum(r.travel_time.total_seconds() for r in routes)
    working_s = sum(r.working_time.total_seconds() for r in routes)
    busy_s = sum(
        (item.end - item.start).total_seconds()
        for r in routes
        for item in r.items
        if isinstance(item, VisitItem | DepotItem)
    )
    idle_s = working_s - travel_s - busy_s
    w = problem.weights
    terms = {
        "travel": w.travel * travel_s / 60,
        "idle": w.idle * idle_s / 60,
        "technician_used": w.technician_used * len(routes),
    }
    return Plan(
        status=SolveStatus.feasible,
        objective=Objective(value=sum(terms.values()), terms=terms),
        routes=routes,
        kpis={
            "routes_used": len(routes),
            "travel_minutes": travel_s / 60,
            "working_minutes": working_s / 60,
            "idle_minutes": idle_s / 60,
        },
    )
