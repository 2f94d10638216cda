"""The routes the board needs, through FastAPI's TestClient: moves, diffs, a plan's problem,
the key's own role, and the board's pages and files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from models import Plan, load_problem
from optimizer.evaluate import evaluate
from tests.factory import at, order, tech
from tests.test_api import Service, assert_problem, make_keys, make_settings


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A fresh service on a SQLite file, with one key per role."""
    settings = make_settings(f"sqlite:///{tmp_path / 'dispatch.db'}")
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield Service(client, keys, settings)


def board_problem() -> dict[str, Any]:
    """Three technicians (T3 has no fiber skill), four orders, euclidean travel."""
    return {
        "id": "board-tiny",
        "horizon": {"start": at("00:00"), "end": at("23:59")},
        "technicians": [
            tech("T1", 0, 0),
            tech("T2", 40, 0),
            tech("T3", 20, 30, skills={"copper": 2}),
        ],
        "orders": [
            order("O1", 5, 5),
            order("O2", 35, 5, priority=2),
            order("O3", 10, 20, priority=1, due=at("10:00")),
            order("O4", 25, 25, required_skills={"copper": 1}),
        ],
        "travel": {"model": "euclidean", "speed": 1.0},
        "options": {"time_limit": "PT1S", "seed": 0, "workers": 1},
    }


def solved(service: Service) -> str:
    """The id of a solved board problem (version 1)."""
    response = service.submit(board_problem(), wait=30, time_limit=1, workers=1)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def technician_of(plan: dict[str, Any], order_id: str) -> str | None:
    """Who serves the order in a plan document."""
    for route in plan["routes"]:
        for item in route["items"]:
            if item["type"] == "visit" and item["order"] == order_id:
                return str(route["technician"])
    return None


