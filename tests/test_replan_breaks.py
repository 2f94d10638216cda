"""Breaks in a re-planned day: a break the work under way leaves no room for is taken as soon as
the technician is free, a break whose window is past is not asked for, and the evaluator of the
re-plan holds the plan to exactly that."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models import Plan, Problem
from models.problem import Break
from optimizer.evaluate import evaluate
from optimizer.evaluate.visits import breaks_owed
from optimizer.params import SolveParams
from optimizer.replan import replan
from optimizer.solve import solve
from tests.factory import DETERMINISTIC, at, order, problem, tech
from tests.replan_cases import events

LUNCH = {"earliest_start": at("12:30"), "latest_end": at("14:30"), "duration": "PT30M"}


def t(hhmm: str) -> datetime:
    """An instant on the test day."""
    return datetime.fromisoformat(at(hhmm))


def brk(start: str, end: str, minutes: int = 30) -> Break:
    """A break window."""
    return Break(earliest_start=t(start), latest_end=t(end), duration=timedelta(minutes=minutes))


def test_breaks_owed_keeps_settles_drops_and_delays() -> None:
    """A break with room after the work under way is owed as it is; one taken before `now`
    is settled; one whose window is past is not owed; one the work under way leaves no room
    for is owed from when the technician is free, for its duration."""
    lunch, tea = brk("12:30", "14:30"), brk("16:00", "17:00", 15)
    assert breaks_owed([lunch, tea], [], t("13:00"), t("12:00")) == [lunch, tea]
    assert breaks_owed([lunch, tea], [(t("12:40"), t("13:10"))], t("13:30"), t("13:20")) == [tea]
    assert breaks_owed([lunch, tea], [], None, t("15:00")) == [tea]
    late = breaks_owed([lunch, tea], [], t("14:20"), t("13:13"))
    assert late == [brk("14:20", "14:50"), tea]
    # Nothing under way: the technician was free before `now` and could take it then.
    assert breaks_owed([lunch], [], None, t("14:10")) == []


def _pinned_day() -> tuple[Problem, Plan]:
    """One technician with a lunch break 12:30-14:30: P pinned at 12:30 for 60 min, then Q."""
    p = problem(
        [tech("A", 0, 0, breaks=[LUNCH])],
        [
            order("P", 10, 0, 60, pinned={"technician": "A", "start": at("12:30")}),
            order("Q", 20, 0, 60, time_windows=[{"start": at("13:30"), "end": at("16:00")}]),
        ],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    return p, plan


@pytest.mark.parametrize("time_limit", [0.0, None])
def test_an_overrun_over_the_lunch_window_moves_the_break_right_after_it(
    time_limit: float | None,
) -> None:
    """P overruns to 14:20, so the break cannot end by 14:30: the re-plan (fast path and
    search) takes it at 14:20-14:50, Q after it, and the evaluator finds the plan feasible;
    without the break the re-plan is not."""
    p, plan = _pinned_day()
    now = t("13:13")
    delayed = events({"type": "visit_delayed", "order": "P", "expected_end": at("14:20")})
    params = SolveParams(time_limit=0) if time_limit == 0 else SolveParams(**DETERMINISTIC)
    res = replan(p, plan, now, delayed, params)
    ev = evaluate(res.problem, res.plan, previous=plan, frozen_before=now)
    assert ev.feasible, [str(v) for v in ev.violations]
    (route,) = res.plan.routes
    kinds = [getattr(it, "order", it.type) for it in route.items]
    assert kinds == ["start", "P", "break", "Q", "end"]
    assert (route.items[2].start, route.items[2].end) == (t("14:20"), t("14:50"))
    assert route.items[3].start >= t("14:50")
    without = res.plan.model_copy(deep=True)
    without.routes[0].items.pop(2)
    found = evaluate(res.problem, without, previous=plan, frozen_before=now)
    assert [v.code for v in found.violations] == ["break_missing"]


def test_a_technician_idle_through_the_lunch_window_owes_no_break_afterwards() -> None:
    """B had nothing to do all morning; at 13:34 (after B's lunch window) an emergency comes
    that only B can reach: B serves it with no break, and the plan is feasible."""
    lunch = {"earliest_start": at("11:30"), "latest_end": at("13:30"), "duration": "PT30M"}
    p = problem(
        [tech("A", 0, 0, breaks=[lunch]), tech("B", 100, 0, breaks=[lunch])],
        [order("W", 5, 0, 60, time_windows=[{"start": at("09:00"), "end": at("09:00")}])],
    )
    plan = solve(p, SolveParams(**DETERMINISTIC)).plan
    assert [r.technician for r in plan.routes] == ["A"]
    now = t("13:34")
    emergency = order(
        "E", 105, 0, 45, priority=1, kind="emergency", created_at=at("13:34"), due=at("14:30")
    )
    res = replan(p, plan, now, events({"type": "order_added", "order": emergency}))
    ev = evaluate(res.problem, res.plan, previous=plan, frozen_before=now)
    assert ev.feasible, [str(v) for v in ev.violations]
    b = next(r for r in res.plan.routes if r.technician == "B")
    assert [it.type for it in b.items] == ["start", "visit", "end"]
