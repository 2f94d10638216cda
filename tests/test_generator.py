"""The telecom-day generator and the shipped example it produced."""

from __future__ import annotations

import json
import math
from datetime import time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from benchmarks.generator import BadDay, dump_day, generate_day, main
from models import Order, Problem, Technician, load_problem
from models.common import LatLon

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "telecom-day.json"
# The arguments that produced examples/telecom-day.json; regenerate it with
#   python -m benchmarks.generator 30 8 --seed 5 --vans-cover-orders -o examples/telecom-day.json
EXAMPLE_ARGS = {"num_orders": 30, "num_technicians": 8, "seed": 5, "vans_cover_orders": True}


def test_generator_reproduces_the_shipped_example() -> None:
    """The generator with the recorded arguments still writes exactly the committed example."""
    assert dump_day(generate_day(**EXAMPLE_ARGS)) == EXAMPLE.read_text(encoding="utf-8")


def test_same_seed_same_day_other_seed_other_day() -> None:
    """A seed fixes the day; another seed gives another day."""
    assert generate_day(12, 4, seed=3, regions=2) == generate_day(12, 4, seed=3, regions=2)
    assert generate_day(12, 4, seed=3) != generate_day(12, 4, seed=4)


@pytest.mark.parametrize(
    ("num_orders", "num_technicians", "regions"),
    [(0, 1, 1), (1, 1, 1), (5, 2, 1), (40, 10, 3), (150, 25, 2)],
)
def test_generated_days_are_valid(num_orders: int, num_technicians: int, regions: int) -> None:
    """Days of any size load as valid problems with the asked numbers of orders and people."""
    problem = load_problem(generate_day(num_orders, num_technicians, seed=1, regions=regions))
    assert len(problem.orders) == num_orders
    assert len(problem.technicians) == num_technicians
    assert len(problem.depots) == regions


def qualified(tech: Technician, order: Order) -> bool:
    """The technician meets every required skill level of the order."""
    return all(tech.skills.get(s, 0) >= lvl for s, lvl in order.required_skills.items())


def stocked(tech: Technician, order: Order) -> bool:
    """The technician's van holds the order's equipment and parts."""
    return set(order.required_equipment) <= set(tech.equipment) and all(
        tech.parts.get(p, 0) >= q for p, q in order.required_parts.items()
    )


def servable_from_vans(problem: Problem) -> list[str]:
    """Orders that no qualified crew can serve from a van (empty when all can)."""
    out = []
    for order in problem.orders:
        crew = [t for t in problem.technicians if qualified(t, order)]
        if len(crew) < order.crew_size or not any(stocked(t, order) for t in crew):
            out.append(order.id)
    return out


def test_shipped_example_is_servable_without_depots() -> None:
    """Every order of the example has a qualified crew whose provider's van holds its needs."""
    problem = load_problem(generate_day(**EXAMPLE_ARGS))
    assert servable_from_vans(problem) == []


@pytest.mark.parametrize("seed", range(6))
def test_vans_cover_orders(seed: int) -> None:
    """With `vans_cover_orders`, any seed gives a day servable without depot trips."""
    problem = load_problem(generate_day(25, 6, seed=seed, regions=2, vans_cover_orders=True))
    assert servable_from_vans(problem) == []


def test_depot_day_needs_depot_equipment() -> None:
    """Without van cover, special equipment stays at the depots, which stock it."""
    problem = load_problem(generate_day(60, 10, seed=2))
    special = {"otdr", "fusion-splicer", "bucket-truck", "generator"}
    in_vans = {e for t in problem.technicians for e in t.equipment}
    needed = {e for o in problem.orders for e in o.required_equipment}
    assert special & needed and not special & in_vans
    assert special <= set(problem.depots[0].equipment)


