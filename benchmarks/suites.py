"""The four benchmark suites behind one interface: instances, problems, best-known values,
the literature's objective of a plan, and the double-precision re-check.

| suite | instances | objective | best known |
|---|---|---|---|
| `trsp` | Pillac TRSP (56) | total tour duration | `best_published_duration` |
| `solomon` | Solomon (56) | distance truncated to one decimal | `dist_trunc1` (optimal) |
| `solomon-hier` | Solomon (56) | routes, then exact distance | `hier_veh`, `hier_dist` |
| `gh200` | Gehring-Homberger 200 (60) | routes, then exact distance | `routes`, `distance` |
| `hhcrsp` | Mankowska et al. 2014 (70) | (D + T + Tmax) / 3 | `bks` |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import hhcrsp, solomon, trsp
from benchmarks.check import Check
from benchmarks.hhcrsp import HhcInstance
from benchmarks.solomon import VrptwInstance, VrptwObjective
from benchmarks.trsp import TrspInstance
from models.plan import Plan
from models.problem import Problem

SUITES = ("trsp", "solomon", "solomon-hier", "gh200", "hhcrsp")
HIERARCHICAL = ("solomon-hier", "gh200")
_VRPTW: dict[str, tuple[str, VrptwObjective]] = {
    "solomon": (solomon.SOLOMON, "distance"),
    "solomon-hier": (solomon.SOLOMON, "hierarchical"),
    "gh200": (solomon.GH200, "hierarchical"),
}


def _check_suite(suite: str) -> None:
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; one of {', '.join(SUITES)}")


def instance_names(suite: str) -> list[str]:
    """Every instance of a suite, in class order (C1, C2, R1, R2, RC1, RC2)."""
    _check_suite(suite)
    if suite == "trsp":
        return sorted(trsp.instance_names(), key=sort_key)
    if suite == "hhcrsp":
        return hhcrsp.instance_names()
    return sorted(solomon.instance_names(_VRPTW[suite][0]), key=sort_key)


def instance_class(name: str) -> str:
    """Solomon class of an instance name: `C101`, `c1_2_1`, `RC204.100_25-5-5-5` -> C1, C1, RC2;
    HHCRSP family of a label: `B7` -> B; Curtois-Qu instances by the issue's target groups:
    `Instance5` -> 1-7, `Instance9` -> 8-10, `Instance20` -> 11-24."""
    if re.fullmatch(r"[A-G]\d{1,2}", name):
        return name[0]
    if m := re.fullmatch(r"Instance(\d+)", name):
        k = int(m.group(1))
        return "1-7" if k <= 7 else "8-10" if k <= 10 else "11-24"
    m = re.match(r"([A-Za-z]+)(\d)", name)
    return (m.group(1).upper() + m.group(2)) if m else "?"


def sort_key(name: str) -> tuple[int, str, int]:
    """Sort key of an instance name: class (C1 .. RC2), then number."""
    classes = ["C1", "C2", "R1", "R2", "RC1", "RC2"]
    cls = instance_class(name)
    numbers = [int(v) for v in re.findall(r"\d+", name.split(".")[0])]
    return (classes.index(cls) if cls in classes else 99, cls, numbers[-1] if numbers else 0)


def resolve_name(suite: str, name: str) -> str:
    """The canonical instance name for a user's spelling (`c101` -> `C101`, TRSP short names)."""
    for full in instance_names(suite):
        if name.lower() in (full.lower(), full.split(".")[0].lower()):
            return full
    raise ValueError(f"no instance {name!r} in suite {suite!r}")


