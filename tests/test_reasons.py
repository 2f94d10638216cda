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
