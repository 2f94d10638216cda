"""Faults: the service killed under a running solve, and a database outage during a solve
(PostgreSQL, through a proxy that can cut every connection)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from api.app import create_app
from tests.test_api import EXAMPLE, Service, make_keys, make_settings
from tests.test_api_server import HOST, dispatch, free_port, server


def process_table() -> dict[int, int]:
    """Every process on the machine and its parent (from /proc)."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if fields and fields[0] != "Z":
                table[int(entry)] = int(fields[1])
    return table


def descendants(pid: int) -> set[int]:
    """The live processes below `pid`."""
    table = process_table()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_solver_processes_end_with_the_killed_service(tmp_path: Path) -> None:
    """kill -9 of the service under a 60 s solve: its solver processes end soon after
    (they watch the service itself, not only their parent, the fork server)."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    key = dispatch("keys", "create", "--role", "dispatcher", "--db", url).stdout.splitlines()[-1]
    port = free_port()
    problem = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    with (
        server(url, port, tmp_path / "server.log") as process,
        httpx.Client(
            base_url=f"http://{HOST}:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client,
    ):
        plan = client.post("/v1/plans", json={"problem": problem, "options": {"time_limit": 60}})
        deadline = time.monotonic() + 60
        while client.get(f"/v1/plans/{plan.json()['id']}").json()["status"] != "solving":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        workers = descendants(process.pid)
        assert workers, "the solve runs in processes below the service"
        os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 20  # a bound for the test, not the figure measured
        while workers & set(process_table()):
            assert time.monotonic() < deadline, "solver processes outlived the service"
            time.sleep(0.1)
        process.wait(10)


class Proxy:
    """A TCP proxy on loopback to a database server; `cut()` drops every connection and
    refuses new ones until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server((HOST, 0))
        self.port: int = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def cut(self) -> None:
        """The database is gone: every connection dropped, new ones refused."""
        self.down.set()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        """The database is back."""
        self.down.clear()

    def close(self) -> None:
        """Stop proxying."""
        self.closed.set()
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied(db_url: str) -> Iterator[tuple[Service, Proxy]]:
    """A service on PostgreSQL through a proxy (its tests are marked `postgres`)."""
    assert db_url.startswith("postgresql"), "needs a PostgreSQL server: DISPATCH_TEST_POSTGRES"
    url = make_url(db_url)
    proxy = Proxy(url.host or HOST, url.port or 5432)
    through = url.set(host=HOST, port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(through, first_stage_seconds=0.5)
    keys = make_keys(settings)
    try:
        with TestClient(create_app(settings)) as client:
            yield Service(client, keys, settings), proxy
    finally:
        proxy.close()


@pytest.mark.postgres
def test_a_database_outage_during_a_solve_loses_nothing(
    proxied: tuple[Service, Proxy],
) -> None:
    """The database goes away while a solve runs and stays away past its end: meanwhile
    requests are 503 with Retry-After; once it is back, the solve is done with its plan."""
    service, proxy = proxied
    problem = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    response = service.submit(problem, time_limit=4)
    assert response.status_code == 202, response.text
    plan_id = response.json()["id"]
    service.until(plan_id, lambda b: b["status"] == "solving" and b["plan"] is not None)
    proxy.cut()
    try:
        down = service.client.get(f"/v1/plans/{plan_id}", headers=service.auth("viewer"))
        assert down.status_code == 503, down.text
        assert down.headers["content-type"].startswith("application/problem+json")
        assert int(down.headers["Retry-After"]) >= 1
        time.sleep(6)  # the solve ends while the database is away
    finally:
        proxy.restore()
    done = service.until(plan_id, lambda b: b["status"] == "done")
    assert done["version"] == 1 and done["plan"]["status"] in ("optimal", "feasible")
    versions = service.client.get(f"/v1/plans/{plan_id}/versions", headers=service.auth("viewer"))
    assert [v["number"] for v in versions.json()["items"]] == [1]


def test_the_time_limit_holds_when_the_solver_has_no_plan_yet(db_url: str) -> None:
    """A solve whose worker has not answered by its limit plus the grace period ends done
    with a no_solution plan that gives every order the reason, never failed."""
    settings = make_settings(db_url, grace_seconds=0.01, first_stage_seconds=0)
    keys = make_keys(settings)
    problem = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    with TestClient(create_app(settings)) as client:
        service = Service(client, keys, settings)
        plan_id = service.submit(problem, time_limit=0.05).json()["id"]
        job = service.until(plan_id, lambda b: b["status"] not in ("queued", "solving"))
    assert job["status"] == "done" and job["version"] == 1
    # The worker cannot start, read and plan the day in 0.06 s: the service answered.
    assert job["plan"]["solver"].get("timed_out") is True
    assert job["plan"]["status"] == "no_solution"
    assert len(job["plan"]["unassigned"]) == len(problem["orders"])
    assert all(u["reasons"][0]["code"] == "capacity" for u in job["plan"]["unassigned"])
