"""Pillac et al. (2013) technician routing and scheduling instances as contract problems.

Node 0 is the central depot, nodes 1..T the technicians' homes (technician k lives at node k),
the rest are requests. Technician k becomes `tech-k` with one shift [0, H] from and back to home,
at most one depot visit, skills `skill-<s>` at level 1, tools `tool-<t>` as equipment and spare
parts `part-<p>` as van stock; the depot is the contract depot `depot` (node 0) with every tool
and part unlimited and no stop time; each request is a mandatory order requiring level 1 of its
skills, its tools, and its parts, with its window on the service start. The objective is the
total working time (travel + idle; service is constant): weights travel 1 and idle 1, the rest
0 except unassigned. Idle being paid, each tour leaves home as late as it can.

Scale: 1000 seconds per unit, travel `ceil(1000 d)` seconds: a plan feasible in whole seconds
is feasible with double-precision distances, and a tour's duration is off by < 0.001 per leg.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import cast

from benchmarks.check import EPS, Check
from benchmarks.paths import suite_dir
from benchmarks.routes import DepotStop, Stop, build_plan
from benchmarks.timing import ceil_seconds, distance, instant
from benchmarks.weights import only as weights_only
from models.common import NodeRef, Window
from models.plan import DepotItem, Plan, VisitItem
from models.problem import Depot, Matrix, Order, Problem, Shift, Technician

SCALE = 1000
"""Seconds per instance time unit."""

SUITE = "trsp_pillac2013"
DEPOT_ID = "depot"


@dataclass(frozen=True)
class TrspNode:
    """One line of the instance: the depot, a technician's home, or a request."""

    id: int
    x: int
    y: int
    ready: int
    due: int
    service: int
    skills: tuple[int, ...]
    tools: tuple[int, ...]
    parts: tuple[int, ...]


@dataclass(frozen=True)
class TrspInstance:
    """A TRSP instance: node 0 the depot, then the homes of technicians 1..T, then requests."""

    name: str
    num_technicians: int
    num_skills: int
    num_tools: int
    num_parts: int
    nodes: tuple[TrspNode, ...]
    num_nodes_published: int

    @property
    def depot(self) -> TrspNode:
        """The central depot (node 0)."""
        return self.nodes[0]

    @property
    def homes(self) -> tuple[TrspNode, ...]:
        """Technician k's home is `homes[k - 1]` (node k)."""
        return self.nodes[1 : self.num_technicians + 1]

    @property
    def requests(self) -> tuple[TrspNode, ...]:
        """The requests."""
        return self.nodes[self.num_technicians + 1 :]

    @property
    def horizon(self) -> int:
        """H: every tour leaves home at or after 0 and is back by H."""
        return self.depot.due

    def node(self, node_id: int) -> TrspNode:
        """The node with this id."""
        return self._by_id[node_id]

    @property
    def _by_id(self) -> dict[int, TrspNode]:
        cached = self.__dict__.get("_by_id_cache")
        if cached is None:
            cached = {n.id: n for n in self.nodes}
            object.__setattr__(self, "_by_id_cache", cached)
        return cached

    def head(self, num_requests: int) -> TrspInstance:
        """The instance restricted to its first requests (node ids kept)."""
        keep = self.num_technicians + 1 + num_requests
        return replace(self, name=f"{self.name}.{num_requests}", nodes=self.nodes[:keep])


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in re.findall(r"-?\d+", text))


