"""Rules on visits (duration, time windows, skills, on-call) and on breaks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from models.common import Window
from models.plan import (
    BreakItem,
    VisitItem,
)
from models.problem import Order
from optimizer.evaluate.context import Violation, _Context, _minutes, _RouteView


def _urgent(order: Order) -> bool:
    """An order an on-call shift may serve: an emergency or priority 1."""
    return order.kind == "emergency" or order.priority == 1


def _in_windows(instant: datetime, windows: list[Window]) -> bool:
    return any(w.start <= instant <= w.end for w in windows)


def _visit_rules(ctx: _Context, view: _RouteView) -> Iterator[Violation]:
    """Each visit: a known order, its duration, a time window, the technician's skills."""
    tech = view.technician
    for i, item in enumerate(view.route.items):
        if not isinstance(item, VisitItem):
            continue
        where = f"{view.where}.items[{i}]"
        order = ctx.orders.get(item.order)
        if order is None:
            yield Violation("unknown_id", f"{where}.order", f"unknown order '{item.order}'")
            continue
        if item.end - item.start != order.duration:
            yield Violation(
                "duration",
                where,
                f"lasts {_minutes(item.end - item.start):g} min, order '{order.id}' takes "
                f"{_minutes(order.duration):g} min",
            )
        if not _in_windows(item.start, order.time_windows or [ctx.problem.horizon]):
            yield Violation(
                "time_window",
                where,
                f"starts at {item.start.isoformat()}, outside every time window of '{order.id}'",
            )
        if view.shift is not None and view.shift.on_call and not _urgent(order):
            yield Violation(
                "on_call",
                where,
                f"on-call shift '{view.shift.id}' serves '{order.id}', which is neither an "
                f"emergency nor priority 1",
            )
        if tech is not None:
            lacking = [
                s for s, lvl in order.required_skills.items() if tech.skills.get(s, 0) < lvl
            ]
            if lacking:
                yield Violation(
                    "skill",
                    where,
                    f"technician '{tech.id}' lacks the level of {', '.join(lacking)} that "
                    f"'{order.id}' requires",
                )


def _break_rules(view: _RouteView) -> Iterator[Violation]:
    """Every break of the shift is taken once, for its duration, inside its window.

    Break items are matched, in route order, to the shift's breaks sorted by earliest start.
    """
    if view.shift is None:
        return
    wanted = sorted(view.shift.breaks, key=lambda b: b.earliest_start)
    taken = [(i, it) for i, it in enumerate(view.route.items) if isinstance(it, BreakItem)]
    for brk, (i, item) in zip(wanted, taken, strict=False):
        where = f"{view.where}.items[{i}]"
        if item.end - item.start != brk.duration:
            yield Violation(
                "duration",
                where,
                f"the break lasts {_minutes(item.end - item.start):g} min, not "
                f"{_minutes(brk.duration):g}",
            )
        if item.start < brk.earliest_start or item.end > brk.latest_end:
            yield Violation(
                "break_window",
                where,
                f"the break lies outside its window {brk.earliest_start.isoformat()} .. "
                f"{brk.latest_end.isoformat()}",
            )
    for brk in wanted[len(taken) :]:
        yield Violation(
            "break_missing",
            view.where,
            f"the break from {brk.earliest_start.isoformat()} is not taken",
        )
    for i, _ in taken[len(wanted) :]:
        yield Violation(
            "break_extra", f"{view.where}.items[{i}]", "the shift has no further break"
        )
