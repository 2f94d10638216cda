"""Input validation: every rule reports its error at its JSON path, and all errors come at once."""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generator import generate_day
from models import FieldError, InvalidInput, Problem, load_problem
from models.common import format_duration, parse_duration

T = "2026-12-01T{}:00+08:00"


def at(hhmm: str) -> str:
    """An instant on the test day."""
    return T.format(hhmm)


def base_problem() -> dict[str, Any]:
    """A small valid problem: two technicians, two orders, one depot, haversine travel."""
    return {
        "id": "tiny",
        "horizon": {"start": at("06:00"), "end": at("22:00")},
        "technicians": [
            {
                "id": "A",
                "skills": {"fiber": 3},
                "shifts": [
                    {
                        "start": at("08:00"),
                        "end": at("17:00"),
                        "start_location": {"lat": 31.80, "lon": 117.20},
                        "breaks": [
                            {
                                "earliest_start": at("11:30"),
                                "latest_end": at("13:30"),
                                "duration": "PT30M",
                            }
                        ],
                    }
                ],
                "equipment": ["ladder"],
                "parts": {"ont": 2},
            },
            {
                "id": "B",
                "skills": {"cpe": 2},
                "shifts": [
                    {
                        "start": at("10:00"),
                        "end": at("19:00"),
                        "start_location": {"lat": 31.81, "lon": 117.21},
                    }
                ],
            },
        ],
        "orders": [
            {
                "id": "o1",
                "location": {"lat": 31.82, "lon": 117.22},
                "duration": "PT45M",
                "required_skills": {"fiber": 2},
                "created_at": at("07:00"),
                "due": at("12:00"),
            },
            {
                "id": "o2",
                "location": {"lat": 31.83, "lon": 117.23},
                "duration": "PT1H",
                "time_windows": [{"start": at("12:00"), "end": at("16:00")}],
            },
        ],
        "depots": [
            {
                "id": "D",
                "location": {"lat": 31.80, "lon": 117.25},
                "opening": {"start": at("07:00"), "end": at("19:00")},
                "visit_duration": "PT10M",
            }
        ],
    }


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_path(data: Any, path: str, value: Any) -> None:
    """Set `value` at a JSON path such as `orders[0].time_windows[0].end` (index = length
    appends)."""
    steps = [int(i) if i else key for key, i in _STEP.findall(path)]
    node = data
    for step in steps[:-1]:
        node = node[step]
    last = steps[-1]
    if isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value


def with_changes(*changes: tuple[str, Any]) -> dict[str, Any]:
    """The base problem with each (path, value) applied."""
    data = base_problem()
    for path, value in changes:
        set_path(data, path, value)
    return data


def errors_of(data: Any) -> list[FieldError]:
    """The errors `load_problem` raises for `data` (fails the test if it accepts it)."""
    with pytest.raises(InvalidInput) as info:
        load_problem(data)
    assert info.value.errors, "InvalidInput without errors"
    return info.value.errors


def assert_reported(data: Any, path: str, fragment: str) -> None:
    """`data` is rejected with an error at exactly `path` whose message contains `fragment`."""
    errors = errors_of(data)
    assert any(e.path == path and fragment in e.message for e in errors), (
        f"expected '{path}: ...{fragment}...' among:\n" + "\n".join(map(str, errors))
    )


def test_base_problem_is_valid() -> None:
    """The fixture every rule below breaks is itself valid."""
    problem = load_problem(base_problem())
    assert [t.shifts[0].id for t in problem.technicians] == ["A-1", "B-1"]


SHIFT_A = "technicians[0].shifts[0]"
LATE_SHIFT = {
    "start": at("16:00"),
    "end": at("20:00"),
    "start_location": {"lat": 31.8, "lon": 117.2},
}
DEPOT_D = {"id": "D", "location": {"lat": 31.8, "lon": 117.25}}

