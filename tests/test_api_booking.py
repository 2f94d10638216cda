"""Bookings over HTTP: slot offers, holds, confirmations without double booking (on SQLite,
and on PostgreSQL with DISPATCH_TEST_POSTGRES), the access log, customers' data redacted
for viewers, and the day's service record as JSON and as a zip of CSV files."""

from __future__ import annotations

import csv
import io
import threading
import time
import zipfile
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from models import Plan, load_problem, parse_model
from optimizer.evaluate import evaluate
from tests import test_api as base
from tests.factory import at, order, tech
from tests.test_api import Service, assert_problem, error_paths, make_keys, make_settings

db_url = base.db_url  # fixture: a fresh database (SQLite, or PostgreSQL when asked)
service = base.service  # fixture: a service on it with a key per role

NOW = at("07:45")
SLOT = {"start": at("09:30"), "end": at("10:00")}
EARLY = {"start": at("08:00"), "end": at("08:30")}
CUSTOMER = {"name": "Zhang Wei-Booking", "phone": "+86 139 0000 4242", "address_note": "gate 7"}


def day() -> dict[str, Any]:
    """T1 at (0, 0) from 08:00 to 12:00; O1 at (10, 0) for an hour from 08:30 exactly, for a
    customer. A one-hour order at O1's place fits from 09:30 (right after O1), only once."""
    return {
        "id": "booking-day",
        "horizon": {"start": at("00:00"), "end": at("23:59")},
        "technicians": [tech("T1", 0, 0, end="12:00")],
        "orders": [
            order(
                "O1",
                10,
                0,
                60,
                time_windows=[{"start": at("08:30"), "end": at("08:30")}],
                customer=CUSTOMER,
            )
        ],
        "travel": {"model": "euclidean", "speed": 1.0},
        "options": {"time_limit": "PT1S", "seed": 0, "workers": 1},
    }


def when(text: str) -> datetime:
    """An instant from its JSON text (UTC may come as `Z`)."""
    return datetime.fromisoformat(text)


def new(oid: str) -> dict[str, Any]:
    """A one-hour order at O1's place, without a window, for a customer."""
    return order(oid, 10, 0, 60, customer={"name": f"Customer of {oid}", "phone": "+86 1"})


def solved(service: Service) -> str:
    """Submit the day and wait for its plan; its id."""
    job = service.submit(day(), wait=30).json()
    assert job["status"] == "done", job
    return str(job["id"])


def offers(service: Service, plan_id: str, oid: str, *windows: dict[str, str]) -> Any:
    """POST the slots request as a dispatcher; the response."""
    return service.client.post(
        f"/v1/plans/{plan_id}/slots",
        json={"order": new(oid), "windows": list(windows), "now": NOW, "k": 3},
        headers=service.auth("dispatcher"),
    )


