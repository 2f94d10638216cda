"""Solver-free evaluation of a plan: feasibility, objective terms and KPIs, from the plan alone.

This module is the executable form of the contract's "Plan" section: every solver result is held
against it, and published objective values are the ones it computes. It trusts the problem
(validated at load) but not the plan: every rule is checked and every violation is collected.

Violation codes (`Violation.code`):

================= ===========================================================================
status            a `no_solution` plan has routes, or an `infeasible` plan serves every
                  mandatory and pinned order
unknown_id        a technician, shift, order or depot id that the problem does not have
shift_owner       the route's shift belongs to another technician
duplicate_route   a second route for the same shift
route_shape       the first item is not `start`, the last not `end`, `start`/`end` in between,
                  or the route serves no order
shift_start       the route leaves before its shift starts
horizon           an item time outside the horizon
travel            an item begins before the previous one ends plus the travel between them
arrival           a visit or depot stop starts before its arrival
duration          a visit, depot stop or break lasts other than the order, depot or break says
time_window       a visit starts outside every time window of its order
skill             a technician on a visit lacks a required skill level
equipment         the providing technician holds a required equipment type neither in the van
                  nor from an earlier depot stop of the same shift
parts             the providing technician's van is short of a required part
depot_stock       a pick-up of a type the depot does not stock, a negative pick-up, or more
                  shifts (equipment) or a larger total (parts) than the depot allows
depot_opening     a depot stop starts or ends outside the depot's opening
depot_visits      more depot stops than the shift's `max_depot_visits`
break_missing     a break of the shift is not taken
break_extra       more break items than the shift has breaks
break_window      a break starts before its `earliest_start` or ends after its `latest_end`
overtime          the route ends later than shift end + `max_overtime`
crew_mismatch     an order is not in exactly `crew_size` routes of distinct technicians, or
                  their starts, ends or crew lists differ, or the crew is not those technicians
duplicate_visit   a route visits the same order twice
pinned            a pinned order is served, but not by its technician or not at its start
after             an order is served although an `after` order is not, or starts before it ends
linked            one of two linked orders is served and the other is not, or the gap between
                  their starts lies outside [min_gap, max_gap]
on_call           an on-call shift serves an order that is neither an emergency nor priority 1
mandatory         a mandatory or pinned order is not served (the one violation an `infeasible`
                  plan holds; see `Evaluation.valid`)
unassigned        an order is both served and unassigned, neither, or listed twice; or an
                  unassigned entry's `mandatory` flag is not true exactly for the mandatory
                  and pinned orders
unassigned_reason an unassigned entry gives no reason
route_totals      a route's travel_time, working_time or overtime is not the recomputed value
================= ===========================================================================

Where an order is served by several visits (a crew), its start is the earliest visit start and
its end the latest visit end; a feasible plan has them all equal. Its arrival (for the response
time) is the earliest arrival of the crew.

Statuses: a `feasible` or `optimal` plan has no violation at all. An `infeasible` plan holds
routes for everything else and follows every other rule: its only violations are `mandatory`
ones (each such order listed in `unassigned` with `"mandatory": true`). A `no_solution` plan
has no routes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.plan import Plan
from models.problem import Problem
from optimizer.evaluate.changes import _changed, changed_orders
from optimizer.evaluate.context import (
    Evaluation,
    RouteTotals,
    Violation,
    _Context,
    _seconds,
    _summarise,
    _view,
    _visits_by_order,
    recompute_route_totals,
)
from optimizer.evaluate.coverage import _coverage_rules, _status_rules
from optimizer.evaluate.crews import _crew_rules, _link_rules, _order_rules
from optimizer.evaluate.memo import RouteMemo
from optimizer.evaluate.objective import _kpis, _objective
from optimizer.evaluate.routes import _route_rules, _timing_rules, _totals_rules
from optimizer.evaluate.stock import _depot_stock_rules, _depot_stop_rules, _van_rules
from optimizer.evaluate.visits import _break_rules, _visit_rules
from optimizer.travel import TravelMatrix

__all__ = [
    "Evaluation",
    "RouteMemo",
    "RouteTotals",
    "Violation",
    "changed_orders",
    "evaluate",
    "recompute_route_totals",
]


def evaluate(
    problem: Problem,
    plan: Plan,
    travel: TravelMatrix | None = None,
    *,
    previous: Plan | None = None,
    change_tolerance: timedelta = timedelta(minutes=15),
    frozen_before: datetime | None = None,
    fill_totals: bool = False,
    memo: RouteMemo | None = None,
) -> Evaluation:
    """Check a plan against its problem and recompute its objective and KPIs.

    Parameters
    ----------
    problem
        The (validated) problem the plan answers.
    plan
        The plan to check; its own objective, KPIs and route totals are not trusted.
    travel
        The problem's travel matrix; built from the problem when not given.
    previous
        Re-planning only: the plan before; each order whose technicians or served-ness changed,
        or whose start moved by more than `change_tolerance`, counts one `change`. Orders the
        previous plan does not mention (new orders) never count.
    change_tolerance
        How far a start may move without counting as a change.
    frozen_before
        Re-planning only: `now`. Orders whose old or new start is before it (frozen work)
        never count as changes; breaks begun before it stand as they were, and the breaks
        still owed are those of `visits.breaks_owed` (late after an overrun, none once past).
    fill_totals
        For a plan being assembled (a re-plan's merged day): each route's travel_time,
        working_time and overtime are set to the recomputed totals (`recompute_route_totals`)
        before the plan is checked, instead of being checked as given.
    memo
        Findings on single routes kept from earlier evaluations of plans of the same day over
        the same travel (`memo.RouteMemo`): a route found there is not checked again. The
        evaluation is the same with it or without.

    Returns
    -------
    Evaluation
        Feasibility with every violation found, the objective under `problem.weights`, the
        KPIs and the recomputed totals.
    """
    travel = travel if travel is not None else TravelMatrix.from_problem(problem)
    ctx = _Context.build(problem, travel)
    # With a memo, each route as found before (or now): its view and its own rules.
    kept = (
        [memo.route_rules(ctx, r, x, fill_totals) for r, x in enumerate(plan.routes)]
        if memo is not None
        else []
    )
    if memo is not None:
        views = [view for view, _, _ in kept]
    else:
        views = [_view(ctx, r, route) for r, route in enumerate(plan.routes)]
    if fill_totals:
        for view in views:
            route, t = view.route, view.totals
            route.travel_time, route.working_time, route.overtime = t.travel, t.working, t.overtime
    visits = _visits_by_order(plan)
    served = _summarise(visits)

    violations = list(_status_rules(ctx, plan, served))
    violations += _route_rules(ctx, views)
    for r, view in enumerate(views):
        if memo is not None:
            _, rules, totals_rules = kept[r]
            violations += rules
            violations += _break_rules(view, frozen_before)
            violations += totals_rules
            continue
        violations += _timing_rules(ctx, view)
        violations += _visit_rules(ctx, view)
        violations += _depot_stop_rules(ctx, view)
        violations += _break_rules(view, frozen_before)
        violations += _totals_rules(view)
    violations += _van_rules(ctx, views)
    violations += _depot_stock_rules(ctx, views)
    violations += _crew_rules(ctx, visits)
    violations += _order_rules(ctx, served)
    violations += _link_rules(ctx, served)
    violations += _coverage_rules(ctx, plan, served)

    changed = None
    if previous is not None:
        changed = _changed(problem, served, previous, change_tolerance, frozen_before)
    totals = [v.totals for v in views]
    return Evaluation(
        feasible=not violations,
        violations=violations,
        objective=_objective(ctx, views, served, changed),
        kpis=_kpis(ctx, views, served),
        routes=totals,
        travel_seconds=int(sum(t.travel.total_seconds() for t in totals)),
        working_seconds=_seconds(t.working for t in totals),
        service_seconds=_seconds(t.service for t in totals),
        idle_seconds=_seconds(t.idle for t in totals),
        overtime_seconds=_seconds(t.overtime for t in totals),
        break_seconds=_seconds(t.breaks for t in totals),
        depot_seconds=_seconds(t.depot for t in totals),
        changed_orders=None if changed is None else tuple(changed),
        valid=_valid(plan, violations),
    )


def _valid(plan: Plan, violations: list[Violation]) -> bool:
    """The plan keeps the contract of its status (see `Evaluation`)."""
    if plan.status.is_feasible:
        return not violations
    return all(v.code == "mandatory" for v in violations)