# (case id, changes to the base problem, expected error path, message fragment)
RULES: list[tuple[str, list[tuple[str, Any]], str, str]] = [
    (
        "duplicate technician id",
        [("technicians[1].id", "A")],
        "technicians[1].id",
        "duplicate technician id 'A'",
    ),
    ("duplicate order id", [("orders[1].id", "o1")], "orders[1].id", "duplicate order id 'o1'"),
    ("duplicate depot id", [("depots[1]", DEPOT_D)], "depots[1].id", "duplicate depot id 'D'"),
    (
        "duplicate shift id",
        [("technicians[1].shifts[0].id", "A-1")],
        "technicians[1].shifts[0].id",
        "duplicate shift id 'A-1'",
    ),
    (
        "unknown after",
        [("orders[1].after", ["nope"])],
        "orders[1].after[0]",
        "unknown order 'nope'",
    ),
    (
        "unknown preferred technician",
        [("orders[0].preferred_technicians", ["B", "Q"])],
        "orders[0].preferred_technicians[1]",
        "unknown technician 'Q'",
    ),
    (
        "unknown pinned technician",
        [("orders[0].pinned", {"technician": "Q"})],
        "orders[0].pinned.technician",
        "unknown technician 'Q'",
    ),
    ("empty pin", [("orders[0].pinned", {})], "orders[0].pinned", "a pin names"),
    (
        "pinned start outside horizon",
        [("orders[0].pinned", {"start": "2026-12-02T08:00:00+08:00"})],
        "orders[0].pinned.start",
        "outside the horizon",
    ),
    (
        "naive horizon start",
        [("horizon.start", "2026-12-01T06:00:00")],
        "horizon.start",
        "no UTC offset",
    ),
    (
        "naive created_at",
        [("orders[0].created_at", "2026-12-01T07:00:00")],
        "orders[0].created_at",
        "no UTC offset",
    ),
    (
        "naive window start",
        [("orders[1].time_windows[0].start", "2026-12-01T12:00:00")],
        "orders[1].time_windows[0].start",
        "no UTC offset",
    ),
    (
        "naive shift end",
        [(f"{SHIFT_A}.end", "2026-12-01T17:00:00")],
        f"{SHIFT_A}.end",
        "no UTC offset",
    ),
    (
        "horizon ends before start",
        [("horizon.end", at("05:00"))],
        "horizon",
        "ends before it starts",
    ),
    (
        "window ends before start",
        [("orders[1].time_windows[0].end", at("11:00"))],
        "orders[1].time_windows[0]",
        "ends before it starts",
    ),
    (
        "window outside horizon",
        [("orders[1].time_windows[0].end", "2026-12-01T23:00:00+08:00")],
        "orders[1].time_windows[0]",
        "outside the horizon",
    ),
    (
        "window in another offset outside horizon",
        [("orders[1].time_windows[0].start", "2026-12-01T04:59:00+07:00")],
        "orders[1].time_windows[0]",
        "outside the horizon",
    ),
    (
        "shift ends before start",
        [(f"{SHIFT_A}.end", at("07:00"))],
        SHIFT_A,
        "ends before it starts",
    ),
    ("shift outside horizon", [(f"{SHIFT_A}.start", at("05:30"))], SHIFT_A, "outside the horizon"),
    (
        "overtime past horizon",
        [(f"{SHIFT_A}.end", at("21:30")), (f"{SHIFT_A}.max_overtime", "PT1H")],
        SHIFT_A,
        "outside the horizon",
    ),
    (
        "break outside shift",
        [(f"{SHIFT_A}.breaks[0].earliest_start", at("07:00"))],
        f"{SHIFT_A}.breaks[0]",
        "outside the shift",
    ),
    (
        "break ends before start",
        [(f"{SHIFT_A}.breaks[0].latest_end", at("11:00"))],
        f"{SHIFT_A}.breaks[0]",
        "ends before it starts",
    ),
    (
        "break longer than window",
        [(f"{SHIFT_A}.breaks[0].duration", "PT3H")],
        f"{SHIFT_A}.breaks[0]",
        "longer than its window",
    ),
    (
        "depot opening outside horizon",
        [("depots[0].opening.start", at("05:00"))],
        "depots[0].opening",
        "outside the horizon",
    ),
    (
        "depot visit longer than opening",
        [("depots[0].visit_duration", "PT13H")],
        "depots[0].visit_duration",
        "longer than the opening",
    ),
    ("negative duration", [("orders[0].duration", "-PT5M")], "orders[0].duration", "negative"),
    ("negative seconds", [("orders[1].duration", -300)], "orders[1].duration", "negative"),
    (
        "negative break",
        [(f"{SHIFT_A}.breaks[0].duration", "-PT30M")],
        f"{SHIFT_A}.breaks[0].duration",
        "negative",
    ),
    (
        "negative depot visit",
        [("depots[0].visit_duration", -1)],
        "depots[0].visit_duration",
        "negative",
    ),
    (
        "negative overtime",
        [(f"{SHIFT_A}.max_overtime", "-PT1H")],
        f"{SHIFT_A}.max_overtime",
        "negative",
    ),
    ("duration in months", [("orders[0].duration", "P1M")], "orders[0].duration", "months"),
    ("duration in years", [("orders[0].duration", "P1Y")], "orders[0].duration", "years"),
    ("time limit in months", [("options", {"time_limit": "P2M"})], "options.time_limit", "months"),
    ("not a duration", [("orders[0].duration", "soon")], "orders[0].duration", "ISO 8601"),
    (
        "technician level 6",
        [("technicians[0].skills.fiber", 6)],
        "technicians[0].skills.fiber",
        "less than or equal to 5",
    ),
    (
        "required level 0",
        [("orders[0].required_skills.fiber", 0)],
        "orders[0].required_skills.fiber",
        "greater than or equal to 1",
    ),
    ("priority 6", [("orders[0].priority", 6)], "orders[0].priority", "less than or equal to 5"),
    (
        "part quantity 0",
        [("orders[0].required_parts", {"ont": 0})],
        "orders[0].required_parts.ont",
        "greater than or equal to 1",
    ),
    (
        "crew larger than the technicians",
        [("orders[0].crew_size", 3)],
        "orders[0].crew_size",
        "crew of 3 is larger than the 2 technicians",
    ),
    ("after itself", [("orders[0].after", ["o1"])], "orders[0].after[0]", "after itself"),
    (
        "overlapping shifts",
        [("technicians[0].shifts[1]", LATE_SHIFT)],
        "technicians[0].shifts[1]",
        "overlaps shift 'A-1'",
    ),
    (
        "shifts overlapping by overtime",
        [
            ("technicians[0].shifts[1]", {**LATE_SHIFT, "start": at("17:15")}),
            (f"{SHIFT_A}.max_overtime", "PT30M"),
        ],
        "technicians[0].shifts[1]",
        "overlaps shift 'A-1'",
    ),
    ("unknown field", [("orders[0].colour", "red")], "orders[0].colour", "Extra inputs"),
    (
        "missing field",
        [("orders[1]", {"id": "o2", "location": {"lat": 31.8, "lon": 117.2}})],
        "orders[1].duration",
        "Field required",
    ),
    (
        "latitude out of range",
        [("orders[0].location", {"lat": 91, "lon": 117.2})],
        "orders[0].location.lat",
        "less than or equal to 90",
    ),
    (
        "x/y location for haversine",
        [("orders[0].location", {"x": 1, "y": 2})],
        "orders[0].location",
        "needs a lat/lon location",
    ),
    (
        "node location for haversine",
        [(f"{SHIFT_A}.end_location", {"node": "n1"})],
        f"{SHIFT_A}.end_location",
        "needs a lat/lon location",
    ),
    (
        "lat/lon location for euclidean",
        [("travel", {"model": "euclidean", "speed": 0.5})],
        "depots[0].location",
        "needs a x/y location",
    ),
    ("unknown travel model", [("travel", {"model": "teleport"})], "travel", "teleport"),
    ("negative weight", [("weights", {"travel": -1})], "weights.travel", "greater than or equal"),
    (
        "zero workers",
        [("options", {"workers": 0})],
        "options.workers",
        "greater than or equal to 1",
    ),
]


