"""The telecom-day generator and the shipped example it produced."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks.generator import dump_day, generate_day
from models import Order, Problem, Technician, load_problem

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


@pytest.mark.parametrize(("num_orders", "num_technicians", "regions"),
                         [(0, 1, 1), (1, 1, 1), (5, 2, 1), (40, 10, 3), (150, 25, 2)])
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
    assert all(o.due is not None and o.created_at is not None
               and timedelta(hours=2) <= o.due - o.created_at <= timedelta(hours=4)
               for o in emergencies)
    assert any(o.crew_size == 2 for o in emergencies)
    assert any(o.after for o in problem.orders)
    assert any(o.preferred_technicians for o in problem.orders)
    assert {s for t in problem.technicians for s in t.skills} == {
        "fiber", "copper", "radio", "power", "cpe", "core"}
    assert {s.start.hour for t in problem.technicians for s in t.shifts} == {8, 10}
    assert all(s.breaks for t in problem.technicians for s in t.shifts)
    assert problem.options.model_dump(mode="json") == {"time_limit": "PT10S", "seed": 0,
                                                       "workers": 2}
