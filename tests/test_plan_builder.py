"""Solver solutions turned into contract routes (`optimizer.plan_builder`) on hand-made
solutions: leave as late as the first stop allows, arrive and return as early as possible,
breaks, depot pick-ups and crews in place. Euclidean travel, one unit per minute."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from optimizer.instance import Instance, compile_problem
from optimizer.plan_builder import build_routes, settle
from optimizer.solution import RouteSol, Solution
from tests.factory import at, order, problem, tech

H = 3600
"""Seconds in an hour."""
M = 60
"""Seconds in a minute."""


def instance(technicians: list[dict], orders: list[dict], **fields: Any) -> Instance:
    """The compiled problem; the day starts at 00:00, so 09:00 is 9 * H."""
    return compile_problem(problem(technicians, orders, **fields))


def timeline(route: Any) -> list[tuple[str, str]]:
    """Each item's type with its times as HH:MM (arrival/start-end, or the one instant)."""

    def hm(t: Any) -> str:
        return t.strftime("%H:%M")

    out = []
    for it in route.items:
        if it.type == "start":
            out.append(("start", hm(it.time)))
        elif it.type == "end":
            out.append(("end", hm(it.arrival)))
        elif it.type == "break":
            out.append(("break", f"{hm(it.start)}-{hm(it.end)}"))
        else:
            out.append((it.type, f"{hm(it.arrival)}/{hm(it.start)}-{hm(it.end)}"))
    return out


def two_orders() -> Instance:
    """A at (0,0), 08:00-10:30; O1 at (10,0) and O2 at (20,0), 30 minutes each."""
    return instance([tech("A", end="10:30")], [order("O1", 10, 0), order("O2", 20, 0)])


def test_route_leaves_late_waits_at_the_stop_and_returns_early() -> None:
    """O1 at 09:00 and O2 at 10:00: leave 08:50, arrive at O2 09:40 and wait, home at 10:50,
    20 minutes over the shift; travel 10 + 10 + 20 minutes, work 2 hours."""
    inst = two_orders()
    sol = Solution(routes={0: RouteSol(0, [0, 1], depart=8 * H)}, start={0: 9 * H, 1: 10 * H})
    (route,) = build_routes(inst, sol)
    assert route.technician == "A"
    assert timeline(route) == [
        ("start", "08:50"),
        ("visit", "09:00/09:00-09:30"),
        ("visit", "09:40/10:00-10:30"),
        ("end", "10:50"),
    ]
    assert route.travel_time == timedelta(minutes=40)
    assert route.working_time == timedelta(hours=2)
    assert route.overtime == timedelta(minutes=20)
    assert [it.crew for it in route.items if it.type == "visit"] == [["A"], ["A"]]


def test_departure_is_the_solvers_when_later_else_the_latest_the_first_stop_allows() -> None:
    """A solver departure later than needed (08:55) is kept; one at 00:00 becomes 08:00, the
    latest that still reaches O1 by its 08:10 start."""
    inst = two_orders()
    late = Solution(routes={0: RouteSol(0, [0], depart=8 * H + 55 * M)}, start={0: 9 * H + 5 * M})
    assert timeline(build_routes(inst, late)[0])[:2] == [
        ("start", "08:55"),
        ("visit", "09:05/09:05-09:35"),
    ]
    early = Solution(routes={0: RouteSol(0, [0], depart=0)}, start={0: 8 * H + 10 * M})
    assert timeline(build_routes(inst, early)[0])[:2] == [
        ("start", "08:00"),
        ("visit", "08:10/08:10-08:40"),
    ]


def test_break_after_a_visit_delays_the_next_leg() -> None:
    """A 30-minute break at 09:30 after O1: O2 is reached at 10:10, not 09:40."""
    brk = {"earliest_start": at("09:00"), "latest_end": at("12:00"), "duration": "PT30M"}
    inst = instance([tech("A", breaks=[brk])], [order("O1", 10, 0), order("O2", 20, 0)])
    route = RouteSol(0, [0, 1], breaks=[(0, 9 * H + 30 * M)])
    sol = Solution(routes={0: route}, start={0: 9 * H, 1: 10 * H + 10 * M})
    assert timeline(build_routes(inst, sol)[0]) == [
        ("start", "08:50"),
        ("visit", "09:00/09:00-09:30"),
        ("break", "09:30-10:00"),
        ("visit", "10:10/10:10-10:40"),
        ("end", "11:00"),
    ]


def test_break_at_the_start_location_sets_the_departure() -> None:
    """A break taken before the first stop, 08:00-08:30, is at the start location: the route
    leaves at its start and reaches O1 at 08:40."""
    brk = {"earliest_start": at("08:00"), "latest_end": at("12:00"), "duration": "PT30M"}
    inst = instance([tech("A", breaks=[brk])], [order("O1", 10, 0)])
    sol = Solution(routes={0: RouteSol(0, [0], breaks=[(-1, 8 * H)])}, start={0: 9 * H})
    assert timeline(build_routes(inst, sol)[0]) == [
        ("start", "08:00"),
        ("break", "08:00-08:30"),
        ("visit", "08:40/09:00-09:30"),
        ("end", "09:40"),
    ]


def test_depot_stop_lists_the_pick_up() -> None:
    """A stop at D (5,0), 10 minutes at 08:05, before O (otdr, 2 ONTs, van holds one):
    it lists the OTDR and one ONT, and the visit follows it."""
    depot = {
        "id": "D",
        "location": {"x": 5, "y": 0},
        "visit_duration": "PT10M",
        "equipment": {"otdr": 1},
        "parts": {"ont": 9},
    }
    inst = instance(
        [tech("A", parts={"ont": 1})],
        [order("O", 10, 0, required_equipment=["otdr"], required_parts={"ont": 2})],
        depots=[depot],
    )
    route = RouteSol(0, [0], depot=(0, 0, 8 * H + 5 * M))
    sol = Solution(routes={0: route}, start={0: 8 * H + 20 * M}, provider={0: 0})
    (built,) = build_routes(inst, sol)
    assert timeline(built) == [
        ("start", "08:00"),
        ("depot", "08:05/08:05-08:15"),
        ("visit", "08:20/08:20-08:50"),
        ("end", "09:00"),
    ]
    stop = built.items[1]
    assert stop.depot == "D" and stop.equipment == ["otdr"] and stop.parts == {"ont": 1}


def test_crew_lists_its_provider_first_and_empty_routes_are_left_out() -> None:
    """Crew order C served by A and B with B providing: both visits list [B, A]; C's third
    technician's empty route is not in the plan."""
    inst = instance(
        [tech("A"), tech("B", 20, 0), tech("Z", 50, 0)], [order("C", 10, 0, crew_size=2)]
    )
    routes = {0: RouteSol(0, [0]), 1: RouteSol(1, [0]), 2: RouteSol(2, [])}
    sol = Solution(routes=routes, start={0: 9 * H}, provider={0: 1})
    built = build_routes(inst, sol)
    assert [r.technician for r in built] == ["A", "B"]
    assert [[it.crew for it in r.items if it.type == "visit"] for r in built] == [
        [["B", "A"]],
        [["B", "A"]],
    ]


def test_settle_gives_the_departure_and_return_the_plan_shows() -> None:
    """Loose solver times (leave 08:00, back 17:00) settle to the plan's 08:50 and 10:50."""
    inst = two_orders()
    route = RouteSol(0, [0, 1], depart=8 * H, ret=17 * H)
    settle(inst, route, {0: 9 * H, 1: 10 * H})
    assert (route.depart, route.ret) == (8 * H + 50 * M, 10 * H + 50 * M)
