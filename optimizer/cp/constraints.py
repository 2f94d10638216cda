"""Constraint families of the CP-SAT model, one function each, applied in registry order."""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from optimizer.cp.variables import BreakVars, Model, OrderVars, RouteVars
from optimizer.instance import Instance


def fit_windows(inst: Instance, o: int, s: int) -> list[tuple[int, int]]:
    """Start windows of order o that a route of shift s can reach and still get home in time."""
    order, shift = inst.orders[o], inst.shifts[s]
    first = shift.start + inst.t(shift.start_loc, order.loc)
    last = shift.end + shift.max_overtime - order.duration - inst.t(order.loc, shift.end_loc)
    out = []
    for ws, we in order.windows:
        lo, hi = max(ws, first), min(we, last)
        if order.pin_start is not None:
            if not lo <= order.pin_start <= hi:
                continue
            lo = hi = order.pin_start
        if lo <= hi:
            out.append((lo, hi))
    return out


def start_domain(inst: Instance, o: int) -> cp_model.Domain:
    """Allowed service starts of an order (its windows, or its pinned start)."""
    order = inst.orders[o]
    if order.pin_start is not None:
        inside = any(ws <= order.pin_start <= we for ws, we in order.windows)
        return cp_model.Domain.from_values([order.pin_start] if inside else [])
    return cp_model.Domain.from_intervals([[ws, we] for ws, we in order.windows])


def order_variables(m: Model) -> None:
    """served / start / visit / provide literals of every order in scope."""
    inst, cp, sc = m.inst, m.cp, m.scope
    for o in sc.orders:
        order = inst.orders[o]
        dom = start_domain(inst, o)
        if dom.is_empty():
            dom = cp_model.Domain(0, 0)
            served = cp.new_constant(0)
        else:
            served = cp.new_bool_var(f"served_{o}")
        ov = OrderVars(served=served, start=cp.new_int_var_from_domain(dom, f"start_{o}"))
        for s in sc.eligible.get(o, []):
            ov.visit[s] = cp.new_bool_var(f"v_{o}_{s}")
            tech = inst.shifts[s].tech
            if inst.van_ok[o, tech]:
                ov.provide[s] = ov.visit[s] if order.crew == 1 else cp.new_bool_var(f"p_{o}_{s}")
        m.orders[o] = ov
    for o, fx in sc.fixed.items():
        ov = OrderVars(served=cp.new_constant(1), start=cp.new_constant(fx.start))
        for s in fx.shifts:
            ov.visit[s] = cp.new_constant(1)
            ov.provide[s] = cp.new_constant(1 if s == fx.provider else 0)
        m.orders[o] = ov


def assignment(m: Model) -> None:
    """Each served order gets exactly crew_size routes and one provider; pins hold."""
    inst, cp = m.inst, m.cp
    for o in m.scope.orders:
        ov, order = m.orders[o], inst.orders[o]
        if len(ov.visit) < order.crew or not ov.provide:
            cp.add(ov.served == 0)
        cp.add(sum(ov.visit.values()) == order.crew * ov.served)
        if order.crew > 1:
            cp.add(sum(ov.provide.values()) == ov.served)
            for s, p in ov.provide.items():
                cp.add_implication(p, ov.visit[s])
            # Two shifts of one technician never serve the same crew order.
            by_tech: dict[int, list[cp_model.IntVar]] = {}
            for s, v in ov.visit.items():
                by_tech.setdefault(inst.shifts[s].tech, []).append(v)
            for lits in by_tech.values():
                if len(lits) > 1:
                    cp.add_at_most_one(lits)
        if order.pin_tech is not None:
            mine = [v for s, v in ov.visit.items() if inst.shifts[s].tech == order.pin_tech]
            if not mine:
                cp.add(ov.served == 0)
            else:
                cp.add(sum(mine) >= 1).only_enforce_if(ov.served)
        for s, v in ov.visit.items():
            wins = fit_windows(inst, o, s)
            cp.add(ov.start >= wins[0][0]).only_enforce_if(v)
            cp.add(ov.start <= wins[-1][1]).only_enforce_if(v)


