"""The HTTP API through FastAPI's TestClient: every endpoint, every error, real solves."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from api.app import create_app
from api.auth import Role
from api.day_workers import StoredVersion
from api.db import normalize_url
from api.settings import Settings
from api.store import INTERRUPTED, Author, Store
from api.worker import DONE, better, run_solve, stages
from models import Plan, load_problem, parse_model
from optimizer.evaluate import evaluate
from tests.factory import at, order, tech

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "telecom-day.json"
PROBLEM_JSON = "application/problem+json"


def tiny_problem(**fields: Any) -> dict[str, Any]:
    """Two technicians, three orders, euclidean travel: solved in well under a second."""
    return {
        "id": "tiny",
        "horizon": {"start": at("00:00"), "end": at("23:59")},
        "technicians": [tech("T1", 0, 0), tech("T2", 40, 0)],
        "orders": [
            order("O1", 5, 5),
            order("O2", 35, 5, priority=2),
            order("O3", 10, 20, priority=1, due=at("10:00")),
        ],
        "travel": {"model": "euclidean", "speed": 1.0},
        "options": {"time_limit": "PT1S", "seed": 0, "workers": 1},
        **fields,
    }


def example() -> dict[str, Any]:
    """The shipped example day (30 orders, 8 technicians)."""
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


@dataclass
class Service:
    """A running app on a fresh database, with one key per role."""

    client: TestClient
    keys: dict[str, str]
    settings: Settings

    def auth(self, role: str) -> dict[str, str]:
        """The Authorization header of the role's key."""
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def submit(self, problem: dict[str, Any], role: str = "dispatcher", **query: Any) -> Any:
        """POST a problem (with `options` taken from the query keywords but `wait`)."""
        wait = query.pop("wait", None)
        url = "/v1/plans" + (f"?wait={wait}" if wait is not None else "")
        return self.client.post(
            url, json={"problem": problem, "options": query}, headers=self.auth(role)
        )

    def until(self, plan_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll a plan until `done` holds (bounded, so a hang fails instead of blocking)."""
        deadline = time.monotonic() + 120
        while True:
            body: dict[str, Any] = self.client.get(
                f"/v1/plans/{plan_id}", headers=self.auth("viewer")
            ).json()
            if done(body):
                return body
            assert time.monotonic() < deadline, f"plan never got there: {body['status']}"
            time.sleep(0.05)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in `tmp_path`, or, when DISPATCH_TEST_POSTGRES names a
    PostgreSQL server (`postgresql://user@host:port/postgres`), a new database on it that is
    dropped afterwards."""
    with fresh_database(tmp_path) as url:
        yield url


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """The URL of a new database (SQLite in `folder`, or on DISPATCH_TEST_POSTGRES's server,
    dropped when the block ends)."""
    server = os.environ.get("DISPATCH_TEST_POSTGRES")
    if not server:
        yield f"sqlite:///{folder / 'dispatch.db'}"
        return
    name = f"dispatch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = make_url(normalize_url(server)).set(database=name)
        yield url.render_as_string(hide_password=False)  # str() would mask the password
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def make_settings(url: str, **fields: Any) -> Settings:
    """Settings on the database at `url`; small pool and queue, quick first stage."""
    base: dict[str, Any] = {
        "db": url,
        "pool_size": 1,
        "queue_size": 1,
        "first_stage_seconds": 0.5,
    }
    return Settings(**{**base, **fields})


def make_keys(settings: Settings) -> dict[str, str]:
    """One key per role in the settings' database."""
    store = Store.open(settings.db)
    try:
        return {role.value: store.create_key(role, f"{role.value} key")[1] for role in Role}
    finally:
        store.close()


@pytest.fixture
def service(db_url: str) -> Iterator[Service]:
    """A fresh service: its own database, keys for each role, one worker, queue of one."""
    settings = make_settings(db_url)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield Service(client, keys, settings)


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service for the module's tests that change nothing (every request refused or not
    found), started once instead of once a test."""
    with fresh_database(tmp_path_factory.mktemp("refusing")) as url:
        settings = make_settings(url)
        keys = make_keys(settings)
        with TestClient(create_app(settings)) as client:
            yield Service(client, keys, settings)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The answer is problem+json with this status; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    return body


def error_paths(body: dict[str, Any]) -> set[str]:
    """The paths of a 422 answer's errors."""
    return {e["path"] for e in body["errors"]}


# --------------------------------------------------------------------------- health and access


