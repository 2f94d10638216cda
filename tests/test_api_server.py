"""The real service: `dispatch serve` on loopback, solving, killed and restarted."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from api.store import INTERRUPTED
from models import Plan, load_problem, parse_model
from optimizer.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "telecom-day.json"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def dispatch(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        **kwargs,
    )


@contextmanager
def server(url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`dispatch serve` on loopback until the block ends (SIGTERM, then SIGKILL if needed);
    ready once /healthz answers."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--db",
                url,
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180  # a hang guard: start-up took over 60 s at load 39
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start: " + log.read_text()
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def poll(client: httpx.Client, plan_id: str, done: Callable[[dict[str, Any]], bool]) -> Any:
    """GET the plan until `done` holds (bounded)."""
    deadline = time.monotonic() + 120
    while True:
        body = client.get(f"/v1/plans/{plan_id}").json()
        if done(body):
            return body
        assert time.monotonic() < deadline, body["status"]
        time.sleep(0.1)


def test_served_plans_survive_a_crash_and_a_restart(tmp_path: Path) -> None:
    """Solve over HTTP, kill -9 the server during a second solve, restart it: the first plan
    is there, the interrupted solve is reported failed; a graceful stop shuts the app down."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    key = dispatch("keys", "create", "--role", "dispatcher", "--db", url).stdout.splitlines()[-1]
    port = free_port()
    log = tmp_path / "server.log"
    problem = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    base = f"http://{HOST}:{port}"
    headers = {"Authorization": f"Bearer {key}"}

    with (
        server(url, port, log) as process,
        httpx.Client(base_url=base, headers=headers, timeout=90) as client,
    ):
        response = client.post(
            "/v1/plans?wait=60", json={"problem": problem, "options": {"time_limit": 2}}
        )
        assert response.status_code == 201, response.text
        solved = response.json()
        assert solved["status"] == "done"
        assert response.headers["location"] == f"{base}/v1/plans/{solved['id']}"
        assert evaluate(load_problem(problem), parse_model(Plan, solved["plan"])).feasible

        running = client.post(
            "/v1/plans", json={"problem": problem, "options": {"time_limit": 4}}
        ).json()
        poll(client, running["id"], lambda b: b["status"] == "solving")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    with (
        server(url, port, log) as process,
        httpx.Client(base_url=base, headers=headers, timeout=90) as client,
    ):
        again = client.get(f"/v1/plans/{solved['id']}").json()
        assert again["status"] == "done" and again["plan"] == solved["plan"]
        versions = client.get(f"/v1/plans/{solved['id']}/versions").json()["items"]
        assert [v["number"] for v in versions] == [1]
        assert versions[0]["input"]["problem"] == problem
        interrupted = client.get(f"/v1/plans/{running['id']}").json()
        assert interrupted["status"] == "failed" and interrupted["error"] == INTERRUPTED
        listing = client.get("/v1/plans").json()
        assert {p["id"] for p in listing["items"]} == {solved["id"], running["id"]}
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert process.wait(30) in (0, -signal.SIGTERM)
    assert log.read_text().count("Application shutdown complete") == 1
