"""Abusive requests against a real `dispatch serve` on 127.0.0.1: how long `/healthz` takes
while each one runs (p50, p99, max), what each is answered, the server's memory for a large
road-network validation, and how long a 5,000-order, one-technician solve with a 3 s limit
takes to end.

    python -m benchmarks.service_abuse [--seconds 6] [--only NAME,...] [--out report.json]

Every scenario is a bounded loop: it repeats its request (or its burst of concurrent
requests) until `--seconds` have passed, then stops; `/healthz` is sampled every 5 ms
meanwhile from another connection. The server runs on a fresh SQLite database in a temporary
folder with one solver worker; its log is scanned for tracebacks at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from benchmarks.generator import generate_day

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    """What one scenario did: the answers it got and `/healthz` latencies meanwhile."""

    name: str
    statuses: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    health_ms: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures reported for the scenario."""
        ms = sorted(self.health_ms)

        def pct(q: float) -> float | None:
            return round(ms[min(len(ms) - 1, math.ceil(q * len(ms)) - 1)], 1) if ms else None

        return {
            "scenario": self.name,
            "requests": self.requests,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "healthz_samples": len(ms),
            "healthz_p50_ms": pct(0.5),
            "healthz_p99_ms": pct(0.99),
            "healthz_max_ms": round(ms[-1], 1) if ms else None,
            **self.extra,
        }


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str, env: dict[str, str]) -> str:
    """Run `dispatch` and return its output."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, dict[str, str], int, Path]]:
    """A server on a fresh database: its URL, a key per role, its pid and its log."""
    env = {**os.environ, "DISPATCH_DB": f"sqlite:///{folder / 'abuse.db'}"}
    keys = {
        role: cli("keys", "create", "--role", role, "--name", role, env=env).splitlines()[-1]
        for role in ("viewer", "dispatcher", "coordinator", "admin")
    }
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start:\n" + log.read_text())
            time.sleep(0.1)
        yield base, keys, process.pid, log
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def memory_kb(pid: int, field_name: str) -> int:
    """A memory figure of a process from /proc (VmRSS now, VmHWM its peak), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise LookupError(field_name)


def reset_peak(pid: int) -> None:
    """Start the process's peak RSS afresh (Linux 4.0+; ignored where not allowed)."""
    with suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def sample_health(base: str, stop: Any, conn: Connection) -> None:
    """GET /healthz every 5 ms until `stop`, then send every latency in ms (a process of its
    own, so that the attacking threads do not slow the sampling)."""
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=120) as client:
        client.get("/healthz")
        conn.send("ready")
        while not stop.is_set():
            began = time.perf_counter()
            with suppress(httpx.TransportError):
                client.get("/healthz")
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(0.005)
    conn.send(latencies)


def run_scenario(
    name: str, base: str, seconds: float, attack: Callable[[httpx.Client], list[int]]
) -> Outcome:
    """Repeat `attack` (which returns the status codes it got) for `seconds`, with /healthz
    sampled meanwhile."""
    outcome = Outcome(name)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    mine, theirs = context.Pipe()
    sampler = context.Process(target=sample_health, args=(base, stop, theirs))
    sampler.start()
    mine.recv()  # the sampler is ready
    try:
        with httpx.Client(base_url=base, timeout=180) as client:
            end = time.monotonic() + seconds
            while True:
                for status in attack(client):
                    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
                    outcome.requests += 1
                if time.monotonic() >= end:
                    break
    finally:
        stop.set()
        outcome.health_ms = mine.recv()
        sampler.join()
    return outcome


