"""Re-planning events applied to the problem: orders added, cancelled or updated, technicians
unavailable, and the visit times that started and completed visits report."""

from __future__ import annotations

from datetime import datetime

from models.events import (
    Event,
    OrderAdded,
    OrderCancelled,
    OrderUpdated,
    TechnicianPosition,
    TechnicianUnavailable,
    VisitCompleted,
    VisitDelayed,
    VisitStarted,
)
from models.problem import Problem, Shift
from models.validation import (
    FieldError,
    InvalidInput,
    check_problem,
    location_error,
)


def apply_events(problem: Problem, events: list[Event], *, valid: bool = False) -> Problem:
    """The problem as it stands after the events (orders added, updated, cancelled;
    technicians unavailable; actual visit times folded into the orders as pins).

    `valid`: the problem is known to be valid (checked when it was kept): only what the
    events changed is checked again, with the same errors.
    Raises `InvalidInput` when an event names an unknown id or breaks the contract.
    """
    data = problem.model_copy()  # shallow: whatever changes is copied where it changes
    data.technicians = list(data.technicians)
    orders = {o.id: o for o in data.orders}
    errors: list[FieldError] = []
    for i, ev in enumerate(events):
        where = f"events[{i}]"
        if isinstance(ev, OrderAdded):
            if ev.order.id in orders:
                errors.append(FieldError(f"{where}.order.id", f"order '{ev.order.id}' exists"))
            orders[ev.order.id] = ev.order
        elif isinstance(ev, OrderUpdated):
            if ev.order.id not in orders:
                errors.append(FieldError(f"{where}.order.id", f"unknown order '{ev.order.id}'"))
            orders[ev.order.id] = ev.order
        elif isinstance(ev, OrderCancelled):
            if orders.pop(ev.order, None) is None:
                errors.append(FieldError(f"{where}.order", f"unknown order '{ev.order}'"))
        elif (
            isinstance(ev, VisitStarted | VisitCompleted | VisitDelayed) and ev.order not in orders
        ):
            errors.append(FieldError(f"{where}.order", f"unknown order '{ev.order}'"))
        elif isinstance(ev, TechnicianUnavailable | TechnicianPosition) and ev.technician not in {
            t.id for t in data.technicians
        }:
            errors.append(
                FieldError(f"{where}.technician", f"unknown technician '{ev.technician}'")
            )
        if isinstance(ev, TechnicianPosition):
            wrong = location_error(problem, ev.location)
            if wrong is not None:
                errors.append(FieldError(f"{where}.location", wrong))
    if errors:
        raise InvalidInput(errors)
    # Cancelled prerequisites no longer hold anything up, and a link to a cancelled order goes
    # with it: its partner is planned on its own.
    data.orders = [
        o
        if all(a in orders for a in o.after) and all(k.order in orders for k in o.linked)
        else o.model_copy(
            update={
                "after": [a for a in o.after if a in orders],
                "linked": [k for k in o.linked if k.order in orders],
            }
        )
        for o in orders.values()
    ]
    for ev in events:
        if isinstance(ev, TechnicianUnavailable):
            _make_unavailable(data, ev)
    found = check_problem(data, valid=problem if valid else None)
    if found:
        raise InvalidInput([FieldError(f"updated problem: {e.path}", e.message) for e in found])
    return data


def visit_times(events: list[Event]) -> dict[str, dict[str, datetime]]:
    """Order id -> reported actual `start` and/or (expected) `end` of its visit."""
    out: dict[str, dict[str, datetime]] = {}
    for ev in events:
        if isinstance(ev, VisitStarted):
            out.setdefault(ev.order, {})["start"] = ev.at
        elif isinstance(ev, VisitCompleted):
            out.setdefault(ev.order, {})["end"] = ev.at
        elif isinstance(ev, VisitDelayed):
            out.setdefault(ev.order, {})["end"] = ev.expected_end
    return out


def _make_unavailable(problem: Problem, ev: TechnicianUnavailable) -> None:
    """Cut the technician's shifts around [from, until]; a shift split in two resumes at its
    start location."""
    index = next(i for i, t in enumerate(problem.technicians) if t.id == ev.technician)
    tech = problem.technicians[index] = problem.technicians[index].model_copy()
    kept: list[Shift] = []
    for sh in tech.shifts:
        end = sh.end + sh.max_overtime
        if ev.until <= sh.start or ev.from_ >= end:
            kept.append(sh)
            continue
        if ev.from_ > sh.start:
            head = sh.model_copy(deep=True)
            head.end = min(sh.end, ev.from_)
            # Work under way is finished and the way home driven, as overtime if need be.
            head.max_overtime = end - head.end
            head.breaks = [b for b in sh.breaks if b.latest_end <= ev.from_]
            kept.append(head)
        if ev.until < end:
            tail = sh.model_copy(deep=True)
            tail.id = f"{sh.id}-r" if ev.from_ > sh.start else sh.id
            tail.start = max(ev.until, sh.start)
            tail.end = max(sh.end, tail.start)
            tail.max_overtime = end - tail.end
            tail.breaks = [b for b in sh.breaks if b.earliest_start >= tail.start]
            kept.append(tail)
    tech.shifts = kept