def test_move_to_another_technician_stores_a_pinned_feasible_version(service: Service) -> None:
    """A move to a qualified technician stores version 2: pinned, feasible, the change listed."""
    plan_id = solved(service)
    v1 = service.client.get(f"/v1/plans/{plan_id}/versions/1", headers=service.auth("viewer"))
    before = technician_of(v1.json()["plan"], "O1")
    target = "T2" if before != "T2" else "T1"
    response = service.client.post(
        f"/v1/plans/{plan_id}/moves",
        json={"order": "O1", "technician": target},
        headers=service.auth("dispatcher"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2
    assert technician_of(body["plan"], "O1") == target
    moved = [c for c in body["changes"] if c["order"] == "O1"]
    assert moved and moved[0]["from_technician"] == before and moved[0]["to_technician"] == target
    v2 = service.client.get(f"/v1/plans/{plan_id}/versions/2", headers=service.auth("viewer"))
    stored = v2.json()
    assert stored["input"]["move"]["order"] == "O1"
    problem = load_problem(stored["problem"])
    assert [o.id for o in problem.orders] == ["O1", "O2", "O3", "O4"]
    pinned = next(o for o in problem.orders if o.id == "O1").pinned
    assert pinned is not None and pinned.technician == target
    assert evaluate(problem, Plan.model_validate(stored["plan"])).feasible


def test_a_move_that_breaks_a_rule_is_422_with_the_rule_and_stores_nothing(
    service: Service,
) -> None:
    """Moving a fiber order to a technician without fiber: 422, one sentence, no version 2."""
    plan_id = solved(service)
    response = service.client.post(
        f"/v1/plans/{plan_id}/moves",
        json={"order": "O1", "technician": "T3"},
        headers=service.auth("dispatcher"),
    )
    body = assert_problem(response, 422)
    assert body["title"] == "Move refused"
    assert "T3" in body["detail"] and "skill" in body["detail"]
    assert body["detail"].endswith(".") and body["errors"][0]["path"] == "technician"
    job = service.client.get(f"/v1/plans/{plan_id}", headers=service.auth("viewer")).json()
    assert job["version"] == 1


def test_a_move_outside_the_order_windows_is_refused(service: Service) -> None:
    """A pinned start before the shift and the order's window: 422 naming the window."""
    plan_id = solved(service)
    response = service.client.post(
        f"/v1/plans/{plan_id}/moves",
        json={"order": "O1", "technician": "T1", "start": at("03:00")},
        headers=service.auth("dispatcher"),
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["path"] == "start"


def test_move_errors_unknown_ids_roles_and_stale_versions(service: Service) -> None:
    """Unknown order and technician together (422), a viewer (403), a stale version (409)."""
    plan_id = solved(service)
    url = f"/v1/plans/{plan_id}/moves"
    response = service.client.post(
        url, json={"order": "NOPE", "technician": "T9"}, headers=service.auth("dispatcher")
    )
    body = assert_problem(response, 422)
    assert {e["path"] for e in body["errors"]} == {"order", "technician"}
    response = service.client.post(
        url, json={"order": "O1", "technician": "T2"}, headers=service.auth("viewer")
    )
    assert_problem(response, 403)
    response = service.client.post(
        url,
        json={"order": "O1", "technician": "T2", "version": 5},
        headers=service.auth("dispatcher"),
    )
    assert_problem(response, 409)
    response = service.client.post(
        "/v1/plans/none/moves",
        json={"order": "O1", "technician": "T2"},
        headers=service.auth("dispatcher"),
    )
    assert_problem(response, 404)


def test_diff_lists_moved_added_dropped_and_number_deltas(service: Service) -> None:
    """After an added order and a cancelled one, the diff names both and the KPI deltas."""
    plan_id = solved(service)
    v1 = service.client.get(f"/v1/plans/{plan_id}/versions/1", headers=service.auth("viewer"))
    served_before = technician_of(v1.json()["plan"], "O2")
    assert served_before is not None
    events = {
        "now": at("00:00"),
        "time_limit": 1,
        "events": [
            {"type": "order_cancelled", "order": "O2"},
            {"type": "order_added", "order": order("O5", 30, 10)},
        ],
    }
    response = service.client.post(
        f"/v1/plans/{plan_id}/events", json=events, headers=service.auth("coordinator")
    )
    assert response.status_code == 200, response.text
    diff = service.client.get(
        f"/v1/plans/{plan_id}/diff?before=1&after=2", headers=service.auth("viewer")
    )
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert [c["order"] for c in body["dropped"]] == ["O2"]
    assert [c["order"] for c in body["added"]] == ["O5"]
    assert body["objective"]["delta"] == pytest.approx(
        body["objective"]["after"] - body["objective"]["before"]
    )
    kpis = {k["name"]: k for k in body["kpis"]}
    assert kpis["orders_total"]["before"] == 4 and kpis["orders_total"]["after"] == 4
    missing = service.client.get(
        f"/v1/plans/{plan_id}/diff?before=1&after=7", headers=service.auth("viewer")
    )
    assert_problem(missing, 404)


def test_problem_and_me(service: Service) -> None:
    """A plan's problem is readable by a viewer; /v1/me names the key's role."""
    plan_id = solved(service)
    problem = service.client.get(f"/v1/plans/{plan_id}/problem", headers=service.auth("viewer"))
    assert problem.status_code == 200 and problem.json()["id"] == "board-tiny"
    for role in ("viewer", "dispatcher", "coordinator", "admin"):
        me = service.client.get("/v1/me", headers=service.auth(role)).json()
        assert me["role"] == role and me["name"] == f"{role} key"
    assert_problem(service.client.get("/v1/me"), 401)


def test_board_pages_and_files_are_served_without_a_key(service: Service) -> None:
    """/ and /plans/{id} are HTML shells allowed to load only from the service; files 404."""
    home = service.client.get("/")
    assert home.status_code == 200 and "Sign in" in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert 'value="deterministic"' in home.text  # the presets, from optimizer/presets
    page = service.client.get("/plans/abc")
    assert page.status_code == 200 and 'data-plan-id="abc"' in page.text
    assert service.client.get("/static/board.js").status_code == 200
    assert service.client.get("/static/nothing.js").status_code == 404
    assert service.client.get("/static/..%2Fboard%2F__init__.py").status_code == 404
    assert "/" not in service.client.get("/openapi.json").json()["paths"]