def test_health_checks_need_no_key(service: Service) -> None:
    """/healthz and /readyz answer without a key; readiness reports the pool."""
    assert service.client.get("/healthz").json() == {"status": "ok"}
    ready = service.client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["database"] == "ok"
    assert ready["pool_size"] == 1 and ready["queued"] == 0


ROUTES = [
    ("GET", "/v1/plans"),
    ("POST", "/v1/plans"),
    ("GET", "/v1/plans/x"),
    ("DELETE", "/v1/plans/x"),
    ("GET", "/v1/plans/x/versions"),
    ("GET", "/v1/plans/x/versions/1"),
    ("POST", "/v1/plans/x/events"),
    ("POST", "/v1/plans/x/recommendations"),
    ("POST", "/v1/validate"),
    ("POST", "/v1/evaluate"),
    ("GET", "/v1/keys"),
    ("POST", "/v1/keys"),
    ("DELETE", "/v1/keys/x"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_but_health_needs_a_key(refusing: Service, method: str, url: str) -> None:
    """No key, a malformed key, a wrong secret: 401 problem+json with WWW-Authenticate."""
    bad_secret = refusing.keys["admin"][:-4] + "abcd"
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {bad_secret}"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ):
        response = refusing.client.request(method, url, headers=headers, json={})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("viewer", "POST", "/v1/plans"),
        ("viewer", "DELETE", "/v1/plans/x"),
        ("viewer", "POST", "/v1/plans/x/recommendations"),
        ("dispatcher", "POST", "/v1/plans/x/events"),
        ("coordinator", "GET", "/v1/keys"),
        ("coordinator", "POST", "/v1/keys"),
        ("coordinator", "DELETE", "/v1/keys/x"),
    ],
)
def test_a_role_below_the_route_is_403(
    refusing: Service, role: str, method: str, url: str
) -> None:
    """Each role is refused what only the roles above it may do."""
    response = refusing.client.request(method, url, headers=refusing.auth(role), json={})
    body = assert_problem(response, 403)
    assert role in body["detail"]


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("viewer", "GET", "/v1/plans/x"),
        ("dispatcher", "DELETE", "/v1/plans/x"),
        ("coordinator", "POST", "/v1/plans/x/events"),
        ("admin", "DELETE", "/v1/keys/x"),
    ],
)
def test_a_role_allowed_reaches_the_route(
    refusing: Service, role: str, method: str, url: str
) -> None:
    """A key whose role suffices gets past access control (here to a 404 or a 422)."""
    body = {"now": at("10:00"), "events": []} if url.endswith("events") else None
    response = refusing.client.request(method, url, headers=refusing.auth(role), json=body)
    assert response.status_code in (404, 422), response.text


# --------------------------------------------------------------------------- plans


def test_submit_and_wait_gives_a_feasible_plan(service: Service) -> None:
    """POST with `wait` answers 201 with a done job, its feasible plan, KPIs and Location."""
    response = service.submit(tiny_problem(), wait=30)
    assert response.status_code == 201, response.text
    job = response.json()
    assert response.headers["location"].endswith(f"/v1/plans/{job['id']}")
    assert job["status"] == "done" and job["version"] == 1 and job["problem_id"] == "tiny"
    assert job["author"]["role"] == "dispatcher" and job["started_at"] and job["finished_at"]
    plan = parse_model(Plan, job["plan"])
    assert evaluate(load_problem(tiny_problem()), plan).feasible
    assert job["kpis"] == job["plan"]["kpis"] and job["kpis"]["orders_served"] == 3
    again = service.client.get(f"/v1/plans/{job['id']}", headers=service.auth("viewer")).json()
    assert again["plan"] == job["plan"]


def test_service_solves_use_a_chain_per_worker(service: Service) -> None:
    """A solve in the service may fork its ruin-and-recreate chains, as the CLI does."""
    problem = tiny_problem()
    problem["options"]["workers"] = 2
    job = service.submit(problem, wait=30).json()
    assert job["status"] == "done", job
    assert job["plan"]["solver"]["chains"] == 2


def test_submit_answers_202_and_poll_finds_the_plan(service: Service) -> None:
    """Without `wait`: 202, a Location to poll, and a done plan at it in the end."""
    response = service.submit(tiny_problem(), time_limit=1)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "solving") and job["plan"] is None
    assert job["options"]["time_limit"] == "PT1S"
    location = response.headers["location"]
    done = service.until(job["id"], lambda b: b["status"] == "done")
    assert done["plan"]["status"] in ("optimal", "feasible")
    assert service.client.get(location, headers=service.auth("viewer")).json()["version"] == 1


