"""Appointment slots on tiny hand-checked days: feasible windows with their options, reason
codes for the others, frozen work, held capacity, crews."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models import InvalidInput, Order, Plan, Problem, Window, parse_model
from optimizer.params import SolveParams
from optimizer.slots import Hold, slot_offers, tile_windows
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech


def window(start: str, end: str) -> Window:
    """A window on the test day."""
    return Window(start=datetime.fromisoformat(at(start)), end=datetime.fromisoformat(at(end)))


def one_tech_day() -> tuple[Problem, Plan]:
    """T1 at (0, 0) from 08:00 to 12:00; O1 at (10, 0) for an hour from 08:30 exactly."""
    p = problem(
        [tech("T1", 0, 0, end="12:00")],
        [order("O1", 10, 0, 60, time_windows=[{"start": at("08:30"), "end": at("08:30")}])],
    )
    return p, solve(p, SolveParams(**DETERMINISTIC)).plan


def new(oid: str = "N", x: float = 10, minutes: int = 60, **fields: object) -> Order:
    """A new order without a window."""
    return parse_model(Order, order(oid, x, 0, minutes, **fields))


NOW = datetime.fromisoformat(at("07:45"))


def test_each_window_is_answered_in_order_with_its_reason() -> None:
    """Before O1 nothing fits (it would end at 09:10, O1 starts 08:30): capacity; right after
    O1 (same place, 09:30) fits with cost 0 travel; after the shift: outside_shifts; a window
    already over: time_window."""
    p, plan = one_tech_day()
    wins = [
        window("08:00", "08:30"),
        window("09:30", "10:00"),
        window("13:00", "14:00"),
        window("07:00", "07:30"),
    ]
    offers = slot_offers(p, plan, new(), wins, NOW, k=3)
    assert [o.window for o in offers] == wins
    assert [o.feasible for o in offers] == [False, True, False, False]
    assert [o.reason.code if o.reason else None for o in offers] == [
        "capacity",
        None,
        "outside_shifts",
        "time_window",
    ]
    (option,) = offers[1].options
    assert option.technician == "T1" and option.crew == ["T1"]
    assert option.start == datetime.fromisoformat(at("09:30"))
    assert option.arrival == option.start  # O1 ends there at 09:30
    # The route returns 60 min later than before (same place): one hour of working time,
    # and no extra travel; idle weight 0, so the cost is 0.
    assert option.cost_delta == 0 and option.moves == []
    assert option.sla_slack is None


def test_sla_slack_is_due_minus_start() -> None:
    """With a due at 10:00 and a start at 09:30 the slack is 30 minutes."""
    p, plan = one_tech_day()
    (offer,) = slot_offers(p, plan, new(due=at("10:00")), [window("09:30", "10:00")], NOW)
    assert offer.options[0].sla_slack == timedelta(minutes=30)


def test_started_work_stays_frozen() -> None:
    """At 08:45 O1 is under way until 09:30: a window from 08:40 to 09:00 cannot be had,
    even though O1 could otherwise move."""
    p = problem(
        [tech("T1", 0, 0, end="12:00")],
        [order("O1", 10, 0, 60, time_windows=[{"start": at("08:30"), "end": at("11:00")}])],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    visit = next(it for r in plan.routes for it in r.items if it.type == "visit")
    assert visit.start == datetime.fromisoformat(at("08:30"))
    early = slot_offers(p, plan, new(), [window("08:40", "09:00")], NOW)[0]
    assert early.feasible  # before 08:30 starts, O1 can still move later
    assert early.options[0].moves[0].order == "O1"
    late = slot_offers(
        p, plan, new(), [window("08:40", "09:00")], datetime.fromisoformat(at("08:45"))
    )[0]
    assert not late.feasible and late.reason is not None


def test_held_capacity_counts_as_taken() -> None:
    """A hold on 09:30-10:00 with T1 fills the hour after O1: the same window is no longer
    offered to another order, and other windows still are."""
    p, plan = one_tech_day()
    hold = Hold(new("H"), window("09:30", "10:00"), ("T1",))
    wins = [window("09:30", "10:00"), window("10:30", "11:00")]
    free, later = slot_offers(p, plan, new(), wins, NOW, holds=[hold])
    assert not free.feasible and free.reason is not None and free.reason.code == "capacity"
    assert later.feasible and later.options[0].start == datetime.fromisoformat(at("10:30"))


def test_options_rank_technicians_cheapest_first() -> None:
    """Two idle technicians, one 10 minutes away and one 50: the nearer one comes first and
    the cost difference is 2 * 40 minutes of travel."""
    p = problem([tech("A", 0, 0), tech("B", 60, 0)], [])
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    (offer,) = slot_offers(p, plan, new(), [window("09:00", "10:00")], NOW, k=2)
    a, b = offer.options
    assert (a.technician, b.technician) == ("A", "B")
    assert b.cost_delta - a.cost_delta == pytest.approx(80)


def test_crew_order_gets_a_common_start() -> None:
    """A crew of two: A is free from 08:00, B only after his order ends at 10:00 at the same
    place; the common start is B's arrival, 10:00."""
    p = problem(
        [tech("A", 10, 0), tech("B", 10, 0)],
        [
            order(
                "B1",
                10,
                0,
                90,
                time_windows=[{"start": at("08:30"), "end": at("08:30")}],
                pinned={"technician": "B"},
            )
        ],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    (offer,) = slot_offers(p, plan, new(crew_size=2), [window("09:00", "11:00")], NOW)
    assert offer.feasible
    option = offer.options[0]
    assert sorted(option.crew) == ["A", "B"] and option.technician == option.crew[0]
    assert option.start == datetime.fromisoformat(at("10:00"))


def test_bad_requests_list_every_error() -> None:
    """An order with windows, a pin, an unknown preference, an existing id, and no windows:
    every error at once."""
    p, plan = one_tech_day()
    bad = new(
        "O1",
        time_windows=[{"start": at("09:00"), "end": at("10:00")}],
        pinned={"technician": "T1"},
        preferred_technicians=["NOPE"],
    )
    with pytest.raises(InvalidInput) as caught:
        slot_offers(p, plan, bad, [], NOW)
    paths = {e.path for e in caught.value.errors}
    assert paths == {
        "order.id",
        "order.time_windows",
        "order.pinned",
        "order.preferred_technicians[0]",
        "windows",
    }


def test_tile_windows_covers_the_range() -> None:
    """Two-hour windows from 08:00 to 13:00: 08-10 and 10-12 (12-14 does not end in time)."""
    wins = tile_windows(
        datetime.fromisoformat(at("08:00")),
        datetime.fromisoformat(at("13:00")),
        timedelta(hours=2),
    )
    assert wins == [window("08:00", "10:00"), window("10:00", "12:00")]


@pytest.mark.parametrize(
    ("travel", "here", "there"),
    [
        ({"model": "euclidean", "speed": 1.0}, {"x": 0, "y": 0}, {"x": 3, "y": 4}),
        (
            {"model": "haversine", "speed_kmh": 40, "detour_factor": 1.3},
            {"lat": 31.8, "lon": 117.2},
            {"lat": 31.9, "lon": 117.3},
        ),
        (
            {
                "model": "matrix",
                "nodes": ["a", "b", "c"],
                "seconds": [[0, 5, 7], [6, 0, 9], [8, 4, 0]],
            },
            {"node": "a"},
            {"node": "c"},
        ),
    ],
    ids=["euclidean", "haversine", "matrix"],
)
def test_extended_matrix_equals_a_fresh_one(
    travel: dict[str, object], here: dict[str, object], there: dict[str, object]
) -> None:
    """A matrix extended with a new location has the times a matrix built with it has."""
    from pydantic import TypeAdapter

    from models import Location
    from optimizer.travel import TravelMatrix, extended

    shift = {"start": at("08:00"), "end": at("17:00"), "start_location": here}
    p = problem([tech("T1", shifts=[shift])], [], travel=travel)
    loc = TypeAdapter(Location).validate_python(there)
    grown = extended(TravelMatrix.from_problem(p), p, [loc])
    fresh = TravelMatrix.from_problem(p, extra=[loc])
    assert grown.keys == fresh.keys
    assert (grown.seconds == fresh.seconds).all() and grown.time(loc, loc) == 0
    assert grown.seconds.shape == (2, 2)
    assert grown.rows == fresh.seconds.tolist()  # the Python rows instances read


def test_offers_with_a_kept_matrix_are_the_same() -> None:
    """Offers computed with the day's matrix kept from before equal those computed fresh."""
    from optimizer.travel import TravelMatrix

    p, plan = one_tech_day()
    wins = [window("08:00", "08:30"), window("09:30", "10:00")]
    kept = TravelMatrix.from_problem(p)
    far = new(x=40)
    assert slot_offers(p, plan, far, wins, NOW, travel=kept) == slot_offers(
        p, plan, far, wins, NOW
    )
