"""The service on a free port of 127.0.0.1 in a thread, and Debian's Chromium to look at it:
what the browser tests and the render benchmark run the board with."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from api.app import create_app
from api.auth import Role
from api.settings import Settings
from api.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@dataclass
class LocalService:
    """A running service: its base URL and one key per role (named after the role)."""

    base: str
    keys: dict[str, str]

    def call(self, method: str, path: str, role: str = "viewer", body: Any = None) -> Any:
        """A JSON API call with the role's key; raises on an error answer."""
        headers = {"Authorization": f"Bearer {self.keys[role]}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None

    def solved_plan(
        self,
        problem: dict[str, Any],
        time_limit: float,
        wait: float = 60,
        deterministic_limit: float | None = None,
    ) -> str:
        """Submit a problem with one solver worker and wait up to `wait` seconds for its plan
        (the submission waits as long as the service lets it, then the job is polled); the
        plan's id. With a `deterministic_limit` (and a `time_limit` that does not bind) the
        plan does not depend on the machine's load."""
        options: dict[str, Any] = {"time_limit": time_limit, "workers": 1}
        if deterministic_limit is not None:
            options["deterministic_limit"] = deterministic_limit
        deadline = time.monotonic() + wait
        body = {"problem": problem, "options": options}
        job = self.call("POST", f"/v1/plans?wait={wait}", "dispatcher", body)
        while job["status"] in ("queued", "solving") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = self.call("GET", f"/v1/plans/{job['id']}")
        if job["status"] != "done":
            raise RuntimeError(f"the solve did not end in time: {job['status']}")
        return str(job["id"])


@contextmanager
def local_service(db_url: str, **settings: Any) -> Iterator[LocalService]:
    """uvicorn serving the app on a free port of 127.0.0.1, in a thread, until the block ends.
    The database gets one key per role."""
    config_settings = Settings(db=db_url, **settings)
    store = Store.open(db_url)
    try:
        keys = {role.value: store.create_key(role, f"{role.value} key")[1] for role in Role}
    finally:
        store.close()
    app = create_app(config_settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="board-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LocalService(f"http://127.0.0.1:{port}", keys)
    finally:
        server.should_exit = True
        thread.join(30)


def launch_chromium(playwright: Any) -> Any:
    """Headless Chromium from Debian's package (Playwright's own download cannot work here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(tab: Any, service: LocalService, role: str, path: str = "/") -> None:
    """Open a board page and sign in with the role's key."""
    tab.goto(service.base + path)
    tab.fill("#api-key", service.keys[role])
    tab.click("#sign-in-form button")
    tab.wait_for_selector("#main", state="visible")