def raw_request(base: str, method: str, url: str, headers: dict[str, str]) -> int:
    """Send a request with `http.client` (no URL length limit); its status (0: no answer)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=180)
    try:
        connection.request(method, url, headers=headers)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def auth(key: str) -> dict[str, str]:
    """Headers with the key and a JSON body type."""
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def road_day(num_orders: int, num_nodes: int) -> dict[str, Any]:
    """A generated day on a square grid road network of `num_nodes` nodes around its city."""
    day = generate_day(num_orders, 20, seed=3, vans_cover_orders=True)
    side = int(math.sqrt(num_nodes))
    lat0, lon0 = 31.8206 - 0.15, 117.2272 - 0.15
    step = 0.3 / side
    nodes = [
        {"id": f"n{i}_{j}", "lat": round(lat0 + i * step, 6), "lon": round(lon0 + j * step, 6)}
        for i in range(side)
        for j in range(side)
    ]
    edges = []
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < side and j + dj < side:
                    a, b = f"n{i}_{j}", f"n{i + di}_{j + dj}"
                    edges += [
                        {"from": a, "to": b, "seconds": 30},
                        {"from": b, "to": a, "seconds": 30},
                    ]
    day["travel"] = {"model": "road_network", "nodes": nodes, "edges": edges}
    day["depots"] = []
    return day


def solved_plan(base: str, keys: dict[str, str]) -> str:
    """A small day solved and done: its plan id."""
    day = generate_day(30, 6, seed=1, vans_cover_orders=True)
    with httpx.Client(base_url=base, timeout=120) as client:
        response = client.post(
            "/v1/plans?wait=30",
            content=json.dumps({"problem": day, "options": {"time_limit": 2}}),
            headers=auth(keys["dispatcher"]),
        )
        response.raise_for_status()
        plan_id: str = response.json()["id"]
        return plan_id


def scenarios(
    base: str, keys: dict[str, str], plan_id: str
) -> dict[str, Callable[[httpx.Client], list[int]]]:
    """Each abusive request of issue 19, as a function sending it once (or one burst)."""
    viewer, dispatcher, coordinator = (
        auth(keys[r]) for r in ("viewer", "dispatcher", "coordinator")
    )
    now = "2026-12-01T11:00:00+08:00"
    bogus_query = "&".join(["status=bogus"] * 8000)
    bad_events = [{"type": "order_cancelled", "order": 7}]
    nan_order = generate_day(1, 1, seed=2)["orders"][0]
    nan_order["location"] = {"lat": float("nan"), "lon": float("inf")}
    huge_day = generate_day(30, 6, seed=1)
    huge_day["orders"][0]["location"] = {"lat": 1e308, "lon": -4.6e154}
    deep = "[" * 495 + "]" * 495
    long_id = generate_day(5, 2, seed=1)
    long_id["id"] = "p" * 300
    big_72 = b'{"problem": {"id": "' + b"x" * 72_000_000 + b'"}}'
    big_50 = b'{"problem": {"id": "' + b"y" * 50_000_000 + b'"}}'

    def one(
        method: str, url: str, body: bytes | str | None, headers: dict[str, str]
    ) -> Callable[[httpx.Client], list[int]]:
        def attack(client: httpx.Client) -> list[int]:
            if len(url) > 60_000:  # longer than httpx sends: the standard library does
                return [raw_request(base, method, url, headers)]
            try:
                return [client.request(method, url, content=body, headers=headers).status_code]
            except httpx.TransportError:
                return [0]  # the server closed the connection (a body refused unread)

        return attack

    def events(count: int) -> bytes:
        return json.dumps({"now": now, "events": bad_events * count}).encode()

    replan = json.dumps({"now": now, "events": [], "time_limit": 1}).encode()

    def concurrent_replans(client: httpx.Client) -> list[int]:
        def post(_: int) -> int:
            with httpx.Client(base_url=base, timeout=120) as own:
                url = f"/v1/plans/{plan_id}/events"
                return own.post(url, content=replan, headers=coordinator).status_code

        with ThreadPoolExecutor(44) as pool:
            return list(pool.map(post, range(44)))

    return {
        "query_8000_bogus_status": one("GET", f"/v1/plans?{bogus_query}", None, viewer),
        "events_3000_invalid": one(
            "POST", f"/v1/plans/{plan_id}/events", events(3000), coordinator
        ),
        "events_10000_invalid": one(
            "POST", f"/v1/plans/{plan_id}/events", events(10000), coordinator
        ),
        "replans_44_concurrent": concurrent_replans,
        "body_72mb_no_key": one(
            "POST", "/v1/validate", big_72, {"Content-Type": "application/json"}
        ),
        "body_50mb_with_key": one("POST", "/v1/plans", big_50, dispatcher),
        "nan_order_recommendations": one(
            "POST",
            f"/v1/plans/{plan_id}/recommendations",
            json.dumps({"order": nan_order, "now": now}),
            dispatcher,
        ),
        "huge_coordinates_evaluate": one(
            "POST", "/v1/evaluate", json.dumps({"problem": huge_day, "plan": {}}), viewer
        ),
        "huge_coordinates_submit": one(
            "POST", "/v1/plans", json.dumps({"problem": huge_day}), dispatcher
        ),
        "json_nested_495": one("POST", "/v1/validate", '{"problem": ' + deep + "}", viewer),
        "problem_id_300_chars": one(
            "POST", "/v1/plans", json.dumps({"problem": long_id}), dispatcher
        ),
    }


def validate_memory(base: str, keys: dict[str, str], pid: int, seconds: float) -> Outcome:
    """POST /v1/validate with 2,000 orders on a 10,000-node road network: healthz meanwhile
    and the server's peak memory over its idle memory."""
    body = json.dumps({"problem": road_day(2000, 10_000)}).encode()
    idle = memory_kb(pid, "VmRSS")
    reset_peak(pid)
    outcome = run_scenario(
        "validate_2000_orders_10000_nodes",
        base,
        seconds,
        lambda client: [
            client.post("/v1/validate", content=body, headers=auth(keys["viewer"])).status_code
        ],
    )
    outcome.extra = {
        "body_mb": round(len(body) / 1e6, 2),
        "idle_rss_mb": round(idle / 1024, 1),
        "peak_rss_mb": round(memory_kb(pid, "VmHWM") / 1024, 1),
        "peak_over_idle_mb": round((memory_kb(pid, "VmHWM") - idle) / 1024, 1),
        **check_memory(body),
    }
    return outcome


