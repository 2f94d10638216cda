"""What each depot stop picks up and whether every provided order is supplied
(`optimizer.supply`), on hand-made solutions: equipment for the rest of the shift, parts just
in time, one depot stock shared by every technician."""

from __future__ import annotations

from typing import Any

from optimizer.instance import Instance, compile_problem
from optimizer.solution import RouteSol, Solution
from optimizer.supply import DepotStock, Pickup, supply_plan, tech_supply
from tests.factory import order, problem, tech


def depot(**fields: Any) -> dict[str, Any]:
    """Depot D at (5, 0) with the given stock."""
    return {"id": "D", "location": {"x": 5, "y": 0}, **fields}


def instance(technicians: list[dict], orders: list[dict], **fields: Any) -> Instance:
    """The compiled problem (one shift per technician: shift k is technician k)."""
    return compile_problem(problem(technicians, orders, **fields))


def solution(inst: Instance, *routes: RouteSol) -> Solution:
    """A solution of these routes where each order is provided by the first route visiting it."""
    provider: dict[int, int] = {}
    for r in routes:
        for o in r.orders:
            provider.setdefault(o, r.shift)
    return Solution(routes={r.shift: r for r in routes}, provider=provider)


def test_van_alone_supplies_what_it_carries() -> None:
    """Without a depot stop the van's two ONTs cover two orders needing one each, not three;
    an OTDR the van lacks is never supplied."""
    ont = {"required_parts": {"ont": 1}}
    techs = [tech("A", parts={"ont": 2}, equipment=["ladder"])]
    orders = [order(f"O{k}", k, 0, **ont) for k in range(3)]
    inst = instance(techs, [*orders, order("X", 9, 0, required_equipment=["otdr"])])
    assert supply_plan(inst, solution(inst, RouteSol(0, [0, 1]))) == {}
    assert supply_plan(inst, solution(inst, RouteSol(0, [0, 1, 2]))) is None
    assert supply_plan(inst, solution(inst, RouteSol(0, [3]))) is None


def test_depot_stop_picks_missing_equipment_and_parts_just_in_time() -> None:
    """The van holds one ONT and no OTDR; after a stop before O1 (otdr, 1 ONT) and O2 (1 ONT)
    it takes the OTDR and the one ONT short, and the depot's stock falls by as much."""
    inst = instance(
        [tech("A", parts={"ont": 1})],
        [
            order("O1", 10, 0, required_equipment=["otdr"], required_parts={"ont": 1}),
            order("O2", 20, 0, required_parts={"ont": 1}),
        ],
        depots=[depot(equipment={"otdr": 2}, parts={"ont": 5})],
    )
    sol = solution(inst, RouteSol(0, [0, 1], depot=(0, 0, 0)))
    stock = DepotStock.full(inst)
    got = tech_supply(inst, 0, list(sol.routes.values()), set(sol.provider), stock)
    assert got == {0: Pickup(equipment={"otdr"}, parts={"ont": 1})}
    assert stock.equipment == {(0, "otdr"): 1} and stock.parts == {(0, "ont"): 4}
    assert supply_plan(inst, sol) == got


def test_parts_before_the_stop_come_from_the_van() -> None:
    """O1 before the stop uses the van's only ONT and the stop picks one for O2 after it; a
    stop first picks the one ONT the van lacks for both."""
    inst = instance(
        [tech("A", parts={"ont": 1})],
        [
            order("O1", 10, 0, required_parts={"ont": 1}),
            order("O2", 20, 0, required_parts={"ont": 1}),
        ],
        depots=[depot(parts={"ont": None})],
    )
    middle = supply_plan(inst, solution(inst, RouteSol(0, [0, 1], depot=(0, 1, 0))))
    assert middle == {0: Pickup(parts={"ont": 1})}
    first = supply_plan(inst, solution(inst, RouteSol(0, [0, 1], depot=(0, 0, 0))))
    assert first == {0: Pickup(parts={"ont": 1})}


def test_orders_after_the_stop_need_what_the_depot_has() -> None:
    """A depot with one ONT cannot make up the two that O1 and O2 need after the stop; an
    unlimited one can, and an empty van then takes both."""
    orders = [order(f"O{k}", 10 * k, 0, required_parts={"ont": 1}) for k in (1, 2)]
    short = instance([tech("A")], orders, depots=[depot(parts={"ont": 1})])
    assert supply_plan(short, solution(short, RouteSol(0, [0, 1], depot=(0, 0, 0)))) is None
    plenty = instance([tech("A")], orders, depots=[depot(parts={"ont": None})])
    got = supply_plan(plenty, solution(plenty, RouteSol(0, [0, 1], depot=(0, 0, 0))))
    assert got == {0: Pickup(parts={"ont": 2})}


def test_depot_stock_is_shared_between_technicians() -> None:
    """One OTDR at the depot: A's stop takes it and B's finds none; with two both are served."""
    techs = [tech("A"), tech("B", 20, 0)]
    orders = [order(oid, x, 0, required_equipment=["otdr"]) for oid, x in (("OA", 1), ("OB", 19))]
    routes = (RouteSol(0, [0], depot=(0, 0, 0)), RouteSol(1, [1], depot=(0, 0, 0)))
    one = instance(techs, orders, depots=[depot(equipment={"otdr": 1})])
    assert supply_plan(one, solution(one, *routes)) is None
    two = instance(techs, orders, depots=[depot(equipment={"otdr": 2})])
    got = supply_plan(two, solution(two, *routes))
    assert got == {0: Pickup(equipment={"otdr"}), 1: Pickup(equipment={"otdr"})}


def test_equipment_is_picked_for_the_rest_of_the_shift_only() -> None:
    """A's two shifts each need the OTDR: a stop in the first shift does not carry it into the
    second, which needs a stop of its own."""
    shifts = [
        {"id": f"A-{k}", "start": f"2026-12-01T{s}:00+00:00", "end": f"2026-12-01T{e}:00+00:00"}
        for k, (s, e) in enumerate((("08:00", "12:00"), ("13:00", "17:00")))
    ]
    for s in shifts:
        s["start_location"] = {"x": 0, "y": 0}
    orders = [order(f"O{k}", 10, 0, required_equipment=["otdr"]) for k in (1, 2)]
    inst = instance([tech("A", shifts=shifts)], orders, depots=[depot(equipment={"otdr": 2})])
    once = (RouteSol(0, [0], depot=(0, 0, 0)), RouteSol(1, [1]))
    assert supply_plan(inst, solution(inst, *once)) is None
    twice = (RouteSol(0, [0], depot=(0, 0, 0)), RouteSol(1, [1], depot=(0, 0, 0)))
    got = supply_plan(inst, solution(inst, *twice))
    assert got == {0: Pickup(equipment={"otdr"}), 1: Pickup(equipment={"otdr"})}


def test_a_crew_member_who_does_not_provide_needs_nothing() -> None:
    """Crew order C needs an OTDR that only B's van holds: B provides it, so A's empty van
    is no obstacle; with A as provider nothing supplies it."""
    inst = instance(
        [tech("A"), tech("B", equipment=["otdr"])],
        [order("C", 10, 0, crew_size=2, required_equipment=["otdr"])],
    )
    routes = {0: RouteSol(0, [0]), 1: RouteSol(1, [0])}
    assert supply_plan(inst, Solution(routes=routes, provider={0: 1})) == {}
    assert supply_plan(inst, Solution(routes=routes, provider={0: 0})) is None
