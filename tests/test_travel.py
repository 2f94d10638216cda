"""Travel times: each model's matrix, and on road networks shortest paths as sparse-matrix
Dijkstra, checked against networkx's."""

from __future__ import annotations

import random

import numpy as np

from benchmarks.roads import grid_network
from models.common import XY, NodeRef
from models.problem import RoadNetwork
from optimizer.travel import TravelMatrix, shortest_times, shortest_times_networkx
from tests.factory import at, problem, tech


def network(edges: list[tuple[str, str, float]], nodes: str = "abcde") -> RoadNetwork:
    """A road network on named nodes with the given one-way edges."""
    return RoadNetwork.model_validate(
        {
            "model": "road_network",
            "nodes": [
                {"id": n, "lat": 31.8, "lon": 117.2 + k * 1e-3} for k, n in enumerate(nodes)
            ],
            "edges": [{"from": a, "to": b, "seconds": t} for a, b, t in edges],
        }
    )


def test_parallel_zero_and_missing_edges() -> None:
    """The fastest of parallel edges counts, a zero-second edge costs nothing, one-way
    streets are one way, and a node nothing reaches is at infinity."""
    net = network([("a", "b", 30), ("a", "b", 10), ("b", "c", 0), ("c", "a", 5), ("d", "e", 1)])
    got = shortest_times(net, ["a", "b", "c", "e"])
    inf = np.inf
    assert got.tolist() == [
        [0, 10, 10, inf],
        [5, 0, 0, inf],
        [5, 15, 0, inf],
        [inf, inf, inf, 0],
    ]
    assert np.array_equal(got, shortest_times_networkx(net, ["a", "b", "c", "e"]))


def test_same_times_as_networkx_on_a_grid() -> None:
    """On a 400-node grid, every pair among 30 sources takes networkx's time."""
    net = grid_network(400, seed=3)
    sources = random.Random(3).sample([n.id for n in net.nodes], 30)
    assert np.array_equal(shortest_times(net, sources), shortest_times_networkx(net, sources))


def day_matrix(travel: dict, *locations: dict) -> TravelMatrix:
    """The matrix of a problem with one technician's shift at each location."""
    techs = [
        tech(f"T{k}", shifts=[{"start": at("08:00"), "end": at("17:00"), "start_location": loc}])
        for k, loc in enumerate(locations)
    ]
    return TravelMatrix.from_problem(problem(techs, [], travel=travel))


def test_euclidean_legs_round_halves_up() -> None:
    """At 2 units a minute, 0.25 units take 7.5 s, rounded to 8; the 3-4-5 leg takes 150 s and
    the 4.854-unit one 145.6 s, rounded to 146."""
    here, near, far = {"x": 0, "y": 0}, {"x": 0.25, "y": 0}, {"x": 3, "y": 4}
    m = day_matrix({"model": "euclidean", "speed": 2.0}, here, near, far)
    assert m.seconds.tolist() == [[0, 8, 150], [8, 0, 146], [150, 146, 0]]
    assert m.time(XY(x=3, y=4), XY(x=0, y=0)) == 150


def test_haversine_leg_is_the_great_circle_with_its_detour() -> None:
    """One degree of latitude (radius 6,371.0088 km: 111.1951 km) at 60 km/h with detour 1.5
    takes 111.1951 * 1.5 / 60 h = 10,007.56 s, rounded to 10,008, both ways."""
    m = day_matrix(
        {"model": "haversine", "speed_kmh": 60, "detour_factor": 1.5},
        {"lat": 31.0, "lon": 117.0},
        {"lat": 32.0, "lon": 117.0},
    )
    assert m.seconds.tolist() == [[0, 10008], [10008, 0]]


def test_matrix_model_reads_the_rows_of_its_nodes() -> None:
    """A given matrix keeps its one-way times for the nodes used, halves rounded up."""
    travel = {
        "model": "matrix",
        "nodes": ["a", "b", "c"],
        "seconds": [[0, 5, 9], [8.5, 0, 1], [2, 3, 0]],
    }
    m = day_matrix(travel, {"node": "b"}, {"node": "a"})
    assert m.seconds.tolist() == [[0, 9], [5, 0]]  # 8.5 to 9, not to the even 8
    assert m.time(NodeRef(node="a"), NodeRef(node="b")) == 5
