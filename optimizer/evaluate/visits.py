"""Rules on visits (duration, time windows, skills, on-call) and on breaks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from models.common import Window
from models.plan import (
    BreakItem,
    DepotItem,
    VisitItem,
)
from models.problem import Break, Order
from optimizer.evaluate.context import Violation, _begin, _Context, _finish, _minutes, _RouteView


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
        order = ctx.orders.get(item.order)
        if order is None:
            where = f"{view.where}.items[{i}]"
            yield Violation("unknown_id", f"{where}.order", f"unknown order '{item.order}'")
            continue
        if item.end - item.start != order.duration:
            yield Violation(
                "duration",
                f"{view.where}.items[{i}]",
                f"lasts {_minutes(item.end - item.start):g} min, order '{order.id}' takes "
                f"{_minutes(order.duration):g} min",
            )
        if not _in_windows(item.start, order.time_windows or [ctx.problem.horizon]):
            yield Violation(
                "time_window",
                f"{view.where}.items[{i}]",
                f"starts at {item.start.isoformat()}, outside every time window of '{order.id}'",
            )
        if view.shift is not None and view.shift.on_call and not _urgent(order):
            yield Violation(
                "on_call",
                f"{view.where}.items[{i}]",
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
                    f"{view.where}.items[{i}]",
                    f"technician '{tech.id}' lacks the level of {', '.join(lacking)} that "
                    f"'{order.id}' requires",
                )


def breaks_owed(
    breaks: list[Break],
    taken: list[tuple[datetime, datetime]],
    free: datetime | None,
    now: datetime,
) -> list[Break]:
    """The breaks a route re-planned at `now` still owes, by earliest start: each break
    `taken` (start, end) before `now` settles the break whose window holds it (else the
    earliest left); a break whose window ended before `now` is past; one that the work
    under way (ending at `free`; None: nothing under way) leaves no room for in its window
    is owed as soon as the technician is free: from `free` for its duration (a late
    break). A technician with nothing under way was free before `now`: breaks with no room
    left after `now` are past."""
    left = sorted(breaks, key=lambda b: b.earliest_start)
    for start, end in taken:
        held = [b for b in left if b.earliest_start <= start and end <= b.latest_end]
        if left:
            left.remove(held[0] if held else left[0])
    owed = []
    for b in left:
        if b.latest_end - b.duration >= max(now, free or now):
            owed.append(b)
        elif free is not None and b.latest_end > now:
            late = max(free, now) + b.duration
            owed.append(b.model_copy(update={"earliest_start": free, "latest_end": late}))
    return owed


def _break_rules(view: _RouteView, frozen_before: datetime | None) -> Iterator[Violation]:
    """Every break of the shift is taken once, for its duration, inside its window.

    Break items are matched, in route order, to the shift's breaks sorted by earliest start.
    Re-planned at `frozen_before`: breaks taken before it stand as they were, and the others
    are those `breaks_owed` says.
    """
    if view.shift is None:
        return
    if not view.shift.breaks and not any(isinstance(it, BreakItem) for it in view.route.items):
        return  # nothing owed, nothing taken
    wanted = sorted(view.shift.breaks, key=lambda b: b.earliest_start)
    taken = [(i, it) for i, it in enumerate(view.route.items) if isinstance(it, BreakItem)]
    if frozen_before is not None:
        past = [it for _, it in taken if it.start < frozen_before]
        # Under way: begun, or the stop the technician has set off to.
        free = None  # when the work under way ends
        for it, leg in zip(view.route.items[:-1], view.legs, strict=False):
            if _begin(it) < frozen_before or (
                isinstance(it, VisitItem | DepotItem)
                and it.arrival - timedelta(seconds=leg) < frozen_before
            ):
                end = _finish(it)
                free = end if free is None else max(free, end)
        wanted = breaks_owed(wanted, [(b.start, b.end) for b in past], free, frozen_before)
        taken = taken[len(past) :]
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
