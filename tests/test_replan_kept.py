"""A day kept by the caller (`keep_day`) must not change any answer: the residual instance
derived from it equals the one compiled from scratch, recommendations and fast-path plans are
the same, and a kept day of another problem is never used."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter

from models import InvalidInput, Plan, Problem, load_problem
from models.common import Window
from models.events import Event, OrderAdded
from models.problem import Order
from optimizer.context import Context
from optimizer.instance import Instance, compile_problem
from optimizer.params import SolveParams
from optimizer.replan import (
    apply_events,
    fold_frozen,
    freeze,
    keep_day,
    problem_key,
    recommend,
    replan,
    residual_problem,
)
from optimizer.replan.residual import matrix
from tests.replan_cases import emergency, small_bad_day

EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


@pytest.fixture(scope="module")
def bad_day() -> tuple[Problem, Plan]:
    """A small generated bad day (crews, links, chains, pins, late shifts) and its plan."""
    return small_bad_day()


def _emergency(p: Problem, k: int) -> tuple[Order, datetime]:
    """A new single-technician emergency at the k-th order's place, and the moment it comes."""
    return emergency(p, k, "EMG-K")


def _same_instance(a: Instance, b: Instance) -> None:
    """Every compiled field of two instances is equal (arrays by value)."""
    for f in dataclasses.fields(Instance):
        if f.name in ("problem", "travel"):
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def _residual(p: Problem, plan: Plan, evs: list[Event], now: Any) -> tuple[Problem, Context]:
    """The residual problem of the events at `now`, and its re-plan context (no kept day)."""
    updated = apply_events(p, evs)
    frozen = freeze(updated, plan, now, evs)
    updated = fold_frozen(updated, frozen)
    residual = residual_problem(updated, frozen, now)
    return residual, Context(previous=plan, frozen=frozen)


@pytest.mark.parametrize("hour", [0, 11])
def test_derived_instance_equals_the_compiled_one(bad_day, hour):
    """The residual instance derived from the kept day equals the one compiled from scratch,
    with a new order, a cancelled one and an updated one among them: before the day starts
    (no van changed: compatibility rows sliced) and late in the morning."""
    p, plan = bad_day
    day = keep_day(p)
    new, now = _emergency(p, 2)
    now = now.replace(hour=hour)
    changed = p.orders[5].model_copy(update={"duration": p.orders[5].duration + timedelta(1)})
    raw = [
        {"type": "order_added", "order": new.model_dump(mode="json")},
        {"type": "order_cancelled", "order": p.orders[3].id},
        {"type": "order_updated", "order": changed.model_dump(mode="json")},
    ]
    residual, context = _residual(p, plan, EVENTS.validate_python(raw), now)
    travel = matrix(residual, [], day.travel)
    fresh = compile_problem(residual, context=dataclasses.replace(context, travel=travel))
    kept = dataclasses.replace(context, travel=travel, kept=day.instance)
    derived = compile_problem(residual, context=kept)
    _same_instance(derived, fresh)
    compiled = day.instance.orders
    reused = [d for d in derived.orders if d is compiled[day.instance.order_idx.get(d.id, 0)]]
    assert len(reused) > len(derived.orders) // 2  # taken from the kept day, not compiled
    o = derived.order_idx[changed.id]
    assert derived.orders[o].duration == day.instance.orders[5].duration + 86400


def test_kept_day_gives_the_same_recommendations(bad_day):
    """Recommendations with the day kept equal those computed from scratch."""
    p, plan = bad_day
    day = keep_day(p)
    for k in range(4):
        new, now = _emergency(p, k)
        fresh = recommend(p, plan, new, now, 5)
        assert fresh
        assert recommend(p, plan, new, now, 5, day=day) == fresh


@pytest.mark.parametrize("kind", ["order_added", "order_cancelled", "visit_delayed"])
def test_kept_day_gives_the_same_fast_path_plan(bad_day, kind):
    """A fast-path re-plan with the day kept equals the one computed from scratch, for a new
    emergency, a cancellation and an overrun."""
    p, plan = bad_day
    day = keep_day(p)
    new, now = _emergency(p, 1)
    visits = [it for r in plan.routes for it in r.items if it.type == "visit"]
    if kind == "order_added":
        raw: dict[str, Any] = {"type": kind, "order": new.model_dump(mode="json")}
    elif kind == "order_cancelled":
        later = [it for it in visits if it.start >= now + timedelta(hours=1)]
        raw = {"type": kind, "order": later[0].order}
    else:
        under_way = [it for it in visits if it.start < now < it.end] or visits[:1]
        late = under_way[0].end + timedelta(minutes=45)
        raw = {"type": kind, "order": under_way[0].order, "expected_end": late.isoformat()}
    evs = EVENTS.validate_python([raw])
    fresh = replan(p, plan, now, evs, SolveParams(time_limit=0))
    again = replan(p, plan, now, evs, SolveParams(time_limit=0), day=day)
    assert again.plan.routes == fresh.plan.routes
    assert again.plan.unassigned == fresh.plan.unassigned
    assert again.plan.objective == fresh.plan.objective
    assert again.plan.changes == fresh.plan.changes


def test_kept_day_of_another_problem_is_refused(bad_day):
    """A kept day whose content differs from the problem is never used: ValueError."""
    p, plan = bad_day
    day = keep_day(p)
    other = p.model_copy(update={"orders": p.orders[1:]})
    new, now = _emergency(p, 0)
    with pytest.raises(ValueError, match="another problem"):
        recommend(other, plan, new, now, 5, day=day)
    evs = [OrderAdded(type="order_added", order=new)]
    with pytest.raises(ValueError, match="another problem"):
        replan(other, plan, now, list(evs), SolveParams(time_limit=0), day=day)


