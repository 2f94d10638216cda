"""The latency benchmark on a small bad day, once (so it cannot rot): every kind of call is
timed and checked, in this process and in a process of a named checkout.

    pytest benchmarks/test_latency_bench.py
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.latency import ROOT, make_day, measure, run_code, summary


def test_latency_measures_every_call(tmp_path: Path) -> None:
    """Two events on a 60-order bad day: recommend, fast path, kept matrix, service tasks."""
    problem, plan = make_day(tmp_path, 60, seed=4, base_limit=3.0)
    found = measure(problem, plan, 2, 4, service=True)
    assert {"recommend", "fast_path", "recommend_kept", "fast_path_kept"} <= set(found)
    assert {"recommend_task", "replan_task", "day_matrix"} <= set(found)
    assert {"recommend_day", "fast_path_day", "keep_day"} <= set(found)
    assert {"recommend_task_day", "replan_task_day", "keep_version"} <= set(found)
    assert all(len(found[k]) == 2 for k in ("recommend", "fast_path", "replan_task"))
    s = summary(found["fast_path"])
    assert s["n"] == 2 and s["cpu_median"] > 0
    again = run_code(ROOT, problem, plan, 1, 4, service=False)
    assert len(again["recommend"]) == 1