def test_time_limit_is_capped_by_the_service(db_url: str) -> None:
    """A time limit above the service's maximum runs at the maximum."""
    settings = make_settings(db_url, max_time_limit=1.0)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        service = Service(client, keys, settings)
        job = service.submit(tiny_problem(), time_limit="PT1H", wait=30).json()
    assert job["options"]["time_limit"] == "PT1S" and job["status"] == "done"


def test_invalid_problem_is_422_with_every_error(service: Service) -> None:
    """A problem breaking the contract in many places: 422 listing each error with its path,
    and nothing is stored."""
    data = example()
    data["technicians"][1]["id"] = data["technicians"][0]["id"]
    data["technicians"][2]["skills"] = {"fiber": 7}
    data["orders"][0]["duration"] = "P1M"
    data["orders"][3]["after"] = ["NOPE"]
    data["orders"][4]["time_windows"] = [{"start": "2026-12-01T12:00:00", "end": "noon"}]
    body = assert_problem(service.submit(data), 422)
    assert body["type"].endswith("invalid-input")
    assert {
        "problem.technicians[1].id",
        "problem.technicians[2].skills.fiber",
        "problem.orders[0].duration",
        "problem.orders[3].after[0]",
        "problem.orders[4].time_windows[0].start",
        "problem.orders[4].time_windows[0].end",
    } <= error_paths(body)
    assert all(e["message"] for e in body["errors"])
    listing = service.client.get("/v1/plans", headers=service.auth("viewer")).json()
    assert listing["total"] == 0


@pytest.mark.parametrize(
    ("content", "paths"),
    [
        (b'{"problem": ', {"$"}),
        (b"[1, 2]", {"$"}),
        (b"{}", {"problem"}),
        (b'{"problem": [], "extra": 1}', {"problem", "extra"}),
        (
            b'{"problem": {}, "options": {"time_limit": -5, "workers": 0}}',
            {"options.time_limit", "options.workers"},
        ),
    ],
)
def test_malformed_request_is_422_with_paths(
    refusing: Service, content: bytes, paths: set[str]
) -> None:
    """Bad JSON, a wrong shape, unknown fields, bad options: 422 with each path."""
    response = refusing.client.post(
        "/v1/plans",
        content=content,
        headers={**refusing.auth("dispatcher"), "Content-Type": "application/json"},
    )
    assert paths <= error_paths(assert_problem(response, 422))


def test_bad_query_parameters_are_422(service: Service) -> None:
    """Out-of-range paging and an unknown status filter: 422 naming the query parameter."""
    response = service.client.get("/v1/plans?limit=0&status=nope", headers=service.auth("viewer"))
    assert {"query.limit", "query.status[0]"} <= error_paths(assert_problem(response, 422))


def test_missing_ids_are_404(service: Service) -> None:
    """An unknown plan, version or key id: 404 problem+json."""
    viewer, admin = service.auth("viewer"), service.auth("admin")
    assert_problem(service.client.get("/v1/plans/nope", headers=viewer), 404)
    assert_problem(service.client.get("/v1/plans/nope/versions", headers=viewer), 404)
    assert_problem(service.client.get("/v1/plans/nope/versions/1", headers=viewer), 404)
    assert_problem(service.client.delete("/v1/plans/nope", headers=admin), 404)
    assert_problem(service.client.delete("/v1/keys/nope", headers=admin), 404)
    job = service.submit(tiny_problem(), wait=30).json()
    assert_problem(service.client.get(f"/v1/plans/{job['id']}/versions/2", headers=viewer), 404)
    assert_problem(service.client.get("/v1/nowhere", headers=viewer), 404)


def test_nul_characters_never_reach_the_database(service: Service) -> None:
    """NUL characters (PostgreSQL text cannot hold them): 404 in ids, no match in filters,
    422 in a key's name and a problem's id."""
    viewer, admin = service.auth("viewer"), service.auth("admin")
    assert_problem(service.client.get("/v1/plans/a%00b", headers=viewer), 404)
    assert_problem(service.client.delete("/v1/keys/a%00b", headers=admin), 404)
    page = service.client.get("/v1/plans?problem_id=a%00b", headers=viewer).json()
    assert page["total"] == 0
    named = service.client.post(
        "/v1/keys", json={"role": "viewer", "name": "a\x00b"}, headers=admin
    )
    assert "name" in error_paths(assert_problem(named, 422))
    assert "problem.id" in error_paths(
        assert_problem(service.submit(tiny_problem(id="a\x00b")), 422)
    )