@pytest.mark.parametrize(
    ("changes", "path", "fragment"), [pytest.param(c, p, f, id=i) for i, c, p, f in RULES]
)
def test_rule_reported_at_its_path(
    changes: list[tuple[str, Any]], path: str, fragment: str
) -> None:
    """Breaking one rule is reported at the JSON path of the offending field."""
    assert_reported(with_changes(*changes), path, fragment)


def test_unknown_priority_key_in_weights() -> None:
    """A per-priority weight keyed outside "1".."5" is reported under that key."""
    errors = errors_of(with_changes(("weights", {"unassigned": {"7": 1}})))
    assert any(e.path.startswith("weights.unassigned.7") for e in errors), errors


@pytest.mark.parametrize("cycle", [["o1", "o2"], ["o1", "o2", "o3"]])
def test_dependency_cycle(cycle: list[str]) -> None:
    """A cycle of `after` dependencies is reported once, at an `after` of an order on it."""
    data = base_problem()
    data["orders"].append({"id": "o3", "location": {"lat": 31.8, "lon": 117.2}, "duration": 600})
    index = {o["id"]: i for i, o in enumerate(data["orders"])}
    for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        data["orders"][index[b]]["after"] = [a]
    errors = [e for e in errors_of(data) if "dependency cycle" in e.message]
    assert len(errors) == 1, errors
    assert errors[0].path in {f"orders[{index[o]}].after" for o in cycle}
    assert all(o in errors[0].message for o in cycle)


