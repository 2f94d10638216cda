"""Constraint families of the CP-SAT model, one function each, applied in registry order."""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from optimizer.cp.variables import BreakVars, LinearExpr, Model, OrderVars, RouteVars
from optimizer.instance import Instance
from optimizer.supply import Pickup, supply_plan


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
            if inst.supply_ok[o, tech]:
                ov.provide[s] = ov.visit[s] if order.crew == 1 else cp.new_bool_var(f"p_{o}_{s}")
        m.orders[o] = ov
    for o, fx in sc.fixed.items():
        ov = OrderVars(served=cp.new_constant(1), start=cp.new_constant(fx.start))
        for s in fx.shifts:
            ov.visit[s] = cp.new_constant(1)
            ov.provide[s] = cp.new_constant(1 if s == fx.provider else 0)
        m.orders[o] = ov


def on_call(m: Model) -> None:
    """On-call shifts take only emergency and priority-1 orders: a free order's visit and
    provide literals on any other on-call shift are fixed to 0 and dropped, so those routes
    get no node for it. Fixed visits stay where the incumbent has them (they never move)."""
    inst, cp = m.inst, m.cp
    for o in m.scope.orders:
        ov = m.orders[o]
        for s in [s for s in ov.visit if not inst.on_call_ok(o, s)]:
            visit = ov.visit.pop(s)
            cp.add(visit == 0)
            provide = ov.provide.pop(s, None)
            if provide is not None and provide is not visit:
                cp.add(provide == 0)


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


def _depot_window(m: Model, s: int, d: int) -> tuple[int, int] | None:
    """Earliest and latest start of a stop at depot d in shift s, if it fits at all."""
    inst = m.inst
    sh, dep = inst.shifts[s], inst.depots[d]
    lo = max(dep.open_start, sh.start + inst.t(sh.start_loc, dep.loc))
    hi = min(
        dep.open_end - dep.duration,
        sh.end + sh.max_overtime - dep.duration - inst.t(dep.loc, sh.end_loc),
    )
    return (lo, hi) if lo <= hi else None


def route_variables(m: Model) -> None:
    """Per route: used, depart, return, overtime, optional depot stops, pruned arc literals."""
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
        dur = {0: 0}
        loc = {0: sh.start_loc}
        for k, o in enumerate(nodes, start=1):
            wins = fit_windows(inst, o, s) if o not in m.scope.fixed else None
            if wins:
                early[k], late[k] = wins[0][0], wins[-1][1]
            else:
                early[k] = late[k] = m.scope.fixed[o].start
            dur[k], loc[k] = inst.orders[o].duration, inst.orders[o].loc
        if sh.max_depot_visits != 0 and any(
            s in m.orders[o].provide and inst.needs_depot(o, sh.tech) for o in nodes
        ):
            for d in range(len(inst.depots)):
                window = _depot_window(m, s, d)
                if window is None:
                    continue
                k = rv.depot_node(len(rv.depots))
                rv.depots.append(d)
                rv.depot_visit[d] = cp.new_bool_var(f"dv_{s}_{d}")
                rv.depot_start[d] = cp.new_int_var(window[0], window[1], f"ds_{s}_{d}")
                early[k], late[k] = window
                dur[k], loc[k] = inst.depots[d].duration, inst.depots[d].loc
        rv.arcs[(0, 0)] = rv.used.Not()
        count = len(nodes) + len(rv.depots)
        for k in range(1, count + 1):
            if k <= len(nodes):
                rv.arcs[(k, k)] = m.orders[nodes[k - 1]].visit[s].Not()
            else:
                rv.arcs[(k, k)] = rv.depot_visit[rv.depots[k - len(nodes) - 1]].Not()
            rv.arcs[(0, k)] = cp.new_bool_var(f"x_{s}_0_{k}")
            rv.arcs[(k, 0)] = cp.new_bool_var(f"x_{s}_{k}_0")
            for j in range(1, count + 1):
                if j != k and early[k] + dur[k] + inst.t(loc[k], loc[j]) <= late[j]:
                    rv.arcs[(k, j)] = cp.new_bool_var(f"x_{s}_{k}_{j}")
        m.routes[s] = rv


def circuit(m: Model) -> None:
    """Each route is one circuit through its start/end node; a visit makes the route used."""
    for s, rv in m.routes.items():
        m.cp.add_circuit([(i, j, lit) for (i, j), lit in rv.arcs.items()])
        for o in rv.nodes:
            m.cp.add_implication(m.orders[o].visit[s], rv.used)
        if rv.depots:
            # One stop per route at most (and never more than the shift allows).
            m.cp.add(sum(rv.depot_visit.values()) <= 1)
            for lit in rv.depot_visit.values():
                m.cp.add_implication(lit, rv.used)


