"""The board in a real browser: headless Chromium (Debian's) driven by Playwright, against a
real server on 127.0.0.1 with a fresh database. Each test fails on a console error, a failed
request or a request to any other address.

Set BOARD_SCREENSHOTS=DIR to keep the screenshots the tests take (docs/ holds two of them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.board.local import CHROMIUM, LocalService, launch_chromium, local_service
from api.board.local import sign_in as local_sign_in
from tests.test_board_api import board_problem, technician_of

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "telecom-day.json"
WAIT_MS = 180_000
"""How long a step may wait for the page: only a failing test waits this long, and a page of
the board on a machine loaded 40 deep can take tens of seconds to show a finished solve."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    """The service on a free port of 127.0.0.1, on a fresh SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('board') / 'dispatch.db'}"
    with local_service(url, pool_size=1, queue_size=4, first_stage_seconds=0.5) as service:
        yield service


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian's package."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (README's test command)")
    with sync_api.sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What went wrong in a page: console errors, page errors, failed or foreign requests.
    `allow` names HTTP statuses a test provokes on purpose (Chromium logs them as errors)."""

    base: str
    problems: list[str] = field(default_factory=list)
    allowed: set[int] = field(default_factory=set)

    def console(self, message: Any) -> None:
        if message.type != "error":
            return
        status = re.search(r"status of (\d{3})", message.text)
        if status and int(status.group(1)) in self.allowed:
            return
        self.problems.append(f"console: {message.text}")

    def request(self, request: Any) -> None:
        if not (request.url.startswith(self.base + "/") or request.url.startswith("data:")):
            self.problems.append(f"foreign request: {request.url}")

    def failed(self, request: Any) -> None:
        self.problems.append(f"failed request: {request.url} {request.failure}")


@pytest.fixture
def page(browser: Any, server: LocalService) -> Iterator[tuple[Any, Watch]]:
    """A fresh tab at 1280x800 whose problems fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    watch = Watch(server.base)
    tab.on("console", watch.console)
    tab.on("pageerror", lambda error: watch.problems.append(f"page error: {error}"))
    tab.on("request", watch.request)
    tab.on("requestfailed", watch.failed)
    yield tab, watch
    context.close()
    assert watch.problems == []


def sign_in(tab: Any, server: LocalService, role: str, path: str = "/") -> None:
    """Open a board page and sign in with the role's key; the page names the role."""
    local_sign_in(tab, server, role, path)
    assert tab.text_content("#who-role") == role


