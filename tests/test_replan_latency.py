"""What makes re-planning quick must not change its answers: a kept travel matrix, eligible
shifts found on demand, static reasons for some orders only; and the fast path keeps links."""

from __future__ import annotations

import importlib
from datetime import datetime

import pytest
from pydantic import TypeAdapter

from models import Plan, Problem
from models.events import Event
from optimizer.cp.build import eligible_shifts
from optimizer.evaluate import evaluate
from optimizer.instance import compile_problem
from optimizer.params import SolveParams
from optimizer.reasons import static_reasons
from optimizer.replan import day_matrix, recommend, replan
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech
from tests.replan_cases import emergency, small_bad_day

# The module, not the function the package exports under the same name.
fast_module = importlib.import_module("optimizer.replan.fast")


@pytest.fixture(scope="module")
def bad_day() -> tuple[Problem, Plan]:
    """A small generated bad day (crews, links, chains, pins, late shifts) and its plan."""
    return small_bad_day()


def _emergency(p: Problem, plan: Plan, k: int) -> tuple[object, object]:
    """A new single-technician emergency at the k-th order's place, and the moment it comes."""
    return emergency(p, k)


def test_kept_matrix_gives_the_same_recommendations(bad_day):
    """Recommendations with the day's matrix kept equal those computed from scratch."""
    p, plan = bad_day
    kept = day_matrix(p)
    for k in range(4):
        new, now = _emergency(p, plan, k)
        fresh = recommend(p, plan, new, now, 5)
        assert fresh
        assert recommend(p, plan, new, now, 5, travel=kept) == fresh


def test_kept_matrix_gives_the_same_fast_path_plan(bad_day):
    """A fast-path re-plan with the day's matrix kept equals the one computed from scratch."""
    p, plan = bad_day
    kept = day_matrix(p)
    new, now = _emergency(p, plan, 1)
    raw = [{"type": "order_added", "order": new.model_dump(mode="json")}]  # type: ignore[attr-defined]
    evs = TypeAdapter(list[Event]).validate_python(raw)
    fresh = replan(p, plan, now, evs, SolveParams(time_limit=0))  # type: ignore[arg-type]
    again = replan(p, plan, now, evs, SolveParams(time_limit=0), travel=kept)  # type: ignore[arg-type]
    assert again.plan.routes == fresh.plan.routes
    assert again.plan.unassigned == fresh.plan.unassigned
    assert again.plan.objective == fresh.plan.objective


def test_fast_path_with_eligible_shifts_on_demand_equals_all_up_front(bad_day, monkeypatch):
    """The fast path's plan is the same when every order's eligible shifts are found first."""
    p, plan = bad_day
    new, now = _emergency(p, plan, 2)
    raw = [{"type": "order_added", "order": new.model_dump(mode="json")}]  # type: ignore[attr-defined]
    evs = TypeAdapter(list[Event]).validate_python(raw)
    lazy = replan(p, plan, now, evs, SolveParams(time_limit=0))  # type: ignore[arg-type]
    monkeypatch.setattr(fast_module, "_Eligible", eligible_shifts)
    eager = replan(p, plan, now, evs, SolveParams(time_limit=0))  # type: ignore[arg-type]
    assert lazy.plan.routes == eager.plan.routes
    assert lazy.plan.unassigned == eager.plan.unassigned


def test_static_reasons_of_some_orders_are_those_of_all(bad_day):
    """Static reasons asked for some orders are, for each of them, those found for all (on
    the bad day with the first step of each chain and one linked order made unservable)."""
    p, _ = bad_day
    heads = {o.id for o in p.orders if o.id.startswith("CHN-") and o.id.endswith("-1")}
    heads.add(next(o.id for o in p.orders if o.linked))
    hard = p.model_copy(
        update={
            "orders": [
                o.model_copy(update={"required_skills": {"copper": 9}}) if o.id in heads else o
                for o in p.orders
            ]
        }
    )
    inst = compile_problem(hard)
    every = static_reasons(inst)
    assert {r.code for rs in every.values() for r in rs} >= {"no_qualified_technician"}
    assert {r.code for rs in every.values() for r in rs} >= {"dependency"}
    # Not the heads themselves: their followers and partners must find them on their own.
    some = [i for i, o in enumerate(inst.orders) if o.id not in heads and (o.after or o.links)]
    some += list(range(0, len(inst.orders), 5))
    part = static_reasons(inst, some)
    assert any(o in every for o in some)
    assert all(part.get(o) == every.get(o) for o in some)


def test_static_reasons_of_an_order_follow_what_it_waits_for():
    """B waits for A, whom nobody is qualified for: asked for B alone, B is `dependency`."""
    p = problem(
        [tech("T", 0, 0)],
        [
            order("A", 10, 0, required_skills={"copper": 3}),
            order("B", 20, 0, after=["A"]),
            order("C", 30, 0),
        ],
    )
    inst = compile_problem(p)
    b = inst.order_idx["B"]
    found = static_reasons(inst, [b])
    assert [r.code for r in found[b]] == ["dependency"]
    assert inst.order_idx["C"] not in found


def test_fast_path_keeps_a_link_when_an_overrun_moves_one_end():
    """A's 10:00 visit overruns to 12:30, so X (linked to C at gap 0, both planned at 12:00)
    cannot start at 12:00 any more: the fast path moves or drops X and C together, never
    one of them (once X started up to 40 min after C)."""
    noon = {"start": at("12:00"), "end": at("14:00")}
    p = problem(
        [tech("A", 0, 0), tech("B", 100, 0)],
        [
            order("W", 10, 0, 60, time_windows=[{"start": at("10:00"), "end": at("10:00")}]),
            order("X", 20, 0, 60, time_windows=[noon]),
            order("C", 90, 0, 60, time_windows=[noon], linked=[{"order": "X"}]),
        ],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    starts = {
        it.order: (r.technician, it.start)
        for r in plan.routes
        for it in r.items
        if it.type == "visit"
    }
    assert starts["W"][0] == starts["X"][0] == "A" and starts["C"][0] == "B"
    assert starts["X"][1] == starts["C"][1]
    now = datetime.fromisoformat(at("10:30"))
    raw = [{"type": "visit_delayed", "order": "W", "expected_end": at("12:30")}]
    evs = TypeAdapter(list[Event]).validate_python(raw)
    res = replan(p, plan, now, evs, SolveParams(time_limit=0))
    ev = evaluate(res.problem, res.plan, previous=plan, frozen_before=now)
    assert ev.feasible, [str(v) for v in ev.violations]
    after = {it.order: it.start for r in res.plan.routes for it in r.items if it.type == "visit"}
    assert ("X" in after) == ("C" in after)
    assert "X" not in after or after["X"] == after["C"]