def test_dependency_chain_without_cycle_is_valid() -> None:
    """A chain o1 <- o2 <- o3 is not a cycle."""
    data = base_problem()
    data["orders"].append(
        {"id": "o3", "location": {"lat": 31.8, "lon": 117.2}, "duration": 600, "after": ["o2"]}
    )
    data["orders"][1]["after"] = ["o1"]
    load_problem(data)


def test_touching_shifts_do_not_overlap() -> None:
    """A second shift starting exactly when the first (with overtime) may end is valid."""
    load_problem(with_changes(("technicians[0].shifts[1]", {**LATE_SHIFT, "start": at("17:00")})))


# ----------------------------------------------------------------------------- matrix, roads


def as_matrix(data: dict[str, Any], nodes: list[str], seconds: list[list[float]]) -> None:
    """Switch a problem to the matrix travel model, every location on node `nodes[0]`."""
    data["travel"] = {"model": "matrix", "nodes": nodes, "seconds": seconds}
    for t in data["technicians"]:
        for s in t["shifts"]:
            s["start_location"] = {"node": nodes[0]}
    for item in data["orders"] + data["depots"]:
        item["location"] = {"node": nodes[0]}


def test_matrix_problem_is_valid() -> None:
    """A square matrix whose nodes cover every location is accepted."""
    data = base_problem()
    as_matrix(data, ["a", "b"], [[0, 60], [90, 0]])
    load_problem(data)


def test_matrix_with_missing_row() -> None:
    """A matrix with fewer rows than nodes is not square."""
    data = base_problem()
    as_matrix(data, ["a", "b", "c"], [[0, 1, 2], [1, 0, 2]])
    assert_reported(data, "travel.seconds", "2 rows for 3 nodes")


def test_matrix_with_short_row() -> None:
    """A matrix row shorter than the node list is reported at that row."""
    data = base_problem()
    as_matrix(data, ["a", "b"], [[0, 1], [1]])
    assert_reported(data, "travel.seconds[1]", "row has 1 entries, not 2")


def test_matrix_duplicate_and_unknown_nodes() -> None:
    """Duplicate matrix nodes and locations on unknown nodes are all reported."""
    data = base_problem()
    as_matrix(data, ["a", "a"], [[0, 1], [1, 0]])
    data["orders"][1]["location"] = {"node": "zz"}
    assert_reported(data, "travel.nodes[1]", "duplicate node id 'a'")
    assert_reported(data, "orders[1].location.node", "unknown matrix node 'zz'")


def test_matrix_needs_node_locations() -> None:
    """The matrix travel model rejects a lat/lon location."""
    data = base_problem()
    as_matrix(data, ["a"], [[0]])
    data["depots"][0]["location"] = {"lat": 31.8, "lon": 117.2}
    assert_reported(data, "depots[0].location", "needs a node location")


def as_road_network(data: dict[str, Any], two_way_to_n3: bool = True) -> None:
    """Switch a problem to a three-node road network; order o2 sits on node n3."""
    edges = [
        {"from": "n1", "to": "n2", "seconds": 60},
        {"from": "n2", "to": "n1", "seconds": 60},
        {"from": "n2", "to": "n3", "seconds": 90},
    ]
    if two_way_to_n3:
        edges.append({"from": "n3", "to": "n2", "seconds": 90})
    data["travel"] = {
        "model": "road_network",
        "nodes": [
            {"id": "n1", "lat": 31.80, "lon": 117.20},
            {"id": "n2", "lat": 31.82, "lon": 117.22},
            {"id": "n3", "lat": 31.95, "lon": 117.40},
        ],
        "edges": edges,
    }
    data["orders"][1]["location"] = {"node": "n3"}


