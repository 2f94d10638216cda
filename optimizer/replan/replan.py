"""`replan`: events -> frozen part and residual problem -> `solve` with the re-plan's context
(the fast path, then the search) -> the frozen and new parts merged, with every change
listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from models.events import (
    Event,
)
from models.plan import BreakItem, Change, EndItem, Plan, Route, SolveStatus
from models.problem import Problem
from optimizer.budget import Budget
from optimizer.collector import collector_paused
from optimizer.evaluate import evaluate
from optimizer.evaluate.visits import breaks_owed
from optimizer.params import SolveParams
from optimizer.replan.freeze import Frozen
from optimizer.replan.kept import KeptDay
from optimizer.replan.setup import residual_day
from optimizer.search import SearchStats
from optimizer.solve import solve
from optimizer.travel import TravelMatrix


@dataclass
class ReplanResult:
    """The re-planned day: the updated problem, the new plan (with `changes`)."""

    problem: Problem
    plan: Plan
    stats: SearchStats = field(default_factory=SearchStats)


def replan(
    problem: Problem,
    plan: Plan,
    now: datetime,
    events: list[Event],
    params: SolveParams | None = None,
    *,
    tolerance: timedelta = timedelta(minutes=15),
    budget: Budget | None = None,
    travel: TravelMatrix | None = None,
    day: KeptDay | None = None,
) -> ReplanResult:
    """Re-plan the day at `now` after `events`; returns the new plan with its changes.

    With `time_limit` 0 only the fast path runs (keep what can be kept, insert the rest at
    the cheapest place). The budget defaults to the parameters' limits from this call.
    `travel` is a matrix of the day a caller keeps across calls (`day_matrix`); locations it
    lacks are added. `day`: the problem kept by the caller (`keep_day`): its matrix (unless
    `travel` is given) and its compiled orders serve every call on it, with the same results.
    Raises `InvalidInput` for events that do not fit the problem, `ValueError` for a kept
    day of another problem.
    """
    params = (params or SolveParams()).resolved(problem)
    if params.time_limit is None:
        params = params.model_copy(update={"time_limit": 5.0})
    # The fast path alone is what a coordinator waits on: no collection lands in it.
    with collector_paused(params.time_limit == 0):
        return _replan(problem, plan, now, events, params, tolerance, budget, travel, day)


def _replan(
    problem: Problem,
    plan: Plan,
    now: datetime,
    events: list[Event],
    params: SolveParams,
    tolerance: timedelta,
    budget: Budget | None,
    travel: TravelMatrix | None,
    day: KeptDay | None,
) -> ReplanResult:
    """`replan` with its parameters resolved."""
    if budget is None:
        budget = Budget.start(params.time_limit, params.deterministic_limit)
    # One matrix serves the residual day, the way home of finished routes and the evaluation.
    rest = residual_day(
        problem, plan, now, events, tolerance=tolerance, travel=travel, day=day, whole_day=True
    )
    # Routes of the kept day's plans are checked once (its matrix, not one of the caller's).
    memo = rest.day.memo if rest.day is not None and travel is None else None
    updated, frozen, residual, travel = rest.updated, rest.frozen, rest.residual, rest.travel
    context = rest.context
    # The residual plan is scored once merged with the frozen part, below.
    result = solve(residual, params, context=context, budget=budget)
    stats = result.stats
    residual_plan = result.plan
    merged = _merge(updated, frozen, residual_plan, travel, now)
    # The evaluator sets the merged routes' totals as it checks the day.
    ev = evaluate(
        updated,
        merged,
        travel,
        previous=plan,
        change_tolerance=tolerance,
        frozen_before=now,
        fill_totals=True,
        memo=memo,
    )
    merged.objective = ev.objective
    merged.kpis = ev.kpis
    assert ev.changed_orders is not None  # evaluated against the previous plan
    merged.changes = _changes(updated, plan, merged, set(ev.changed_orders))
    merged.solver = {**residual_plan.solver, "frozen_routes": len(frozen)}
    if not ev.valid:
        broken = [v for v in ev.violations if v.code != "mandatory"] or ev.violations
        merged.solver["evaluator_violations"] = [str(v) for v in broken[:20]]
    return ReplanResult(problem=updated, plan=merged, stats=stats)


def _merge(
    updated: Problem,
    frozen: dict[str, Frozen],
    residual: Plan,
    travel: TravelMatrix,
    now: datetime,
) -> Plan:
    """Frozen prefixes followed by the re-planned rest, one route per shift (its route totals
    are left to the evaluator)."""
    new_routes = residual.routes
    by_shift = {r.shift: r for r in new_routes}
    routes: list[Route] = []
    shifts = [s.id for t in updated.technicians for s in t.shifts]
    for shift_id in shifts:
        f = frozen.get(shift_id or "")
        r = by_shift.get(shift_id or "")
        if f is None and r is None:
            continue
        if f is None:
            routes.append(r)  # type: ignore[arg-type]
            continue
        items = list(f.items)
        if r is not None:
            items += [it for it in r.items[1:]]  # the residual start is where f leaves off
        else:
            items += _go_home(updated, shift_id, f, travel, now)
        # Items of the validated plan and of the residual one (built by the solver).
        route = Route.model_construct(
            technician=f.route.technician,
            shift=f.route.shift,
            items=items,
            travel_time=timedelta(0),
            working_time=timedelta(0),
            overtime=timedelta(0),
        )
        routes.append(route)
    plan = Plan(
        status=residual.status,
        objective=residual.objective,
        routes=[r for r in routes if any(it.type == "visit" for it in r.items)],
        unassigned=residual.unassigned,
    )
    if plan.status == SolveStatus.no_solution:  # an infeasible plan keeps its routes
        plan.routes = []
        served_before = {it.order for f in frozen.values() for it in f.items if it.type == "visit"}
        plan.unassigned = [u for u in plan.unassigned if u.order not in served_before]
    return plan  # its route totals are set by the evaluator (`fill_totals`)


def _go_home(
    updated: Problem, shift_id: str | None, f: Frozen, travel: TravelMatrix, now: datetime
) -> list[Any]:
    """The breaks still owed after the frozen part, then the way home."""
    shift = next(s for t in updated.technicians for s in t.shifts if s.id == shift_id)
    taken = [(it.start, it.end) for it in f.items if it.type == "break"]
    t = f.free_at
    items: list[Any] = []
    for b in breaks_owed(shift.breaks, taken, f.free_at, now):
        start = max(t, b.earliest_start)
        items.append(BreakItem(type="break", start=start, end=start + b.duration))
        t = start + b.duration
    home = shift.final_location
    items.append(EndItem(type="end", arrival=t + timedelta(seconds=travel.time(f.free_loc, home))))
    return items


def _changes(updated: Problem, old: Plan, new: Plan, ids: set[str]) -> list[Change]:
    """Every counted change (`ids`, as the evaluator counts them), with technicians and
    starts before and after."""

    def served(plan: Plan) -> dict[str, tuple[str, datetime]]:
        out: dict[str, tuple[str, datetime]] = {}
        for r in plan.routes:
            for it in r.items:
                if it.type == "visit" and it.order not in out:
                    lead = it.crew[0] if it.crew else r.technician
                    out[it.order] = (lead, it.start)
        return out

    before, after = served(old), served(new)
    out = []
    for order in updated.orders:
        if order.id not in ids:
            continue
        b, a = before.get(order.id), after.get(order.id)
        out.append(
            Change(
                order=order.id,
                from_technician=b[0] if b else None,
                to_technician=a[0] if a else None,
                old_start=b[1] if b else None,
                new_start=a[1] if a else None,
            )
        )
    # New orders now served are listed too (no from_technician), for the coordinator.
    known = set(before) | {u.order for u in old.unassigned}
    for oid, (tech, start) in after.items():
        if oid not in known:
            out.append(Change(order=oid, to_technician=tech, new_start=start))
    return out
