"""Mankowska, Meisel and Bierwirth (2014) home health care instances as contract problems.

Each instance has a depot (node 0 and its copy, the last node), patients 1..n with a time
window [e, l] on the start of service, one or two required services (types s1..s6) and
caregivers qualified for some types. A patient needing two services has them done by two
different caregivers, at once (`mind = maxd = 0`) or with the lower type first and the other
starting `mind..maxd` later. The objective is (D + T + Tmax) / 3: total travel distance (=
time), total tardiness of the service starts past `l`, and the largest tardiness.

Mapping (one instance time unit = `SCALE` seconds):

- caregiver k -> technician `ck` with skills `sJ` at level 1 for its types, one shift [0, H]
  from and back to the depot `d`; H = `HORIZON_FACTOR` x the latest window end (the literature
  sets no horizon; no best-known route ends after 720 while H >= 1800);
- service J of patient I -> mandatory order `pI-sJ` requiring skill `sJ`, of the patient's
  processing time, window [e, H] (the start e is hard) and `due` = l (the end is soft);
- a double service -> two orders linked start-to-start: `pI-sK` (K the higher type) carries
  `{"order": "pI-sJ", "min_gap": mind, "max_gap": maxd}` (both 0 for a simultaneous service);
- travel: a `matrix` of one node per order (and `d`), `ceil(SCALE * d)` seconds between two
  patients' orders; between the two orders of one patient it is longer than the horizon, so
  one caregiver never does both (as in the model, where a caregiver visits a patient once);
- weights: travel, lateness (every priority) and max_lateness all `WEIGHT` = 20 / SCALE per
  contract minute, i.e. 1/3 per instance unit, everything else 0 but `unassigned`. Our
  objective is then (D' + T + Tmax) / 3 in instance units, D' the distance with each leg
  rounded up to 1 / SCALE (at most 0.001 per leg above D).

Results are written in the published solutions' format: `[{"caregiver_id": "ck",
"locations": [{"patient": "pI", "service": "sJ", "arrival_time": start, "departure_time":
end}]}]` in instance units, and `recheck` evaluates such routes from the instance alone.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from benchmarks.check import Check
from benchmarks.paths import suite_dir
from benchmarks.routes import build_plan
from benchmarks.timing import EPOCH, instant, seconds
from benchmarks.weights import only as weights_only
from models.common import NodeRef, Window
from models.plan import Plan, VisitItem
from models.problem import Link, Matrix, Order, Problem, Shift, Technician

SUITE = "hhcrsp_mankowska2014"
SCALE = 1000
"""Seconds per instance time unit."""
WEIGHT = 20 / SCALE
"""Travel, lateness and max_lateness weight per contract minute: SCALE / 60 minutes per unit,
so a unit costs 1/3."""
HORIZON_FACTOR = 3
DEPOT_ID = "d"
TOL = 1.5e-3
"""Slack in instance units for the re-check: published times are rounded to 3 decimals, so a
difference of two of them may be off by 0.001."""

Routes = list[dict[str, Any]]
"""Routes in the published format: caregiver id and its located services."""


@dataclass(frozen=True)
class HhcInstance:
    """One instance: nodes 0 (depot) .. num_nodes - 1 (the depot's copy), patients between."""

    name: str
    file: str
    num_caregivers: int
    num_services: int
    requires: tuple[tuple[int, ...], ...]
    """Per node, the required service types (0-based)."""
    abilities: tuple[frozenset[int], ...]
    """Per caregiver, the service types it may do (0-based)."""
    distance: tuple[tuple[float, ...], ...]
    processing: tuple[tuple[float, ...], ...]
    """Per node and service type, the processing time (the same for every caregiver)."""
    mind: tuple[float, ...]
    maxd: tuple[float, ...]
    e: tuple[float, ...]
    l: tuple[float, ...]  # noqa: E741 (the literature's name)
    patients: tuple[int, ...]
    """The patient nodes in use (all of them unless trimmed by `head`)."""

    @property
    def num_nodes(self) -> int:
        """Nodes including the depot and its copy."""
        return len(self.distance)

    @property
    def end_depot(self) -> int:
        """The depot's copy, where routes end."""
        return self.num_nodes - 1

    def is_double(self, i: int) -> bool:
        """Patient i needs two services."""
        return len(self.requires[i]) == 2

    def is_simultaneous(self, i: int) -> bool:
        """Patient i needs two services that start together."""
        return self.is_double(i) and self.mind[i] == self.maxd[i] == 0

    @property
    def horizon(self) -> float:
        """H: every route is back by it (the latest window end times `HORIZON_FACTOR`)."""
        return HORIZON_FACTOR * max(self.l[i] for i in self.patients)

    def head(self, num_patients: int) -> HhcInstance:
        """The instance restricted to its first patients (node ids kept)."""
        return replace(
            self, name=f"{self.name}.{num_patients}", patients=self.patients[:num_patients]
        )


def _blocks(text: str) -> dict[str, list[str]]:
    """Keyword -> the tokens after it, up to the next keyword."""
    out: dict[str, list[str]] = {}
    key = None
    for token in text.split():
        if re.fullmatch(r"[A-Za-z]+", token):
            key = token
            out[key] = []
        elif key is None:
            raise ValueError(f"value {token!r} before any keyword")
        else:
            out[key].append(token)
    return out


def _rows(values: Sequence[float], width: int) -> list[tuple[float, ...]]:
    return [tuple(values[k : k + width]) for k in range(0, len(values), width)]


def read_instance(path: Path, name: str | None = None) -> HhcInstance:
    """Read an instance file (`instances/Instanz*_HCSRP_<n>_<k>.txt`), checking every count."""
    blocks = _blocks(path.read_text())
    num_nodes, num_vehicles, num_services = (
        int(blocks[k][0]) for k in ("nbNodes", "nbVehi", "nbServi")
    )
    expected = {
        "r": num_nodes * num_services,
        "a": num_vehicles * num_services,
        "x": num_nodes,
        "y": num_nodes,
        "d": num_nodes * num_nodes,
        "p": num_nodes * num_vehicles * num_services,
        "mind": num_nodes,
        "maxd": num_nodes,
        "e": num_nodes,
        "l": num_nodes,
    }
    for key, count in expected.items():
        if len(blocks.get(key, ())) != count:
            raise ValueError(f"{path}: {key} has {len(blocks.get(key, ()))} values, not {count}")
    r = _rows([int(v) for v in blocks["r"]], num_services)
    a = _rows([int(v) for v in blocks["a"]], num_services)
    p = _rows([float(v) for v in blocks["p"]], num_services)
    requires = tuple(tuple(s for s in range(num_services) if row[s]) for row in r)
    patients = tuple(range(1, num_nodes - 1))
    double = {i for i in patients if len(requires[i]) == 2}
    if {int(v) - 1 for v in blocks["DS"]} != double:
        raise ValueError(f"{path}: DS does not list the nodes that need two services")
    if any(len(requires[i]) not in (1, 2) for i in patients):
        raise ValueError(f"{path}: a patient needs no service or more than two")
    processing = []
    for i in range(num_nodes):
        by_vehicle = p[i * num_vehicles : (i + 1) * num_vehicles]
        if len(set(by_vehicle)) != 1:
            raise ValueError(f"{path}: processing times of node {i} depend on the caregiver")
        processing.append(by_vehicle[0])
    return HhcInstance(
        name=name or path.stem,
        file=path.name,
        num_caregivers=num_vehicles,
        num_services=num_services,
        requires=requires,
        abilities=tuple(frozenset(s for s in range(num_services) if row[s]) for row in a),
        distance=tuple(_rows([float(v) for v in blocks["d"]], num_nodes)),
        processing=tuple(processing),
        mind=tuple(float(v) for v in blocks["mind"]),
        maxd=tuple(float(v) for v in blocks["maxd"]),
        e=tuple(float(v) for v in blocks["e"]),
        l=tuple(float(v) for v in blocks["l"]),
        patients=patients,
    )


# --- names and best-known values ---------------------------------------------------------------


def read_bks() -> dict[str, dict[str, str]]:
    """`bks.csv` rows keyed by label (`A1` .. `G10`)."""
    with (suite_dir(SUITE) / "bks.csv").open(newline="") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def label_key(label: str) -> tuple[str, int]:
    """Sort key of a label: family, then number (A1, A2, .., A10, B1, ..)."""
    m = re.fullmatch(r"([A-Z])(\d+)", label)
    return (m.group(1), int(m.group(2))) if m else (label, 0)


def instance_names() -> list[str]:
    """Every label of `bks.csv`, by family then number."""
    return sorted(read_bks(), key=label_key)


def load(label: str) -> HhcInstance:
    """Read the instance of a label (`A1`, case-insensitive)."""
    for name, row in read_bks().items():
        if name.lower() == label.lower():
            return read_instance(suite_dir(SUITE) / "instances" / row["file"], name)
    raise FileNotFoundError(f"no HHCRSP instance {label!r}")


def bks_value(label: str) -> float:
    """The best-known (D + T + Tmax) / 3 that a published route file supports."""
    return float(read_bks()[label]["bks"])


def solution_path(label: str) -> Path | None:
    """The published best-known solution of a label, if staged."""
    stem = Path(read_bks()[label]["file"]).stem
    found = sorted((suite_dir(SUITE) / "bks_solutions").glob(f"sol-{stem}-*.json"))
    return found[0] if found else None


def read_solution(label: str) -> Routes | None:
    """The routes of the published best-known solution (unused caregivers left out)."""
    path = solution_path(label)
    if path is None:
        return None
    routes = json.loads(path.read_text())["routes"]
    return [r for r in routes if r.get("locations")]


# --- the contract problem ----------------------------------------------------------------------


def order_id(i: int, s: int) -> str:
    """Order of service type s (0-based) at patient node i: `pI-sJ`, J 1-based."""
    return f"p{i}-s{s + 1}"


def caregiver_id(k: int) -> str:
    """Technician of caregiver k (0-based): `cK`, K 1-based."""
    return f"c{k + 1}"


def parse_order_id(order: str) -> tuple[str, str]:
    """(`pI`, `sJ`) of an order id."""
    patient, service = order.split("-")
    return patient, service


def _orders(instance: HhcInstance) -> Iterator[tuple[int, int]]:
    """(patient node, service type) of every required service, patient by patient."""
    for i in instance.patients:
        for s in instance.requires[i]:
            yield i, s


def _leg_seconds(d: float) -> int:
    # Round first: 5.001 * 1000 is 5001.000000000001 in floats, not a reason to round up.
    return math.ceil(round(d * SCALE, 6))


def to_problem(instance: HhcInstance) -> Problem:
    """The instance as a contract problem (see the module docstring)."""
    h = instance.horizon
    services = list(_orders(instance))
    nodes = [0] + [i for i, _ in services]
    never = round(h * SCALE) + 1
    seconds_matrix = [
        [
            never if a != b and i == j and i != 0 else _leg_seconds(instance.distance[i][j])
            for b, j in enumerate(nodes)
        ]
        for a, i in enumerate(nodes)
    ]
    technicians = [
        Technician(
            id=caregiver_id(k),
            skills={f"s{s + 1}": 1 for s in sorted(abilities)},
            shifts=[
                Shift(
                    start=instant(0, SCALE),
                    end=instant(h, SCALE),
                    start_location=NodeRef(node=DEPOT_ID),
                )
            ],
        )
        for k, abilities in enumerate(instance.abilities)
    ]
    orders = []
    for i, s in services:
        links = []
        first = instance.requires[i][0]
        if instance.is_double(i) and s != first:
            links = [
                Link(
                    order=order_id(i, first),
                    min_gap=timedelta(seconds=round(instance.mind[i] * SCALE)),
                    max_gap=timedelta(seconds=round(instance.maxd[i] * SCALE)),
                )
            ]
        orders.append(
            Order(
                id=order_id(i, s),
                location=NodeRef(node=order_id(i, s)),
                duration=timedelta(seconds=round(instance.processing[i][s] * SCALE)),
                required_skills={f"s{s + 1}": 1},
                time_windows=[Window(start=instant(instance.e[i], SCALE), end=instant(h, SCALE))],
                due=instant(instance.l[i], SCALE),
                mandatory=True,
                linked=links,
            )
        )
    every_priority = {str(p): WEIGHT for p in range(1, 6)}
    return Problem(
        id=instance.name,
        horizon=Window(start=instant(0, SCALE), end=instant(h, SCALE)),
        technicians=technicians,
        orders=orders,
        travel=Matrix(
            model="matrix",
            nodes=[DEPOT_ID] + [order_id(i, s) for i, s in services],
            seconds=cast("list[list[float]]", seconds_matrix),
        ),
        weights=weights_only(travel=WEIGHT, lateness=every_priority, max_lateness=WEIGHT),
    )


# --- plans and routes --------------------------------------------------------------------------


def _units(at: Any) -> float:
    return round(seconds(at)) / SCALE


def plan_routes(plan: Plan) -> Routes:
    """The plan's routes in the published format (times in instance units), by caregiver."""
    out = []
    for route in sorted(plan.routes, key=lambda r: int(r.technician.lstrip("c"))):
        locations = []
        for item in route.items:
            if isinstance(item, VisitItem):
                patient, service = parse_order_id(item.order)
                locations.append(
                    {
                        "patient": patient,
                        "service": service,
                        "arrival_time": _units(item.start),
                        "departure_time": _units(item.end),
                    }
                )
        if locations:
            out.append({"caregiver_id": route.technician, "locations": locations})
    return out


def plan_cost(problem: Problem, plan: Plan) -> dict[str, float]:
    """D', T, Tmax and (D' + T + Tmax) / 3 read off the plan's whole-second times."""
    due = {o.id: o.due for o in problem.orders}
    travel = sum(r.travel_time.total_seconds() for r in plan.routes) / SCALE
    late = [
        max(0.0, (item.start - due_at).total_seconds() / SCALE)
        for r in plan.routes
        for item in r.items
        if isinstance(item, VisitItem) and (due_at := due.get(item.order)) is not None
    ]
    total, largest = sum(late), max(late, default=0.0)
    return {
        "distance": travel,
        "total_tardiness": total,
        "max_tardiness": largest,
        "cost": (travel + total + largest) / 3,
    }


def routes_to_plan(instance: HhcInstance, problem: Problem, routes: Routes) -> Plan:
    """A contract plan of published routes: each service starts at its published time or,
    when whole-second travel makes it later, as early as it can, with the linked service
    moved along so every gap holds."""
    starts = {
        f"{loc['patient']}-{loc['service']}": round(loc["arrival_time"] * SCALE)
        for route in routes
        for loc in route["locations"]
    }
    links = [
        (o.id, k.order, round(k.min_gap.total_seconds()), round(k.max_gap.total_seconds()))
        for o in problem.orders
        for k in o.linked
    ]
    sequences = [
        (r["caregiver_id"], [f"{loc['patient']}-{loc['service']}" for loc in r["locations"]])
        for r in routes
    ]
    for _ in range(100):
        plan = build_plan(problem, sequences, starts=starts)
        timed = {
            item.order: round((item.start - EPOCH).total_seconds())
            for r in plan.routes
            for item in r.items
            if isinstance(item, VisitItem)
        }
        moved = False
        for later, earlier, lo, hi in links:
            if timed[later] - timed[earlier] < lo:
                timed[later] = timed[earlier] + lo
                moved = True
            elif timed[later] - timed[earlier] > hi:
                timed[earlier] = timed[later] - hi
                moved = True
        starts = timed
        if not moved:
            return plan
    raise ValueError(f"{instance.name}: the routes cannot be timed with every gap")


# --- the independent re-check ------------------------------------------------------------------


def recheck(instance: HhcInstance, routes: Routes) -> Check:
    """Feasibility and (D + T + Tmax) / 3 of published-format routes, from the instance alone.

    Rules: every required service of every patient is done exactly once, by a caregiver
    qualified for it, and the two services of a patient by two caregivers; each caregiver
    leaves the depot at 0 or later, reaches each location no earlier than its previous
    departure plus the distance, starts (arrival_time) no earlier than the window start, stays
    at least the processing time, and returns to the depot; double services start together or
    within [mind, maxd] of the lower type's start. D sums the depot-to-depot legs of the full
    distance matrix, T the lateness of each start past the window end, Tmax the largest.
    Times are taken as written, with `TOL` slack.
    """
    violations: list[str] = []
    n = instance.num_caregivers
    patient_of = {f"p{i}": i for i in instance.patients}
    done: dict[tuple[int, int], list[tuple[int, float]]] = {}
    counts = Counter(r.get("caregiver_id") for r in routes)
    for cid, c in counts.items():
        if c > 1:
            violations.append(f"caregiver {cid} has {c} routes")
    distance = total = largest = 0.0
    for route in routes:
        cid = str(route.get("caregiver_id"))
        m = re.fullmatch(r"c(\d+)", cid)
        if not m or not 1 <= int(m.group(1)) <= n:
            violations.append(f"{cid} is not a caregiver")
            continue
        k = int(m.group(1)) - 1
        here, free = 0, 0.0
        for loc in route.get("locations") or []:
            i = patient_of.get(str(loc["patient"]))
            sm = re.fullmatch(r"s(\d+)", str(loc["service"]))
            s = int(sm.group(1)) - 1 if sm else -1
            if i is None or s not in instance.requires[i]:
                violations.append(f"{cid}: {loc['patient']} does not need {loc['service']}")
                continue
            where = f"{cid} at {loc['patient']}/{loc['service']}"
            start, end = float(loc["arrival_time"]), float(loc["departure_time"])
            if s not in instance.abilities[k]:
                violations.append(f"{cid} is not qualified for {loc['service']}")
            if start < free + instance.distance[here][i] - TOL:
                violations.append(f"{where}: starts at {start} before it can arrive")
            if start < instance.e[i] - TOL:
                violations.append(f"{where}: starts at {start} before the window {instance.e[i]}")
            if end < start + instance.processing[i][s] - TOL:
                violations.append(f"{where}: leaves at {end} before the service ends")
            distance += instance.distance[here][i]
            late = max(0.0, start - instance.l[i])
            total += late
            largest = max(largest, late)
            done.setdefault((i, s), []).append((k, start))
            here, free = i, end
        if here != 0:
            distance += instance.distance[here][instance.end_depot]
    for i in instance.patients:
        by = [done.get((i, s), []) for s in instance.requires[i]]
        for s, times in zip(instance.requires[i], by, strict=True):
            if len(times) != 1:
                violations.append(f"p{i}/s{s + 1} is done {len(times)} times")
        if len(by) == 2 and all(len(times) == 1 for times in by):
            (k1, t1), (k2, t2) = by[0][0], by[1][0]
            if k1 == k2:
                violations.append(f"p{i}: one caregiver does both services")
            gap = t2 - t1
            if not instance.mind[i] - TOL <= gap <= instance.maxd[i] + TOL:
                violations.append(
                    f"p{i}: second service starts {gap:.4f} after the first, not in "
                    f"[{instance.mind[i]}, {instance.maxd[i]}]"
                )
    used = sum(1 for r in routes if r.get("locations"))
    return Check(
        feasible=not violations,
        value=(distance + total + largest) / 3,
        routes=used,
        violations=violations,
        terms={"distance": distance, "total_tardiness": total, "max_tardiness": largest},
    )


def family(label: str) -> str:
    """The family letter of a label (`B7` -> `B`)."""
    return label_key(label)[0]
