"""Timing one route (`optimizer.schedule`): earliest starts, bounds and fixed starts, breaks,
the shift's end, and a route's stops without one order. Travel is one unit a minute."""

from __future__ import annotations

from typing import Any

from optimizer.instance import Instance, compile_problem
from optimizer.schedule import fixed_start, route_without, schedule
from optimizer.solution import RouteSol
from tests.factory import at, order, problem, tech


def _secs(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _window(start: str, end: str) -> list[dict[str, str]]:
    return [{"start": at(start), "end": at(end)}]


def _day(orders: list[dict[str, Any]], **shift: Any) -> Instance:
    return compile_problem(problem([tech("T", 0, 0, **shift)], orders))


def test_each_stop_starts_as_early_as_its_window_and_its_arrival_allow() -> None:
    """A (10 away, window 09:00-10:00) starts at 09:00, B 10 further on at 09:40; the
    technician leaves at 08:50 rather than wait, and is back at 10:30 after 40 minutes of
    travel."""
    inst = _day([order("A", 10, 0, 30, time_windows=_window("09:00", "10:00")), order("B", 20, 0)])
    timed = schedule(inst, 0, [0, 1])
    assert timed is not None
    assert timed.starts == [_secs("09:00"), _secs("09:40")]
    assert (timed.route.depart, timed.route.ret) == (_secs("08:50"), _secs("10:30"))
    assert timed.travel == 40 * 60


def test_a_window_that_cannot_be_met_leaves_no_timing() -> None:
    """A must start by 08:05 but is 10 minutes from a shift that starts at 08:00."""
    inst = _day([order("A", 10, 0, time_windows=_window("08:00", "08:05"))])
    assert schedule(inst, 0, [0]) is None


def test_a_fixed_start_is_kept_exactly_and_a_lower_bound_delays() -> None:
    """A crew's meeting time fixes A at 10:00 (and cannot be 08:05, before A is reached); a
    predecessor's end at 11:00 puts B at 11:00."""
    inst = _day([order("A", 10, 0), order("B", 20, 0)])
    timed = schedule(inst, 0, [0, 1], {0: fixed_start(_secs("10:00")), 1: _secs("11:00")})
    assert timed is not None and timed.starts == [_secs("10:00"), _secs("11:00")]
    assert schedule(inst, 0, [0], {0: fixed_start(_secs("08:05"))}) is None


def test_a_break_goes_into_waiting_that_is_there_anyway() -> None:
    """A opens at 10:00 and is reached at 08:10: the break (09:00-10:00, 30 minutes) is taken
    at the start location at 09:00 and A still starts at 10:00."""
    brk = {"earliest_start": at("09:00"), "latest_end": at("10:00"), "duration": "PT30M"}
    inst = _day([order("A", 10, 0, time_windows=_window("10:00", "10:30"))], breaks=[brk])
    timed = schedule(inst, 0, [0])
    assert timed is not None
    assert timed.route.breaks == [(-1, _secs("09:00"))]
    assert timed.starts == [_secs("10:00")]


def test_a_break_that_can_wait_no_longer_is_taken_though_it_delays_the_next_visit() -> None:
    """The break must end by 08:40: taken at 08:00 at the start location, it puts A (reached
    at 08:10 otherwise) at 08:40; a break that fits neither before nor after a visit fixed
    at 08:10 for an hour leaves no timing."""
    brk = {"earliest_start": at("08:00"), "latest_end": at("08:40"), "duration": "PT30M"}
    inst = _day([order("A", 10, 0)], breaks=[brk])
    timed = schedule(inst, 0, [0])
    assert timed is not None
    assert timed.route.breaks == [(-1, _secs("08:00"))]
    assert timed.starts == [_secs("08:40")]
    late = {"earliest_start": at("08:30"), "latest_end": at("09:00"), "duration": "PT30M"}
    fixed = order("A", 10, 0, 60, time_windows=_window("08:10", "08:10"))
    assert schedule(_day([fixed]), 0, [0]) is not None
    assert schedule(_day([fixed], breaks=[late]), 0, [0]) is None


def test_the_route_must_end_by_the_shift_end_plus_its_overtime() -> None:
    """A (20 away, 30 minutes) brings the technician back at 09:10: too late for a shift
    ending at 09:00, in time with 15 minutes of overtime allowed."""
    orders = [order("A", 20, 0)]
    assert schedule(_day(orders, end="09:00"), 0, [0]) is None
    timed = schedule(_day(orders, end="09:00", max_overtime="PT15M"), 0, [0])
    assert timed is not None and timed.route.ret == _secs("09:10")


def test_a_route_without_one_order_keeps_its_depot_stop_in_place() -> None:
    """Taking out the order before the depot stop moves the stop one place earlier; taking
    out the one after it leaves the stop where it was."""
    route = RouteSol(shift=0, orders=[4, 5, 6], depot=(2, 2, 0))
    assert route_without(route, 5) == (1, [4, 6], (2, 1))
    assert route_without(route, 6) == (2, [4, 5], (2, 2))
    assert route_without(RouteSol(shift=0, orders=[4]), 4) == (0, [], None)