def route_variables(m: Model) -> None:
    """Per route: used, depart, return, overtime, and the pruned arc literals."""
    inst, cp = m.inst, m.cp
    for s in m.scope.shifts:
        sh = inst.shifts[s]
        latest = sh.end + sh.max_overtime
        nodes = [o for o, ov in m.orders.items() if s in ov.visit]
        rv = RouteVars(
            used=cp.new_bool_var(f"used_{s}"),
            depart=cp.new_int_var(sh.start, latest, f"depart_{s}"),
            ret=cp.new_int_var(sh.start, latest, f"ret_{s}"),
            overtime=cp.new_int_var(0, sh.max_overtime, f"ot_{s}"),
            nodes=nodes,
        )
        # Earliest / latest start of each node in this route, to prune arcs.
        early = {0: sh.start}
        late = {0: latest}
        for k, o in enumerate(nodes, start=1):
            wins = fit_windows(inst, o, s) if o not in m.scope.fixed else None
            if wins:
                early[k], late[k] = wins[0][0], wins[-1][1]
            else:
                fx = m.scope.fixed[o]
                early[k] = late[k] = fx.start
        dur = {0: 0, **{k: inst.orders[o].duration for k, o in enumerate(nodes, start=1)}}
        loc = {0: sh.start_loc, **{k: inst.orders[o].loc for k, o in enumerate(nodes, start=1)}}
        rv.arcs[(0, 0)] = rv.used.Not()
        for k, o in enumerate(nodes, start=1):
            rv.arcs[(k, k)] = m.orders[o].visit[s].Not()
            rv.arcs[(0, k)] = cp.new_bool_var(f"x_{s}_0_{k}")
            rv.arcs[(k, 0)] = cp.new_bool_var(f"x_{s}_{k}_0")
            for j in range(1, len(nodes) + 1):
                if j != k and early[k] + dur[k] + inst.t(loc[k], loc[j]) <= late[j]:
                    rv.arcs[(k, j)] = cp.new_bool_var(f"x_{s}_{k}_{j}")
        m.routes[s] = rv


def circuit(m: Model) -> None:
    """Each route is one circuit through its start/end node; a visit makes the route used."""
    for s, rv in m.routes.items():
        m.cp.add_circuit([(i, j, lit) for (i, j), lit in rv.arcs.items()])
        for o in rv.nodes:
            m.cp.add_implication(m.orders[o].visit[s], rv.used)


def _node_loc(m: Model, s: int, node: int, end: bool = False) -> int:
    sh = m.inst.shifts[s]
    if node == 0:
        return sh.end_loc if end else sh.start_loc
    return m.inst.orders[m.routes[s].nodes[node - 1]].loc


def timing(m: Model) -> None:
    """Arrivals follow departures plus travel; the route leaves after its shift start and
    returns by its end plus allowed overtime."""
    inst, cp = m.inst, m.cp
    for s, rv in m.routes.items():
        sh = inst.shifts[s]
        cp.add(rv.ret >= rv.depart)
        cp.add(rv.ret == rv.depart).only_enforce_if(rv.used.Not())
        cp.add(rv.overtime >= rv.ret - sh.end)
        with_breaks = bool(sh.breaks)
        horizon = sh.end + sh.max_overtime
        for node in range(len(rv.nodes) + 1):
            if node == 0:
                done: cp_model.LinearExprT = rv.depart
            else:
                o = rv.nodes[node - 1]
                done = m.orders[o].start + inst.orders[o].duration
            if with_breaks:
                leave = cp.new_int_var(sh.start, horizon, f"leave_{s}_{node}")
                cp.add(leave >= done)
                rv.leave[node] = leave
            else:
                rv.leave[node] = done
        travel_terms = []
        for (i, j), lit in rv.arcs.items():
            if i == j:
                continue
            t = inst.t(_node_loc(m, s, i), _node_loc(m, s, j, end=True))
            if j == 0:
                cp.add(rv.ret >= rv.leave[i] + t).only_enforce_if(lit)
            else:
                start_j = m.orders[rv.nodes[j - 1]].start
                cp.add(start_j >= rv.leave[i] + t).only_enforce_if(lit)
            if t:
                travel_terms.append(t * lit)
        rv.travel = sum(travel_terms)


