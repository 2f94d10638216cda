"""Solomon (100 customers) and Gehring-Homberger (200) VRPTW instances as contract problems.

Both suites share Solomon's text format. An instance becomes K identical technicians at the
depot, one shift each over the depot's window, with the vehicle capacity as the part type
`capacity` in every van (Q of it) that each customer consumes (its demand); customers are
mandatory orders with their window on the service start and their service time as duration.
Node ids of the instance are the matrix nodes and the order ids.

Two objectives:

- `distance`: travel weight only, distances truncated to one decimal (`dist_trunc1`). Scale 10
  seconds per unit makes every truncated distance an exact whole number of seconds.
- `hierarchical`: fewest routes, then distance in double precision. Each route costs more than
  any solution's total distance; travel seconds are `ceil(1000 d)`: at most 1 ms per leg too long,
  so plans stay feasible in double precision and the distance is off by < 0.001 per leg.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Literal, cast

from benchmarks.check import EPS, Check
from benchmarks.paths import suite_dir
from benchmarks.routes import build_plan
from benchmarks.timing import ceil_seconds, distance, instant, trunc1_seconds
from benchmarks.weights import only as weights_only
from models.common import NodeRef, Window
from models.plan import Plan, VisitItem
from models.problem import Matrix, Order, Problem, Shift, Technician

VrptwObjective = Literal["distance", "hierarchical"]
SCALES: dict[str, int] = {"distance": 10, "hierarchical": 1000}
"""Seconds per instance time unit, per objective (see the module docstring)."""

CAPACITY = "capacity"
"""The part type standing for vehicle capacity."""

SOLOMON = "solomon"
GH200 = "gehring_homberger_200"


@dataclass(frozen=True)
class VrptwInstance:
    """A VRPTW instance in Solomon's format; index 0 is the depot, customers follow."""

    name: str
    num_vehicles: int
    capacity: int
    ids: tuple[int, ...]
    x: tuple[int, ...]
    y: tuple[int, ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]

    @property
    def num_customers(self) -> int:
        """Number of customers (the depot excluded)."""
        return len(self.ids) - 1

    def head(self, num_customers: int) -> VrptwInstance:
        """The instance restricted to its first customers (Solomon's 25- and 50-customer sets)."""
        n = num_customers + 1
        return replace(
            self,
            name=f"{self.name}.{num_customers}",
            **{
                k: getattr(self, k)[:n]
                for k in ("ids", "x", "y", "demand", "ready", "due", "service")
            },
        )

    def index(self) -> dict[int, int]:
        """Node id -> position in the tuples."""
        return {node: i for i, node in enumerate(self.ids)}


def read_vrptw(path: Path) -> VrptwInstance:
    """Read a VRPTW instance in Solomon's text format."""
    lines = path.read_text().splitlines()
    name = lines[0].strip()
    numbers = [line.split() for line in lines[1:]]
    rows = [r for r in numbers if r and all(re.fullmatch(r"-?\d+", v) for v in r)]
    vehicles = next(r for r in rows if len(r) == 2)
    customers = [list(map(int, r)) for r in rows if len(r) == 7]
    cols = list(zip(*customers, strict=True))
    return VrptwInstance(
        name=name,
        num_vehicles=int(vehicles[0]),
        capacity=int(vehicles[1]),
        ids=cols[0],
        x=cols[1],
        y=cols[2],
        demand=cols[3],
        ready=cols[4],
        due=cols[5],
        service=cols[6],
    )


def instance_path(suite: str, name: str) -> Path:
    """The instance file of `name` (case-insensitive) in `solomon` or `gehring_homberger_200`."""
    folder = suite_dir(suite) / "instances"
    for path in folder.glob("*.txt"):
        if path.stem.lower() == name.lower():
            return path
    raise FileNotFoundError(f"no instance {name!r} in {folder}")