def read_trsp(path: Path) -> TrspInstance:
    """Read an instance file (`instances/<SOLOMON>.100_25-5-5-5.txt`)."""
    lines = path.read_text().splitlines()
    name = lines[0].strip()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("CREW COUNT"))
    crew, skills, tools, parts = _ints(lines[header_at + 1])
    nodes = []
    for line in lines[header_at + 2 :]:
        m = re.match(r"\s*(\d+(?:\s+-?\d+){5})\s*\[(.*?)\]\s*\[(.*?)\]\s*\[(.*?)\]", line)
        if m:
            node_id, x, y, ready, due, service = _ints(m.group(1))
            nodes.append(
                TrspNode(
                    node_id,
                    x,
                    y,
                    ready,
                    due,
                    service,
                    _ints(m.group(2)),
                    _ints(m.group(3)),
                    _ints(m.group(4)),
                )
            )
    if [n.id for n in nodes] != list(range(len(nodes))):
        raise ValueError(f"{path}: node ids are not 0..{len(nodes) - 1}")
    return TrspInstance(name, crew, skills, tools, parts, tuple(nodes), len(nodes))


def instance_names() -> list[str]:
    """Every TRSP instance, by class then number."""
    return sorted(
        (p.stem for p in (suite_dir(SUITE) / "instances").glob("*.txt")),
        key=lambda n: (re.sub(r"\d.*", "", n), n),
    )


def load(name: str) -> TrspInstance:
    """Read one instance; `C101` is short for `C101.100_25-5-5-5` (case-insensitive)."""
    for stem in instance_names():
        if stem.lower() == name.lower() or stem.split(".")[0].lower() == name.lower():
            return read_trsp(suite_dir(SUITE) / "instances" / f"{stem}.txt")
    raise FileNotFoundError(f"no TRSP instance {name!r}")


def skill(s: int) -> str:
    """Contract skill name of skill id `s`."""
    return f"skill-{s}"


def tool(t: int) -> str:
    """Contract equipment type of tool id `t`."""
    return f"tool-{t}"


def part(p: int) -> str:
    """Contract part type of spare part `p`."""
    return f"part-{p}"


def technician_id(k: int) -> str:
    """Contract id of technician k (who lives at node k)."""
    return f"tech-{k}"


def to_problem(instance: TrspInstance) -> Problem:
    """The instance as a contract problem (see the module docstring)."""
    h = instance.horizon
    nodes = [str(n.id) for n in instance.nodes]
    seconds = ceil_seconds([n.x for n in instance.nodes], [n.y for n in instance.nodes], SCALE)
    technicians = [
        Technician(
            id=technician_id(home.id),
            skills={skill(s): 1 for s in home.skills},
            equipment=[tool(t) for t in home.tools],
            parts={part(p): q for p, q in enumerate(home.parts) if q},
            shifts=[
                Shift(
                    start=instant(max(0, home.ready), SCALE),
                    end=instant(min(h, home.due), SCALE),
                    start_location=NodeRef(node=str(home.id)),
                    max_depot_visits=1,
                )
            ],
        )
        for home in instance.homes
    ]
    orders = [
        Order(
            id=str(r.id),
            location=NodeRef(node=str(r.id)),
            duration=timedelta(seconds=r.service * SCALE),
            required_skills={skill(s): 1 for s in r.skills},
            required_equipment=[tool(t) for t in r.tools],
            required_parts={part(p): q for p, q in enumerate(r.parts) if q},
            time_windows=[
                Window(start=instant(max(0, r.ready), SCALE), end=instant(min(h, r.due), SCALE))
            ],
            mandatory=True,
        )
        for r in instance.requests
    ]
    depot = Depot(
        id=DEPOT_ID,
        location=NodeRef(node=str(instance.depot.id)),
        opening=Window(start=instant(instance.depot.ready, SCALE), end=instant(h, SCALE)),
        equipment={tool(t): None for t in range(instance.num_tools)},
        parts={part(p): None for p in range(instance.num_parts)},
    )
    weights = weights_only(travel=1, idle=1)
    return Problem(
        id=instance.name,
        horizon=Window(start=instant(0, SCALE), end=instant(h, SCALE)),
        technicians=technicians,
        orders=orders,
        depots=[depot],
        travel=Matrix(model="matrix", nodes=nodes, seconds=cast("list[list[float]]", seconds)),
        weights=weights,
    )