def test_example_is_a_telecom_day() -> None:
    """The example has the promised mix: appointments, SLAs, a crew emergency, tools, parts."""
    problem = load_problem(generate_day(**EXAMPLE_ARGS))
    kinds = {o.kind for o in problem.orders}
    assert kinds == {"installation", "repair", "maintenance", "emergency"}
    installs = [o for o in problem.orders if o.kind == "installation"]
    assert all(len(o.time_windows) == 1 for o in installs)
    assert all(w.end - w.start == timedelta(hours=4) for o in installs for w in o.time_windows)
    assert all(o.due is not None for o in problem.orders if o.kind in ("repair", "emergency"))
    emergencies = [o for o in problem.orders if o.kind == "emergency"]
    assert all(o.priority == 1 for o in emergencies)
    assert all(
        o.due is not None
        and o.created_at is not None
        and timedelta(hours=2) <= o.due - o.created_at <= timedelta(hours=4)
        for o in emergencies
    )
    assert any(o.crew_size == 2 for o in emergencies)
    assert any(o.after for o in problem.orders)
    assert any(o.preferred_technicians for o in problem.orders)
    assert {s for t in problem.technicians for s in t.skills} == {
        "fiber",
        "copper",
        "radio",
        "power",
        "cpe",
        "core",
    }
    assert {s.start.hour for t in problem.technicians for s in t.shifts} == {8, 10}
    assert all(s.breaks for t in problem.technicians for s in t.shifts)
    assert problem.options.model_dump(mode="json") == {
        "time_limit": "PT10S",
        "seed": 0,
        "workers": 2,
    }


# --- bad days ------------------------------------------------------------------------------


def bad(num_orders: int = 60, num_technicians: int = 10, seed: int = 1, **parts: int) -> Problem:
    """A generated day with some bad-day parts, validated as a problem."""
    return load_problem(
        generate_day(
            num_orders, num_technicians, seed=seed, vans_cover_orders=True, bad_day=BadDay(**parts)
        )
    )


def haversine_km(a: object, b: object) -> float:
    """Great-circle distance between two lat/lon locations."""
    assert isinstance(a, LatLon) and isinstance(b, LatLon)
    la, lb = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((lb - la) / 2) ** 2
        + math.cos(la) * math.cos(lb) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def prefixed(problem: Problem, prefix: str) -> list[Order]:
    """The orders whose id starts with a prefix."""
    return [o for o in problem.orders if o.id.startswith(prefix)]


def test_no_bad_day_is_the_usual_day() -> None:
    """An empty `BadDay` changes nothing."""
    assert generate_day(40, 8, seed=2, bad_day=BadDay()) == generate_day(40, 8, seed=2)


def test_outages_are_mandatory_dawn_crew_emergencies() -> None:
    """Outages are mandatory priority-1 emergencies for two, reported at dawn in one area and
    due 1-2 hours later, counted in the day's orders."""
    problem = bad(outages=4)
    outages = prefixed(problem, "OUT-")
    assert len(outages) == 4 and len(problem.orders) == 60
    for o in outages:
        assert (o.kind, o.priority, o.crew_size, o.mandatory) == ("emergency", 1, 2, True)
        assert o.created_at is not None and o.due is not None
        assert time(6, 45) <= o.created_at.time() <= time(7, 45)
        assert timedelta(hours=1) <= o.due - o.created_at <= timedelta(hours=2)
        assert o.time_windows[0].start == o.created_at
    spread = max(haversine_km(a.location, b.location) for a in outages for b in outages)
    assert spread < 6.0
    assert servable_from_vans(problem) == []


def test_linked_tests_start_together_at_two_sites_with_two_skills() -> None:
    """A line test is two orders at two sites, with different skills, linked with gap 0, and
    two different technicians qualified for them."""
    problem = bad(linked_tests=2)
    orders = {o.id: o for o in problem.orders}
    customers = [o for o in prefixed(problem, "LNK-") if o.linked]
    assert len(customers) == 2
    for customer in customers:
        (link,) = customer.linked
        exchange = orders[link.order]
        assert link.min_gap == link.max_gap == timedelta(0)
        assert exchange.location != customer.location
        assert set(exchange.required_skills).isdisjoint(customer.required_skills)
        assert exchange.duration == customer.duration
        at_exchange = {t.id for t in problem.technicians if qualified(t, exchange)}
        at_customer = {t.id for t in problem.technicians if qualified(t, customer)}
        assert at_exchange and at_customer and len(at_exchange | at_customer) >= 2


