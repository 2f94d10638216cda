"""The service's limits: query parameters, body size, nesting, list sizes and numbers are
answered (413 or 422 naming the limit) before any work is done, and the key is checked
before the body is read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import nesting_depth
from tests.factory import order
from tests.test_api import (
    Service,
    assert_problem,
    error_paths,
    make_keys,
    make_settings,
    tiny_problem,
)


@pytest.fixture
def small(db_url: str) -> Iterator[Service]:
    """A service with every request limit small."""
    settings = make_settings(
        db_url,
        max_body_bytes=20_000,  # every request limit small
        max_orders=5,
        max_technicians=3,
        max_nodes=4,
        max_edges=6,
        max_events=2,
        max_depth=10,
        max_query_params=8,
    )
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield Service(client, keys, settings)


def post(service: Service, url: str, body: Any, role: str = "viewer") -> Any:
    """POST a JSON body with the role's key."""
    return service.client.post(url, json=body, headers=service.auth(role))


def test_too_many_query_parameters_is_422_naming_the_limit(small: Service) -> None:
    """Nine query parameters where eight are allowed: 422 naming the setting."""
    query = "&".join(["status=bogus"] * 9)
    response = small.client.get(f"/v1/plans?{query}", headers=small.auth("viewer"))
    body = assert_problem(response, 422)
    assert body["errors"][0]["path"] == "query"
    assert "DISPATCH_MAX_QUERY_PARAMS" in body["errors"][0]["message"]


def test_many_bad_query_values_give_each_error_once(service: Service) -> None:
    """Repeated bad values are reported once each (linear dedupe)."""
    query = "&".join(["status=bogus"] * 40)
    body = assert_problem(
        service.client.get(f"/v1/plans?{query}", headers=service.auth("viewer")), 422
    )
    assert len(body["errors"]) == 40


def test_a_declared_body_over_the_limit_is_413_unread(small: Service) -> None:
    """A Content-Length over the limit is answered 413, with or without a key."""
    big = b"{" + b" " * 30_000 + b"}"
    for headers in ({}, small.auth("viewer")):
        response = small.client.post(
            "/v1/validate",
            content=big,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 413)


