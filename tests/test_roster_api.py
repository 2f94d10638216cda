"""POST /v1/rosters as a job: submit, poll, fetch, cancel; every input error at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from benchmarks.roster_generator import generate_roster
from models.roster import load_roster_problem
from optimizer.roster.evaluate import evaluate_roster
from tests.test_api import Service, make_keys, make_settings


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A fresh service on a SQLite file with one key per role."""
    settings = make_settings(f"sqlite:///{tmp_path / 'dispatch.db'}")
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield Service(client, keys, settings)


def month(days: int = 7) -> dict[str, Any]:
    """A small generated roster problem (8 technicians)."""
    return generate_roster(8, seed=1, days=days)


def submit(service: Service, problem: dict[str, Any], **options: Any) -> Any:
    """POST a roster problem as the dispatcher."""
    wait = options.pop("wait", 0)
    return service.client.post(
        f"/v1/rosters?wait={wait}",
        json={"problem": problem, "options": options},
        headers=service.auth("dispatcher"),
    )


def until_ended(service: Service, roster_id: str) -> dict[str, Any]:
    """Poll the job until it is no longer queued or solving (bounded)."""
    deadline = time.monotonic() + 120
    while True:
        body: dict[str, Any] = service.client.get(
            f"/v1/rosters/{roster_id}", headers=service.auth("viewer")
        ).json()
        if body["status"] not in ("queued", "solving"):
            return body
        assert time.monotonic() < deadline, "the roster job never ended"
        time.sleep(0.05)


def test_submit_poll_and_fetch_a_roster(service: Service) -> None:
    """A submitted problem is accepted (202 with Location), ends done, and its roster is
    feasible with the objective the evaluator gives it."""
    problem = month()
    answer = submit(service, problem, time_limit=5, workers=1, deterministic_limit=2.0)
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"].endswith(f"/v1/rosters/{answer.json()['id']}")
    body = until_ended(service, answer.json()["id"])
    assert body["status"] == "done", body
    result = body["roster"]
    ev = evaluate_roster(load_roster_problem(problem), result["roster"])
    assert ev.feasible
    assert result["objective"]["value"] == ev.value


def test_invalid_problem_lists_every_error(service: Service) -> None:
    """A bad roster problem is 422 with each error under `problem`."""
    problem = month()
    problem["start_date"] = "2027-01-05"
    problem["cover"][0]["shift"] = "X"
    answer = submit(service, problem)
    assert answer.status_code == 422
    paths = {e["path"] for e in answer.json()["errors"]}
    assert paths == {"problem.start_date", "problem.cover[0].shift"}


def test_missing_roster_is_404_and_viewer_cannot_submit(service: Service) -> None:
    """An unknown id is 404; a viewer key may read but not submit (403)."""
    missing = service.client.get("/v1/rosters/nope", headers=service.auth("viewer"))
    assert missing.status_code == 404
    denied = service.client.post(
        "/v1/rosters", json={"problem": month()}, headers=service.auth("viewer")
    )
    assert denied.status_code == 403


def test_cancel_a_running_roster(service: Service) -> None:
    """Cancelling a long solve ends it `cancelled` at once; cancelling again is harmless, and
    a finished job cannot be cancelled (409)."""
    answer = submit(service, month(days=28), time_limit=60, workers=1)
    roster_id = answer.json()["id"]
    cancelled = service.client.delete(
        f"/v1/rosters/{roster_id}", headers=service.auth("dispatcher")
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    done = submit(service, month(), time_limit=5, workers=1, deterministic_limit=1.0, wait=60)
    assert done.status_code == 201, done.text
    late = service.client.delete(
        f"/v1/rosters/{done.json()['id']}", headers=service.auth("dispatcher")
    )
    assert late.status_code == 409