def breaks(m: Model) -> None:
    """Every break of a used route is taken once, after one of its nodes, inside its window."""
    inst, cp = m.inst, m.cp
    for s, rv in m.routes.items():
        sh = inst.shifts[s]
        intervals = []
        for b, br in enumerate(sh.breaks):
            start = cp.new_int_var(br.earliest, br.latest_end - br.duration, f"b_{s}_{b}")
            bv = BreakVars(
                start, cp.new_fixed_size_interval_var(start, br.duration, f"bi_{s}_{b}")
            )
            for node in range(len(rv.nodes) + 1):
                lit = cp.new_bool_var(f"y_{s}_{b}_{node}")
                bv.after[node] = lit
                if node == 0:
                    cp.add(start >= rv.depart).only_enforce_if(lit)
                else:
                    o = rv.nodes[node - 1]
                    cp.add_implication(lit, m.orders[o].visit[s])
                    cp.add(start >= m.orders[o].start + inst.orders[o].duration).only_enforce_if(
                        lit
                    )
                cp.add(rv.leave[node] >= start + br.duration).only_enforce_if(lit)
            cp.add(sum(bv.after.values()) == rv.used)
            rv.breaks.append(bv)
            intervals.append(bv.interval)
        if len(intervals) > 1:
            cp.add_no_overlap(intervals)


def dependencies(m: Model) -> None:
    """An order with `after` is served only once each predecessor is served and has ended."""
    inst, cp, sc = m.inst, m.cp, m.scope
    for o in sc.orders:
        ov = m.orders[o]
        for p in inst.orders[o].after:
            if p in m.orders:
                cp.add_implication(ov.served, m.orders[p].served)
                end_p = m.orders[p].start + inst.orders[p].duration
                cp.add(ov.start >= end_p).only_enforce_if(ov.served)
            elif p in sc.outside.start and sc.outside.shifts_of().get(p):
                end_p = sc.outside.start[p] + inst.orders[p].duration
                cp.add(ov.start >= end_p).only_enforce_if(ov.served)
            else:
                cp.add(ov.served == 0)
    # Orders outside the scope that wait for an order in it keep it served and early enough.
    served_outside = sc.outside.shifts_of()
    for q, qs in served_outside.items():
        if q in m.orders or not qs:
            continue
        for p in inst.orders[q].after:
            if p in m.orders:
                cp.add(m.orders[p].served == 1)
                cp.add(m.orders[p].start + inst.orders[p].duration <= sc.outside.start[q])


def parts(m: Model) -> None:
    """Parts taken from a van never exceed its stock less what is used outside the scope."""
    inst, cp = m.inst, m.cp
    use: dict[int, dict[str, list[cp_model.LinearExprT]]] = {}
    for o, ov in m.orders.items():
        for part, qty in inst.orders[o].parts.items():
            for s, p in ov.provide.items():
                use.setdefault(inst.shifts[s].tech, {}).setdefault(part, []).append(qty * p)
    for tech, by_part in use.items():
        stock = inst.techs[tech].parts
        used = m.scope.parts_used.get(tech, {})
        for part, terms in by_part.items():
            cp.add(sum(terms) <= stock.get(part, 0) - used.get(part, 0))


ConstraintFamily = Callable[[Model], None]

CONSTRAINTS: list[ConstraintFamily] = [
    order_variables,  # first: every later family refers to order variables
    assignment,
    route_variables,  # needs the visit literals to know each route's nodes
    circuit,
    timing,  # defines leave times and route travel, used by breaks and the objective
    breaks,
    dependencies,
    parts,
]
"""The model, family by family, in the order they must be added."""