# --- best-known solutions -------------------------------------------------------------------


@dataclass(frozen=True)
class TrspSolution:
    """A published solution: value, routes used, and tours `[home, (0,) request, ...]`."""

    instance: str
    value: float
    num_routes: int
    optimal: bool
    routes: list[list[int]]


def _tours(text: str, num_homes: int, num_published: int) -> list[list[int]]:
    """Parse `<k,n,...,end|...>`: 125+k is home again, 150+k the depot visit (as 0)."""
    end_base = num_published - 1
    depot_base = end_base + num_homes
    out = []
    for tour in text.strip().strip("<>").split("|"):
        ids = _ints(tour)
        if not ids:
            continue
        k = ids[0]
        if ids[-1] != end_base + k:
            raise ValueError(f"tour {tour!r} does not end at {end_base + k}")
        stops = [0 if n == depot_base + k else n for n in ids[1:-1]]
        if any(n != 0 for n in stops):
            out.append([k, *stops])
    return out


def read_solutions(path: Path | None = None) -> dict[str, TrspSolution]:
    """Read `bks/pillac-minwt.sol`: solutions keyed by instance name.

    Tours without a request are left out (they cost nothing).
    """
    path = path or suite_dir(SUITE) / "bks" / "pillac-minwt.sol"
    fields: dict[str, dict[str, str]] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([^#=]*?)(?:-(A|K|Opt|S))?=(.*)$", line.strip())
        if m:
            fields.setdefault(m.group(1), {})[m.group(2) or "value"] = m.group(3)
    out = {}
    for name, f in fields.items():
        # Names read `<SOLOMON>.<requests>_<technicians>-...`.
        num_requests, num_homes = _ints(name.split(".", 1)[1])[:2]
        routes = _tours(f["S"], num_homes, 1 + num_homes + num_requests)
        out[name] = TrspSolution(name, float(f["value"]), int(f["K"]), f["Opt"] == "true", routes)
    return out


def read_bks() -> dict[str, dict[str, str]]:
    """`bks.csv` rows keyed by instance name (e.g. `C101.100_25-5-5-5`)."""
    with (suite_dir(SUITE) / "bks.csv").open(newline="") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def bks_value(name: str) -> tuple[float, int]:
    """(best_published_duration, minwt_sol_routes) of an instance."""
    row = read_bks()[name]
    return float(row["best_published_duration"]), int(row["minwt_sol_routes"])


def _stops(instance: TrspInstance, route: list[int]) -> list[Stop]:
    """Order ids and the depot stop, picking up the missing tools and parts."""
    home = instance.node(route[0])
    requests = [instance.node(n) for n in route[1:] if n != 0]
    have = set(home.tools)
    missing_tools = sorted({t for r in requests for t in r.tools} - have)
    used = [sum(r.parts[p] for r in requests) for p in range(instance.num_parts)]
    missing = {
        part(p): used[p] - home.parts[p]
        for p in range(instance.num_parts)
        if used[p] > home.parts[p]
    }
    depot = DepotStop(DEPOT_ID, tuple(tool(t) for t in missing_tools), missing)
    return [depot if n == 0 else str(n) for n in route[1:]]


def routes_to_plan(instance: TrspInstance, problem: Problem, routes: list[list[int]]) -> Plan:
    """A plan of the tours `[home, ...]` (0 = the depot visit), each leaving as late as it can."""
    return build_plan(
        problem,
        [(technician_id(route[0]), _stops(instance, route)) for route in routes],
        latest=True,
    )


def plan_routes(problem: Problem, plan: Plan) -> list[list[int]]:
    """The plan's tours in instance ids: the home first, 0 for the depot visit, then requests."""
    home = {t.id: int(t.shifts[0].start_location.node) for t in problem.technicians}  # type: ignore[union-attr]
    out = []
    for route in plan.routes:
        stops = [
            0 if isinstance(item, DepotItem) else int(item.order)
            for item in route.items
            if isinstance(item, VisitItem | DepotItem)
        ]
        out.append([home[route.technician], *stops])
    return out


def plan_duration(plan: Plan) -> float:
    """Total working time of a plan in instance units (the `minwt` objective)."""
    return sum(r.working_time.total_seconds() for r in plan.routes) / SCALE


def recheck(instance: TrspInstance, routes: list[list[int]]) -> Check:
    """Re-check tours in double precision from the instance alone, per SEMANTICS.md.

    Each tour `[k, ...]` belongs to technician k (at most one tour each); 0 marks the depot
    visit (at most one). Skills must cover each request's; before the depot visit the tools
    must be the technician's own and cumulative part use within the van stock. Service starts
    in the window, the tour leaves home at or after 0 as late as the windows allow and is home
    by H. The value is the total tour duration.
    """
    violations: list[str] = []
    request_ids = {r.id for r in instance.requests}
    counts = Counter(n for route in routes for n in route[1:] if n != 0)
    for r in sorted(request_ids):
        if counts[r] != 1:
            violations.append(f"request {r} is served {counts[r]} times")
    for n in counts:
        if n not in request_ids:
            violations.append(f"node {n} is not a request")
    techs = Counter(route[0] for route in routes)
    for k, c in techs.items():
        if not 1 <= k <= instance.num_technicians:
            violations.append(f"{k} is not a technician")
        elif c > 1:
            violations.append(f"technician {k} drives {c} tours")
    total = 0.0
    for route in routes:
        k = route[0]
        if not 1 <= k <= instance.num_technicians:
            continue
        home = instance.node(k)
        stops = [instance.node(n) for n in route[1:] if n == 0 or n in request_ids]
        violations += _check_resources(instance, home, stops)
        duration, late = _time_tour(instance, home, stops)
        violations += late
        total += duration
    used = sum(1 for route in routes if len(route) > 1)
    return Check(feasible=not violations, value=total, routes=used, violations=violations)


def _check_resources(instance: TrspInstance, home: TrspNode, stops: list[TrspNode]) -> list[str]:
    out = []
    k = home.id
    if sum(1 for s in stops if s.id == 0) > 1:
        out.append(f"technician {k} visits the depot more than once")
    stock = list(home.parts)
    replenished = False
    for s in stops:
        if s.id == 0:
            replenished = True
            continue
        if not set(s.skills) <= set(home.skills):
            out.append(f"technician {k} lacks a skill of request {s.id}")
        if replenished:
            continue
        if not set(s.tools) <= set(home.tools):
            out.append(f"technician {k} lacks a tool of request {s.id} before the depot")
        for p, q in enumerate(s.parts):
            stock[p] -= q
            if stock[p] < 0:
                out.append(f"technician {k} runs out of part {p} at request {s.id}")
    return out


def _time_tour(
    instance: TrspInstance, home: TrspNode, stops: list[TrspNode]
) -> tuple[float, list[str]]:
    """Duration of the tour leaving as late as possible, and its window violations."""

    def d(a: TrspNode, b: TrspNode) -> float:
        return distance(a.x, a.y, b.x, b.y)

    h = instance.horizon
    latest = float(min(h, home.due))
    nxt = home
    for s in reversed(stops):
        latest = min(float(s.due), latest - d(s, nxt) - s.service)
        nxt = s
    depart = max(float(max(0, home.ready)), latest - d(home, nxt))
    t, here, late = depart, home, []
    for s in stops:
        t += d(here, s)
        if t > s.due + EPS:
            late.append(f"technician {home.id} reaches {s.id} at {t:.4f} > {s.due}")
        t = max(t, s.ready) + s.service
        here = s
    t += d(here, home)
    if t > min(h, home.due) + EPS:
        late.append(f"technician {home.id} is home at {t:.4f} > {h}")
    return t - depart, late
