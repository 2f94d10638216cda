"""Shortest paths on a city-sized road network: `scipy.sparse.csgraph` against networkx, side
by side in one run, on the same graph and sources.

    python -m benchmarks.roads --nodes 100000 --sources 100,400 --repeat 3

The network is a grid of about `--nodes` nodes (two-way streets, 10-60 s per block, seeded),
the sources are distinct nodes drawn at random, as the distinct locations of a day snapped to
the network. Reported: median seconds of each, their ratio, and that both give the same times.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Sequence

import numpy as np

from models.problem import RoadNetwork
from optimizer.travel import shortest_times, shortest_times_networkx


def grid_network(nodes: int, seed: int) -> RoadNetwork:
    """A square grid of about `nodes` nodes, two-way edges of 10-60 s, around Hefei."""
    side = max(2, round(math.sqrt(nodes)))
    rng = random.Random(seed)
    node_list = [
        {"id": f"n{r}_{c}", "lat": 31.8 + r * 1e-3, "lon": 117.2 + c * 1e-3}
        for r in range(side)
        for c in range(side)
    ]
    edges = []
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < side and c + dc < side:
                    a, b = f"n{r}_{c}", f"n{r + dr}_{c + dc}"
                    t = rng.randint(10, 60)
                    edges += [
                        {"from": a, "to": b, "seconds": t},
                        {"from": b, "to": a, "seconds": t},
                    ]
    return RoadNetwork.model_validate(
        {"model": "road_network", "nodes": node_list, "edges": edges}
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks.roads`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.roads", description=__doc__)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--sources", default="100,400", help="comma-separated counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    net = grid_network(args.nodes, args.seed)
    print(f"grid: {len(net.nodes)} nodes, {len(net.edges)} edges")
    rng = random.Random(args.seed)
    for count in (int(x) for x in args.sources.split(",")):
        sources = rng.sample([n.id for n in net.nodes], count)
        timings: dict[str, list[float]] = {"csgraph": [], "networkx": []}
        results = {}
        for _ in range(args.repeat):
            for name, fn in (("csgraph", shortest_times), ("networkx", shortest_times_networkx)):
                began = time.process_time()
                results[name] = fn(net, sources)
                timings[name].append(time.process_time() - began)
        same = bool(np.array_equal(results["csgraph"], results["networkx"]))
        fast, slow = (statistics.median(timings[k]) for k in ("csgraph", "networkx"))
        print(
            f"{count} sources: csgraph {fast:.2f} s, networkx {slow:.2f} s (CPU, median of "
            f"{args.repeat}); networkx / csgraph = {slow / fast:.1f}; same times: {same}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
