"""Secrets and data: what each role sees and may cancel, key expiry and caching, database
passwords kept out of output, and re-plans run outside the service process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from api.auth import Role
from api.db import make_engine, masked
from api.settings import Settings
from models.geo import haversine_km, nearest_nodes
from tests.test_api import ROOT, Service, assert_problem, tiny_problem


def test_viewers_get_no_key_names_ids_or_internal_errors(service: Service) -> None:
    """A viewer sees the author's role only; a dispatcher sees the key id and name."""
    submitted = service.submit(tiny_problem(), wait=30).json()
    viewer = service.client.get(f"/v1/plans/{submitted['id']}", headers=service.auth("viewer"))
    assert viewer.json()["author"] == {"key_id": None, "name": None, "role": "dispatcher"}
    listing = service.client.get("/v1/plans", headers=service.auth("viewer")).json()
    assert listing["items"][0]["author"]["name"] is None
    versions = service.client.get(
        f"/v1/plans/{submitted['id']}/versions", headers=service.auth("viewer")
    ).json()
    assert versions["items"][0]["author"]["key_id"] is None
    dispatcher = service.client.get(
        f"/v1/plans/{submitted['id']}", headers=service.auth("dispatcher")
    )
    assert dispatcher.json()["author"]["name"] == "dispatcher key"


def test_viewers_get_the_services_messages_not_solver_errors(service: Service) -> None:
    """A failed solve's internal error text is hidden from viewers, shown to dispatchers."""
    plan_id = service.submit(tiny_problem(), wait=30).json()["id"]
    store = service.client.app.state.store  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE plans SET status = 'failed', error = :e WHERE id = :i"),
            {"e": "TypeError: secret internals", "i": plan_id},
        )
    seen = {
        role: service.client.get(f"/v1/plans/{plan_id}", headers=service.auth(role)).json()
        for role in ("viewer", "dispatcher")
    }
    assert "internals" not in seen["viewer"]["error"]
    assert seen["dispatcher"]["error"] == "TypeError: secret internals"


def test_a_dispatcher_cancels_only_their_own_plans(service: Service) -> None:
    """Another dispatcher's cancel is 403; a coordinator may cancel any plan."""
    store = service.client.app.state.store  # type: ignore[attr-defined]
    other = store.create_key(Role.dispatcher, "other")[1]
    plan_id = service.submit(tiny_problem(), time_limit=30).json()["id"]
    refused = service.client.delete(
        f"/v1/plans/{plan_id}", headers={"Authorization": f"Bearer {other}"}
    )
    assert_problem(refused, 403)
    cancelled = service.client.delete(f"/v1/plans/{plan_id}", headers=service.auth("coordinator"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_key_answers_are_not_cached_and_keys_expire(service: Service) -> None:
    """A new key's answer is no-store; a key made to expire stops working."""
    made = service.client.post(
        "/v1/keys",
        json={"role": "viewer", "name": "brief", "expires_in_days": 1 / 86400},
        headers=service.auth("admin"),
    )
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    assert made.json()["expires_at"] is not None
    listed = service.client.get("/v1/keys", headers=service.auth("admin"))
    assert listed.headers["Cache-Control"] == "no-store"
    time.sleep(1.5)
    expired = service.client.get(
        "/v1/plans", headers={"Authorization": f"Bearer {made.json()['key']}"}
    )
    assert_problem(expired, 401)


def test_an_older_database_gets_the_expiry_column(tmp_path: Path) -> None:
    """A key table made before keys could expire gains the column on start."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE api_keys (id VARCHAR(32) PRIMARY KEY, name VARCHAR(200), "
                "role VARCHAR(16), salt VARCHAR(64), digest VARCHAR(128), "
                "created_at DATETIME, revoked_at DATETIME)"
            )
        )
    engine.dispose()
    engine = make_engine(url)
    with engine.connect() as conn:
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(api_keys)"))}
    engine.dispose()
    assert "expires_at" in columns


def test_database_passwords_stay_out_of_output(tmp_path: Path) -> None:
    """A URL's password is masked in the CLI's error; a password file fills it in."""
    url = "postgresql://dispatch:s3cretpw@127.0.0.1:1/nowhere"
    assert "s3cretpw" not in masked(url) and "***" in masked(url)
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "keys", "list", "--db", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "s3cretpw" not in out.stdout + out.stderr
    secret = tmp_path / "password"
    secret.write_text("fr0m-file\n", encoding="utf-8")
    settings = Settings(db="postgresql://dispatch@db/dispatch", db_password_file=str(secret))
    assert ":fr0m-file@" in settings.database_url()


def test_replans_run_outside_the_service_process(service: Service) -> None:
    """A re-plan posts no work to the service's own process: it runs in a task process."""
    plan_id = service.submit(tiny_problem(), wait=30).json()["id"]
    tasks = service.client.app.state.tasks  # type: ignore[attr-defined]
    started = []
    original = tasks._context.Process

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(kwargs.get("name"))
        return original(*args, **kwargs)

    tasks._context.Process = spy
    try:
        response = service.client.post(
            f"/v1/plans/{plan_id}/events",
            json={"now": "2026-12-01T10:00:00+08:00", "events": [], "time_limit": 0.5},
            headers=service.auth("coordinator"),
        )
    finally:
        tasks._context.Process = original
    assert response.status_code == 200, response.text
    assert started == ["dispatch-replan"]


def test_snapping_with_the_tree_matches_the_full_scan() -> None:
    """The k-d tree finds the same nearest road node as a scan of every node."""
    rng = np.random.default_rng(7)
    nlat, nlon = rng.uniform(31, 32, 500), rng.uniform(117, 118, 500)
    qlat, qlon = rng.uniform(30.9, 32.1, 300), rng.uniform(116.9, 118.1, 300)
    scan = np.argmin(haversine_km(qlat[:, None], qlon[:, None], nlat[None], nlon[None]), axis=1)
    assert (nearest_nodes(nlat, nlon, qlat, qlon) == scan).all()