def test_road_network_problem_is_valid() -> None:
    """A strongly connected road network with lat/lon and node locations is accepted."""
    data = base_problem()
    as_road_network(data)
    load_problem(data)


def test_road_network_that_does_not_connect_a_location() -> None:
    """A location that can be reached but not left is reported at that location."""
    data = base_problem()
    as_road_network(data, two_way_to_n3=False)
    assert_reported(data, "orders[1].location", "cannot reach or be reached")


def test_road_network_unknown_edge_node_and_xy_location() -> None:
    """An edge to an unknown node and a planar location are both reported."""
    data = base_problem()
    as_road_network(data)
    data["travel"]["edges"].append({"from": "n1", "to": "n9", "seconds": 5})
    data["orders"][0]["location"] = {"x": 3, "y": 4}
    assert_reported(data, "travel.edges[4].to", "unknown road node 'n9'")
    assert_reported(data, "orders[0].location", "needs a lat/lon or node location")


# ----------------------------------------------------------------------------- all at once


def test_field_error_in_every_section_reported_at_once() -> None:
    """One malformed field in each top-level section: all seven are reported together."""
    data = with_changes(
        ("horizon.start", "2026-12-01T06:00:00"),
        ("technicians[0].skills.fiber", 9),
        ("orders[0].duration", "P1M"),
        ("depots[0].visit_duration", -3),
        ("travel", {"model": "haversine", "speed_kmh": 0}),
        ("weights", {"travel": -1}),
        ("options", {"workers": 0}),
    )
    paths = {e.path for e in errors_of(data)}
    assert {
        "horizon.start",
        "technicians[0].skills.fiber",
        "orders[0].duration",
        "depots[0].visit_duration",
        "travel.speed_kmh",
        "weights.travel",
        "options.workers",
    } <= paths


def test_field_and_cross_field_errors_reported_at_once() -> None:
    """Malformed items do not hide the cross-field errors of the rest of the problem."""
    data = with_changes(
        ("technicians[0].skills.fiber", 9),  # field error: this technician is set aside
        ("technicians[1].shifts[0].start", at("05:00")),  # outside the horizon
        ("orders[0].duration", "P1M"),
        ("orders[1].after", ["nope"]),
        ("orders[2]", {"id": "o2", "location": {"lat": 31.8, "lon": 117.2}, "duration": 60}),
        ("depots[0].visit_duration", -3),
        ("depots[1]", {"id": "D2", "location": {"x": 1, "y": 2}}),
    )
    paths = {e.path for e in errors_of(data)}
    assert {
        "technicians[0].skills.fiber",
        "technicians[1].shifts[0]",
        "orders[0].duration",
        "orders[1].after[0]",
        "orders[2].id",
        "depots[0].visit_duration",
        "depots[1].location",
    } <= paths


def test_malformed_technician_does_not_shrink_the_crew_limit() -> None:
    """A crew of two with two technicians, one malformed, reports only the malformed field."""
    data = with_changes(("technicians[0].skills.fiber", 9), ("orders[0].crew_size", 2))
    assert [e.path for e in errors_of(data)] == ["technicians[0].skills.fiber"]


def test_errors_outside_lists_do_not_hide_cross_field_errors() -> None:
    """A bad weight does not hide a duplicate technician id: both are reported."""
    data = with_changes(("weights", {"travel": -1}), ("technicians[1].id", "A"))
    paths = {e.path for e in errors_of(data)}
    assert {"weights.travel", "technicians[1].id"} <= paths


def test_huge_duration_is_invalid_input() -> None:
    """A duration too long for a timedelta is an input error, not a crash."""
    assert_reported(with_changes(("orders[0].duration", 1e300)), "orders[0].duration", "")


# ----------------------------------------------------------------------------- properties