def test_list_pages_and_filters(service: Service) -> None:
    """Listing: newest first, paged, filtered by status, problem id and creation time."""
    ids = [service.submit(tiny_problem(id=f"day-{n}"), wait=30).json()["id"] for n in range(3)]
    viewer = service.auth("viewer")
    page = service.client.get("/v1/plans?limit=2", headers=viewer).json()
    assert page["total"] == 3 and [p["id"] for p in page["items"]] == ids[::-1][:2]
    rest = service.client.get("/v1/plans?limit=2&offset=2", headers=viewer).json()
    assert [p["id"] for p in rest["items"]] == ids[:1]
    one = service.client.get("/v1/plans?problem_id=day-1", headers=viewer).json()
    assert [p["id"] for p in one["items"]] == [ids[1]]
    assert (
        service.client.get("/v1/plans?status=done&status=failed", headers=viewer).json()["total"]
        == 3
    )
    assert service.client.get("/v1/plans?status=queued", headers=viewer).json()["total"] == 0
    later = service.client.get(
        "/v1/plans", params={"created_after": "2999-01-01T00:00:00Z"}, headers=viewer
    ).json()
    assert later["total"] == 0
    earlier = service.client.get(
        "/v1/plans", params={"created_before": "2999-01-01T00:00:00Z"}, headers=viewer
    ).json()
    assert earlier["total"] == 3
    for bound in (
        "created_after=0001-01-01T00:00:00%2B05:00",
        "created_before=9999-12-31T23:59:59-05:00",
    ):  # beyond what UTC can hold
        assert service.client.get(f"/v1/plans?{bound}", headers=viewer).json()["total"] == 3


def test_full_queue_is_429_and_cancel_keeps_the_best_plan(service: Service) -> None:
    """One worker and a queue of one: a third solve is 429 with Retry-After; cancelling the
    queued one leaves no plan, cancelling the running one keeps its best plan so far."""
    running = service.submit(example(), time_limit=60).json()
    service.until(running["id"], lambda b: b["status"] == "solving" and b["plan"] is not None)
    queued = service.submit(tiny_problem(), time_limit=1)
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    full = service.submit(tiny_problem(), time_limit=1)
    body = assert_problem(full, 429)
    assert body["type"].endswith("queue-full")
    assert int(full.headers["retry-after"]) >= 1

    dispatcher = service.auth("dispatcher")
    cancelled = service.client.delete(f"/v1/plans/{queued.json()['id']}", headers=dispatcher)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["plan"] is None

    stopped = service.client.delete(f"/v1/plans/{running['id']}", headers=dispatcher).json()
    assert stopped["status"] == "cancelled" and stopped["version"] == 1
    assert stopped["cancelled_by"] is not None and stopped["plan"] is not None
    plan = parse_model(Plan, stopped["plan"])
    assert evaluate(load_problem(example()), plan).feasible
    versions = service.client.get(
        f"/v1/plans/{running['id']}/versions", headers=service.auth("viewer")
    ).json()["items"]
    assert [v["kind"] for v in versions] == ["solve"]
    again = service.client.delete(f"/v1/plans/{running['id']}", headers=dispatcher)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert service.submit(tiny_problem(), wait=30).status_code == 201


def test_cancelling_a_finished_plan_is_409(service: Service) -> None:
    """A done plan cannot be cancelled; it stays done."""
    job = service.submit(tiny_problem(), wait=30).json()
    response = service.client.delete(f"/v1/plans/{job['id']}", headers=service.auth("dispatcher"))
    assert "done" in assert_problem(response, 409)["detail"]


# --------------------------------------------------------------------------- re-planning


def emergency() -> dict[str, Any]:
    """An outage on the example day: a priority-1 fiber repair due within two hours."""
    return {
        "id": "EMG-NEW",
        "kind": "emergency",
        "location": {"lat": 31.83, "lon": 117.21},
        "duration": "PT45M",
        "required_skills": {"fiber": 2},
        "priority": 1,
        "created_at": "2026-12-01T10:50:00+08:00",
        "due": "2026-12-01T12:30:00+08:00",
    }


NOW = "2026-12-01T11:00:00+08:00"


