"""Whole-problem validation: every error at once, each with its JSON path.

Pydantic checks each field (types, ranges, naive times, windows that end before they start);
`check_problem` checks what spans fields: ids, references, the horizon, crews, dependency
cycles, shift overlaps and the travel model. `load_problem` runs both and raises one
`InvalidInput` listing everything found.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.common import XY, LatLon, Location, NodeRef, Window
from models.geo import nearest_nodes
from models.problem import Euclidean, Haversine, Matrix, Order, Problem, RoadNetwork


@dataclass(frozen=True)
class FieldError:
    """One input error: where (JSON path) and what (one line)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidInput(ValueError):
    """Bad input, with every error found."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def format_path(loc: Iterable[Any]) -> str:
    """Render a pydantic location as a JSON path such as `orders[3].duration`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "$"


def prefixed(errors: Iterable[FieldError], prefix: str) -> list[FieldError]:
    """The errors with their paths under `prefix` (`problem`, `plan`...)."""
    return [FieldError(_join(prefix, e.path), e.message) for e in errors]


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if path in ("", "$"):
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def pydantic_errors(exc: ValidationError, data: Any = None) -> list[FieldError]:
    """Convert a pydantic error into field errors with JSON paths into `data`.

    Pydantic puts union tags and validator names into locations; a part that is not a key
    of the input at that point (and not the last part, a missing field) is such a tag.
    """
    out = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        path: list[Any] = []
        node = data
        for n, part in enumerate(loc):
            last = n == len(loc) - 1
            if (isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node)) or (
                isinstance(node, dict) and part in node
            ):
                node = node[part]  # type: ignore[index]
                path.append(part)
            elif last or data is None:
                path.append(part)
        msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        out.append(FieldError(format_path(path), msg))
    return _dedupe(out)


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[FieldError] = set()
    out = []
    for e in errors:
        if e not in seen:
            seen.add(e)
            out.append(e)
    return out


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: Any) -> M:
    """Validate `data` as `model`, raising `InvalidInput` with every field error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(pydantic_errors(exc, data)) from None


def load_problem(data: Any) -> Problem:
    """Parse and fully validate a problem; raise `InvalidInput` listing every error.

    When some fields are malformed, the list items holding them are set aside and the
    cross-field checks still run on the rest, so one run reports errors of every kind.
    """
    try:
        problem = Problem.model_validate(data)
    except ValidationError as exc:
        errors = pydantic_errors(exc, data)
        salvaged, dropped, index_maps = _salvage(data, exc)
        if salvaged is not None:
            given = data.get("technicians") if isinstance(data, dict) else None
            num_technicians = len(given) if isinstance(given, list) else None
            errors += [
                _remap(e, index_maps)
                for e in check_problem(salvaged, num_technicians=num_technicians)
                if not any(d in e.message for d in dropped)
            ]
        raise InvalidInput(_dedupe(errors)) from None
    errors = check_problem(problem)
    if errors:
        raise InvalidInput(errors)
    return problem


_DEFAULTED = ("id", "weights", "options")
"""Top-level fields that fall back to their defaults when salvaging a malformed problem."""


def _salvage(
    data: Any, exc: ValidationError
) -> tuple[Problem | None, set[str], dict[str, list[int]]]:
    """Set aside what failed field validation (list items; defaulted top-level fields) and
    return what still parses, the ids set aside, and for each section the original index
    of every kept item."""
    index_maps: dict[str, list[int]] = {}
    dropped: set[str] = set()
    if not isinstance(data, dict):
        return None, dropped, index_maps
    data = copy.deepcopy(data)
    for section in ("technicians", "orders", "depots"):
        if isinstance(data.get(section), list):
            index_maps[section] = list(range(len(data[section])))
    for _ in range(3):
        bad: dict[str, set[int]] = {}
        for err in exc.errors():
            loc = err["loc"]
            if len(loc) >= 2 and loc[0] in index_maps and isinstance(loc[1], int):
                bad.setdefault(str(loc[0]), set()).add(loc[1])
            elif loc and loc[0] in _DEFAULTED:
                data.pop(str(loc[0]), None)
            else:
                return None, dropped, index_maps
        for section, idxs in bad.items():
            items = data[section]
            for i in idxs:
                item = items[i] if i < len(items) else None
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    dropped.add(f"'{item['id']}'")
            data[section] = [it for i, it in enumerate(items) if i not in idxs]
            index_maps[section] = [o for i, o in enumerate(index_maps[section]) if i not in idxs]
        try:
            return Problem.model_validate(data), dropped, index_maps
        except ValidationError as again:
            exc = again
    return None, dropped, index_maps


def _remap(error: FieldError, index_maps: dict[str, list[int]]) -> FieldError:
    """Rewrite a path into a salvaged problem as a path into the original input."""

    def fix(match: re.Match[str]) -> str:
        section, idx = match.group(1), int(match.group(2))
        return f"{section}[{index_maps[section][idx]}]"

    pattern = r"\b(technicians|orders|depots)\[(\d+)\]"
    return FieldError(re.sub(pattern, fix, error.path), re.sub(pattern, fix, error.message))


def check_problem(
    problem: Problem, num_technicians: int | None = None, *, valid: Problem | None = None
) -> list[FieldError]:
    """Every cross-field error of a parsed problem (empty when it is valid).

    `num_technicians` is the size of the field force when some technicians were set aside
    as malformed (crews are checked against the whole force). `valid`: a valid problem this
    one was derived from (a re-plan's day before its events): where both have the same
    horizon and technicians, the orders and technicians of `valid` found here unchanged (the
    same objects) are not checked again on their own (what they refer to still is)."""
    return list(_check(problem, num_technicians, _unchanged(problem, valid)))


def _unchanged(problem: Problem, valid: Problem | None) -> set[int]:
    """Ids of the objects of `valid` (orders, technicians) that need no check of their own
    in `problem`: none unless the horizon and the technicians' ids are the same."""
    if valid is None or valid.horizon != problem.horizon:
        return set()
    if [t.id for t in valid.technicians] != [t.id for t in problem.technicians]:
        return set()
    return {id(o) for o in valid.orders} | {id(t) for t in valid.technicians}


def _duplicates(ids: Iterable[tuple[str, str]], what: str) -> Iterator[FieldError]:
    seen: dict[str, str] = {}
    for path, ident in ids:
        if ident in seen:
            yield FieldError(path, f"duplicate {what} id '{ident}' (first at {seen[ident]})")
        else:
            seen[ident] = path


def _inside(window: Window, horizon: Window) -> bool:
    return horizon.start <= window.start and window.end <= horizon.end


def _refers_to(o: Order, order_ids: set[str]) -> bool:
    """Every order that o waits for or is linked to is among `order_ids`."""
    return all(a in order_ids for a in o.after) and all(k.order in order_ids for k in o.linked)


def _check(
    p: Problem, num_technicians: int | None = None, unchanged: set[int] | None = None
) -> Iterator[FieldError]:
    h = p.horizon
    tech_ids = {t.id for t in p.technicians}
    order_ids = {o.id for o in p.orders}

    yield from _duplicates(
        ((f"technicians[{i}].id", t.id) for i, t in enumerate(p.technicians)), "technician"
    )
    yield from _duplicates(((f"orders[{i}].id", o.id) for i, o in enumerate(p.orders)), "order")
    yield from _duplicates(((f"depots[{i}].id", d.id) for i, d in enumerate(p.depots)), "depot")
    yield from _duplicates(
        (
            (f"technicians[{i}].shifts[{k}].id", s.id or "")
            for i, t in enumerate(p.technicians)
            for k, s in enumerate(t.shifts)
        ),
        "shift",
    )

    unchanged = unchanged or set()
    for i, t in enumerate(p.technicians):
        if id(t) in unchanged:
            continue
        base = f"technicians[{i}]"
        shifts = sorted(enumerate(t.shifts), key=lambda ks: ks[1].start)
        for (_, first), (k, second) in itertools.pairwise(shifts):
            if second.start < first.end + first.max_overtime:
                yield FieldError(f"{base}.shifts[{k}]", f"shift overlaps shift '{first.id}'")
        for k, s in enumerate(t.shifts):
            spath = f"{base}.shifts[{k}]"
            if s.start < h.start or s.end + s.max_overtime > h.end:
                yield FieldError(spath, "shift (with its overtime) lies outside the horizon")
            for b, br in enumerate(s.breaks):
                if br.earliest_start < s.start or br.latest_end > s.end + s.max_overtime:
                    yield FieldError(f"{spath}.breaks[{b}]", "break window lies outside the shift")

    for i, o in enumerate(p.orders):
        if id(o) in unchanged and _refers_to(o, order_ids):
            continue  # valid alone before, and what it refers to is still there
        base = f"orders[{i}]"
        for w, win in enumerate(o.time_windows):
            if not _inside(win, h):
                yield FieldError(
                    f"{base}.time_windows[{w}]", "time window lies outside the horizon"
                )
        force = len(p.technicians) if num_technicians is None else num_technicians
        if o.crew_size > force:
            yield FieldError(
                f"{base}.crew_size",
                f"crew of {o.crew_size} is larger than the {force} technicians",
            )
        for j, ref in enumerate(o.after):
            if ref not in order_ids:
                yield FieldError(f"{base}.after[{j}]", f"unknown order '{ref}'")
            elif ref == o.id:
                yield FieldError(f"{base}.after[{j}]", "an order cannot come after itself")
        for j, link in enumerate(o.linked):
            if link.order not in order_ids:
                yield FieldError(f"{base}.linked[{j}].order", f"unknown order '{link.order}'")
            elif link.order == o.id:
                yield FieldError(f"{base}.linked[{j}].order", "an order cannot link to itself")
        for a, ref in enumerate(o.preferred_technicians):
            if ref not in tech_ids:
                yield FieldError(
                    f"{base}.preferred_technicians[{a}]", f"unknown technician '{ref}'"
                )
        if o.pinned is not None:
            if o.pinned.technician is not None and o.pinned.technician not in tech_ids:
                yield FieldError(
                    f"{base}.pinned.technician", f"unknown technician '{o.pinned.technician}'"
                )
            if o.pinned.start is not None and not (h.start <= o.pinned.start <= h.end):
                yield FieldError(f"{base}.pinned.start", "pinned start lies outside the horizon")
            if o.pinned.technician is None and o.pinned.start is None:
                yield FieldError(f"{base}.pinned", "a pin names a technician, a start, or both")

    yield from _check_links(p)

    cycle = _dependency_cycle(p, order_ids)
    if cycle:
        ids = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        index = {o.id: i for i, o in enumerate(p.orders)}
        yield FieldError(f"orders[{index[cycle[0][1]]}].after", f"dependency cycle {ids}")

    for i, d in enumerate(p.depots):
        if d.opening is not None and not _inside(d.opening, h):
            yield FieldError(f"depots[{i}].opening", "opening lies outside the horizon")
        if d.opening is not None and d.opening.end - d.opening.start < d.visit_duration:
            yield FieldError(f"depots[{i}].visit_duration", "visit is longer than the opening")

    yield from _check_travel(p)


def _dependency_cycle(p: Problem, order_ids: set[str]) -> list[tuple[str, str]]:
    """A cycle of `after` relations as its edges (from an order to one that must follow it),
    or none: a depth-first search in the orders' order. (networkx, imported for this alone,
    took 0.17 s of CPU of every command's start.)"""
    follows: dict[str, list[str]] = {}
    for o in p.orders:
        for ref in o.after:
            if ref in order_ids:
                follows.setdefault(ref, []).append(o.id)
    on_path: dict[str, bool] = {}  # True while on the current path, False once done
    for root in [o.id for o in p.orders if o.id in follows]:
        if root in on_path:
            continue
        path, todo = [root], [iter(follows[root])]
        on_path[root] = True
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                on_path[path.pop()] = False
                todo.pop()
            elif on_path.get(nxt):
                cycle = path[path.index(nxt) :]
                return list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
            elif nxt not in on_path:
                on_path[nxt] = True
                path.append(nxt)
                todo.append(iter(follows.get(nxt, ())))
    return []


def _check_links(p: Problem) -> Iterator[FieldError]:
    """Two links between the same orders (either direction) must leave some gap open."""
    index = {o.id: i for i, o in enumerate(p.orders)}
    gaps: dict[tuple[str, str], tuple[float, float]] = {}
    for i, o in enumerate(p.orders):
        for j, link in enumerate(o.linked):
            if link.order not in index or link.order == o.id:
                continue
            lo, hi = link.min_gap.total_seconds(), link.max_gap.total_seconds()
            key = (o.id, link.order) if o.id < link.order else (link.order, o.id)
            if key[0] != o.id:
                lo, hi = -hi, -lo
            if key in gaps:
                lo, hi = max(lo, gaps[key][0]), min(hi, gaps[key][1])
                if hi < lo:
                    yield FieldError(
                        f"orders[{i}].linked[{j}]",
                        f"gap contradicts another link between '{key[0]}' and '{key[1]}'",
                    )
                    continue
            gaps[key] = (lo, hi)


def used_locations(p: Problem) -> list[tuple[str, Location]]:
    """Every location the problem uses, with its JSON path."""
    out: list[tuple[str, Location]] = []
    for i, t in enumerate(p.technicians):
        for k, s in enumerate(t.shifts):
            out.append((f"technicians[{i}].shifts[{k}].start_location", s.start_location))
            if s.end_location is not None:
                out.append((f"technicians[{i}].shifts[{k}].end_location", s.end_location))
    out += [(f"orders[{i}].location", o.location) for i, o in enumerate(p.orders)]
    out += [(f"depots[{i}].location", d.location) for i, d in enumerate(p.depots)]
    return out


def location_error(p: Problem, loc: Location) -> str | None:
    """Why a location does not fit the problem's travel model (None when it does)."""
    travel = p.travel
    if isinstance(travel, Haversine) and not isinstance(loc, LatLon):
        return "the haversine travel model needs a lat/lon location"
    if isinstance(travel, Euclidean) and not isinstance(loc, XY):
        return "the euclidean travel model needs a x/y location"
    if isinstance(travel, Matrix):
        if not isinstance(loc, NodeRef):
            return "the matrix travel model needs a node location"
        if loc.node not in travel.nodes:
            return f"unknown matrix node '{loc.node}'"
    if isinstance(travel, RoadNetwork):
        if isinstance(loc, XY):
            return "the road_network travel model needs a lat/lon or node location"
        if isinstance(loc, NodeRef) and loc.node not in {n.id for n in travel.nodes}:
            return f"unknown road node '{loc.node}'"
    return None


def _check_travel(p: Problem) -> Iterator[FieldError]:
    travel = p.travel
    locations = used_locations(p)
    if isinstance(travel, Haversine | Euclidean):
        kind = LatLon if isinstance(travel, Haversine) else XY
        word = "lat/lon" if kind is LatLon else "x/y"
        for path, loc in locations:
            if not isinstance(loc, kind):
                yield FieldError(path, f"the {travel.model} travel model needs a {word} location")
        return

    if isinstance(travel, Matrix):
        yield from _duplicates(
            ((f"travel.nodes[{i}]", n) for i, n in enumerate(travel.nodes)), "node"
        )
        n = len(travel.nodes)
        if len(travel.seconds) != n:
            yield FieldError(
                "travel.seconds", f"matrix has {len(travel.seconds)} rows for {n} nodes"
            )
        for r, row in enumerate(travel.seconds):
            if len(row) != n:
                yield FieldError(f"travel.seconds[{r}]", f"row has {len(row)} entries, not {n}")
        nodes = set(travel.nodes)
        for path, loc in locations:
            if not isinstance(loc, NodeRef):
                yield FieldError(path, "the matrix travel model needs a node location")
            elif loc.node not in nodes:
                yield FieldError(f"{path}.node", f"unknown matrix node '{loc.node}'")
        return

    assert isinstance(travel, RoadNetwork)
    yield from _duplicates(
        ((f"travel.nodes[{i}].id", n.id) for i, n in enumerate(travel.nodes)), "node"
    )
    node_ids = [n.id for n in travel.nodes]
    known = set(node_ids)
    import networkx as nx  # road networks only (see `_dependency_cycle`)

    graph = nx.DiGraph()
    graph.add_nodes_from(node_ids)
    for e, edge in enumerate(travel.edges):
        for end, ref in (("from", edge.from_), ("to", edge.to)):
            if ref not in known:
                yield FieldError(f"travel.edges[{e}].{end}", f"unknown road node '{ref}'")
        graph.add_edge(edge.from_, edge.to)
    if not node_ids:
        yield FieldError("travel.nodes", "a road network needs at least one node")
        return
    used: list[tuple[str, str]] = []
    latlon = [(path, loc) for path, loc in locations if isinstance(loc, LatLon)]
    snapped = nearest_nodes(
        [n.lat for n in travel.nodes],
        [n.lon for n in travel.nodes],
        [loc.lat for _, loc in latlon],
        [loc.lon for _, loc in latlon],
    )
    used += [(path, node_ids[k]) for (path, _), k in zip(latlon, snapped, strict=True)]
    for path, loc in locations:
        if isinstance(loc, XY):
            yield FieldError(
                path, "the road_network travel model needs a lat/lon or node location"
            )
        elif isinstance(loc, NodeRef):
            if loc.node not in known:
                yield FieldError(f"{path}.node", f"unknown road node '{loc.node}'")
            else:
                used.append((path, loc.node))
    if not used:
        return
    component_of: dict[str, int] = {}
    for c, comp in enumerate(nx.strongly_connected_components(graph)):
        for node in comp:
            component_of[node] = c
    counts: dict[int, int] = {}
    for _, node in used:
        counts[component_of[node]] = counts.get(component_of[node], 0) + 1
    main = max(counts, key=lambda c: counts[c])
    for path, node in used:
        if component_of[node] != main:
            yield FieldError(
                path, f"road node '{node}' cannot reach or be reached from the other locations"
            )