@given(st.integers(min_value=0, max_value=10**12))
def test_duration_format_parse_round_trip(milliseconds: int) -> None:
    """Formatting a duration as ISO 8601 and parsing it back gives the same duration."""
    value = timedelta(milliseconds=milliseconds)
    text = format_duration(value)
    assert re.fullmatch(r"P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", text), text
    assert parse_duration(text) == value


@given(
    st.integers(0, 400),
    st.integers(0, 48),
    st.integers(0, 600),
    st.integers(0, 10**5),
    st.booleans(),
)
def test_duration_parse_format_round_trip(
    days: int, hours: int, minutes: int, seconds: int, as_number: bool
) -> None:
    """Any ISO 8601 duration text (or seconds) parses to its value and re-formats losslessly."""
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    text = f"P{days}DT{hours}H{minutes}M{seconds}S"
    parsed = parse_duration(value.total_seconds() if as_number else text)
    assert parsed == value
    assert parse_duration(format_duration(parsed)) == value


generated_days = st.builds(
    generate_day,
    num_orders=st.integers(0, 25),
    num_technicians=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    regions=st.integers(1, 3),
    vans_cover_orders=st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_days)
def test_generated_problem_survives_json_round_trip(data: dict[str, Any]) -> None:
    """A valid problem dumped to contract JSON and loaded again is unchanged."""
    problem = load_problem(data)
    dumped = problem.model_dump(mode="json", by_alias=True)
    again = load_problem(json.loads(json.dumps(dumped)))
    assert again == problem
    assert again.model_dump(mode="json", by_alias=True) == dumped


def json_paths(node: Any, prefix: str = "") -> list[str]:
    """Every JSON path in a document (the root is "")."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += json_paths(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += json_paths(value, f"{prefix}[{i}]")
    return out


SMALL_DAY = generate_day(8, 3, seed=7, vans_cover_orders=True)
SMALL_DAY_PATHS = json_paths(SMALL_DAY)
NOT_A_FIELD = {"corrupt": [1, 2]}  # the wrong type for every field of the contract

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "P1M",
            "PT-5M",
            "2026-12-01T08:00:00",
            "2026-13-45T08:00:00+08:00",
            "-PT1H",
            "x",
            "A",
            "o1",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.just({}),
    st.just(NOT_A_FIELD),
)


def corrupt(path: str, value: Any) -> Any:
    """A copy of the small day with the node at `path` replaced by `value`."""
    if not path:
        return value
    data = copy.deepcopy(SMALL_DAY)
    set_path(data, path, value)
    return data


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SMALL_DAY_PATHS))
def test_wrongly_typed_field_is_invalid_input(path: str) -> None:
    """Any one field replaced by an object of the wrong shape is InvalidInput, reported at or
    around that field."""
    errors = errors_of(corrupt(path, copy.deepcopy(NOT_A_FIELD)))
    assert any(
        e.path.startswith(path) or path.startswith(e.path) or e.path == "$" for e in errors
    ), (path, errors)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SMALL_DAY_PATHS), garbage)
def test_corrupted_field_never_crashes(path: str, value: Any) -> None:
    """Any one field replaced by any JSON value is either still valid or InvalidInput."""
    try:
        problem = load_problem(corrupt(path, copy.deepcopy(value)))
    except InvalidInput as exc:
        assert exc.errors and all(isinstance(e, FieldError) and e.message for e in exc.errors)
    else:
        assert isinstance(problem, Problem)


def test_dependency_cycle_found_off_the_first_order_and_not_in_a_diamond() -> None:
    """The search finds a cycle that its first order only leads into (a -> b -> c -> b), and
    none where two paths meet again (d -> e -> g, d -> f -> g)."""
    from types import SimpleNamespace

    from models.validation import _dependency_cycle

    def day(after: dict[str, list[str]]) -> Any:
        return SimpleNamespace(orders=[SimpleNamespace(id=o, after=a) for o, a in after.items()])

    looped = day({"a": [], "b": ["a", "c"], "c": ["b"]})
    assert sorted(_dependency_cycle(looped, {"a", "b", "c"})) == [("b", "c"), ("c", "b")]
    diamond = day({"d": [], "e": ["d"], "f": ["d"], "g": ["e", "f"]})
    assert _dependency_cycle(diamond, {"d", "e", "f", "g"}) == []
