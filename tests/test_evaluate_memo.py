"""Incremental evaluation (`RouteMemo`): with the findings on routes kept from earlier plans of
the day, the evaluation of a re-planned day equals the full one, on random events, and a route
or an order that changed is checked again."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from models import Plan, Problem
from models.events import Event
from optimizer.evaluate import RouteMemo, evaluate
from optimizer.params import SolveParams
from optimizer.replan import keep_day, replan
from optimizer.travel import TravelMatrix
from tests.replan_cases import emergency, small_bad_day

EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


@pytest.fixture(scope="module")
def bad_day() -> tuple[Problem, Plan]:
    """A small generated bad day (crews, links, chains, pins, late shifts) and its plan."""
    return small_bad_day()


def _random_event(p: Problem, plan: Plan, rng: random.Random, i: int) -> tuple[Any, datetime]:
    """A new emergency, a cancellation or an overrun at a random moment of the day."""
    order, now = emergency(p, rng.randrange(20), f"EMG-M{i}-")
    visits = [it for r in plan.routes for it in r.items if it.type == "visit"]
    later = [it for it in visits if it.start >= now + timedelta(hours=1)]
    under_way = [it for it in visits if it.start < now < it.end]
    if i % 3 == 1 and later:
        return {"type": "order_cancelled", "order": rng.choice(later).order}, now
    if i % 3 == 2 and under_way:
        it = rng.choice(under_way)
        late = (it.end + timedelta(minutes=45)).isoformat()
        return {"type": "visit_delayed", "order": it.order, "expected_end": late}, now
    return {"type": "order_added", "order": order.model_dump(mode="json")}, now


def test_incremental_evaluation_equals_the_full_one_on_random_events(bad_day):
    """On random events, each re-planned day evaluated with the memo of the earlier ones
    equals its full evaluation (violations, objective, KPIs, totals, changes)."""
    p, plan = bad_day
    rng = random.Random(7)
    day = keep_day(p)
    memo = RouteMemo()
    for i in range(9):
        raw, now = _random_event(p, plan, rng, i)
        result = replan(p, plan, now, EVENTS.validate_python([raw]), SolveParams(time_limit=0))
        travel = TravelMatrix.from_problem(result.problem)
        args = {"previous": plan, "frozen_before": now}
        full = evaluate(result.problem, result.plan, travel, **args)
        assert evaluate(result.problem, result.plan, travel, **args, memo=memo) == full
        # The re-plan with the kept day (and its memo) scores its plan the same way.
        kept = replan(
            p, plan, now, EVENTS.validate_python([raw]), SolveParams(time_limit=0), day=day
        )
        assert kept.plan.objective == result.plan.objective
        assert kept.plan.solver.get("evaluator_violations") == result.plan.solver.get(
            "evaluator_violations"
        )
    assert memo.hits > memo.misses  # most routes come back as they were


def test_memo_checks_a_changed_route_again(bad_day):
    """A route whose visit moves, and one whose order's duration changes in the problem, are
    checked again: the memo gives the full evaluation's violations."""
    p, plan = bad_day
    travel = TravelMatrix.from_problem(p)
    memo = RouteMemo()
    assert evaluate(p, plan, travel, memo=memo) == evaluate(p, plan, travel)
    # A visit two hours late: timing and window rules break where the full evaluation says.
    moved = plan.model_copy(deep=True)
    route = next(r for r in moved.routes if any(it.type == "visit" for it in r.items))
    k = next(i for i, it in enumerate(route.items) if it.type == "visit")
    item = route.items[k]
    shift = timedelta(hours=2)
    route.items[k] = item.model_copy(
        update={"arrival": item.arrival + shift, "start": item.start + shift}
    )
    full = evaluate(p, moved, travel)
    assert not full.feasible
    assert evaluate(p, moved, travel, memo=memo) == full
    # The same plan against a problem where that order lasts longer: its duration breaks.
    oid = item.order
    longer = p.model_copy()
    longer.orders = [
        o.model_copy(update={"duration": o.duration + timedelta(minutes=5)}) if o.id == oid else o
        for o in p.orders
    ]
    full = evaluate(longer, plan, travel)
    assert "duration" in full.codes
    assert evaluate(longer, plan, travel, memo=memo) == full
