"""Day workers (`api.day_workers`): recommendations and fast-path re-plans on a kept plan
version answer exactly as a fresh task process does, a new version is never served from
another's kept day, and a worker that dies is replaced."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any

import pytest

from api.day_workers import KEPT_AS, StoredVersion
from api.jobs import TaskFailed, TaskRunner
from api.worker import ADOPT, DONE, MISSING, document, kept_args, serve_days
from models import InvalidInput
from tests.replan_cases import emergency, small_bad_day

LIMIT = 600.0
"""A recommendation's time limit that never binds (a bound one may leave options out, and
a cold task process starts slowly on a loaded machine)."""


@pytest.fixture(scope="module")
def version() -> StoredVersion:
    """Version 1 of a small generated bad day, as the store holds it."""
    problem, plan = small_bad_day()
    return StoredVersion(("plan-a", 1, "t1"), document(problem), document(plan))


@pytest.fixture(scope="module")
def runners() -> Iterator[tuple[TaskRunner, TaskRunner]]:
    """A runner with day workers (two versions kept) and one without."""
    kept = TaskRunner(pool_size=1, queue_size=2, grace_seconds=5.0, kept_days=2)
    fresh = TaskRunner(pool_size=1, queue_size=2, grace_seconds=5.0)
    yield kept, fresh
    kept.close()


def recommend_args(version: StoredVersion, k: int) -> dict[str, Any]:
    """What the recommendations route sends for the day's k-th test emergency."""
    from models import load_problem

    order, now = emergency(load_problem(version.problem), k)
    with_order = {**version.problem, "orders": [*version.problem["orders"], document(order)]}
    return {"with_order": with_order, "plan": version.plan, "now": now.isoformat(), "k": 5}


def replan_args(version: StoredVersion, event: dict[str, Any], now: str) -> dict[str, Any]:
    """What the events route sends for a fast-path re-plan."""
    return {
        "problem": version.problem,
        "plan": version.plan,
        "now": now,
        "events": [event],
        "params": {"time_limit": 0},
        "tolerance": 900.0,
    }


def test_kept_recommendations_match_fresh_ones(
    runners: tuple[TaskRunner, TaskRunner], version: StoredVersion
) -> None:
    """Recommendations on a kept version equal a fresh task's, on the first and later calls."""
    kept, fresh = runners
    for k in (0, 1, 2):
        args = recommend_args(version, k)
        want = fresh.run("recommend", args, LIMIT)
        got = kept.run("recommend", args, LIMIT, version)
        assert got["items"] == want["items"] and got["items"]
        assert got["travel"] is None  # nothing for the service to keep


def test_kept_fast_path_matches_a_fresh_one(
    runners: tuple[TaskRunner, TaskRunner], version: StoredVersion
) -> None:
    """Fast-path re-plans on a kept version give the fresh task's problem, plan and changes."""
    kept, fresh = runners
    args = recommend_args(version, 3)
    added = {"type": "order_added", "order": args["with_order"]["orders"][-1]}
    cancelled = {"type": "order_cancelled", "order": version.problem["orders"][5]["id"]}
    for event in (added, cancelled, added):
        call = replan_args(version, event, args["now"])
        got = kept.run("replan", call, 0.0, version)
        want = fresh.run("replan", call, 0.0)
        assert untimed(got) == untimed(want)


def untimed(result: dict[str, Any]) -> dict[str, Any]:
    """A re-plan's result without the wall time its plan reports (nor a day worker's name
    for it)."""
    solver = {k: v for k, v in result["plan"]["solver"].items() if k != "wall_time"}
    rest = {k: v for k, v in result.items() if k != KEPT_AS}
    return {**rest, "plan": {**result["plan"], "solver": solver}}


def test_refused_input_gets_the_fresh_tasks_errors(
    runners: tuple[TaskRunner, TaskRunner], version: StoredVersion
) -> None:
    """An order or an event the kept path refuses is reported with a fresh task's errors and
    paths."""
    kept, fresh = runners
    args = recommend_args(version, 0)
    taken = version.problem["orders"][0]["id"]
    args["with_order"]["orders"][-1] = {**args["with_order"]["orders"][-1], "id": taken}
    errors = []
    for runner, given in ((fresh, None), (kept, version)):
        with pytest.raises(InvalidInput) as caught:
            runner.run("recommend", args, LIMIT, given)
        errors.append(caught.value.errors)
    assert errors[0] == errors[1] and errors[0]
    unknown = replan_args(version, {"type": "order_cancelled", "order": "NOPE"}, args["now"])
    errors = []
    for runner, given in ((fresh, None), (kept, version)):
        with pytest.raises(InvalidInput) as caught:
            runner.run("replan", unknown, 0.0, given)
        errors.append(caught.value.errors)
    assert errors[0] == errors[1] and errors[0][0].path == "events[0].order"


def test_a_dead_worker_is_replaced(
    runners: tuple[TaskRunner, TaskRunner], version: StoredVersion
) -> None:
    """A day worker killed between calls is replaced; the next call answers as before."""
    kept, fresh = runners
    args = recommend_args(version, 1)
    kept.run("recommend", args, LIMIT, version)
    assert kept._days is not None
    for worker in kept._days._idle:
        worker._process.kill()
        worker._process.join(5.0)
    got = kept.run("recommend", args, LIMIT, version)
    assert got["items"] == fresh.run("recommend", args, LIMIT)["items"]


