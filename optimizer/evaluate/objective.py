"""The objective terms under the problem's weights, and the KPIs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, get_args

import numpy as np

from models.plan import (
    Objective,
    VisitItem,
)
from models.problem import OrderKind
from optimizer.evaluate.context import (
    PRIORITIES,
    PRIORITY_KEY,
    ZERO,
    _Context,
    _minutes,
    _RouteView,
    _Served,
)


def _lateness(ctx: _Context, served: dict[str, _Served]) -> dict[str, float]:
    """Minutes past `due` of each served order that starts late."""
    return {
        o.id: _minutes(served[o.id].start - o.due)
        for o in ctx.problem.orders
        if o.id in served and o.due is not None and served[o.id].start > o.due
    }


def _objective(
    ctx: _Context,
    views: list[_RouteView],
    served: dict[str, _Served],
    changed: list[str] | None,
) -> Objective:
    """The weighted terms of the contract's objective, keyed by weight key, and their sum."""
    weights = ctx.problem.weights
    orders = ctx.problem.orders
    lateness = _lateness(ctx, served)
    late = sum(
        weights.lateness[PRIORITY_KEY[ctx.orders[o].priority]] * minutes
        for o, minutes in lateness.items()
    )
    unpreferred = 0
    for view in views:
        for item in view.route.items:
            order = ctx.orders.get(item.order) if isinstance(item, VisitItem) else None
            if order and order.preferred_technicians:
                unpreferred += view.route.technician not in order.preferred_technicians
    terms = {
        "unassigned": sum(
            weights.unassigned[PRIORITY_KEY[o.priority]] for o in orders if o.id not in served
        ),
        "lateness": late,
        "overtime": weights.overtime * sum(_minutes(v.totals.overtime) for v in views),
        "travel": weights.travel * sum(_minutes(v.totals.travel) for v in views),
        "idle": weights.idle * sum(_minutes(v.totals.idle) for v in views),
        "technician_used": weights.technician_used
        * sum(any(isinstance(it, VisitItem) for it in v.route.items) for v in views),
        "preference": weights.preference * unpreferred,
        "max_lateness": weights.max_lateness * max(lateness.values(), default=0.0),
    }
    if changed is not None:
        terms["change"] = weights.change * len(changed)
    terms = {k: float(v) for k, v in terms.items()}
    return Objective(value=sum(terms.values()), bound=None, terms=terms)


def _rate(met: int, total: int) -> float | None:
    return met / total if total else None


KINDS: tuple[OrderKind, ...] = get_args(OrderKind)


RESPONSE_KINDS: tuple[OrderKind, ...] = ("repair", "emergency")
"""The kinds that have a response and a restore time (an installation booked weeks ahead
has none)."""


def _spread(minutes: list[float]) -> dict[str, float | None]:
    """Mean and 90th percentile (linear interpolation) of some minutes; None when empty."""
    if not minutes:
        return {"mean_minutes": None, "p90_minutes": None}
    return {
        "mean_minutes": float(np.mean(minutes)),
        "p90_minutes": float(np.percentile(minutes, 90)),
    }


def _kpis(ctx: _Context, views: list[_RouteView], served: dict[str, _Served]) -> dict[str, Any]:
    """Service-quality KPIs of the plan (see the contract's KPI list).

    Response time is the first arrival minus `created_at`, restore time the end minus
    `created_at`, over served repair and emergency orders with a `created_at`. SLA rates count
    the orders with a `due` that started by it over all orders with a `due` (unserved ones
    missed).
    """
    orders = ctx.problem.orders
    served_by = dict.fromkeys(PRIORITIES, 0)
    unassigned_by = dict.fromkeys(PRIORITIES, 0)
    due_all: dict[str, int] = defaultdict(int)  # by priority and by kind
    due_met: dict[str, int] = defaultdict(int)
    response: dict[str, list[float]] = {k: [] for k in RESPONSE_KINDS}
    restore: dict[str, list[float]] = {k: [] for k in RESPONSE_KINDS}
    late_by = dict.fromkeys(PRIORITIES, 0.0)
    lateness = _lateness(ctx, served)
    for o in orders:
        p, s = PRIORITY_KEY[o.priority], served.get(o.id)
        (served_by if s else unassigned_by)[p] += 1
        late_by[p] += lateness.get(o.id, 0.0)
        if o.due is not None:
            met = bool(s and s.start <= o.due)
            for key in (p, o.kind):
                due_all[key] += 1
                due_met[key] += met
        if s and o.created_at is not None and o.kind in response:
            response[o.kind].append(_minutes(s.arrival - o.created_at))
            restore[o.kind].append(_minutes(s.end - o.created_at))
    responses = _spread([m for k in RESPONSE_KINDS for m in response[k]])
    restores = _spread([m for k in RESPONSE_KINDS for m in restore[k]])

    service_by_tech = {t.id: ZERO for t in ctx.problem.technicians}
    for view in views:
        if view.route.technician in service_by_tech:
            service_by_tech[view.route.technician] += view.totals.service
    shift_length = {
        t.id: sum((s.end - s.start for s in t.shifts), ZERO) for t in ctx.problem.technicians
    }
    total_length = sum(shift_length.values(), ZERO)

    def total(name: str) -> float:
        return sum(_minutes(getattr(v.totals, name)) for v in views)

    return {
        "orders_total": len(orders),
        "orders_served": sum(served_by.values()),
        "orders_unassigned": sum(unassigned_by.values()),
        "served_by_priority": served_by,
        "unassigned_by_priority": unassigned_by,
        "sla_met_rate": _rate(
            sum(due_met[p] for p in PRIORITIES), sum(due_all[p] for p in PRIORITIES)
        ),
        "sla_met_rate_by_priority": {p: _rate(due_met[p], due_all[p]) for p in PRIORITIES},
        "sla_met_rate_by_kind": {k: _rate(due_met[k], due_all[k]) for k in KINDS},
        "response_time_mean_minutes": responses["mean_minutes"],
        "response_time_p90_minutes": responses["p90_minutes"],
        "restore_time_mean_minutes": restores["mean_minutes"],
        "restore_time_p90_minutes": restores["p90_minutes"],
        "response_time_by_kind": {k: _spread(response[k]) for k in RESPONSE_KINDS},
        "restore_time_by_kind": {k: _spread(restore[k]) for k in RESPONSE_KINDS},
        "lateness_minutes_by_priority": late_by,
        "max_lateness_minutes": max(lateness.values(), default=0.0),
        "travel_minutes": total("travel"),
        "service_minutes": total("service"),
        "working_minutes": total("working"),
        "idle_minutes": total("idle"),
        "overtime_minutes": total("overtime"),
        "break_minutes": total("breaks"),
        "depot_minutes": total("depot"),
        "utilisation_by_technician": {
            t: (service_by_tech[t] / shift_length[t] if shift_length[t] else None)
            for t in service_by_tech
        },
        "utilisation": (
            sum(service_by_tech.values(), ZERO) / total_length if total_length else None
        ),
        "routes_used": len(views),
    }