def test_offer_hold_confirm_books_the_order(service: Service) -> None:
    """The whole booking: offers per window in order (one feasible, one not with its reason),
    a hold with its expiry, a confirmation that stores version 2 with the order served in
    the booked window, and a second confirmation refused."""
    plan_id = solved(service)
    response = offers(service, plan_id, "N1", EARLY, SLOT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1 and body["order"] == "N1"
    early, slot = body["offers"]
    assert when(early["window"]["start"]) == when(EARLY["start"])
    assert when(slot["window"]["start"]) == when(SLOT["start"])
    assert not early["feasible"] and early["options"] == []
    assert early["reason"]["code"] == "capacity"
    assert slot["feasible"] and slot["options"][0]["technician"] == "T1"
    assert when(slot["options"][0]["start"]) == when(SLOT["start"])

    dispatcher = service.auth("dispatcher")
    url = f"/v1/plans/{plan_id}/slots/{slot['id']}"
    held = service.client.post(f"{url}/hold", json={"option": 0}, headers=dispatcher)
    assert held.status_code == 200, held.text
    assert held.json()["technicians"] == ["T1"]
    assert when(held.json()["expires_at"]) > when(NOW)
    assert service.client.get(url, headers=dispatcher).json()["held_option"] == 0

    booked = service.client.post(f"{url}/confirm", json={"option": 0}, headers=dispatcher)
    assert booked.status_code == 200, booked.text
    result = booked.json()
    assert result["version"] == 2 and result["order"] == "N1"
    assert any(c["order"] == "N1" and c["to_technician"] == "T1" for c in result["changes"])
    version = service.client.get(f"/v1/plans/{plan_id}/versions/2", headers=dispatcher).json()
    (added,) = [o for o in version["problem"]["orders"] if o["id"] == "N1"]
    assert [when(w["start"]) for w in added["time_windows"]] == [when(SLOT["start"])]
    assert "pinned" not in added
    visit = next(
        it for r in result["plan"]["routes"] for it in r["items"] if it.get("order") == "N1"
    )
    assert when(SLOT["start"]) <= when(visit["start"]) <= when(SLOT["end"])
    problem = load_problem(version["problem"])
    assert evaluate(problem, parse_model(Plan, version["plan"])).feasible
    assert version["input"]["booking"] == {"offer": slot["id"], "option": 0}
    assert service.client.get(url, headers=dispatcher).json()["booked_version"] == 2

    again = service.client.post(f"{url}/confirm", json={"option": 0}, headers=dispatcher)
    assert "booked already" in assert_problem(again, 409)["detail"]


def test_a_hold_takes_the_slot_until_it_expires(db_url: str) -> None:
    """While agent A holds the only slot, agent B is offered it as taken (capacity); once
    the hold has expired, B is offered it again."""
    settings = make_settings(db_url, hold_seconds=1.5)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        svc = Service(client, keys, settings)
        plan_id = solved(svc)
        (first,) = offers(svc, plan_id, "A1", SLOT).json()["offers"]
        hold = client.post(
            f"/v1/plans/{plan_id}/slots/{first['id']}/hold",
            json={"option": 0},
            headers=svc.auth("dispatcher"),
        )
        assert hold.status_code == 200, hold.text
        (taken,) = offers(svc, plan_id, "B1", SLOT).json()["offers"]
        assert not taken["feasible"] and taken["reason"]["code"] == "capacity"
        time.sleep(1.6)
        (free,) = offers(svc, plan_id, "B1", SLOT).json()["offers"]
        assert free["feasible"]


def _confirm_together(
    clients: list[TestClient], urls: list[str], headers: dict[str, str]
) -> list[Any]:
    """POST both confirmations at the same moment from two threads."""
    barrier = threading.Barrier(len(urls))
    out: list[Any] = [None] * len(urls)

    def run(i: int) -> None:
        barrier.wait()
        out[i] = clients[i].post(urls[i], json={"option": 0}, headers=headers)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.mark.parametrize("processes", [1, 2], ids=["one-service", "two-services"])
def test_two_agents_confirming_the_same_capacity(
    db_url: str, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Agents A and B are both offered the only slot and confirm at once: one books it, the
    other gets 409 with a fresh offer saying the window is taken; the plan books one order
    only. Through one service the plan's lock orders them; through two services on one
    database both re-plan from version 1 (held together until both have checked their
    option), and the database's version check refuses the second."""
    if processes == 2:
        import optimizer.replan

        together = threading.Barrier(2, timeout=30)
        original = optimizer.replan.replan

        def replan_together(*args: Any, **kwargs: Any) -> Any:
            together.wait()
            return original(*args, **kwargs)

        monkeypatch.setattr(optimizer.replan, "replan", replan_together)
    settings = make_settings(db_url)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        svc = Service(first, keys, settings)
        plan_id = solved(svc)
        (a,) = offers(svc, plan_id, "A1", SLOT).json()["offers"]
        (b,) = offers(svc, plan_id, "B1", SLOT).json()["offers"]
        assert a["feasible"] and b["feasible"]
        urls = [f"/v1/plans/{plan_id}/slots/{x['id']}/confirm" for x in (a, b)]
        clients = [first, second if processes == 2 else first]
        answers = _confirm_together(clients, urls, svc.auth("dispatcher"))
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        lost = next(r for r in answers if r.status_code == 409)
        body = assert_problem(lost, 409)
        if processes == 2:
            assert "another version was stored" in body["detail"]
        fresh = body["offer"]
        assert when(fresh["window"]["start"]) == when(SLOT["start"])
        assert fresh["id"] not in (a["id"], b["id"])
        assert not fresh["feasible"] and fresh["reason"]["code"] == "capacity"
        plan = first.get(f"/v1/plans/{plan_id}", headers=svc.auth("viewer")).json()
        assert plan["version"] == 2
        served = {
            it["order"]
            for r in plan["plan"]["routes"]
            for it in r["items"]
            if it["type"] == "visit"
        }
        assert len(served & {"A1", "B1"}) == 1


def test_bad_slot_requests_are_422_with_paths(service: Service) -> None:
    """An order with windows and an unknown preference, windows and `every` together, an
    option that does not exist: every error with its path."""
    plan_id = solved(service)
    dispatcher = service.auth("dispatcher")
    url = f"/v1/plans/{plan_id}/slots"
    bad = {
        **new("X"),
        "time_windows": [SLOT],
        "preferred_technicians": ["NOPE"],
        "duration": "P1M",
    }
    response = service.client.post(
        url, json={"order": bad, "windows": [SLOT], "now": NOW}, headers=dispatcher
    )
    assert "order.duration" in error_paths(assert_problem(response, 422))
    bad["duration"] = "PT60M"
    response = service.client.post(
        url, json={"order": bad, "windows": [SLOT], "now": NOW}, headers=dispatcher
    )
    paths = error_paths(assert_problem(response, 422))
    assert {"order.time_windows", "order.preferred_technicians[0]"} <= paths
    both = {
        "order": new("X"),
        "windows": [SLOT],
        "every": {"start": at("08:00"), "end": at("12:00"), "length": "PT2H"},
        "now": NOW,
    }
    response = service.client.post(url, json=both, headers=dispatcher)
    assert "windows" in error_paths(assert_problem(response, 422))
    tiled = service.client.post(url, json={**both, "windows": None}, headers=dispatcher)
    starts = [when(o["window"]["start"]) for o in tiled.json()["offers"]]
    assert starts == [when(at("08:00")), when(at("10:00"))]
    (slot,) = offers(service, plan_id, "X", SLOT).json()["offers"]
    response = service.client.post(
        f"{url}/{slot['id']}/hold", json={"option": 5}, headers=dispatcher
    )
    assert "option" in error_paths(assert_problem(response, 422))
    missing = service.client.post(f"{url}/nope/hold", json={"option": 0}, headers=dispatcher)
    assert_problem(missing, 404)
    viewer = service.client.post(url, json=both, headers=service.auth("viewer"))
    assert_problem(viewer, 403)


def test_viewers_never_see_customers(service: Service) -> None:
    """The customer block is returned to dispatchers and removed for viewers from plans,
    versions and records."""
    plan_id = solved(service)
    for role, shown in (("viewer", False), ("dispatcher", True), ("admin", True)):
        headers = service.auth(role)
        for url in (
            f"/v1/plans/{plan_id}",
            f"/v1/plans/{plan_id}/versions",
            f"/v1/plans/{plan_id}/versions/1",
            f"/v1/plans/{plan_id}/record",
            f"/v1/plans/{plan_id}/record?format=zip",
        ):
            response = service.client.get(url, headers=headers)
            assert response.status_code == 200, response.text
            text = response.content
            if url.endswith("zip"):
                text = zipfile.ZipFile(io.BytesIO(text)).read("record.json")
            carries = "versions" in url or "record" in url  # a plan job has no problem
            assert (CUSTOMER["phone"].encode() in text) == (shown and carries), (role, url)
    versions = service.client.get(
        f"/v1/plans/{plan_id}/versions", headers=service.auth("dispatcher")
    ).json()
    assert versions["items"][0]["problem"]["orders"][0]["customer"] == CUSTOMER


def test_every_read_is_in_the_access_log_for_admins_only(service: Service) -> None:
    """Reads of a plan, its versions, its record and its offers are logged with key id,
    role, route and time; only admins read the log; its time filters take ISO instants, not
    numbers (pydantic would read those as Unix times)."""
    plan_id = solved(service)
    viewer = service.auth("viewer")
    service.client.get(f"/v1/plans/{plan_id}", headers=viewer)
    service.client.get(f"/v1/plans/{plan_id}/versions/1", headers=viewer)
    (slot,) = offers(service, plan_id, "N1", SLOT).json()["offers"]
    service.client.get(f"/v1/plans/{plan_id}/slots/{slot['id']}", headers=service.auth("admin"))
    assert_problem(service.client.get("/v1/audit", headers=service.auth("coordinator")), 403)
    log = service.client.get(
        f"/v1/audit?plan_id={plan_id}&limit=100", headers=service.auth("admin")
    ).json()
    seen = {(e["role"], e["method"], e["route"]) for e in log["items"]}
    assert {
        ("viewer", "GET", "/v1/plans/{plan_id}"),
        ("viewer", "GET", "/v1/plans/{plan_id}/versions/{number}"),
        ("dispatcher", "POST", "/v1/plans/{plan_id}/slots"),
        ("admin", "GET", "/v1/plans/{plan_id}/slots/{offer_id}"),
    } <= seen
    assert all(e["plan_id"] == plan_id and e["at"] for e in log["items"])
    keys = service.client.get("/v1/keys", headers=service.auth("admin")).json()["items"]
    viewer_id = next(k["id"] for k in keys if k["role"] == "viewer")
    mine = service.client.get(
        f"/v1/audit?key_id={viewer_id}", headers=service.auth("admin")
    ).json()
    assert mine["total"] >= 2 and {e["key_id"] for e in mine["items"]} == {viewer_id}
    admin = service.auth("admin")
    numbers = service.client.get("/v1/audit?until=-10628260&since=5", headers=admin)
    assert error_paths(assert_problem(numbers, 422)) == {"query.since", "query.until"}
    iso = service.client.get("/v1/audit?since=2020-01-01T00:00:00Z", headers=admin)
    assert iso.status_code == 200 and iso.json()["total"] >= 2


def test_record_archives_versions_events_changes_kpis_and_access(service: Service) -> None:
    """After a booking, the record holds both versions with the booking event and its
    changes; the zip holds record.json and a CSV per section with matching rows; the
    access log is there for admins and not for viewers."""
    plan_id = solved(service)
    (slot,) = offers(service, plan_id, "N1", SLOT).json()["offers"]
    service.client.post(
        f"/v1/plans/{plan_id}/slots/{slot['id']}/confirm",
        json={"option": 0},
        headers=service.auth("dispatcher"),
    )
    admin = service.client.get(f"/v1/plans/{plan_id}/record", headers=service.auth("admin"))
    record = admin.json()
    assert record["final_version"] == 2 and [v["number"] for v in record["versions"]] == [1, 2]
    assert record["versions"][1]["events"][0]["order"]["id"] == "N1"
    assert any(c["order"] == "N1" for c in record["versions"][1]["changes"])
    assert record["versions"][1]["kpis"] == record["versions"][1]["plan"]["kpis"]
    assert record["offers"][0]["booked_version"] == 2
    assert any(e["route"].endswith("/confirm") for e in record["access_log"])
    viewer = service.client.get(f"/v1/plans/{plan_id}/record", headers=service.auth("viewer"))
    assert viewer.json()["access_log"] is None

    archive = service.client.get(
        f"/v1/plans/{plan_id}/record?format=zip", headers=service.auth("admin")
    )
    assert archive.headers["content-type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(archive.content))

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(files.read(name).decode())))

    assert [r["version"] for r in rows("versions.csv")] == ["1", "2"]
    assert [(r["version"], r["type"], r["order"]) for r in rows("events.csv")] == [
        ("2", "order_added", "N1")
    ]
    assert ("2", "N1") in {(r["version"], r["order"]) for r in rows("changes.csv")}
    assert {("1", "O1"), ("2", "O1"), ("2", "N1")} <= {
        (r["version"], r["order"]) for r in rows("visits.csv")
    }
    assert rows("kpis.csv") and rows("offers.csv")[0]["booked_version"] == "2"
    assert rows("access_log.csv")


BOOKING_ROUTES = [
    ("POST", "/v1/plans/x/slots"),
    ("GET", "/v1/plans/x/slots/y"),
    ("POST", "/v1/plans/x/slots/y/hold"),
    ("POST", "/v1/plans/x/slots/y/confirm"),
    ("GET", "/v1/plans/x/record"),
    ("GET", "/v1/audit"),
]


@pytest.mark.parametrize(("method", "url"), BOOKING_ROUTES)
def test_booking_routes_need_a_key_and_their_role(service: Service, method: str, url: str) -> None:
    """No key: 401; a viewer may read a record only; only an admin reads the access log."""
    assert_problem(service.client.request(method, url, json={}), 401)
    viewer = service.client.request(method, url, headers=service.auth("viewer"), json={})
    if url.endswith("record"):
        assert_problem(viewer, 404)
    else:
        assert_problem(viewer, 403)
    coordinator = service.client.request(method, url, headers=service.auth("coordinator"))
    if url == "/v1/audit":
        assert_problem(coordinator, 403)
    else:  # past access control: the plan or offer is missing, or the body
        assert coordinator.status_code in (404, 422), coordinator.text


def test_holding_a_slot_booked_meanwhile_gives_a_fresh_offer(service: Service) -> None:
    """B holds an option that A booked since B's offer: 409 with a fresh offer for the same
    window, stored (it can be read back) and saying the window is taken."""
    plan_id = solved(service)
    (a,) = offers(service, plan_id, "A1", SLOT).json()["offers"]
    (b,) = offers(service, plan_id, "B1", SLOT).json()["offers"]
    dispatcher = service.auth("dispatcher")
    url = f"/v1/plans/{plan_id}/slots"
    booked = service.client.post(
        f"{url}/{a['id']}/confirm", json={"option": 0}, headers=dispatcher
    )
    assert booked.status_code == 200, booked.text
    late = service.client.post(f"{url}/{b['id']}/hold", json={"option": 0}, headers=dispatcher)
    body = assert_problem(late, 409)
    assert body["type"].endswith("slot-taken") and "version 2" in body["detail"]
    fresh = service.client.get(f"{url}/{body['offer']['id']}", headers=dispatcher).json()
    assert fresh["version"] == 2 and fresh["order"] == "B1" and not fresh["feasible"]
    assert fresh["reason"]["code"] == "capacity"


def test_too_many_windows_are_422(service: Service) -> None:
    """Tiling a day into five-minute windows asks for more than 96: 422 on `windows`."""
    plan_id = solved(service)
    every = {"start": at("08:00"), "end": at("18:00"), "length": "PT5M"}
    response = service.client.post(
        f"/v1/plans/{plan_id}/slots",
        json={"order": new("X"), "every": every, "now": NOW},
        headers=service.auth("dispatcher"),
    )
    assert "windows" in error_paths(assert_problem(response, 422))
    zero = {**every, "length": "PT0S"}
    response = service.client.post(
        f"/v1/plans/{plan_id}/slots",
        json={"order": new("X"), "every": zero, "now": NOW},
        headers=service.auth("dispatcher"),
    )
    assert "every.length" in error_paths(assert_problem(response, 422))