def test_kept_day_serves_a_copy_of_equal_content(bad_day):
    """A problem of the same content (validated again from its JSON) is served by the kept
    day, with the same recommendations."""
    p, plan = bad_day
    day = keep_day(p)
    copy = load_problem(p.model_dump(mode="json"))
    assert copy is not p and day.serves(copy)
    new, now = _emergency(p, 3)
    assert recommend(copy, plan, new, now, 5, day=day) == recommend(p, plan, new, now, 5)


def test_problem_key_follows_content(bad_day):
    """Equal problems have equal keys; a problem changed in one order has another."""
    p, _ = bad_day
    assert problem_key(load_problem(p.model_dump(mode="json"))) == problem_key(p)
    moved = p.orders[0].model_copy(update={"duration": p.orders[0].duration + timedelta(1)})
    changed = p.model_copy(update={"orders": [moved, *p.orders[1:]]})
    assert problem_key(changed) != problem_key(p)


def test_compatibility_matches_its_definition(bad_day):
    """qualified, van_ok and supply_ok of a compiled day (and of a residual derived from the
    kept one) hold for exactly the (order, technician) pairs their definitions name."""
    p, plan = bad_day
    day = keep_day(p)
    new, now = _emergency(p, 0)
    residual, context = _residual(p, plan, [OrderAdded(type="order_added", order=new)], now)
    travel = matrix(residual, [], day.travel)
    kept = dataclasses.replace(context, travel=travel, kept=day.instance)
    derived = compile_problem(residual, context=kept)
    for inst in (day.instance, derived):
        for o, order in enumerate(inst.orders):
            for t, tech in enumerate(inst.techs):
                qualified = all(tech.skills.get(k, 0) >= v for k, v in order.skills.items())
                van = order.equipment <= tech.equipment and all(
                    tech.parts.get(k, 0) >= q for k, q in order.parts.items()
                )
                supply = van or any(inst.depot_supplies(o, t, d) for d in range(len(inst.depots)))
                assert inst.qualified[o, t] == qualified, (order.id, tech.id)
                assert inst.van_ok[o, t] == van, (order.id, tech.id)
                assert inst.supply_ok[o, t] == supply, (order.id, tech.id)


def test_kept_day_checks_events_with_the_same_errors(bad_day):
    """With the day known valid, events that break the contract give the same errors as a
    check of the whole updated day: a bad new order, a bad update, a duplicate id."""
    p, _ = bad_day
    new, _ = _emergency(p, 0)
    late = p.horizon.end + timedelta(hours=1)
    bad = new.model_copy(
        update={
            "after": ["NOPE"],
            "preferred_technicians": ["NOBODY"],
            "time_windows": [Window(start=p.horizon.start, end=late)],
        }
    )
    updated = p.orders[7].model_copy(update={"crew_size": 99, "after": [p.orders[7].id]})
    raws = [
        [{"type": "order_added", "order": bad.model_dump(mode="json")}],
        [{"type": "order_updated", "order": updated.model_dump(mode="json")}],
        [{"type": "order_added", "order": {**new.model_dump(mode="json"), "id": p.orders[0].id}}],
    ]
    for raw in raws:
        evs = EVENTS.validate_python(raw)
        with pytest.raises(InvalidInput) as whole:
            apply_events(p, evs)
        with pytest.raises(InvalidInput) as changed:
            apply_events(p, evs, valid=True)
        assert whole.value.errors, raw
        assert changed.value.errors == whole.value.errors
    assert keep_day(p).valid


def test_kept_orders_are_not_taken_for_another_horizon(bad_day):
    """A problem with the day's very orders but a longer horizon compiles them afresh (an
    order without windows is open until the horizon's end)."""
    p, plan = bad_day
    day = keep_day(p)
    horizon = p.horizon.model_copy(update={"end": p.horizon.end + timedelta(hours=6)})
    longer = p.model_copy(update={"horizon": horizon})
    assert any(not o.time_windows for o in longer.orders)
    context = Context(previous=plan, travel=day.travel)
    fresh = compile_problem(longer, context=context)
    derived = compile_problem(longer, context=dataclasses.replace(context, kept=day.instance))
    _same_instance(derived, fresh)


def test_folded_orders_are_kept_once_and_equal_the_fresh_ones(bad_day):
    """Started visits folded with a kept cache equal those folded afresh, come back as the same
    objects at another `now` for the same visits, and an order object of the same id but
    another content is folded again, not taken from the cache."""
    p, plan = bad_day
    cache: dict[Any, Any] = {}
    first = None
    for hour in (11, 13):
        now = datetime.combine(p.horizon.start.date(), datetime.min.time(), p.horizon.start.tzinfo)
        now = now.replace(hour=hour)
        frozen = freeze(p, plan, now, [])
        fresh = fold_frozen(p, frozen)
        cached = fold_frozen(p, frozen, cache=cache)
        assert cached == fresh
        pinned = [o for o in cached.orders if o.pinned is not None and o not in p.orders]
        assert pinned  # some visits had started
        if first is None:
            first = {o.id: o for o in pinned}
        else:
            assert any(first.get(o.id) is o for o in pinned)  # the same copy, made once
    o = next(o for o in p.orders if o.id in first)
    changed = o.model_copy(update={"priority": o.priority % 3 + 1})
    other = p.model_copy(update={"orders": [changed if x is o else x for x in p.orders]})
    again = fold_frozen(other, freeze(other, plan, now, []), cache=cache)
    assert again == fold_frozen(other, freeze(other, plan, now, []))
    assert next(x for x in again.orders if x.id == o.id).priority == changed.priority
