"""Static reasons (found before solving) for linked orders and on-call shifts."""

from __future__ import annotations

from typing import Any

from models import Problem
from optimizer.instance import compile_problem
from optimizer.reasons import static_reasons
from tests.factory import at, order, problem, tech


def reasons_of(p: Problem) -> dict[str, list[tuple[str, str]]]:
    """Order id -> [(code, detail)] of the static reasons."""
    inst = compile_problem(p)
    return {
        inst.orders[o].id: [(r.code, r.detail) for r in rs]
        for o, rs in static_reasons(inst).items()
    }


def link(to: str, gap: str = "PT0S", upto: str | None = None) -> list[dict[str, Any]]:
    """A one-link `linked` list."""
    return [{"order": to, "min_gap": gap, "max_gap": upto or gap}]


def test_an_order_linked_to_an_impossible_one_is_a_dependency() -> None:
    """Y needs radio, which nobody holds: X, linked to it, gets `dependency` naming Y, and Z,
    which must follow X, too; unlinked, X has no reason."""
    y = order("Y", 5, 0, required_skills={"radio": 1})
    orders = [order("X", 1, 0, linked=link("Y")), y, order("Z", 2, 0, after=["X"])]
    found = reasons_of(problem([tech("A")], orders))
    assert [code for code, _ in found["Y"]] == ["no_qualified_technician"]
    assert found["X"] == [
        (
            "dependency",
            "It is linked to Y, which cannot be served; linked orders are served together or "
            "not at all.",
        )
    ]
    assert found["Z"] == [("dependency", "It must follow X, which cannot be served.")]
    assert set(reasons_of(problem([tech("A")], [order("X", 1, 0), y]))) == {"Y"}


def test_a_link_its_windows_cannot_keep_is_a_time_window_reason() -> None:
    """X in 08:00-09:00 must start 2 h after Y in 08:00-08:30: impossible, both get a
    `time_window` reason naming the other; a 30-min gap is possible."""

    def orders(gap: str) -> list[dict[str, Any]]:
        return [
            order("X", 1, 0, time_windows=[{"start": at("08:00"), "end": at("09:00")}]),
            order(
                "Y",
                2,
                0,
                time_windows=[{"start": at("08:00"), "end": at("08:30")}],
                linked=link("X", f"-{gap}"),
            ),
        ]

    found = reasons_of(problem([tech("A"), tech("B")], orders("PT2H")))
    assert {o: [c for c, _ in rs] for o, rs in found.items()} == {
        "X": ["time_window"],
        "Y": ["time_window"],
    }
    assert "Y, linked to it" in found["X"][0][1]
    assert reasons_of(problem([tech("A"), tech("B")], orders("PT30M"))) == {}


def test_only_on_call_technicians_qualified_is_outside_shifts() -> None:
    """Only B (on call) holds copper: a priority-3 repair gets `outside_shifts` saying so; a
    priority-1 order or an emergency does not."""

    def found(**fields: Any) -> dict[str, list[tuple[str, str]]]:
        techs = [tech("A"), tech("B", skills={"copper": 2}, on_call=True)]
        return reasons_of(
            problem(techs, [order("X", 1, 0, required_skills={"copper": 1}, **fields)])
        )

    [(code, detail)] = found(kind="repair", priority=3)["X"]
    assert code == "outside_shifts"
    assert "on call" in detail
    assert found(kind="repair", priority=1) == {}
    assert found(kind="emergency", priority=3) == {}


def test_a_crew_short_without_its_on_call_member_says_so() -> None:
    """A crew of two with one of the two qualified technicians on call: the on-call reason."""
    techs = [tech("A"), tech("B", on_call=True)]
    [(code, detail)] = reasons_of(problem(techs, [order("X", 1, 0, crew_size=2)]))["X"]
    assert code == "outside_shifts"
    assert "on call" in detail
    assert reasons_of(problem(techs, [order("X", 1, 0, crew_size=2, priority=1)])) == {}


def test_a_pinned_start_that_leaves_no_room_for_the_break_is_a_time_window_reason() -> None:
    """A 4-hour visit pinned at 11:00 covers A's whole 12:00-13:30 lunch window: no plan can
    serve it, and the reason names the breaks; pinned at 08:30 it fits before lunch."""
    lunch = [{"earliest_start": at("12:00"), "latest_end": at("13:30"), "duration": "PT30M"}]

    def found(start: str) -> dict[str, list[tuple[str, str]]]:
        pinned = order("P", 1, 0, 240, pinned={"technician": "A", "start": at(start)})
        return reasons_of(problem([tech("A", breaks=lunch)], [pinned]))

    assert found("11:00")["P"] == [
        (
            "time_window",
            "No qualified technician can reach it, do it and get back within a window and a "
            "shift, their breaks taken in their windows.",
        )
    ]
    assert found("08:30") == {}


def test_a_crew_provider_must_be_able_to_reach_a_depot() -> None:
    """A crew order needing an OTDR that no van holds and a depot lends: A may stop at the
    depot but works in the evening; B and C are there in the morning window but may not stop
    at a depot (`max_depot_visits` 0), so no crew can bring the OTDR: `crew`. With B allowed
    one depot stop, it has no reason."""
    depot = {"id": "D", "location": {"x": 5, "y": 0}, "equipment": {"otdr": 1}}

    def found(b_visits: int) -> dict[str, list[tuple[str, str]]]:
        techs = [
            tech("A", start="18:00", end="20:00"),
            tech("B", max_depot_visits=b_visits),
            tech("C", max_depot_visits=0),
        ]
        window = [{"start": at("09:00"), "end": at("10:00")}]
        crew = order(
            "C1", 10, 0, 60, crew_size=2, required_equipment=["otdr"], time_windows=window
        )
        return reasons_of(problem(techs, [crew], depots=[depot]))

    assert found(1) == {}
    assert found(0)["C1"] == [
        (
            "crew",
            "Only 2 qualified technicians can be there in a window; it needs 2, one of them "
            "with its equipment and parts.",
        )
    ]
