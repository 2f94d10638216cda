"""Build a CP-SAT model for a scope, hint it with the incumbent, solve it, read it back."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.cp.constraints import CONSTRAINTS, fit_windows
from optimizer.cp.objective import objective
from optimizer.cp.variables import FixedVisit, Model, Scope
from optimizer.instance import Instance
from optimizer.solution import RouteSol, Solution


def eligible_shifts(inst: Instance) -> dict[int, list[int]]:
    """Order -> shifts whose technician is qualified and can reach it inside the shift.

    A single-technician order also needs a van that holds its equipment and parts.
    """
    out: dict[int, list[int]] = {}
    for o, order in enumerate(inst.orders):
        shifts = []
        for s, sh in enumerate(inst.shifts):
            if not inst.qualified[o, sh.tech]:
                continue
            if order.crew == 1 and not inst.van_ok[o, sh.tech]:
                continue
            if order.crew == 1 and order.pin_tech is not None and sh.tech != order.pin_tech:
                continue
            if fit_windows(inst, o, s):
                shifts.append(s)
        out[o] = shifts
    return out


def make_scope(
    inst: Instance,
    incumbent: Solution,
    shifts: list[int],
    extra: list[int],
    eligible: dict[int, list[int]],
) -> Scope:
    """The scope that re-decides `shifts` and may insert the unserved orders in `extra`."""
    shift_set = set(shifts)
    where = incumbent.shifts_of()
    free: list[int] = []
    fixed: dict[int, FixedVisit] = {}
    for s in shifts:
        route = incumbent.routes.get(s)
        for o in route.orders if route else []:
            if o in free or o in fixed:
                continue
            if set(where[o]) <= shift_set:
                free.append(o)
            else:
                prov = incumbent.provider.get(o)
                fixed[o] = FixedVisit(
                    start=incumbent.start[o],
                    shifts=[x for x in where[o] if x in shift_set],
                    provider=prov if prov in shift_set else None,
                )
    free += [o for o in extra if o not in where and o not in free]
    parts_used: dict[int, dict[str, int]] = {}
    free_set = set(free)
    for o, prov in incumbent.provider.items():
        if o in free_set or not inst.orders[o].parts:
            continue
        if o in fixed and fixed[o].provider is not None:
            continue  # counted by the model itself
        tech = inst.shifts[prov].tech
        acc = parts_used.setdefault(tech, {})
        for part, qty in inst.orders[o].parts.items():
            acc[part] = acc.get(part, 0) + qty
    for o, fx in fixed.items():
        if fx.provider is not None:
            tech = inst.shifts[fx.provider].tech
            acc = parts_used.setdefault(tech, {})
            for part, qty in inst.orders[o].parts.items():
                acc[part] = acc.get(part, 0) + qty
    return Scope(
        shifts=list(shifts),
        orders=free,
        fixed=fixed,
        outside=incumbent,
        parts_used=parts_used,
        eligible={o: [s for s in eligible[o] if s in shift_set] for o in free},
    )


def build(inst: Instance, scope: Scope) -> Model:
    """The CP-SAT model of a scope: every constraint family, then the objective."""
    m = Model(inst=inst, scope=scope, cp=cp_model.CpModel())
    for family in CONSTRAINTS:
        family(m)
    objective(m)
    return m


def add_hint(m: Model, sol: Solution) -> None:
    """Hint every variable of the model with the incumbent's values."""
    cp = m.cp
    where = sol.shifts_of()
    for o, ov in m.orders.items():
        if o in m.scope.fixed:
            continue
        served = o in where
        cp.add_hint(ov.served, served)
        if served:
            cp.add_hint(ov.start, sol.start[o])
        for s, v in ov.visit.items():
            cp.add_hint(v, s in where.get(o, []))
        if inst_crew(m, o) > 1:
            for s, p in ov.provide.items():
                cp.add_hint(p, sol.provider.get(o) == s)
    for s, rv in m.routes.items():
        route = sol.routes.get(s)
        seq = route.orders if route else []
        cp.add_hint(rv.used, bool(seq))
        node_of = {o: k for k, o in enumerate(rv.nodes, start=1)}
        path = [0] + [node_of[o] for o in seq] + [0]
        on = set(itertools.pairwise(path)) if seq else {(0, 0)}
        for (i, j), lit in rv.arcs.items():
            if i == j:
                continue
            cp.add_hint(lit, (i, j) in on)
        if route and seq:
            cp.add_hint(rv.depart, route.depart)
            cp.add_hint(rv.ret, route.ret)
            for b, (pos, bstart) in enumerate(route.breaks):
                if b < len(rv.breaks):
                    node = 0 if pos < 0 else node_of[seq[pos]]
                    cp.add_hint(rv.breaks[b].start, bstart)
                    for k, lit in rv.breaks[b].after.items():
                        cp.add_hint(lit, k == node)
        else:
            for bv in rv.breaks:
                for lit in bv.after.values():
                    cp.add_hint(lit, False)


def inst_crew(m: Model, o: int) -> int:
    """Crew size of order o."""
    return m.inst.orders[o].crew


@dataclass
class SolveOutcome:
    """What one CP-SAT call produced."""

    solution: Solution | None
    status: str  # optimal | feasible | infeasible | unknown
    objective: float | None
    bound: float | None
    deterministic_time: float


def run(
    m: Model,
    incumbent: Solution,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    deterministic_limit: float | None = None,
    log: bool = False,
) -> SolveOutcome:
    """Solve the model within the limits and merge its answer into the incumbent."""
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(time_limit, 0.001)
    prm.num_workers = workers
    prm.random_seed = seed
    prm.log_search_progress = log
    if deterministic_limit is not None:
        prm.max_deterministic_time = max(deterministic_limit, 0.001)
    if workers == 1:
        prm.interleave_search = False
    code = solver.solve(m.cp)
    status = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolveOutcome(None, status, None, None, solver.deterministic_time)
    return SolveOutcome(
        extract(m, solver, incumbent),
        status,
        solver.objective_value,
        solver.best_objective_bound,
        solver.deterministic_time,
    )


def extract(m: Model, solver: cp_model.CpSolver, incumbent: Solution) -> Solution:
    """The incumbent with the scope's routes and orders replaced by the solver's values."""
    out = incumbent.copy()
    for o in m.scope.orders:
        out.start.pop(o, None)
        out.provider.pop(o, None)
    for s, rv in m.routes.items():
        route = RouteSol(shift=s)
        if solver.boolean_value(rv.used):
            succ = {
                i: j for (i, j), lit in rv.arcs.items() if i != j and solver.boolean_value(lit)
            }
            node = succ[0]
            while node != 0:
                route.orders.append(rv.nodes[node - 1])
                node = succ[node]
            route.depart = solver.value(rv.depart)
            route.ret = solver.value(rv.ret)
            pos_of = {0: -1, **{rv.nodes.index(o) + 1: k for k, o in enumerate(route.orders)}}
            for bv in rv.breaks:
                node = next(k for k, lit in bv.after.items() if solver.boolean_value(lit))
                route.breaks.append((pos_of[node], solver.value(bv.start)))
        out.routes[s] = route
    for o, ov in m.orders.items():
        if o in m.scope.fixed or not solver.boolean_value(ov.served):
            continue
        out.start[o] = solver.value(ov.start)
        for s, p in ov.provide.items():
            if solver.boolean_value(p):
                out.provider[o] = s
    return out
