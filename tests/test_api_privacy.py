"""Customers' personal data never reaches the logs: a full service session (solve, reads by
every role, slot offers, hold, booking, events, recommendations, records, bad input) with
customer names and phones in it, scanned in the in-process logs (caplog, at DEBUG) and in
the output of a real `dispatch serve` process."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests import test_api as base
from tests.factory import at
from tests.test_api import make_keys, make_settings
from tests.test_api_booking import NOW, SLOT, day, new

db_url = base.db_url  # fixture: a fresh database (SQLite, or PostgreSQL when asked)

SECRETS = ("Zhang Wei-Booking", "+86 139 0000 4242", "Customer of N1", "Customer of E1")
"""Personal data the session sends: the day's customer, and those of the new orders."""


def session(client: Any, keys: dict[str, str]) -> None:
    """Everything a day of service does with customers' data, each answer checked."""

    def auth(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[role]}"}

    job = client.post(
        "/v1/plans?wait=30", json={"problem": day(), "options": {}}, headers=auth("dispatcher")
    ).json()
    assert job["status"] == "done", job
    plan = f"/v1/plans/{job['id']}"
    for role in ("viewer", "dispatcher"):
        for url in (plan, f"{plan}/versions", f"{plan}/versions/1"):
            assert client.get(url, headers=auth(role)).status_code == 200
    answer = client.post(
        f"{plan}/slots",
        json={"order": new("N1"), "windows": [SLOT], "now": NOW},
        headers=auth("dispatcher"),
    ).json()
    offer = answer["offers"][0]["id"]
    for step in ("hold", "confirm"):
        response = client.post(
            f"{plan}/slots/{offer}/{step}", json={"option": 0}, headers=auth("dispatcher")
        )
        assert response.status_code == 200, response.text
    event = {"type": "order_added", "order": {**new("E1"), "time_windows": [SLOT]}}
    replanned = client.post(
        f"{plan}/events",
        json={"now": NOW, "events": [event], "time_limit": 0},
        headers=auth("coordinator"),
    )
    assert replanned.status_code == 200, replanned.text
    recommended = client.post(
        f"{plan}/recommendations",
        json={"order": new("R1"), "now": NOW},
        headers=auth("dispatcher"),
    )
    assert recommended.status_code == 200, recommended.text
    for url in (f"{plan}/record", f"{plan}/record?format=zip", "/v1/audit"):
        assert client.get(url, headers=auth("admin")).status_code == 200
    assert client.get(f"{plan}/record", headers=auth("viewer")).status_code == 200
    bad = day()
    bad["orders"][0]["duration"] = "P1M"
    refused = client.post("/v1/plans", json={"problem": bad}, headers=auth("dispatcher"))
    assert refused.status_code == 422
    windowed = {**new("W1"), "time_windows": [{"start": at("09:00"), "end": at("10:00")}]}
    refused = client.post(
        f"{plan}/slots",
        json={"order": windowed, "windows": [SLOT], "now": NOW},
        headers=auth("dispatcher"),
    )
    assert refused.status_code == 422
    checked = client.post("/v1/validate", json={"problem": day()}, headers=auth("viewer"))
    assert checked.status_code == 200


def assert_clean(text: str) -> None:
    """No customer's name or phone is in the text."""
    leaked = [s for s in SECRETS if s in text]
    assert leaked == []


def test_no_customer_data_in_the_service_logs(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """In-process, every logger at DEBUG: the logs of a whole session hold no customer
    data (and they hold the requests, so they were captured)."""
    caplog.set_level(logging.DEBUG)
    settings = make_settings(db_url)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        session(client, keys)
    assert "/slots" in caplog.text and "/confirm" in caplog.text
    assert_clean(caplog.text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_customer_data_in_the_server_output(tmp_path: Path) -> None:
    """A real `dispatch serve` (uvicorn and its solver processes): its whole output over a
    session holds the access lines and no customer data."""
    url = f"sqlite:///{tmp_path / 'dispatch.db'}"
    keys = make_keys(make_settings(url))
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "DISPATCH_FIRST_STAGE_SECONDS": "0.2"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--db", url],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).resolve().parents[1],
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                deadline = time.monotonic() + 180  # a hang guard, as in test_api_server
                while True:
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
                session(client, keys)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    text = log.read_text()
    assert "POST /v1/plans/" in text and "/confirm" in text, text
    assert_clean(text)
