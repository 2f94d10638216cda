"""Build a CP-SAT model for a scope, hint it with the incumbent, solve it, read it back."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum

from ortools.sat.python import cp_model

from optimizer.cp.constraints import CONSTRAINTS, fit_windows
from optimizer.cp.objective import max_lateness, objective
from optimizer.cp.variables import BoolLit, FixedVisit, Model, Scope
from optimizer.instance import Instance
from optimizer.plan_builder import settle
from optimizer.solution import RouteSol, Solution
from optimizer.supply import supply_plan


def eligible_shifts(inst: Instance) -> dict[int, list[int]]:
    """Order -> shifts whose technician is qualified and can reach it inside the shift.

    A single-technician order also needs its equipment and parts from the van or a depot.
    """
    return {o: eligible_for(inst, o) for o in range(len(inst.orders))}


def eligible_for(inst: Instance, o: int) -> list[int]:
    """The shifts that may serve order o (see `eligible_shifts`)."""
    order = inst.orders[o]
    shifts = []
    for s, sh in enumerate(inst.shifts):
        if not inst.qualified[o, sh.tech] or not inst.on_call_ok(o, s):
            continue
        depot_only = not inst.van_ok[o, sh.tech]
        supplied = inst.supply_ok[o, sh.tech] and sh.max_depot_visits != 0
        if order.crew == 1 and depot_only and not supplied:
            continue
        if order.crew == 1 and order.pin_tech is not None and sh.tech != order.pin_tech:
            continue
        if fit_windows(inst, o, s):
            shifts.append(s)
    return shifts


def make_scope(
    inst: Instance,
    incumbent: Solution,
    shifts: list[int],
    extra: list[int],
    eligible: dict[int, list[int]],
) -> Scope:
    """The scope that re-decides `shifts` and may insert the unserved orders in `extra` (with
    their unserved linked partners); orders whose crew also works outside `shifts` stay fixed."""
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
    # An unserved order comes in with its unserved linked partners: served both or neither.
    extra = [p for o in extra for p in (inst.linked_group(o) if inst.orders[o].links else [o])]
    free += [o for o in dict.fromkeys(extra) if o not in where and o not in free]
    return Scope(
        shifts=list(shifts),
        orders=free,
        fixed=fixed,
        outside=incumbent,
        eligible={
            o: [
                s
                for s in (eligible[o] if o in eligible else eligible_for(inst, o))
                if s in shift_set
            ]
            for o in free
        },
    )


def build(inst: Instance, scope: Scope) -> Model:
    """The CP-SAT model of a scope: every constraint family, then the objective."""
    m = Model(inst=inst, scope=scope, cp=cp_model.CpModel())
    for family in CONSTRAINTS:
        family(m)
    objective(m)
    return m


def add_hint(m: Model, sol: Solution) -> None:
    """Hint every variable of the model with the incumbent's values (a complete hint lets
    CP-SAT start from the incumbent at once)."""
    inst = m.inst
    cp = _OnceHints(m.cp)
    where = sol.shifts_of()
    plan = supply_plan(inst, sol) or {}
    starts: dict[int, int] = {}
    for o, ov in m.orders.items():
        if o in m.scope.fixed:
            starts[o] = m.scope.fixed[o].start
            continue
        served = o in where
        cp.add_hint(ov.served, served)
        start = sol.start[o] if served else _domain_min(ov.start)
        starts[o] = start
        cp.add_hint(ov.start, start)
        if ov.late is not None:
            due = inst.orders[o].due or 0
            cp.add_hint(ov.late, max(0, start - due) if served else 0)
        for s, v in ov.visit.items():
            cp.add_hint(v, s in where.get(o, []))
        if inst.orders[o].crew > 1:
            for s, p in ov.provide.items():
                cp.add_hint(p, sol.provider.get(o) == s)
    for s, rv in m.routes.items():
        sh = inst.shifts[s]
        route = sol.routes.get(s)
        if route is None or not route.orders:
            route = RouteSol(s, depart=sh.start, ret=sh.start)  # unused: no stop, no breaks
        seq = route.orders
        cp.add_hint(rv.used, bool(seq))
        node_of = {o: k for k, o in enumerate(rv.nodes, start=1)}
        path = [node_of[o] for o in seq]
        stop = route.depot
        if stop is not None and stop[0] in rv.depots:
            path.insert(stop[1], rv.depot_node(rv.depots.index(stop[0])))
        else:
            stop = None
        path = [0, *path, 0]
        on = set(itertools.pairwise(path)) if seq else {(0, 0)}
        for (i, j), lit in rv.arcs.items():
            if i != j:
                cp.add_hint(lit, (i, j) in on)
        for d in rv.depots:
            if stop is not None and stop[0] == d:
                cp.add_hint(rv.depot_visit[d], True)
                cp.add_hint(rv.depot_start[d], stop[2])
            else:
                cp.add_hint(rv.depot_visit[d], False)
                cp.add_hint(rv.depot_start[d], _domain_min(rv.depot_start[d]))
        depart, ret = route.depart, route.ret
        cp.add_hint(rv.depart, depart)
        cp.add_hint(rv.ret, ret)
        cp.add_hint(rv.overtime, max(0, ret - sh.end))
        # Leave times: after the service, or after the breaks taken there.
        leave = {0: depart}
        for k, o in enumerate(rv.nodes, start=1):
            leave[k] = starts[o] + inst.orders[o].duration
        entries = route.breaks
        for b, bv in enumerate(rv.breaks):
            if b < len(entries):
                pos, bstart = entries[b]
                node = 0 if pos < 0 else node_of[seq[pos]]
                leave[node] = max(leave[node], bstart + sh.breaks[b].duration)
                cp.add_hint(bv.start, bstart)
            else:
                node = -1
                cp.add_hint(bv.start, _domain_min(bv.start))
            for k, lit in bv.after.items():
                cp.add_hint(lit, k == node)
        for k, expr in rv.leave.items():
            if isinstance(expr, cp_model.IntVar) and k in leave:
                lo, hi = _domain_min(expr), _domain_max(expr)
                cp.add_hint(expr, min(max(leave[k], lo), hi))
    if m.max_late is not None:
        cp.add_hint(m.max_late, max(_domain_min(m.max_late), max_lateness(inst, sol)))
    # Depot supply: orders after the stop, what is picked up.
    for (o, s, d), lit in m.after_stop.items():
        stop = _stop(sol, s)
        after = (
            stop is not None
            and stop[0] == d
            and sol.provider.get(o) == s
            and o in sol.routes[s].orders
            and sol.routes[s].orders.index(o) >= stop[1]
        )
        cp.add_hint(lit, after)
    for (s, d, e), lit in m.pick.items():
        stop = _stop(sol, s) if s in plan else None
        cp.add_hint(lit, stop is not None and stop[0] == d and e in plan[s].equipment)
    for (s, d, kind), var in m.pick_parts.items():
        stop = _stop(sol, s) if s in plan else None
        cp.add_hint(var, plan[s].parts.get(kind, 0) if stop is not None and stop[0] == d else 0)


def _stop(sol: Solution, s: int) -> tuple[int, int, int] | None:
    """Shift s's depot stop in the solution, if it has a route with one."""
    route = sol.routes.get(s)
    return route.depot if route is not None else None