def _node_loc(m: Model, s: int, node: int, end: bool = False) -> int:
    sh, rv = m.inst.shifts[s], m.routes[s]
    if node == 0:
        return sh.end_loc if end else sh.start_loc
    if node > len(rv.nodes):
        return m.inst.depots[rv.depots[node - len(rv.nodes) - 1]].loc
    return m.inst.orders[rv.nodes[node - 1]].loc


def _node_start(m: Model, s: int, node: int) -> cp_model.IntVar:
    rv = m.routes[s]
    if node > len(rv.nodes):
        return rv.depot_start[rv.depots[node - len(rv.nodes) - 1]]
    return m.orders[rv.nodes[node - 1]].start


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
                done: LinearExpr = rv.depart
            else:
                o = rv.nodes[node - 1]
                done = m.orders[o].start + inst.orders[o].duration
            if with_breaks:
                leave = cp.new_int_var(sh.start, horizon, f"leave_{s}_{node}")
                if node == 0:
                    cp.add(leave >= done)
                else:
                    # Only binding when this route visits the order (it may be served by
                    # another shift, at a time outside this one).
                    cp.add(leave >= done).only_enforce_if(m.orders[o].visit[s])
                rv.leave[node] = leave
            else:
                rv.leave[node] = done
        for j, d in enumerate(rv.depots):
            rv.leave[rv.depot_node(j)] = rv.depot_start[d] + inst.depots[d].duration
        travel_terms = []
        for (i, j), lit in rv.arcs.items():
            if i == j:
                continue
            t = inst.t(_node_loc(m, s, i), _node_loc(m, s, j, end=True))
            if j == 0:
                cp.add(rv.ret >= rv.leave[i] + t).only_enforce_if(lit)
            else:
                cp.add(_node_start(m, s, j) >= rv.leave[i] + t).only_enforce_if(lit)
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
                end_p: LinearExpr = m.orders[p].start + inst.orders[p].duration
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


def links(m: Model) -> None:
    """Linked orders are served both or neither, and each link's start-to-start gap holds.

    Both in the model (free or fixed): served alike, the gap enforced when served. A partner
    outside the model stays as the incumbent has it: served there, the free order must be
    served within the gap of its start; unserved there, the free order stays out too.
    """
    inst, cp, sc = m.inst, m.cp, m.scope
    free = set(sc.orders)
    served_outside = sc.outside.shifts_of()
    for o in sc.orders:
        ov = m.orders[o]
        for p, lo, hi in inst.orders[o].links:
            if p in free and p < o:
                continue  # the pair is added once, from its lower order
            if p in m.orders:
                pv = m.orders[p]
                cp.add(ov.served == pv.served)
                cp.add(ov.start - pv.start >= lo).only_enforce_if(ov.served)
                cp.add(ov.start - pv.start <= hi).only_enforce_if(ov.served)
            elif served_outside.get(p):
                start = sc.outside.start[p]
                cp.add(ov.served == 1)
                cp.add(ov.start >= start + lo)
                cp.add(ov.start <= start + hi)
            else:
                cp.add(ov.served == 0)


def supplies(m: Model) -> None:
    """Equipment and parts: from the van, or picked up at the route's depot stop before the
    order. Parts run down over the technician's shifts in time order; depots give no more
    than they have."""
    inst, cp, sc = m.inst, m.cp, m.scope
    plan = supply_plan(inst, sc.outside) or {}
    in_scope = set(sc.shifts)
    # Which provided orders come after which depot stop.
    for o, ov in m.orders.items():
        order = inst.orders[o]
        for s, prov in ov.provide.items():
            rv = m.routes[s]
            tech = inst.shifts[s].tech
            missing = order.equipment - inst.techs[tech].equipment
            if not rv.depots or not inst.needs_depot(o, tech):
                if missing:
                    cp.add(prov == 0)
                continue
            for d in rv.depots:
                a = cp.new_bool_var(f"a_{o}_{s}_{d}")
                m.after_stop[(o, s, d)] = a
                cp.add_implication(a, prov)
                cp.add_implication(a, rv.depot_visit[d])
                dep = inst.depots[d]
                cp.add(ov.start >= rv.depot_start[d] + dep.duration).only_enforce_if(a)
            for e in missing:
                lits = [
                    m.after_stop[(o, s, d)] for d in rv.depots if inst.depots[d].has_equipment(e)
                ]
                cp.add(sum(lits) >= prov)
                for d in rv.depots:
                    if inst.depots[d].has_equipment(e):
                        key = (s, d, e)
                        if key not in m.pick:
                            m.pick[key] = cp.new_bool_var(f"pick_{s}_{d}_{e}")
                            cp.add_implication(m.pick[key], rv.depot_visit[d])
                        cp.add_implication(m.after_stop[(o, s, d)], m.pick[key])
    # Depot equipment: shifts taking one over the horizon.
    taken_outside: dict[tuple[int, str], int] = {}
    parts_outside: dict[tuple[int, str], int] = {}
    for s, pick in plan.items():
        if s in in_scope:
            continue
        d = sc.outside.routes[s].depot[0]  # type: ignore[index]
        for e in pick.equipment:
            taken_outside[(d, e)] = taken_outside.get((d, e), 0) + 1
        for k, q in pick.parts.items():
            parts_outside[(d, k)] = parts_outside.get((d, k), 0) + q
    by_depot: dict[tuple[int, str], list[cp_model.IntVar]] = {}
    for (_, d, e), lit in m.pick.items():
        by_depot.setdefault((d, e), []).append(lit)
    for (d, e), lits in by_depot.items():
        count = inst.depots[d].equipment.get(e)
        if count is not None:
            cp.add(sum(lits) <= count - taken_outside.get((d, e), 0))
    _parts(m, plan, parts_outside)


