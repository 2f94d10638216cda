"""Very large days are solved region by region; the merged plan holds as a whole."""

from __future__ import annotations

import optimizer.decompose as decompose
from benchmarks.generator import BadDay, generate_day
from models import load_problem
from optimizer.instance import compile_problem
from optimizer.params import DecomposeParams
from tests.factory import solve_checked

SMALL_PARTS = DecomposeParams(above=40, part_orders=20)
"""Decompose days of more than 40 orders into parts of about 20."""

QUICK = {"deterministic_limit": 0.1, "timing": {"probe_deterministic": 0.01}}
"""A small deterministic budget with short probes for the reasons of the orders these
over-full days leave out."""


def _day(orders: int = 60, technicians: int = 10, **kw):
    """A generated day over three regions."""
    return load_problem(generate_day(orders, technicians, seed=4, regions=3, **kw))


def test_split_keeps_ties_and_pins_and_covers_everything() -> None:
    """Parts cover every order and technician and keep ties and pins together."""
    inst = compile_problem(_day(bad_day=BadDay(pinned=3)))
    parts = decompose.split(inst, SMALL_PARTS)
    assert len(parts) == 3
    techs = [t for p in parts for t in p.techs]
    orders = [o for p in parts for o in p.orders]
    assert sorted(techs) == list(range(len(inst.techs)))
    assert sorted(orders) == list(range(len(inst.orders)))  # none left to the probes here
    part_of = {o: k for k, p in enumerate(parts) for o in p.orders}
    tech_part = {t: k for k, p in enumerate(parts) for t in p.techs}
    tied = [(o, q) for o, order in enumerate(inst.orders) for q in order.after]
    assert tied, "the generated day has dependencies"
    assert all(part_of[o] == part_of[q] for o, q in tied)
    assert any(order.pin_tech is not None for order in inst.orders), "and pinned visits"
    for o, order in enumerate(inst.orders):
        if order.pin_tech is not None:
            assert tech_part[order.pin_tech] == part_of[o]
    # Orders go where qualified technicians are.
    for p in parts:
        assert all(inst.qualified[o, p.techs].any() for o in p.orders if inst.qualified[o].any())


def test_decomposed_plan_is_feasible_with_shared_depots() -> None:
    """Depot trips needed (vans do not cover every order): the parts share the depots' stock,
    the evaluator holds the merged plan, and it serves about as much as the whole day solved
    at once (both on a small deterministic budget: 38-41 orders whole, 43-45 in parts on
    seeds 0-2)."""
    problem = _day(vans_cover_orders=False)
    whole, _ = solve_checked(problem, **QUICK)
    assert whole.plan.solver["search"] != "decomposed"
    result, ev = solve_checked(problem, **QUICK, decompose=SMALL_PARTS)
    plan = result.plan
    assert plan.solver["search"] == "decomposed"
    assert plan.solver["parts"] == 3
    assert "rejected_by_evaluator" not in plan.solver
    assert ev.feasible
    assert any(i.type == "depot" for r in plan.routes for i in r.items)
    served = len(problem.orders) - len(plan.unassigned)
    assert served >= 0.9 * (len(problem.orders) - len(whole.plan.unassigned))


def test_linked_orders_stay_in_one_part_and_keep_their_link() -> None:
    """Linked orders (start-to-start gaps) go to one part with their links re-indexed there,
    and the decomposed plan holds them (the evaluator checks every link)."""
    problem = _day(bad_day=BadDay(linked_tests=4))
    inst = compile_problem(problem)
    parts = decompose.split(inst, SMALL_PARTS)
    part_of = {o: k for k, p in enumerate(parts) for o in p.orders}
    links = [(o, q) for o, order in enumerate(inst.orders) for q, _, _ in order.links]
    assert len(links) == 8, "four linked pairs, each link seen from both ends"
    assert all(part_of[o] == part_of[q] for o, q in links)
    part = parts[part_of[links[0][0]]]
    sub, _, order_map = decompose.sub_instance(inst, part, inst.depots)
    for i, order in enumerate(sub.orders):
        assert [(order_map[q], lo, hi) for q, lo, hi in order.links] == inst.orders[
            order_map[i]
        ].links
    result, _ = solve_checked(problem, **QUICK, decompose=SMALL_PARTS)
    assert result.plan.solver["search"] == "decomposed"
    linked = {inst.orders[o].id for o, _ in links}
    served = {i.order for r in result.plan.routes for i in r.items if i.type == "visit"}
    assert linked & served, "the linked tests are planned"
