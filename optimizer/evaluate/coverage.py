"""Rules on what is served: the plan's status, and the unassigned list against the orders."""

from __future__ import annotations

from collections.abc import Iterator

from models.plan import (
    Plan,
    SolveStatus,
)
from optimizer.evaluate.context import Violation, _Context, _must_serve, _Served


def _status_rules(ctx: _Context, plan: Plan, served: dict[str, _Served]) -> Iterator[Violation]:
    """A plan without a solution has no routes; an infeasible one leaves out some mandatory or
    pinned order (it keeps its routes for everything else)."""
    if plan.status == SolveStatus.no_solution and plan.routes:
        yield Violation("status", "routes", "a plan with status 'no_solution' must have no routes")
    if plan.status == SolveStatus.infeasible and all(
        o.id in served for o in ctx.problem.orders if _must_serve(o)
    ):
        yield Violation(
            "status",
            "status",
            "an infeasible plan must leave out some mandatory or pinned order; this one "
            "serves them all",
        )


def _coverage_rules(ctx: _Context, plan: Plan, served: dict[str, _Served]) -> Iterator[Violation]:
    """Every order is either served or unassigned, once, and every unassigned has a reason."""
    listed: set[str] = set()
    for k, entry in enumerate(plan.unassigned):
        where = f"unassigned[{k}]"
        if entry.order not in ctx.orders:
            yield Violation("unknown_id", f"{where}.order", f"unknown order '{entry.order}'")
        elif entry.order in listed:
            yield Violation("unassigned", where, f"'{entry.order}' is listed twice")
        elif entry.order in served:
            yield Violation("unassigned", where, f"'{entry.order}' is served and unassigned")
        listed.add(entry.order)
        order = ctx.orders.get(entry.order)
        if order is not None and bool(entry.mandatory) != _must_serve(order):
            yield Violation(
                "unassigned",
                f"{where}.mandatory",
                f"'{entry.order}' is a mandatory or pinned order: flag it mandatory"
                if _must_serve(order)
                else f"'{entry.order}' is neither mandatory nor pinned: do not flag it mandatory",
            )
        if not entry.reasons:
            yield Violation("unassigned_reason", f"{where}.reasons", "no reason is given")
    for order in ctx.problem.orders:
        if order.id not in served and order.id not in listed:
            yield Violation(
                "unassigned", f"orders/{order.id}", "neither served nor listed as unassigned"
            )