def screenshot(tab: Any, name: str, tmp_path: Path) -> Path:
    """Take a screenshot (kept in BOARD_SCREENSHOTS when set)."""
    folder = Path(os.environ.get("BOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tab.evaluate("document.querySelector('#toast').hidden = true")
    tab.screenshot(path=str(path), full_page=True)
    return path


def solved(server: LocalService, problem: dict[str, Any]) -> str:
    """A plan solved on a deterministic budget (one worker, the problem's seed): the same plan
    however loaded the machine (a one-second wall-clock solve could leave the orders that the
    tests move unassigned, or not end within the submission's wait)."""
    return server.solved_plan(problem, 120, wait=600, deterministic_limit=0.2)


def wait_done(tab: Any) -> None:
    """Wait until the plan page shows a finished solve with its board."""
    tab.wait_for_selector("#job-status.done")
    tab.wait_for_selector("#gantt .visit")


def test_sign_in_and_controls_follow_the_role(
    page: tuple[Any, Watch], server: LocalService
) -> None:
    """A bad key is refused; each role sees the submit form, drag hint and emergency panel
    only when it may use them; the key is in sessionStorage, not localStorage."""
    tab, watch = page
    plan_id = solved(server, board_problem())
    watch.allowed.add(401)
    tab.goto(server.base + "/")
    tab.fill("#api-key", "dsp_nope_nope")
    tab.click("#sign-in-form button")
    tab.wait_for_selector("#sign-in-error:has-text('unknown or revoked')")
    expected = {
        "viewer": (False, False),
        "dispatcher": (True, False),
        "coordinator": (True, True),
        "admin": (True, True),
    }
    for role, (dispatches, coordinates) in expected.items():
        sign_in(tab, server, role)
        tab.wait_for_selector(f"#plans tr[data-plan='{plan_id}']")
        tab.wait_for_selector("#plans [data-k=travel]:empty", state="detached")  # all loaded
        assert tab.is_visible("#submit") == dispatches
        assert tab.evaluate("sessionStorage.getItem('dispatch.key')") == server.keys[role]
        assert tab.evaluate("localStorage.length") == 0
        tab.goto(f"{server.base}/plans/{plan_id}")
        tab.wait_for_selector("#gantt .visit")
        assert tab.is_visible("p.hint.role-dispatcher") == dispatches
        assert tab.is_visible("#t-emergency") == coordinates
        assert tab.is_visible("#t-events") == coordinates
        tab.click("#sign-out")
        tab.wait_for_selector("#sign-in", state="visible")


def test_submit_the_example_day_and_watch_it_solve(
    page: tuple[Any, Watch], server: LocalService, tmp_path: Path
) -> None:
    """An invalid file shows each error at its path; the example day solves on screen: one
    row per technician shift, one bar per served visit with its order id."""
    tab, watch = page
    watch.allowed.add(422)
    sign_in(tab, server, "dispatcher")
    bad = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    bad["orders"][0]["duration"] = "P1M"
    bad["technicians"][1]["skills"]["fiber"] = 9
    bad_file = tmp_path / "bad-day.json"
    bad_file.write_text(json.dumps(bad), encoding="utf-8")
    tab.set_input_files("#problem-file", str(bad_file))
    tab.click("#submit-form button[type=submit]")
    tab.wait_for_selector("#submit-errors li")
    listed = tab.inner_text("#submit-errors")
    assert "problem.orders[0].duration" in listed
    assert "problem.technicians[1].skills.fiber" in listed
    tab.fill("#workers", "0")
    tab.click("#submit-form button[type=submit]")
    field_error = ".error[data-for='options.workers']"
    tab.wait_for_selector(f"{field_error}:has-text('greater than or equal to 1')")

    tab.set_input_files("#problem-file", str(EXAMPLE))
    tab.fill("#time-limit", "3")
    tab.fill("#workers", "1")
    tab.click("#submit-form button[type=submit]")
    tab.wait_for_url(re.compile(r".*/plans/[0-9a-f-]+$"))
    plan_id = tab.url.rsplit("/", 1)[1]
    wait_done(tab)
    assert tab.locator("#progress-chart circle").count() >= 1
    problem = server.call("GET", f"/v1/plans/{plan_id}/problem")
    shifts = [s["id"] for t in problem["technicians"] for s in t["shifts"]]
    rows = tab.eval_on_selector_all(".g-row", "rows => rows.map(r => r.dataset.shift)")
    assert rows == shifts
    plan = server.call("GET", f"/v1/plans/{plan_id}")["plan"]
    visits = sorted(
        (route["shift"], item["order"])
        for route in plan["routes"]
        for item in route["items"]
        if item["type"] == "visit"
    )
    bars = tab.eval_on_selector_all(
        "#gantt .visit",
        "bars => bars.map(b => [b.dataset.shift, b.dataset.order, b.getAttribute('aria-label')])",
    )
    assert sorted((shift, order) for shift, order, _ in bars) == visits
    assert all(label.startswith(order) for _, order, label in bars)
    unassigned = tab.eval_on_selector_all(
        "#unassigned tbody tr", "r => r.map(x => x.dataset.order)"
    )
    assert unassigned == [u["order"] for u in plan["unassigned"]]
    markers = tab.locator("#map .m-route").count()
    assert markers == len(plan["routes"])
    tab.click(f"#gantt .visit[data-order='{visits[0][1]}']")
    assert visits[0][1] in tab.inner_text("#details")
    screenshot(tab, "board.png", tmp_path)


def drag_to_row(tab: Any, order: str, row: int) -> None:
    """Drag a visit's bar to the row of that index."""
    bar = tab.locator(f"#gantt .visit[data-order='{order}'] rect").first.bounding_box()
    target = tab.locator(f"#gantt .g-row[data-row='{row}'] .g-rowbg").bounding_box()
    x, y = bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    tab.mouse.move(x, y + 8, steps=2)
    tab.mouse.move(x, target["y"] + target["height"] / 2, steps=6)
    tab.mouse.up()


def test_drag_a_visit_to_another_technician(page: tuple[Any, Watch], server: LocalService) -> None:
    """An allowed drag stores version 2 with the visit moved; a forbidden one shows the rule
    and stores nothing."""
    tab, watch = page
    watch.allowed.add(422)
    plan_id = solved(server, board_problem())
    v1 = server.call("GET", f"/v1/plans/{plan_id}")["plan"]
    before = technician_of(v1, "O1")
    target = "T2" if before != "T2" else "T1"
    sign_in(tab, server, "dispatcher", f"/plans/{plan_id}")
    tab.wait_for_selector("#gantt .visit[data-order='O1']")
    assert tab.locator("#progress-chart circle").count() == 1  # solved before the page opened
    rows = tab.eval_on_selector_all(".g-row", "rows => rows.map(r => r.dataset.technician)")
    drag_to_row(tab, "O1", rows.index(target))
    tab.wait_for_selector("#move-result:has-text('version 2')")
    job = server.call("GET", f"/v1/plans/{plan_id}")
    assert job["version"] == 2 and technician_of(job["plan"], "O1") == target
    tab.wait_for_selector(f"#gantt .visit.changed[data-order='O1'][data-technician='{target}']")

    drag_to_row(tab, "O3", rows.index("T3"))
    tab.wait_for_selector("#move-result:has-text('Move refused')")
    assert "skill" in tab.inner_text("#move-result")
    assert server.call("GET", f"/v1/plans/{plan_id}")["version"] == 2

    # From the keyboard: focus a visit, Enter shows it, M opens the move dialog.
    other = "T1" if technician_of(job["plan"], "O2") != "T1" else "T2"
    tab.focus("#gantt .visit[data-order='O2']")
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#details:has-text('O2')")
    tab.keyboard.press("m")
    tab.wait_for_selector("#move-dialog[open]")
    tab.select_option("#move-tech", other)
    tab.focus("#move-ok")
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#move-result:has-text('version 3')")
    assert technician_of(server.call("GET", f"/v1/plans/{plan_id}")["plan"], "O2") == other

    # The versions and the diff of the first and the last.
    tab.click("#t-versions")
    assert tab.locator("#versions tbody tr").count() == 3
    tab.select_option("#diff-before", "1")
    tab.select_option("#diff-after", "3")
    tab.click("#diff-form button")
    tab.wait_for_selector("#diff h3")
    moved = tab.eval_on_selector_all("#diff tr.changed", "r => r.map(x => x.dataset.order)")
    assert {"O1", "O2"} <= set(moved)


def test_emergency_recommendation_accepted_as_coordinator(
    page: tuple[Any, Watch], server: LocalService, tmp_path: Path
) -> None:
    """Click the map, ask for recommendations, accept the first: version 2 shows with the new
    order and every change highlighted."""
    tab, _ = page
    plan_id = solved(server, json.loads(EXAMPLE.read_text(encoding="utf-8")))
    sign_in(tab, server, "coordinator", f"/plans/{plan_id}")
    tab.wait_for_selector("#gantt .visit")
    box = tab.locator("#map-svg").bounding_box()
    tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.wait_for_selector("#tab-emergency", state="visible")
    assert tab.input_value("#em-a") and tab.input_value("#em-b")
    assert tab.inner_text("#em-a-label") == "Latitude"
    order_id = tab.input_value("#em-id")
    tab.fill("#em-skills", "fiber:1")
    tab.fill("#em-duration", "40")
    tab.click("#emergency-form button[type=submit]")
    tab.wait_for_selector("#recommendations tbody [data-accept='0']")
    first = tab.inner_text("#recommendations tbody tr >> nth=0")
    screenshot(tab, "emergency.png", tmp_path)
    tab.click("#recommendations tbody [data-accept='0']")
    tab.wait_for_selector("#move-result:has-text('version 2')")
    job = server.call("GET", f"/v1/plans/{plan_id}")
    assert job["version"] == 2
    served_by = technician_of(job["plan"], order_id)
    assert served_by is not None and served_by in first
    changes = server.call("GET", f"/v1/plans/{plan_id}/versions/2")["changes"]
    assert order_id in {c["order"] for c in changes}
    highlighted = tab.eval_on_selector_all(
        "#gantt .visit.changed", "bars => bars.map(b => b.dataset.order)"
    )
    assert set(highlighted) == {c["order"] for c in changes if c.get("to_technician")}
    listed = tab.eval_on_selector_all("#changes tbody tr", "r => r.map(x => x.dataset.order)")
    assert listed == [c["order"] for c in changes]
    assert tab.input_value("#version-select") == "2"
    screenshot(tab, "emergency-accepted.png", tmp_path)

    # Another event from the same panel: the new order is cancelled again.
    tab.click("#t-events")
    tab.select_option("#ev-type", "order_cancelled")
    tab.select_option("#ev-order", order_id)
    tab.click("#event-form button[type=submit]")
    tab.wait_for_selector("#move-result:has-text('version 3')")
    job = server.call("GET", f"/v1/plans/{plan_id}")
    assert job["version"] == 3 and technician_of(job["plan"], order_id) is None


def test_watch_flags_foreign_requests_console_errors_and_failures() -> None:
    """The watch the browser tests rely on flags what it should and lets through the rest."""

    @dataclass
    class Seen:
        url: str = ""
        type: str = "error"
        text: str = ""
        failure: str = "net::ERR_FAILED"

    watch = Watch("http://127.0.0.1:8000", allowed={422})
    watch.request(Seen(url="http://127.0.0.1:8000/static/board.js"))
    watch.request(Seen(url="data:,"))
    watch.console(Seen(text="Failed to load resource: the server responded with a status of 422"))
    watch.console(Seen(type="warning", text="slow"))
    assert watch.problems == []
    watch.request(Seen(url="https://tile.example.org/1/2/3.png"))
    watch.request(Seen(url="http://127.0.0.1:8001/"))
    watch.console(Seen(text="Failed to load resource: the server responded with a status of 500"))
    watch.failed(Seen(url="http://127.0.0.1:8000/v1/plans"))
    assert len(watch.problems) == 4
