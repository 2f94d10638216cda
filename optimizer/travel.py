"""Travel times between the problem's locations, in whole seconds per leg.

Every travel model of the contract ends up as one dense integer matrix over the distinct
locations the problem uses (plus any extra ones, such as a technician's reported position).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from models.common import XY, LatLon, Location, NodeRef
from models.geo import haversine_km, nearest_nodes
from models.problem import Euclidean, Haversine, Matrix, Problem, RoadNetwork
from models.validation import used_locations

LocationKey = tuple[str, float | str, float | str]


def location_key(loc: Location) -> LocationKey:
    """A hashable identity for a location."""
    if isinstance(loc, LatLon):
        return ("latlon", loc.lat, loc.lon)
    if isinstance(loc, XY):
        return ("xy", loc.x, loc.y)
    return ("node", loc.node, "")


def round_half_up(seconds: np.ndarray) -> np.ndarray:
    """Round to whole seconds, halves up, as the contract prescribes per leg."""
    return np.floor(np.asarray(seconds, dtype=float) + 0.5).astype(np.int64)


@dataclass(frozen=True)
class TravelMatrix:
    """Seconds between every pair of known locations; `index` maps a location to its row."""

    keys: tuple[LocationKey, ...]
    seconds: np.ndarray  # int64, shape (n, n)

    def index(self, loc: Location) -> int:
        """Row of a location."""
        return self._index[location_key(loc)]

    def time(self, a: Location, b: Location) -> int:
        """Seconds from a to b."""
        return int(self.seconds[self.index(a), self.index(b)])

    @property
    def rows(self) -> list[list[int]]:
        """The matrix as Python lists (much faster than numpy to read one cell at a time),
        made once per matrix; read only."""
        cached = self.__dict__.get("_rows_cache")
        if cached is None:
            cached = self.seconds.tolist()
            object.__setattr__(self, "_rows_cache", cached)
        rows: list[list[int]] = cached
        return rows

    @property
    def _index(self) -> dict[LocationKey, int]:
        cached = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {k: i for i, k in enumerate(self.keys)}
            object.__setattr__(self, "_index_cache", cached)
        return cached

    @classmethod
    def from_problem(cls, problem: Problem, extra: Iterable[Location] = ()) -> TravelMatrix:
        """Build the matrix over every location of the problem and the extra ones."""
        locs: dict[LocationKey, Location] = {}
        for _, loc in used_locations(problem):
            locs.setdefault(location_key(loc), loc)
        for loc in extra:
            locs.setdefault(location_key(loc), loc)
        keys = tuple(locs)
        values = list(locs.values())
        return cls(keys, _compute(problem, values))


def _compute(problem: Problem, locs: list[Location]) -> np.ndarray:
    travel = problem.travel
    n = len(locs)
    if n == 0:
        return np.zeros((0, 0), dtype=np.int64)
    block = _block(problem, locs, locs)
    if block is not None:
        return block
    assert isinstance(travel, RoadNetwork)
    return _road_network(travel, locs)


def _block(
    problem: Problem, sources: list[Location], targets: list[Location]
) -> np.ndarray | None:
    """Seconds from each source to each target, for every model but the road network (whose
    shortest paths are found over all locations at once): None for that one."""
    travel = problem.travel
    if isinstance(travel, Haversine):
        lat1 = np.array([loc.lat for loc in sources])  # type: ignore[union-attr]
        lon1 = np.array([loc.lon for loc in sources])  # type: ignore[union-attr]
        lat2 = np.array([loc.lat for loc in targets])  # type: ignore[union-attr]
        lon2 = np.array([loc.lon for loc in targets])  # type: ignore[union-attr]
        km = haversine_km(lat1[:, None], lon1[:, None], lat2[None, :], lon2[None, :])
        return round_half_up(km * travel.detour_factor / travel.speed_kmh * 3600.0)
    if isinstance(travel, Euclidean):
        x1 = np.array([loc.x for loc in sources])  # type: ignore[union-attr]
        y1 = np.array([loc.y for loc in sources])  # type: ignore[union-attr]
        x2 = np.array([loc.x for loc in targets])  # type: ignore[union-attr]
        y2 = np.array([loc.y for loc in targets])  # type: ignore[union-attr]
        dist = np.hypot(x1[:, None] - x2[None, :], y1[:, None] - y2[None, :])
        return round_half_up(dist / travel.speed * 60.0)
    if isinstance(travel, Matrix):
        row = {node: i for i, node in enumerate(travel.nodes)}
        rows = np.array([row[loc.node] for loc in sources], dtype=np.int64)  # type: ignore[union-attr]
        cols = np.array([row[loc.node] for loc in targets], dtype=np.int64)  # type: ignore[union-attr]
        full = np.asarray(travel.seconds, dtype=float)
        return round_half_up(full[np.ix_(rows, cols)])
    return None


def _location(key: LocationKey) -> Location:
    """The location a key stands for."""
    kind, a, b = key
    if kind == "latlon":
        return LatLon(lat=float(a), lon=float(b))
    if kind == "xy":
        return XY(x=float(a), y=float(b))
    return NodeRef(node=str(a))


def extended(matrix: TravelMatrix, problem: Problem, extra: Iterable[Location]) -> TravelMatrix:
    """The matrix with the extra locations it lacks added: only their rows and columns are
    computed (for a road network, the whole matrix again)."""
    known = matrix._index
    new: dict[LocationKey, Location] = {}
    for loc in extra:
        key = location_key(loc)
        if key not in known:
            new.setdefault(key, loc)
    if not new:
        return matrix
    keys = (*matrix.keys, *new)
    old = [_location(k) for k in matrix.keys]
    added = list(new.values())
    blocks = [
        _block(problem, added, old),
        _block(problem, old, added),
        _block(problem, added, added),
    ]
    if any(b is None for b in blocks):
        return TravelMatrix(keys, _compute(problem, [*old, *added]))
    into, out, among = blocks
    seconds = np.block([[matrix.seconds, out], [into, among]]).astype(np.int64)
    grown = TravelMatrix(keys, seconds)
    # The old rows are copied, not converted again: the bulk of a large matrix.
    tails = out.tolist()  # type: ignore[union-attr]
    rows = [row + tail for row, tail in zip(matrix.rows, tails, strict=True)]
    rows += seconds[len(matrix.keys) :].tolist()
    object.__setattr__(grown, "_rows_cache", rows)
    return grown


def _road_network(travel: RoadNetwork, locs: list[Location]) -> np.ndarray:
    node_ids = [n.id for n in travel.nodes]
    nodes: list[str] = [""] * len(locs)
    latlon = [i for i, loc in enumerate(locs) if isinstance(loc, LatLon)]
    snapped = nearest_nodes(
        [n.lat for n in travel.nodes],
        [n.lon for n in travel.nodes],
        [locs[i].lat for i in latlon],  # type: ignore[union-attr]
        [locs[i].lon for i in latlon],  # type: ignore[union-attr]
    )
    for i, k in zip(latlon, snapped, strict=True):
        nodes[i] = node_ids[k]
    for i, loc in enumerate(locs):
        if isinstance(loc, NodeRef):
            nodes[i] = loc.node
    distinct = sorted(set(nodes))
    col = {node: j for j, node in enumerate(distinct)}
    dist = shortest_times(travel, distinct)
    idx = np.array([col[node] for node in nodes])
    sub = dist[np.ix_(idx, idx)]
    # Validation guarantees the used locations are strongly connected; an extra location
    # (a reported position) that is not gets a prohibitive time rather than an error.
    sub[~np.isfinite(sub)] = 10 * 365 * 86400
    return round_half_up(sub)


def shortest_times(travel: RoadNetwork, sources: list[str]) -> np.ndarray:
    """Shortest travel seconds between the given nodes (inf where none): Dijkstra from each
    over the road graph as a sparse matrix (`scipy.sparse.csgraph`, parallel edges at their
    fastest), 21 times faster than networkx at 100,000 nodes and 100 sources
    (`python -m benchmarks.roads`)."""
    from scipy.sparse import coo_matrix  # lazy: only road networks need it
    from scipy.sparse.csgraph import dijkstra

    index = {n.id: k for k, n in enumerate(travel.nodes)}
    n = len(index)
    fastest: dict[tuple[int, int], float] = {}
    for e in travel.edges:
        key = (index[e.from_], index[e.to])
        if key not in fastest or fastest[key] > e.seconds:
            fastest[key] = e.seconds
    if fastest:
        rows, cols = zip(*fastest, strict=True)
        # A zero-second edge is kept as a tiny one: a sparse matrix drops explicit zeros.
        weights = np.maximum(np.fromiter(fastest.values(), float), 1e-9)
        graph = coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
    else:
        graph = coo_matrix((n, n)).tocsr()
    at = np.array([index[x] for x in sources], dtype=int)
    found = dijkstra(graph, directed=True, indices=at)
    # Rounded to microseconds: sums taken in another order than networkx's stay equal.
    return np.round(found[:, at], 6) if len(at) else np.zeros((0, 0))


def shortest_times_networkx(travel: RoadNetwork, sources: list[str]) -> np.ndarray:
    """The same with networkx's Dijkstra, node by node (the reference for tests and the
    benchmark)."""
    import networkx as nx  # lazy: only the tests and the benchmark use it

    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in travel.nodes)
    for e in travel.edges:
        # Parallel edges: the fastest one counts.
        if not graph.has_edge(e.from_, e.to) or graph[e.from_][e.to]["w"] > e.seconds:
            graph.add_edge(e.from_, e.to, w=e.seconds)
    col = {node: j for j, node in enumerate(sources)}
    dist = np.full((len(sources), len(sources)), np.inf)
    for i, src in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(graph, src, weight="w")
        for dst, j in col.items():
            if dst in lengths:
                dist[i, j] = lengths[dst]
    return dist
