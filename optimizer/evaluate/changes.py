"""Re-planning changes: which orders count as changed against a previous plan."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.plan import (
    Plan,
)
from models.problem import Problem
from optimizer.evaluate.context import _Served, _summarise, _visits_by_order


def changed_orders(
    problem: Problem,
    plan: Plan,
    previous: Plan,
    tolerance: timedelta = timedelta(minutes=15),
    frozen_before: datetime | None = None,
) -> list[str]:
    """Ids of the problem's orders that count as changed between `previous` and `plan`.

    An order changes when it is served in one plan and not the other, or served by another set
    of technicians, or its start moves by more than `tolerance`. Orders that `previous` does
    not mention at all (new orders) and orders whose old or new start is before
    `frozen_before` never count.
    """
    return _changed(
        problem, _summarise(_visits_by_order(plan)), previous, tolerance, frozen_before
    )


Summary = tuple[dict[str, _Served], set[str]]
"""How a previous plan serves its orders, and the ids of the orders it mentions."""


def previous_summary(previous: Plan) -> Summary:
    """How `previous` serves its orders, and every order it mentions (served or not)."""
    old = _summarise(_visits_by_order(previous))
    return old, set(old) | {u.order for u in previous.unassigned}


def _changed(
    problem: Problem,
    new: dict[str, _Served],
    previous: Plan,
    tolerance: timedelta,
    frozen_before: datetime | None,
    summary: Summary | None = None,
) -> list[str]:
    """`changed_orders`, given how the new plan serves its orders (and `summary`, the
    previous plan's `previous_summary` when the caller keeps it)."""
    old, known = summary if summary is not None else previous_summary(previous)
    out = []
    for order in problem.orders:
        if order.id not in known:
            continue
        before, after = old.get(order.id), new.get(order.id)
        if before is None and after is None:
            continue
        if frozen_before is not None and (
            (before is not None and before.start < frozen_before)
            or (after is not None and after.start < frozen_before)
        ):
            continue
        if (
            before is None
            or after is None
            or before.technicians != after.technicians
            or abs(after.start - before.start) > tolerance
        ):
            out.append(order.id)
    return out