def test_emergency_event_makes_version_two_with_changes(service: Service) -> None:
    """The whole story over HTTP: submit the example, fetch a feasible plan, post an
    emergency, read both versions and the changes."""
    job = service.submit(example(), time_limit=2, wait=60).json()
    assert job["status"] == "done"
    assert evaluate(load_problem(example()), parse_model(Plan, job["plan"])).feasible
    body = {"now": NOW, "events": [{"type": "order_added", "order": emergency()}], "time_limit": 2}
    response = service.client.post(
        f"/v1/plans/{job['id']}/events", json=body, headers=service.auth("coordinator")
    )
    assert response.status_code == 200, response.text
    replanned = response.json()
    assert replanned["version"] == 2 and replanned["plan"]["changes"] == replanned["changes"]
    assert any(c["order"] == "EMG-NEW" for c in replanned["changes"])

    viewer = service.auth("viewer")
    versions = service.client.get(f"/v1/plans/{job['id']}/versions", headers=viewer).json()
    first, second = versions["items"]
    assert (first["number"], first["kind"], second["number"], second["kind"]) == (
        1,
        "solve",
        2,
        "replan",
    )
    assert first["author"]["role"] == "dispatcher" and second["author"]["role"] == "coordinator"
    assert first["input"]["problem"] == example() and first["changes"] == []
    assert second["input"]["events"][0]["order"]["id"] == "EMG-NEW"
    assert second["changes"] == replanned["changes"]
    assert "EMG-NEW" in {o["id"] for o in second["problem"]["orders"]}
    updated = load_problem(second["problem"])
    assert evaluate(updated, parse_model(Plan, second["plan"])).feasible
    one = service.client.get(f"/v1/plans/{job['id']}/versions/2", headers=viewer).json()
    assert one == second
    latest = service.client.get(f"/v1/plans/{job['id']}", headers=viewer).json()
    assert latest["version"] == 2 and latest["plan"] == second["plan"]