def test_a_worker_dying_in_a_call_fails_the_call_only(version: StoredVersion) -> None:
    """A day worker that ends during a call fails that call; the next one is answered."""
    runner = TaskRunner(pool_size=1, queue_size=1, grace_seconds=0.0, kept_days=1)
    try:
        args = recommend_args(version, 0)
        # Killed from a thread while the worker validates and compiles the version.
        assert runner._days is not None
        days = runner._days

        def kill_soon() -> None:
            for _ in range(200):
                busy = [w for w in _all_workers(days) if w._process.is_alive()]
                if busy:
                    busy[0]._process.kill()
                    return
                threading.Event().wait(0.005)

        killer = threading.Thread(target=kill_soon)
        killer.start()
        with pytest.raises(TaskFailed, match="ended unexpectedly"):
            runner.run("recommend", args, LIMIT, version)
        killer.join()
        assert runner.run("recommend", args, LIMIT, version)["items"]
    finally:
        runner.close()


def _all_workers(days: Any) -> list[Any]:
    """The day workers made so far (idle or busy), for the test to kill one."""
    return [*days._busy, *days._idle]


# --------------------------------------------------------------------------- the worker loop


def _serve(capacity: int) -> tuple[Connection, threading.Thread]:
    """`serve_days` in a thread of this process, and the service's end of its pipe."""
    service, child = Pipe(duplex=True)
    thread = threading.Thread(target=serve_days, args=(child, os.getpid(), capacity))
    thread.start()
    return service, thread


def test_a_worker_keeps_versions_until_they_are_the_least_recent(version: StoredVersion) -> None:
    """The worker answers a kept version without its documents, asks for those of a version
    it does not keep (a new version is a new key), and drops the least recently used."""
    conn, thread = _serve(capacity=1)
    try:
        args = kept_args("recommend", recommend_args(version, 0))
        conn.send(("recommend", version.key, (version.problem, version.plan), args))
        kind, first = conn.recv()
        assert kind == DONE
        conn.send(("recommend", version.key, None, args))
        assert conn.recv() == (DONE, first)  # kept: answered without the documents
        newer = ("plan-a", 2, "t2")
        conn.send(("recommend", newer, None, args))
        assert conn.recv() == (MISSING, None)
        conn.send(("recommend", newer, (version.problem, version.plan), args))
        assert conn.recv()[0] == DONE
        conn.send(("recommend", version.key, None, args))
        assert conn.recv() == (MISSING, None)  # dropped for the newer one
    finally:
        conn.close()
        thread.join(10.0)
    assert not thread.is_alive()


def test_a_replans_result_is_kept_as_the_version_it_was_stored_as(
    version: StoredVersion,
) -> None:
    """After a re-plan, `adopt` with its token keeps its result as the stored version: a
    recommendation on it is answered without the documents, as one given them would be; a
    stale token keeps nothing."""
    conn, thread = _serve(capacity=2)
    try:
        call = recommend_args(version, 2)
        added = {"type": "order_added", "order": call["with_order"]["orders"][-1]}
        replan = {**kept_args("replan", replan_args(version, added, call["now"])), "token": "t"}
        conn.send(("replan", version.key, (version.problem, version.plan), replan))
        kind, result = conn.recv()
        assert kind == DONE
        stale, second = ("plan-a", 2, "x"), ("plan-a", 2, "t2")
        conn.send((ADOPT, stale, None, "other"))
        question = kept_args("recommend", recommend_args(version, 1))
        conn.send(("recommend", stale, None, question))
        assert conn.recv() == (MISSING, None)  # the stale token kept nothing
        conn.send(("replan", version.key, None, replan))
        assert conn.recv()[0] == DONE
        conn.send((ADOPT, second, None, "t"))
        conn.send(("recommend", second, None, question))
        kind, adopted = conn.recv()
        assert kind == DONE
        fresh, fresh_thread = _serve(capacity=1)
        try:
            documents = (result["problem"], result["plan"])
            fresh.send(("recommend", ("other", 2, "t2"), documents, question))
            assert fresh.recv() == (DONE, adopted)
        finally:
            fresh.close()
            fresh_thread.join(10.0)
    finally:
        conn.close()
        thread.join(10.0)


def test_stored_version_key_names_the_version() -> None:
    """A stored version's key is its plan id, number and storage time."""
    from datetime import UTC, datetime

    from api.db import VersionRecord

    at = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    record = VersionRecord(plan_id="p", number=3, created_at=at, problem={}, plan={})
    assert StoredVersion.of(record).key == ("p", 3, at.isoformat())
    later = VersionRecord(plan_id="p", number=3, created_at=at + timedelta(seconds=1))
    assert StoredVersion.of(later).key != StoredVersion.of(record).key


def test_closing_the_runner_stops_its_day_workers(version: StoredVersion) -> None:
    """`TaskRunner.close` (the service's shutdown) ends the day worker processes."""
    runner = TaskRunner(pool_size=1, queue_size=1, grace_seconds=5.0, kept_days=1)
    runner.run("recommend", recommend_args(version, 0), LIMIT, version)
    assert runner._days is not None
    workers = _all_workers(runner._days)
    assert workers and all(w.alive() for w in workers)
    runner.close()
    assert not any(w.alive() for w in workers)
