"""Where the entry points' time limits start and what they keep back for the work after the
search: the service's short tasks, the command line's output, and a search that goes on into
the probes' stage when it left nothing to probe. (How close a command ends to its limit is
measured by `python -m benchmarks.overshoot`, not here.)"""

from __future__ import annotations

import io
import time

import pytest
from factory import order, problem, tech
from rich.console import Console

import optimizer.solve as solve_module
from api.cli import timing
from api.cli.output import plain_table
from api.cli.timing import output_reserve
from api.worker import RESULT_SECONDS_PER_ORDER, task_budget
from optimizer.budget import Budget
from optimizer.params import SolveParams
from optimizer.solve import solve


def _day(orders: int, techs: int = 1):
    """`techs` technicians and `orders` short visits close to home: every one fits."""
    return problem(
        [tech(f"T{t}") for t in range(techs)],
        [order(f"O{i}", i, 0, minutes=10) for i in range(orders)],
    )


def test_a_task_counts_from_when_the_runner_started_it():
    """A task started 3 s ago with 5 s has 2 s left, less what it keeps for its result."""
    started = time.monotonic() - 3.0
    budget = task_budget({"clock": {"started": started, "time_limit": 5.0}}, 1000)
    assert budget is not None
    assert budget.started == started
    assert budget.limit == pytest.approx(5.0 - 1000 * RESULT_SECONDS_PER_ORDER)
    assert budget.remaining() == pytest.approx(2.0 - 1000 * RESULT_SECONDS_PER_ORDER, abs=0.5)


def test_a_task_limit_of_its_own_replaces_the_runners():
    """A re-plan's own limit and deterministic limit win over the runner's; no runner, no
    budget (the task counts from its call)."""
    clock = {"started": 100.0, "time_limit": 10.0}
    budget = task_budget({"clock": clock}, 0, 4.0, 2.0)
    assert budget is not None
    assert (budget.started, budget.limit, budget.deterministic) == (100.0, 4.0, 2.0)
    assert task_budget({}, 10) is None


def test_the_output_reserve_grows_with_the_orders_and_the_summary():
    """The command line keeps more for a larger day, and more with the summary than without."""
    small, large = _day(2), _day(40)
    assert output_reserve(small, False) < output_reserve(large, False)
    assert output_reserve(large, False) < output_reserve(large, True)


def test_the_pace_is_measured_from_the_process_start_only(monkeypatch):
    """In-process (a test's runner) the pace is 1; counted from the process start it is the
    start-up's wall time over its CPU time, between 1 and `MAX_PACE`."""
    monkeypatch.setattr(timing, "_process", [])
    assert timing.pace() == 1.0
    # Ten CPU seconds so far, whatever this test process did before (a whole suite: minutes).
    monkeypatch.setattr(time, "process_time", lambda: 10.0)
    monkeypatch.setattr(timing, "_process", [time.monotonic() - 1000.0])
    assert timing.pace() == timing.MAX_PACE
    monkeypatch.setattr(timing, "_process", [time.monotonic() - 30.0])
    assert timing.pace() == pytest.approx(3.0, abs=0.1)
    monkeypatch.setattr(timing, "_process", [time.monotonic()])
    assert timing.pace() == 1.0


def test_plain_table_aligns_columns_and_prints_ids_as_they_are():
    """Each column starts at the same place on every line, and brackets in ids are not
    taken as markup."""
    text = plain_table("Title", ("order", "why"), [("[O1]", "a"), ("O22222", "bb")])
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(text)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Title"
    assert [line.index(w) for line, w in zip(lines[1:], ("why", "a", "bb"), strict=True)] == [
        8,
        8,
        8,
    ]
    assert lines[2].startswith("[O1]")


def test_the_search_goes_on_when_it_left_nothing_to_probe(monkeypatch):
    """Every order served: a wall-clock solve searches again from its solution until the
    probes' stage ends; under a deterministic limit it does not (work ends each stage)."""
    calls: list[tuple[Budget, object]] = []
    real = solve_module.search

    def spy(inst, params, budget, initial=None, **kw):
        calls.append((budget, initial))
        return real(inst, params, budget, initial, **kw)

    monkeypatch.setattr(solve_module, "search", spy)
    day = _day(3, techs=2)
    # Neighbourhoods, not one exact model (which may prove its optimum: nothing to go on
    # for); and however little time is left on a loaded machine, the search goes on.
    params = SolveParams.model_validate(
        {
            "time_limit": 1.0,
            "workers": 1,
            "seed": 0,
            "search": {"full_model_arcs": 0},
            "timing": {"search_on_seconds": 0.0},
        }
    )
    plan = solve(day, params).plan
    assert not plan.unassigned
    assert len(calls) == 2 and calls[1][1] is not None
    timing = SolveParams().timing
    assert calls[1][0].deadline > calls[0][0].deadline
    assert calls[1][0].deadline <= calls[0][0].started + 1.0 - timing.reserve / 3 + 1e-9
    calls.clear()
    solve(day, params.model_copy(update={"deterministic_limit": 0.2}))
    assert len(calls) == 1