def _parts(m: Model, plan: dict[int, Pickup], parts_outside: dict[tuple[int, str], int]) -> None:
    """Cumulative parts balance of every technician with a route in scope."""
    inst, cp, sc = m.inst, m.cp, m.scope
    in_scope = set(sc.shifts)
    techs = sorted({inst.shifts[s].tech for s in sc.shifts})
    provided_outside: dict[int, list[int]] = {}
    for o, s in sc.outside.provider.items():
        if s not in in_scope:
            provided_outside.setdefault(s, []).append(o)
    picks_by: dict[tuple[int, str], list[cp_model.IntVar]] = {}
    for t in techs:
        kinds: set[str] = set()
        for s in inst.techs[t].shifts:
            if s in in_scope:
                kinds |= {k for o in m.routes[s].nodes for k in inst.orders[o].parts}
            else:
                kinds |= {k for o in provided_outside.get(s, []) for k in inst.orders[o].parts}
        for kind in sorted(kinds):
            stock = inst.techs[t].parts.get(kind, 0)
            used: list[LinearExpr] = []  # everything used in earlier shifts
            got: list[LinearExpr] = []  # everything picked up in earlier shifts
            for s in inst.techs[t].shifts:
                if s in in_scope:
                    rv = m.routes[s]
                    full, before, pick = [], [], []
                    for o in rv.nodes:
                        q = inst.orders[o].parts.get(kind, 0)
                        prov = m.orders[o].provide.get(s)
                        if not q or prov is None:
                            continue
                        full.append(q * prov)
                        after = [
                            m.after_stop[(o, s, d)] for d in rv.depots if (o, s, d) in m.after_stop
                        ]
                        before.append(q * prov - q * sum(after))
                    for d in rv.depots:
                        if inst.depots[d].part_limit(kind) > 0:
                            var = cp.new_int_var(0, 10**6, f"pq_{s}_{d}_{kind}")
                            cp.add(var == 0).only_enforce_if(rv.depot_visit[d].Not())
                            m.pick_parts[(s, d, kind)] = var
                            picks_by.setdefault((d, kind), []).append(var)
                            pick.append(var)
                    if before and pick:
                        cp.add(sum(used) + sum(before) <= stock + sum(got))
                    used += full
                    got += pick
                else:
                    route = sc.outside.routes.get(s)
                    if route is None or not route.orders:
                        continue
                    cut = route.depot[1] if route.depot is not None else len(route.orders)
                    mine = set(provided_outside.get(s, []))
                    pre = sum(
                        inst.orders[o].parts.get(kind, 0) for o in route.orders[:cut] if o in mine
                    )
                    full_q = sum(
                        inst.orders[o].parts.get(kind, 0) for o in route.orders if o in mine
                    )
                    if pre:
                        cp.add(sum(used) + pre <= stock + sum(got))
                    used.append(full_q)
                    got.append(plan[s].parts.get(kind, 0) if s in plan else 0)
                cp.add(sum(used) <= stock + sum(got))
    for (d, kind), vars_ in picks_by.items():
        limit = inst.depots[d].parts.get(kind)
        if limit is not None:
            cp.add(sum(vars_) <= limit - parts_outside.get((d, kind), 0))


ConstraintFamily = Callable[[Model], None]

CONSTRAINTS: list[ConstraintFamily] = [
    order_variables,  # first: every later family refers to order variables
    on_call,  # before anything sums or routes the visit literals it drops
    assignment,
    route_variables,  # needs the visit literals to know each route's nodes
    circuit,
    timing,  # defines leave times and route travel, used by breaks and the objective
    breaks,
    dependencies,
    links,
    supplies,
]
"""The model, family by family, in the order they must be added."""