def instance_names(suite: str) -> list[str]:
    """Every instance of a VRPTW suite, by class then number (C101, ..., RC208)."""
    names = [p.stem for p in (suite_dir(suite) / "instances").glob("*.txt")]

    def key(name: str) -> tuple[str, int, int]:
        m = re.fullmatch(r"([a-zA-Z]+)(\d)_?(?:\d+_)?(\d+)", name)
        return (m.group(1).lower(), int(m.group(2)), int(m.group(3))) if m else (name, 0, 0)

    return sorted(names, key=key)


def load(suite: str, name: str) -> VrptwInstance:
    """Read one instance of `solomon` or `gehring_homberger_200` by name."""
    return read_vrptw(instance_path(suite, name))


def route_cost_weight(instance: VrptwInstance, seconds: list[list[int]]) -> float:
    """A per-route weight (minutes of travel) above any solution's total travel.

    A solution leaves each customer once and the depot at most K times, so its travel is at
    most the sum of the longest leg out of each customer plus K times the longest out of the
    depot; one route more must cost more than that.
    """
    longest = [max(row) for row in seconds]
    bound = sum(longest[1:]) + instance.num_vehicles * longest[0]
    return float(bound // 60 + 1)


def to_problem(instance: VrptwInstance, objective: VrptwObjective = "distance") -> Problem:
    """The instance as a contract problem with the given objective."""
    scale = SCALES[objective]
    nodes = [str(i) for i in instance.ids]
    if objective == "distance":
        seconds = trunc1_seconds(instance.x, instance.y, scale)
        weights = weights_only(travel=1)
    else:
        seconds = ceil_seconds(instance.x, instance.y, scale)
        weights = weights_only(travel=1, technician_used=route_cost_weight(instance, seconds))
    open_, close = instance.ready[0], instance.due[0]
    depot = NodeRef(node=nodes[0])
    technicians = [
        Technician(
            id=f"tech-{k}",
            shifts=[
                Shift(start=instant(open_, scale), end=instant(close, scale), start_location=depot)
            ],
            parts={CAPACITY: instance.capacity},
        )
        for k in range(1, instance.num_vehicles + 1)
    ]
    orders = []
    for i in range(1, len(nodes)):
        # A window past the depot's closing cannot be used anyway; clip it into the horizon.
        lo, hi = max(instance.ready[i], open_), min(instance.due[i], close)
        orders.append(
            Order(
                id=nodes[i],
                location=NodeRef(node=nodes[i]),
                duration=timedelta(seconds=instance.service[i] * scale),
                required_parts={CAPACITY: instance.demand[i]} if instance.demand[i] else {},
                time_windows=[Window(start=instant(lo, scale), end=instant(hi, scale))],
                mandatory=True,
            )
        )
    return Problem(
        id=f"{instance.name}-{objective}",
        horizon=Window(start=instant(open_, scale), end=instant(close, scale)),
        technicians=technicians,
        orders=orders,
        travel=Matrix(model="matrix", nodes=nodes, seconds=cast("list[list[float]]", seconds)),
        weights=weights,
    )


def read_routes(path: Path) -> list[list[int]]:
    """Routes of a SINTEF-format solution file (`Route 1 : 5 3 7 ...`), customer ids."""
    routes = []
    for line in path.read_text().splitlines():
        m = re.match(r"\s*Route\s+\d+\s*:(.*)$", line)
        if m:
            stops = [int(v) for v in m.group(1).split()]
            if stops:
                routes.append(stops)
    return routes


def solution_path(suite: str, name: str) -> Path | None:
    """The best-known solution file of an instance, if one is staged."""
    folder = suite_dir(suite) / ("sintef_solutions" if suite == SOLOMON else "bks_solutions")
    low = name.lower()
    for path in sorted(folder.glob("*.txt")):
        stem = path.stem.lower()
        if stem == low or stem.startswith(low + "_") or stem.startswith(low + "."):
            return path
    return None


def read_bks(suite: str) -> dict[str, dict[str, str]]:
    """`bks.csv` of a suite as rows keyed by lower-case instance name (columns as published)."""
    with (suite_dir(suite) / "bks.csv").open(newline="") as fh:
        return {row["instance"].lower(): row for row in csv.DictReader(fh)}


def bks_value(suite: str, name: str, objective: VrptwObjective) -> tuple[float, int]:
    """(distance, routes) of the best-known solution for the objective.

    Solomon: `dist_trunc1`/`dist_trunc1_veh` (distance) or `hier_dist`/`hier_veh`;
    Gehring-Homberger: `distance`/`routes` (hierarchical only).
    """
    row = read_bks(suite)[name.lower()]
    if suite == GH200:
        if objective != "hierarchical":
            raise ValueError("the Gehring-Homberger best-known values are hierarchical only")
        return float(row["distance"]), int(row["routes"])
    if objective == "distance":
        return float(row["dist_trunc1"]), int(row["dist_trunc1_veh"])
    return float(row["hier_dist"]), int(row["hier_veh"])


def routes_to_plan(problem: Problem, routes: list[list[int]]) -> Plan:
    """A plan serving the routes (customer ids) with technicians in order, earliest starts."""
    if len(routes) > len(problem.technicians):
        raise ValueError(f"{len(routes)} routes for {len(problem.technicians)} technicians")
    return build_plan(
        problem,
        [
            (tech.id, [str(c) for c in route])
            for tech, route in zip(problem.technicians, routes, strict=False)
        ],
    )


def plan_routes(plan: Plan) -> list[list[int]]:
    """The plan's routes as lists of customer ids."""
    return [
        [int(item.order) for item in route.items if isinstance(item, VisitItem)]
        for route in plan.routes
    ]


def plan_distance(plan: Plan, objective: VrptwObjective) -> float:
    """Total distance of a plan in instance units, from its travel seconds."""
    return sum(r.travel_time.total_seconds() for r in plan.routes) / SCALES[objective]


def recheck(instance: VrptwInstance, routes: list[list[int]], metric: str = "exact") -> Check:
    """Re-check routes from the instance alone, in double precision.

    `metric` is `exact` (double-precision Euclidean) or `trunc1` (each distance truncated to
    one decimal). Each route leaves the depot at its opening; service starts in the window
    (waiting if early), the load stays within capacity, the route is back by the depot's
    closing, every customer is served once and at most K routes are used.
    """
    at = instance.index()
    violations = []
    counts = Counter(c for route in routes for c in route)
    for c in instance.ids[1:]:
        if counts[c] != 1:
            violations.append(f"customer {c} is served {counts[c]} times")
    for c in counts:
        if c not in at or at[c] == 0:
            violations.append(f"unknown customer {c}")
    used = [r for r in routes if r]
    if len(used) > instance.num_vehicles:
        violations.append(f"{len(used)} routes for {instance.num_vehicles} vehicles")
    total = 0.0
    for r, route in enumerate(used, start=1):
        t, prev, load = float(instance.ready[0]), 0, 0
        for c in route:
            if c not in at:
                continue
            i = at[c]
            leg = distance(
                instance.x[prev], instance.y[prev], instance.x[i], instance.y[i], metric
            )
            total += leg
            t += leg
            if t > instance.due[i] + EPS:
                violations.append(
                    f"route {r}: customer {c} reached at {t:.4f} > {instance.due[i]}"
                )
            t = max(t, instance.ready[i]) + instance.service[i]
            load += instance.demand[i]
            prev = i
        leg = distance(instance.x[prev], instance.y[prev], instance.x[0], instance.y[0], metric)
        total += leg
        t += leg
        if t > instance.due[0] + EPS:
            violations.append(f"route {r}: back at the depot at {t:.4f} > {instance.due[0]}")
        if load > instance.capacity:
            violations.append(f"route {r}: load {load} > capacity {instance.capacity}")
    return Check(feasible=not violations, value=total, routes=len(used), violations=violations)