def expand_names(suite: str, text: str) -> list[str]:
    """The instances of a comma-separated `--instances`, each by `resolve_name`; `X,...,Y`
    stands for every instance from X to Y in the suite's order (`instance_names`)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    names = [n if n == "..." else resolve_name(suite, n) for n in names]
    every = instance_names(suite)
    out: list[str] = []
    for k, name in enumerate(names):
        if name != "...":
            out.append(name)
        elif 0 < k < len(names) - 1 and names[k + 1] != "...":
            lo, hi = every.index(names[k - 1]), every.index(names[k + 1])
            out += every[lo + 1 : hi]
    return out


@dataclass
class Case:
    """One instance of a suite as a contract problem, with its best-known value."""

    suite: str
    name: str
    instance: TrspInstance | VrptwInstance | HhcInstance
    problem: Problem
    bks: float | None
    """Best-known objective (duration for TRSP, distance otherwise); None when trimmed."""
    bks_routes: int | None
    """Routes of the best-known solution."""

    @property
    def hierarchical(self) -> bool:
        """Whether routes are minimised first."""
        return self.suite in HIERARCHICAL

    @property
    def objective_kind(self) -> VrptwObjective:
        """`distance` or `hierarchical` (VRPTW suites)."""
        return _VRPTW[self.suite][1]

    @property
    def scale(self) -> int:
        """Seconds per instance time unit."""
        if self.suite == "hhcrsp":
            return hhcrsp.SCALE
        return trsp.SCALE if self.suite == "trsp" else solomon.SCALES[self.objective_kind]

    @property
    def metric(self) -> str:
        """Distance convention of the literature's value: `trunc1` or `exact`."""
        return "trunc1" if self.suite == "solomon" else "exact"

    def routes(self, plan: Plan) -> Any:
        """The plan's routes in instance node ids (TRSP: home first, 0 for the depot; HHCRSP:
        the published solutions' caregiver routes)."""
        if self.suite == "hhcrsp":
            return hhcrsp.plan_routes(plan)
        if self.suite == "trsp":
            return trsp.plan_routes(self.problem, plan)
        return solomon.plan_routes(plan)

    def plan_objective(self, plan: Plan) -> float:
        """The literature's objective read off the plan's own times (whole seconds / scale)."""
        if self.suite == "hhcrsp":
            return hhcrsp.plan_cost(self.problem, plan)["cost"]
        if self.suite == "trsp":
            return trsp.plan_duration(plan)
        return solomon.plan_distance(plan, self.objective_kind)

    def recheck(self, routes: Any) -> Check:
        """Feasibility and literature value of routes in double precision, evaluator-free."""
        if isinstance(self.instance, HhcInstance):
            return hhcrsp.recheck(self.instance, routes)
        if isinstance(self.instance, TrspInstance):
            return trsp.recheck(self.instance, routes)
        return solomon.recheck(self.instance, routes, self.metric)

    def bks_solution(self) -> Any:
        """Routes of the staged best-known solution, if any (same format as `routes`)."""
        if self.suite == "hhcrsp":
            return hhcrsp.read_solution(self.name) if self.bks is not None else None
        if self.suite == "trsp":
            sol = trsp.read_solutions().get(self.name)
            return sol.routes if sol else None
        if self.suite == "solomon":
            return None  # the trunc1 optima are published as values only
        path = solomon.solution_path(_VRPTW[self.suite][0], self.name)
        return solomon.read_routes(path) if path else None

    def to_plan(self, routes: Any) -> Plan:
        """A contract plan of routes in instance ids (TRSP tours leave as late as they can)."""
        if isinstance(self.instance, HhcInstance):
            return hhcrsp.routes_to_plan(self.instance, self.problem, routes)
        if isinstance(self.instance, TrspInstance):
            return trsp.routes_to_plan(self.instance, self.problem, routes)
        return solomon.routes_to_plan(self.problem, routes)


def load_case(suite: str, name: str, max_customers: int | None = None) -> Case:
    """Read an instance of a suite as a `Case`; `max_customers` keeps only the first ones."""
    name = resolve_name(suite, name)
    if suite == "hhcrsp":
        hinst = hhcrsp.load(name)
        hbks: float | None = hhcrsp.bks_value(name)
        solution = hhcrsp.read_solution(name)
        hbks_routes = len(solution) if solution is not None else None
        if max_customers is not None:
            hinst, hbks, hbks_routes = hinst.head(max_customers), None, None
        return Case(suite, name, hinst, hhcrsp.to_problem(hinst), hbks, hbks_routes)
    if suite == "trsp":
        tinst = trsp.load(name)
        bks: float | None
        bks_routes: int | None
        bks, bks_routes = trsp.bks_value(name)
        if max_customers is not None:
            tinst, bks, bks_routes = tinst.head(max_customers), None, None
        return Case(suite, name, tinst, trsp.to_problem(tinst), bks, bks_routes)
    folder, objective = _VRPTW[suite]
    vinst = solomon.load(folder, name)
    vbks: float | None
    vbks_routes: int | None
    vbks, vbks_routes = solomon.bks_value(folder, name, objective)
    if max_customers is not None:
        vinst, vbks, vbks_routes = vinst.head(max_customers), None, None
    return Case(suite, name, vinst, solomon.to_problem(vinst, objective), vbks, vbks_routes)


def case_file(out: Path, case: Case) -> Path:
    """Where a run writes the record of a case."""
    return out / f"{case.instance.name}.json"