def test_after_chains_are_long() -> None:
    """Each cabinet chain has 4-6 steps, each after the one before."""
    problem = bad(after_chains=3)
    chains: dict[str, list[Order]] = {}
    for o in prefixed(problem, "CHN-"):
        chains.setdefault(o.id.rsplit("-", 1)[0], []).append(o)
    assert len(chains) == 3
    for steps in chains.values():
        assert 4 <= len(steps) <= 6
        assert steps[0].after == []
        assert all(b.after == [a.id] for a, b in pairwise(steps))


@pytest.mark.parametrize("seed", range(4))
def test_pinned_visits_fit_their_technician(seed: int) -> None:
    """Pinned visits name distinct, qualified, stocked technicians at a start inside the
    order's window and the technician's shift, over in time for the break."""
    problem = bad(seed=seed, pinned=4, late_shifts=3)
    techs = {t.id: t for t in problem.technicians}
    pinned = prefixed(problem, "PIN-")
    assert len(pinned) == 4
    assert len({o.pinned.technician for o in pinned if o.pinned}) == 4
    for o in pinned:
        assert o.pinned is not None and o.pinned.start is not None
        tech = techs[o.pinned.technician or ""]
        shift = tech.shifts[0]
        assert qualified(tech, o) and stocked(tech, o)
        assert o.time_windows[0].start <= o.pinned.start <= o.time_windows[0].end
        assert shift.start + timedelta(minutes=90) <= o.pinned.start
        assert o.pinned.start + o.duration <= shift.end
        # The break can follow the visit inside its window.
        (lunch,) = shift.breaks
        assert o.pinned.start + o.duration + lunch.duration <= lunch.latest_end


def test_late_shifts() -> None:
    """Late technicians start at 12:00 or 13:00, with a break inside the shift and no
    overtime past the horizon."""
    problem = bad(late_shifts=3)
    late = [s for t in problem.technicians for s in t.shifts if s.start.hour >= 12]
    assert len(late) == 3
    for shift in late:
        assert shift.start.hour in (12, 13)
        assert shift.end + shift.max_overtime <= problem.horizon.end
        assert all(
            shift.start <= b.earliest_start and b.latest_end <= shift.end for b in shift.breaks
        )


def test_on_call_night_shifts() -> None:
    """On-call technicians work 00:00-08:00 without a break; the horizon starts at midnight
    and no emergency can start before it is reported."""
    problem = bad(on_call=2, outages=2)
    on_call = [s for t in problem.technicians for s in t.shifts if s.on_call]
    assert len(on_call) == 2
    assert all((s.start.hour, s.end.hour, s.breaks) == (0, 8, []) for s in on_call)
    assert problem.horizon.start.hour == 0
    assert any(o.kind == "emergency" for o in problem.orders)
    for o in problem.orders:
        if o.kind == "emergency":
            assert o.time_windows and o.time_windows[0].start == o.created_at


@pytest.mark.parametrize("seed", range(3))
def test_bad_day_mix_from_the_command_line(seed: int, tmp_path: Path) -> None:
    """`--bad-day` writes a valid day with every part but on-call, each servable; a flag
    alone takes the realistic amount and a number is taken as asked."""
    out = tmp_path / "bad.json"
    main(["120", "20", "--seed", str(seed), "--bad-day", "--vans-cover-orders", "-o", str(out)])
    problem = load_problem(json.loads(out.read_text()))
    assert len(problem.orders) == 120
    for prefix in ("OUT-", "LNK-", "CHN-", "PIN-"):
        assert prefixed(problem, prefix), prefix
    assert any(s.start.hour >= 12 for t in problem.technicians for s in t.shifts)
    assert not any(s.on_call for t in problem.technicians for s in t.shifts)
    assert servable_from_vans(problem) == []
    main(["120", "20", "--seed", str(seed), "--outages", "5", "--on-call", "-o", str(out)])
    problem = load_problem(json.loads(out.read_text()))
    assert len(prefixed(problem, "OUT-")) == 5 and not prefixed(problem, "PIN-")
    assert sum(s.on_call for t in problem.technicians for s in t.shifts) == 2


def test_bad_day_too_big_for_its_orders() -> None:
    """A bad day with more special orders than the day has is refused."""
    with pytest.raises(ValueError, match="no room"):
        generate_day(10, 10, seed=1, bad_day=BadDay(after_chains=3))