class _OnceHints:
    """Adds each variable's hint once (some variables stand for several roles)."""

    def __init__(self, cp: cp_model.CpModel):
        self.cp = cp
        self.seen: set[int] = set()

    def add_hint(self, var: BoolLit, value: int | bool) -> None:
        """Hint `var` (an integer variable or a literal) with `value`, unless hinted."""
        index = var.index
        if index < 0:  # a negated literal: hint its variable
            var, value, index = var.Not(), not value, var.Not().index
        if index in self.seen:
            return
        self.seen.add(index)
        if isinstance(var, cp_model.IntVar):
            self.cp.add_hint(var, int(value))
        else:
            self.cp.add_hint(var, bool(value))


def _domain_min(var: cp_model.IntVar) -> int:
    return int(var.proto.domain[0])


def _domain_max(var: cp_model.IntVar) -> int:
    domain = var.proto.domain  # a proto view: negative indices do not work
    return int(domain[len(domain) - 1])


class CpStatus(StrEnum):
    """How one CP-SAT call ended."""

    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    unknown = "unknown"


@dataclass
class SolveOutcome:
    """What one CP-SAT call produced."""

    solution: Solution | None
    status: CpStatus
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
    light_presolve: bool = False,
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
    if light_presolve:
        # Short neighbourhood solves: probing in presolve would eat the whole step.
        prm.cp_model_probing_level = 0
        prm.symmetry_level = 0
    code = solver.solve(m.cp)
    status = {
        cp_model.OPTIMAL: CpStatus.optimal,
        cp_model.FEASIBLE: CpStatus.feasible,
        cp_model.INFEASIBLE: CpStatus.infeasible,
    }.get(code, CpStatus.unknown)
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
                if node > len(rv.nodes):
                    d = rv.depots[node - len(rv.nodes) - 1]
                    route.depot = (d, len(route.orders), solver.value(rv.depot_start[d]))
                else:
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
    for s in m.routes:
        if out.routes[s].orders:
            # A feasible (not optimal) answer may return later than it need: overtime is
            # counted from the return the plan will show.
            settle(m.inst, out.routes[s], out.start)
    return out