def test_events_conflicts_and_invalid_events(service: Service) -> None:
    """Events on a stale version or a plan still solving are 409; a bad event is 422."""
    coordinator = service.auth("coordinator")
    job = service.submit(tiny_problem(), wait=30).json()
    url = f"/v1/plans/{job['id']}/events"
    cancel = {"type": "order_cancelled", "order": "O2"}
    ok = service.client.post(
        url, json={"now": at("07:00"), "events": [cancel], "time_limit": 0}, headers=coordinator
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2
    stale = service.client.post(
        url,
        json={"now": at("07:00"), "events": [], "time_limit": 0, "version": 1},
        headers=coordinator,
    )
    assert "version 1" in assert_problem(stale, 409)["detail"]
    unknown = service.client.post(
        url,
        json={"now": at("07:00"), "events": [{"type": "order_cancelled", "order": "NOPE"}]},
        headers=coordinator,
    )
    assert "events[0].order" in error_paths(assert_problem(unknown, 422))
    malformed = service.client.post(
        url,
        json={
            "now": "07:00",
            "events": [{"type": "nope"}, {"type": "order_added", "order": {"id": "X"}}],
        },
        headers=coordinator,
    )
    paths = error_paths(assert_problem(malformed, 422))
    assert {"now", "events[0]", "events[1].order.location"} <= paths, paths

    solving = service.submit(example(), time_limit=30).json()
    busy = service.client.post(
        f"/v1/plans/{solving['id']}/events", json={"now": NOW, "events": []}, headers=coordinator
    )
    assert "still being solved" in assert_problem(busy, 409)["detail"]
    service.client.delete(f"/v1/plans/{solving['id']}", headers=coordinator)


def test_recommendations_rank_ways_to_fit_an_order(service: Service) -> None:
    """Recommendations for a new order: at most k, each with a technician and times."""
    job = service.submit(tiny_problem(), wait=30).json()
    url = f"/v1/plans/{job['id']}/recommendations"
    new = order("O4", 20, 10, priority=1, due=at("12:00"))
    response = service.client.post(
        url, json={"order": new, "now": at("08:30"), "k": 1}, headers=service.auth("dispatcher")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["order"] == "O4" and body["version"] == 1 and len(body["items"]) == 1
    item = body["items"][0]
    assert item["technician"] in ("T1", "T2") and item["start"] <= item["end"]
    for bad, path in (
        ({**new, "duration": "P1M"}, "order.duration"),
        ({**new, "preferred_technicians": ["NOPE"]}, "order.preferred_technicians[0]"),
        ({**new, "id": "O1"}, "order.id"),
    ):
        response = service.client.post(
            url, json={"order": bad, "now": at("08:30")}, headers=service.auth("dispatcher")
        )
        assert path in error_paths(assert_problem(response, 422))


def test_recommendations_keep_the_versions_travel_matrix(db_url: str) -> None:
    """Without day workers, the first recommendation on a version leaves its travel matrix
    with the service; the next one, given it, answers the same."""
    settings = make_settings(db_url, kept_days=0)
    with TestClient(create_app(settings)) as client:
        _travel_matrix_kept(Service(client, make_keys(settings), settings))


def _travel_matrix_kept(service: Service) -> None:
    job = service.submit(tiny_problem(), wait=30).json()
    url = f"/v1/plans/{job['id']}/recommendations"
    body = {"order": order("O4", 20, 10, priority=1, due=at("12:00")), "now": at("08:30")}
    cache = service.client.app.state.slot_travel  # type: ignore[attr-defined]
    store = service.client.app.state.store  # type: ignore[attr-defined]
    stored = store.get_version(job["id"], 1).problem
    assert cache.find(job["id"], 1, stored) is None
    first = service.client.post(url, json=body, headers=service.auth("dispatcher"))
    assert first.status_code == 200, first.text
    assert cache.find(job["id"], 1, stored) is not None
    again = service.client.post(url, json=body, headers=service.auth("dispatcher"))
    assert again.status_code == 200, again.text
    assert again.json()["items"] == first.json()["items"]


def test_recommendations_and_fast_replans_keep_the_version(service: Service) -> None:
    """A day worker keeps each version asked about: a second recommendation answers as the
    first; a re-plan with time limit 0 runs the fast path alone there, and its result is
    kept as the new version, apart from the old one."""
    job = service.submit(tiny_problem(), wait=30).json()
    url = f"/v1/plans/{job['id']}/recommendations"
    body = {"order": order("O4", 20, 10, priority=1, due=at("12:00")), "now": at("08:30")}
    dispatcher = service.auth("dispatcher")
    first = service.client.post(url, json=body, headers=dispatcher)
    assert first.status_code == 200, first.text
    again = service.client.post(url, json=body, headers=dispatcher)
    assert again.json() == first.json()
    days = service.client.app.state.tasks._days  # type: ignore[attr-defined]
    (worker,) = days._idle
    assert [key[:2] for key in worker.held] == [(job["id"], 1)]
    cancel = {"now": at("07:00"), "events": [{"type": "order_cancelled", "order": "O2"}]}
    replanned = service.client.post(
        f"/v1/plans/{job['id']}/events",
        json={**cancel, "time_limit": 0},
        headers=service.auth("coordinator"),
    )
    assert replanned.status_code == 200, replanned.text
    assert replanned.json()["plan"]["solver"]["search"] == "fast-path"  # 0 is no search
    # The re-plan's result is kept as version 2, under the key the store reads back.
    store = service.client.app.state.store  # type: ignore[attr-defined]
    stored = StoredVersion.of(store.get_version(job["id"], 2))
    assert list(worker.held) == [(job["id"], 1, worker_key(store, job["id"], 1)), stored.key]
    after = service.client.post(url, json=body, headers=dispatcher)
    assert after.status_code == 200 and after.json()["version"] == 2
    assert [key[:2] for key in worker.held] == [(job["id"], 1), (job["id"], 2)]


def worker_key(store: Store, plan_id: str, number: int) -> str:
    """The storage time in a stored version's key."""
    return StoredVersion.of(store.get_version(plan_id, number)).key[2]


def test_travel_cache_is_keyed_on_the_problems_content() -> None:
    """A kept matrix is found for its version's problem (keys in any order), never for the
    same version with another problem."""
    from api.routers.slots import TravelCache
    from models import load_problem
    from optimizer.travel import TravelMatrix

    doc = tiny_problem()
    cache = TravelCache()
    matrix = TravelMatrix.from_problem(load_problem(doc))
    cache.put("p1", 1, doc, matrix)
    assert cache.find("p1", 1, dict(reversed(doc.items()))) is matrix
    moved = {**doc, "orders": [{**doc["orders"][0], "location": {"x": 1, "y": 2}}]}
    assert cache.find("p1", 1, moved) is None
    assert cache.find("p1", 2, doc) is None


# --------------------------------------------------------------------------- checks


def test_validate_counts_a_valid_problem(service: Service) -> None:
    """/v1/validate on the example: valid, with its counts."""
    response = service.client.post(
        "/v1/validate", json={"problem": example()}, headers=service.auth("viewer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] and body["technicians"] == 8 and body["orders"] == 30
    assert body["travel_model"] == "haversine"


def test_validate_lists_every_error(service: Service) -> None:
    """/v1/validate on a broken problem: 422 with each error's path."""
    data = tiny_problem()
    data["orders"][0]["after"] = ["O1"]
    data["technicians"][0]["skills"] = {"fiber": 0}
    del data["horizon"]
    response = service.client.post(
        "/v1/validate", json={"problem": data}, headers=service.auth("viewer")
    )
    paths = error_paths(assert_problem(response, 422))
    assert {"problem.horizon", "problem.technicians[0].skills.fiber"} <= paths


def test_evaluate_scores_good_and_broken_plans(service: Service) -> None:
    """/v1/evaluate: the service's plan is feasible at its own objective; a moved visit is not."""
    job = service.submit(tiny_problem(), wait=30).json()
    viewer = service.auth("viewer")
    good = service.client.post(
        "/v1/evaluate", json={"problem": tiny_problem(), "plan": job["plan"]}, headers=viewer
    ).json()
    assert good["feasible"] and good["violations"] == []
    assert good["objective"]["value"] == pytest.approx(job["plan"]["objective"]["value"])
    broken = json.loads(json.dumps(job["plan"]))
    visit = next(i for r in broken["routes"] for i in r["items"] if i["type"] == "visit")
    visit["end"] = visit["start"]
    bad = service.client.post(
        "/v1/evaluate", json={"problem": tiny_problem(), "plan": broken}, headers=viewer
    ).json()
    assert not bad["feasible"] and bad["violations"]
    assert all(v["code"] and v["where"] and v["message"] for v in bad["violations"])


def test_evaluate_reports_problem_and_plan_errors_together(service: Service) -> None:
    """A broken problem and a broken plan: one 422 listing the errors of both."""
    problem = tiny_problem()
    problem["orders"][1]["duration"] = "soon"
    response = service.client.post(
        "/v1/evaluate",
        json={"problem": problem, "plan": {"status": "great", "routes": 3}},
        headers=service.auth("viewer"),
    )
    paths = error_paths(assert_problem(response, 422))
    assert {"problem.orders[1].duration", "plan.status", "plan.objective", "plan.routes"} <= paths


# --------------------------------------------------------------------------- keys


def test_admin_manages_keys(service: Service) -> None:
    """An admin makes a key (shown once), lists keys without secrets, and revokes it: the
    revoked key is 401 from then on."""
    admin = service.auth("admin")
    made = service.client.post(
        "/v1/keys", json={"role": "viewer", "name": "wallboard"}, headers=admin
    )
    assert made.status_code == 201, made.text
    key = made.json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert service.client.get("/v1/plans", headers=headers).status_code == 200
    listed = service.client.get("/v1/keys", headers=admin).json()["items"]
    assert key["id"] in {k["id"] for k in listed}
    assert all("key" not in k and "digest" not in k for k in listed)
    revoked = service.client.delete(f"/v1/keys/{key['id']}", headers=admin).json()
    assert revoked["revoked_at"] is not None
    assert_problem(service.client.get("/v1/plans", headers=headers), 401)
    bad_role = service.client.post("/v1/keys", json={"role": "root"}, headers=admin)
    assert "role" in error_paths(assert_problem(bad_role, 422))


def test_keys_are_stored_hashed(service: Service) -> None:
    """The database holds no key's secret, only a salted digest."""
    store = Store.open(service.settings.db)
    try:
        records = store.list_keys()
    finally:
        store.close()
    secrets = [text.split("_", 2)[2] for text in service.keys.values()]
    for record in records:
        assert all(secret not in (record.digest, record.salt) for secret in secrets)
        assert len({r.salt for r in records}) == len(records)


# --------------------------------------------------------------------------- persistence


def test_restart_keeps_plans_and_recovers_jobs(db_url: str) -> None:
    """A second app on the same database finds the finished plan and its versions; a solve
    that was running when the process died is failed keeping its best plan, and a queued one
    is solved."""
    settings = make_settings(db_url)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        service = Service(client, keys, settings)
        done = service.submit(tiny_problem(), wait=30).json()

    # What a killed process leaves behind: one solve running with a published plan, one queued.
    store = Store.open(settings.db)
    author = Author(key_id=None, name="before the crash", role="dispatcher")
    normalized = json.loads(
        load_problem(tiny_problem()).model_dump_json(by_alias=True, exclude_none=True)
    )
    options = {"time_limit": "PT1S", "seed": 0, "workers": 1, "deterministic_limit": None}
    running = store.add_plan(
        author=author,
        request={"problem": tiny_problem()},
        problem=normalized,
        options=options,
        problem_id="tiny",
    )
    store.mark_solving(running.id)
    store.save_progress(running.id, done["plan"])
    queued = store.add_plan(
        author=author,
        request={"problem": tiny_problem()},
        problem=normalized,
        options=options,
        problem_id="tiny",
    )
    store.close()

    with TestClient(create_app(settings)) as client:
        service = Service(client, keys, settings)
        viewer = service.auth("viewer")
        again = client.get(f"/v1/plans/{done['id']}", headers=viewer).json()
        assert again["status"] == "done" and again["plan"] == done["plan"]
        assert (
            len(client.get(f"/v1/plans/{done['id']}/versions", headers=viewer).json()["items"])
            == 1
        )
        failed = client.get(f"/v1/plans/{running.id}", headers=viewer).json()
        assert failed["status"] == "failed" and failed["error"] == INTERRUPTED
        assert failed["version"] == 1 and failed["plan"] == done["plan"]
        solved = service.until(queued.id, lambda b: b["status"] == "done")
        assert solved["version"] == 1


def test_graceful_stop_puts_running_solves_back_in_the_queue(db_url: str) -> None:
    """A solve running when the app stops is queued again, and runs after the next start."""
    settings = make_settings(db_url)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        service = Service(client, keys, settings)
        job = service.submit(example(), time_limit=60).json()
        service.until(job["id"], lambda b: b["status"] == "solving")
    store = Store.open(settings.db)
    try:
        record = store.get_plan(job["id"])
        assert record is not None and record.status == "queued" and record.started_at is None
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        service = Service(client, keys, settings)
        service.until(job["id"], lambda b: b["status"] == "solving")
        cancelled = client.delete(f"/v1/plans/{job['id']}", headers=service.auth("dispatcher"))
        assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize("limit", [0.0, 0.5, 2.0, 2.5, 10.0, 61.0, 300.0])
def test_solve_stages_add_up_to_the_time_limit(limit: float) -> None:
    """Worker stages: a short first one, then at most four, none after the first shorter
    than 30 s unless there is only one; together exactly the limit."""
    lengths = stages(limit, 1.0)
    assert sum(lengths) == pytest.approx(limit)
    if limit <= 2.0:
        assert lengths == [limit]
    else:
        assert lengths[0] == 1.0 and 1 <= len(lengths[1:]) <= 4
        assert len(lengths) == 2 or min(lengths[1:]) >= 30


def test_a_solve_worker_counts_its_limit_from_the_job_start() -> None:
    """The worker's budget starts when the job started, not when its process got going: a job
    whose limit passed while its process started ends at once, with a plan, and reports the
    job's whole duration."""
    import multiprocessing

    reader, writer = multiprocessing.Pipe(duplex=False)
    params = {"time_limit": 4.0, "workers": 1, "seed": 0}
    run_solve(writer, EXAMPLE.read_text(encoding="utf-8"), params, 1.0, None, time.monotonic() - 9)
    kind, plan = reader.recv()
    while kind != DONE:  # the first stage's plan
        kind, plan = reader.recv()
    assert plan["routes"], "a plan, even with its time gone"
    wall = plan["solver"]["wall_time"]
    assert wall.startswith("PT") and float(wall[2:-1]) >= 9.0


def test_better_plan_is_feasible_clean_then_cheaper() -> None:
    """A feasible plan beats an infeasible one, a plan the evaluator agrees with beats one it
    does not, and then the lower objective wins."""

    def plan(status: str, value: float, violations: bool = False) -> Plan:
        solver = {"evaluator_violations": ["routes[0]: broken"]} if violations else {}
        return parse_model(
            Plan, {"status": status, "objective": {"value": value}, "solver": solver}
        )

    assert better(plan("feasible", 10), None)
    assert better(plan("feasible", 1e9), plan("infeasible", 1))
    assert better(plan("feasible", 1e9), plan("feasible", 1, violations=True))
    assert better(plan("feasible", 5), plan("optimal", 6))
    assert not better(plan("feasible", 6), plan("feasible", 5))


# --------------------------------------------------------------------------- documentation


def test_openapi_describes_every_field_and_route(service: Service) -> None:
    """/openapi.json: each schema property, parameter and route is described; /docs serves."""
    schema = service.client.get("/openapi.json").json()
    components = schema["components"]["schemas"]

    def described(spec: dict[str, Any]) -> bool:
        # A reference whose target says the same as the field carries no description itself.
        ref = spec.get("$ref", "")
        return bool(
            spec.get("description") or components.get(ref.split("/")[-1], {}).get("description")
        )

    missing = []
    for name, component in components.items():
        for prop, spec in component.get("properties", {}).items():
            if not described(spec):
                missing.append(f"{name}.{prop}")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("description"):
                missing.append(f"{method} {path}")
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    missing.append(f"{method} {path} {parameter['name']}")
    assert missing == []
    assert "ApiKey" in schema["components"]["securitySchemes"]
    docs = service.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
