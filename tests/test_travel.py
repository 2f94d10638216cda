"""Travel times on road networks: shortest paths as sparse-matrix Dijkstra, checked against
networkx's."""

from __future__ import annotations

import random

import numpy as np

from benchmarks.roads import grid_network
from models.problem import RoadNetwork
from optimizer.travel import shortest_times, shortest_times_networkx


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