def measure_check(body: bytes, conn: Connection) -> None:
    """In a fresh process: validate the body as a task process does, and send its memory
    before and at its peak (kB)."""
    from api.checking import validate
    from api.settings import Settings

    settings = Settings()
    before = memory_kb(os.getpid(), "VmRSS")
    validate(body, settings)
    conn.send((before, memory_kb(os.getpid(), "VmHWM")))


def check_memory(body: bytes) -> dict[str, float]:
    """Peak memory of validating the body in a process of its own over that process's idle
    memory (what a task process adds), in MB."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=measure_check, args=(body, theirs))
    process.start()
    before, peak = mine.recv()
    process.join()
    return {
        "task_idle_rss_mb": round(before / 1024, 1),
        "task_peak_over_idle_mb": round((peak - before) / 1024, 1),
    }


def long_route(base: str, keys: dict[str, str]) -> dict[str, Any]:
    """5,000 orders and one technician with a 3 s limit: /healthz while it is submitted and
    solved, and the wall time to the job's end."""
    day = generate_day(5000, 1, seed=0, time_limit="PT3S")
    body = json.dumps({"problem": day, "options": {"time_limit": 3}}).encode()
    figures: dict[str, Any] = {}

    def attack(client: httpx.Client) -> list[int]:
        began = time.monotonic()
        response = client.post("/v1/plans", content=body, headers=auth(keys["dispatcher"]))
        figures["submit_answered_s"] = round(time.monotonic() - began, 2)
        plan_id = response.json()["id"]
        while True:
            job = client.get(f"/v1/plans/{plan_id}", headers=auth(keys["dispatcher"])).json()
            if job["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.05)
        plan = job.get("plan") or {}
        solve = _seconds_between(job["started_at"], job["finished_at"])
        figures.update(
            job_status=job["status"],
            plan_status=plan.get("status"),
            unassigned=len(plan.get("unassigned", [])),
            solve_wall_s=round(solve, 2),
            submit_to_end_s=round(time.monotonic() - began, 2),
        )
        return [response.status_code]

    outcome = run_scenario("solve_5000_orders_1_technician_3s", base, 0.0, attack)
    outcome.extra = figures
    return outcome.summary()


def _seconds_between(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def main(argv: list[str] | None = None) -> None:
    """Run the scenarios and print (and optionally write) the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each scenario")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--out", type=Path, help="write the report here as JSON")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    report: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as (base, keys, pid, log):
        idle = run_scenario("idle", base, 2.0, lambda client: [])
        report.append(idle.summary())
        print(json.dumps(report[-1]), flush=True)
        if not only or "validate_2000_orders_10000_nodes" in only:
            report.append(validate_memory(base, keys, pid, args.seconds).summary())
            print(json.dumps(report[-1]), flush=True)
        plan_id = solved_plan(base, keys)
        for name, attack in scenarios(base, keys, plan_id).items():
            if only and name not in only:
                continue
            report.append(run_scenario(name, base, args.seconds, attack).summary())
            print(json.dumps(report[-1]), flush=True)
        if not only or "solve_5000_orders_1_technician_3s" in only:
            report.append(long_route(base, keys))
            print(json.dumps(report[-1]), flush=True)
        text = log.read_text(errors="replace")
        report.append(
            {"server_log_tracebacks": text.count("Traceback"), "server_log_kb": len(text) // 1024}
        )
        print(json.dumps(report[-1]), flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
