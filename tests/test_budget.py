"""The time budget: stages, reserves and sub-budgets (`optimizer.budget`)."""

from __future__ import annotations

import time

import pytest

from optimizer.budget import Budget, Stage


def test_a_budget_counts_from_its_start():
    """The deadline is the start plus the limit, whatever the clock says now."""
    budget = Budget.start(10.0, started=100.0)
    assert budget.deadline == 110.0
    assert budget.limit == 10.0


def test_no_limit_is_an_empty_budget():
    """A missing or negative limit gives a budget of 0 s, which has expired at once."""
    assert Budget.start(None).limit == 0.0
    assert Budget.start(-3.0).limit == 0.0
    assert Budget.start(None).expired()


def test_a_stage_ends_at_its_share_less_what_it_keeps():
    """A stage of 0.9 keeping 0.15 s ends 8.85 s into a 10 s budget, never before the start."""
    budget = Budget.start(10.0, started=50.0)
    assert budget.end_of(Stage("search", share=0.9, keep=0.15)) == pytest.approx(58.85)
    assert budget.end_of(Stage("tiny", share=0.01, keep=5.0)) == 50.0
    assert budget.until(Stage("search", share=0.5)).deadline == pytest.approx(55.0)


def test_keeping_time_back_moves_the_deadline_not_the_start():
    """`keep` shortens the limit and keeps the start and the deterministic limit."""
    budget = Budget.start(5.0, 2.0, started=7.0).keep(1.5)
    assert (budget.started, budget.limit, budget.deterministic) == (7.0, 3.5, 2.0)
    assert Budget.start(1.0, started=0.0).keep(4.0).limit == 0.0


def test_a_part_of_a_budget_never_outlasts_it():
    """`ending` cuts the budget at an instant, but not past its own deadline nor before start."""
    budget = Budget.start(10.0, started=0.0)
    assert budget.ending(4.0).deadline == 4.0
    assert budget.ending(40.0).deadline == 10.0
    assert budget.ending(-1.0).limit == 0.0


def test_remaining_time_runs_down():
    """A budget started a while ago has that much less left, and none once it is over."""
    now = time.monotonic()
    assert Budget.start(10.0, started=now - 4.0).remaining() == pytest.approx(6.0, abs=0.5)
    assert Budget.start(1.0, started=now - 4.0).remaining() == 0.0
    assert Budget.start(1.0, started=now - 4.0).expired()


def test_work_kept_back_counts_at_the_budgets_pace():
    """At a pace of 3, keeping 0.5 s of work ends the budget 1.5 s early, and a stage keeps
    three times its seconds; a pace under 1 counts as 1."""
    budget = Budget.start(10.0, started=0.0, pace=3.0)
    assert budget.keep_work(0.5).limit == pytest.approx(8.5)
    assert budget.keep_work(0.5).pace == 3.0
    assert budget.end_of(Stage("search", share=0.9, keep=0.15)) == pytest.approx(8.55)
    assert Budget.start(10.0, started=0.0, pace=0.2).keep_work(1.0).limit == 9.0