def test_a_streamed_body_over_the_limit_is_413(small: Service) -> None:
    """A chunked body (no Content-Length) is cut off at the limit with 413."""

    def chunks() -> Iterator[bytes]:
        yield b'{"problem": {"id": "'
        for _ in range(50):
            yield b"x" * 1000
        yield b'"}}'

    response = small.client.post(
        "/v1/validate",
        content=chunks(),
        headers={**small.auth("viewer"), "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_the_key_is_checked_before_the_body(small: Service) -> None:
    """A request without a valid key is 401 even when its body is not JSON at all."""
    for headers in ({}, {"Authorization": "Bearer dsp_nope_nope"}):
        response = small.client.post(
            "/v1/validate",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 401)
        assert "WWW-Authenticate" in response.headers


def test_nesting_deeper_than_the_limit_is_422(small: Service) -> None:
    """Eleven levels where ten are allowed: 422 naming the setting, without parsing."""
    deep = "[" * 600 + "]" * 600
    text = '{"problem": {"id": "x", "technicians": ' + deep + "}}"
    response = small.client.post(
        "/v1/validate",
        content=text.encode(),
        headers={**small.auth("viewer"), "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert "DISPATCH_MAX_DEPTH" in body["errors"][0]["message"]


def test_nesting_depth_leaves_strings_out() -> None:
    """Brackets inside strings (escaped quotes too) do not count."""
    assert nesting_depth(b'{"a": "[[[[\\"[[[", "b": [[1]]}') == 3
    assert nesting_depth(b"12") == 0


def test_list_sizes_over_their_limits_are_422_each_named(small: Service) -> None:
    """Six orders and four technicians where five and three are allowed: both errors."""
    problem = tiny_problem(
        orders=[order(f"O{i}", i, i) for i in range(6)],
        technicians=[*tiny_problem()["technicians"], *tiny_problem()["technicians"]],
    )
    body = assert_problem(post(small, "/v1/validate", {"problem": problem}), 422)
    assert error_paths(body) == {"problem.orders", "problem.technicians"}
    assert any("DISPATCH_MAX_ORDERS" in e["message"] for e in body["errors"])


def test_road_network_sizes_are_limited(small: Service) -> None:
    """Five road nodes where four are allowed: 422 at `problem.travel.nodes`."""
    nodes = [{"id": f"N{i}", "lat": 31.8, "lon": 117.2 + i / 100} for i in range(5)]
    problem = tiny_problem(travel={"model": "road_network", "nodes": nodes, "edges": []})
    body = assert_problem(post(small, "/v1/validate", {"problem": problem}), 422)
    assert "problem.travel.nodes" in error_paths(body)


def test_events_over_the_limit_are_422(small: Service) -> None:
    """Three events where two are allowed: 422 before any event is looked at."""
    events = [{"type": "order_cancelled", "order": "O1"}] * 3
    body = {"now": "2026-12-01T11:00:00+08:00", "events": events}
    response = post(small, "/v1/plans/nope/events", body, role="coordinator")
    assert error_paths(assert_problem(response, 422)) == {"events"}


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("x", float("nan")),
        ("x", float("inf")),
        ("x", 1e308),
        ("y", -4.6e154),
    ],
)
def test_numbers_out_of_range_are_422(service: Service, where: str, value: float) -> None:
    """NaN, infinities and huge coordinates are input errors, never 500."""
    problem = tiny_problem()
    problem["orders"][0]["location"][where] = value
    text = json.dumps({"problem": problem})  # NaN and Infinity as Python writes them
    for url in ("/v1/validate", "/v1/evaluate"):
        body = {"problem": problem, "plan": {}} if url.endswith("evaluate") else None
        content = json.dumps(body).encode() if body else text.encode()
        response = service.client.post(
            url,
            content=content,
            headers={**service.auth("dispatcher"), "Content-Type": "application/json"},
        )
        assert f"problem.orders[0].location.{where}" in error_paths(assert_problem(response, 422))
    submitted = service.client.post(
        "/v1/plans",
        content=text.encode(),
        headers={**service.auth("dispatcher"), "Content-Type": "application/json"},
    )
    assert_problem(submitted, 422)


def test_durations_and_ids_have_limits(service: Service) -> None:
    """A duration over 366 days, a NaN one and ids over 200 characters are 422."""
    problem = tiny_problem(id="p" * 201)
    problem["orders"][0]["duration"] = 400 * 86400
    problem["orders"][1]["duration"] = "P400D"
    problem["orders"][2]["id"] = "o" * 201
    body = assert_problem(post(service, "/v1/plans", {"problem": problem}, "dispatcher"), 422)
    assert {
        "problem.id",
        "problem.orders[0].duration",
        "problem.orders[1].duration",
        "problem.orders[2].id",
    } <= error_paths(body)


def test_a_long_problem_id_filter_is_422_not_500(service: Service) -> None:
    """Listing by a problem id over 200 characters is an input error on every database."""
    response = service.client.get(
        "/v1/plans", params={"problem_id": "p" * 201}, headers=service.auth("viewer")
    )
    assert_problem(response, 422)


def test_a_body_that_is_not_utf8_is_422(service: Service) -> None:
    """Bytes that are not UTF-8 are an input error on JSON routes and checks alike."""
    for url in ("/v1/plans", "/v1/validate"):
        response = service.client.post(
            url,
            content=b"8\xec\x95U\x16",
            headers={**service.auth("dispatcher"), "Content-Type": "application/json"},
        )
        assert_problem(response, 422)


def test_conformance_of_numbers_instants_durations_and_methods(service: Service) -> None:
    """`seed: false` and a numeric `created_before` are 422, an empty duration is refused
    by the schema too, and a 405 lists every method of its path in `Allow`."""
    refused = service.submit(tiny_problem(), seed=False)
    assert "options.seed" in error_paths(assert_problem(refused, 422))
    listing = service.client.get(
        "/v1/plans", params={"created_before": "0.5"}, headers=service.auth("viewer")
    )
    assert_problem(listing, 422)
    schema = service.client.get("/openapi.json").json()["components"]["schemas"]
    pattern = next(
        s["pattern"] for s in schema["Order"]["properties"]["duration"]["anyOf"] if "pattern" in s
    )
    assert not re.match(pattern, "") and re.match(pattern, "PT45M")
    response = service.client.put("/v1/plans/some-id", headers=service.auth("admin"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "DELETE"}


def test_unknown_query_parameters_are_422(service: Service) -> None:
    """A query parameter the route does not take (a misspelt filter) is an input error."""
    response = service.client.get(
        "/v1/plans", params={"stauts": "done"}, headers=service.auth("viewer")
    )
    assert error_paths(assert_problem(response, 422)) == {"query.stauts"}
