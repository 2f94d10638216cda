"""The objective: named weighted terms, in SCALE units (see `optimizer.instance`)."""

from __future__ import annotations

import itertools

from optimizer.cp.variables import LinearExpr, Model
from optimizer.instance import Instance
from optimizer.kernel import route_price
from optimizer.solution import RouteSol, Solution
from optimizer.timing import lateness

MUST_SERVE_FACTOR = 1000
"""A mandatory or pinned order left out costs this many times the largest unassigned weight."""


def unassigned_cost(inst: Instance, o: int) -> int:
    """Cost of leaving order o out (mandatory and pinned orders cost far more than any other)."""
    order = inst.orders[o]
    cost = inst.c_unassigned[order.priority - 1]
    if o in inst.baseline:
        cost += inst.c_change  # dropping planned work is a change too
    if order.mandatory or order.pin_tech is not None or order.pin_start is not None:
        cost += MUST_SERVE_FACTOR * max(max(inst.c_unassigned), 1)
    return cost


def objective(m: Model) -> None:
    """Build every weighted term and minimise their sum."""
    inst, cp = m.inst, m.cp
    terms = m.terms
    terms["travel"] = inst.c_travel * sum(rv.travel for rv in m.routes.values())
    terms["overtime"] = inst.c_overtime * sum(rv.overtime for rv in m.routes.values())
    terms["technician_used"] = inst.c_used * sum(rv.used for rv in m.routes.values())
    if inst.c_idle:
        idle = []
        for s, rv in m.routes.items():
            service = sum(inst.orders[o].duration * m.orders[o].visit[s] for o in rv.nodes)
            breaks = sum(br.duration for br in inst.shifts[s].breaks) * rv.used
            stops = sum(inst.depots[d].duration * lit for d, lit in rv.depot_visit.items())
            idle.append(rv.ret - rv.depart - rv.travel - service - breaks - stops)
        terms["idle"] = inst.c_idle * sum(idle)
    pref = []
    for o, ov in m.orders.items():
        preferred = inst.orders[o].preferred
        if preferred:
            pref += [v for s, v in ov.visit.items() if inst.shifts[s].tech not in preferred]
    terms["preference"] = inst.c_preference * sum(pref)
    terms["unassigned"] = sum(
        unassigned_cost(inst, o) * (1 - m.orders[o].served) for o in m.scope.orders
    )
    late = []
    for o in m.scope.orders:
        order, ov = inst.orders[o], m.orders[o]
        if order.due is None or not ov.visit:
            continue
        ov.late = cp.new_int_var(0, inst.horizon, f"late_{o}")
        cp.add(ov.late >= ov.start - order.due).only_enforce_if(ov.served)
        late.append(inst.c_lateness[order.priority - 1] * ov.late)
    terms["lateness"] = sum(late)
    terms["max_lateness"] = _max_lateness(m)
    terms["change"] = _changes(m)
    cp.minimize(sum(terms.values()))


def _max_lateness(m: Model) -> LinearExpr:
    """The largest lateness over all served orders: at least each scope order's lateness and
    the largest of the orders the scope does not decide (fixed or outside, at their starts)."""
    inst, cp, sc = m.inst, m.cp, m.scope
    if not inst.c_max_lateness:
        return 0
    free = set(sc.orders)
    floor = max_lateness(inst, sc.outside, skip=free)
    m.max_late = cp.new_int_var(floor, max(floor, inst.horizon), "max_late")
    for o in sc.orders:
        late = m.orders[o].late
        if late is not None:
            cp.add(m.max_late >= late)
    return inst.c_max_lateness * m.max_late


def max_lateness(inst: Instance, sol: Solution, skip: set[int] | None = None) -> int:
    """Seconds of the largest lateness over the orders the solution serves (but `skip`)."""
    worst = 0
    orders, start = inst.orders, sol.start
    for o in {o for r in sol.routes.values() for o in r.orders}:
        due = orders[o].due
        if due is not None and (skip is None or o not in skip):
            worst = max(worst, start[o] - due)
    return worst


def _changes(m: Model) -> LinearExpr:
    """Orders served otherwise than in the previous plan (re-planning only)."""
    inst, cp = m.inst, m.cp
    if not inst.prev_known or not inst.c_change:
        return 0
    out = []
    for o in m.scope.orders:
        if o not in inst.prev_known:
            continue
        ov = m.orders[o]
        base = inst.baseline.get(o)
        if base is None:
            out.append(inst.c_change * ov.served)  # newly served
            continue
        techs, start = base
        changed = cp.new_bool_var(f"changed_{o}")
        keep = changed.Not()
        for s, v in ov.visit.items():
            if inst.shifts[s].tech not in techs:
                cp.add_implication(v, changed)
        for t in techs:
            mine = [v for s, v in ov.visit.items() if inst.shifts[s].tech == t]
            cp.add(sum(mine) >= 1).only_enforce_if([keep, ov.served])
        cp.add(ov.start >= start - inst.tolerance).only_enforce_if([keep, ov.served])
        cp.add(ov.start <= start + inst.tolerance).only_enforce_if([keep, ov.served])
        out.append(inst.c_change * changed)
    return sum(out)


RouteKey = tuple[int, tuple[int, ...], int, int, tuple[int, int, int] | None]
"""A route as a `solution_cost` memo keys it: shift, orders, departure, return, depot stop."""


def solution_cost(inst: Instance, sol: Solution, memo: dict[RouteKey, int] | None = None) -> int:
    """The objective of a whole solution in SCALE units, as the model would count it.

    `memo` keeps each route's part between calls (a search prices many solutions that
    differ in a few routes)."""
    # Who serves an order matters only in a re-plan (the cost of changing it).
    served: dict[int, list[int]] | set[int] = (
        sol.shifts_of() if inst.prev_known else {o for r in sol.routes.values() for o in r.orders}
    )
    cost = 0
    for s, r in sol.routes.items():
        if not r.orders:
            continue
        if memo is None:
            cost += route_part(inst, s, r)
            continue
        key = (s, tuple(r.orders), r.depart, r.ret, r.depot)
        part = memo.get(key)
        if part is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            part = memo[key] = route_part(inst, s, r)
        cost += part
    for o in range(len(inst.orders)):
        if o not in served:
            cost += unassigned_cost(inst, o)
            continue
        if isinstance(served, dict):
            techs = frozenset(inst.shifts[s].tech for s in served[o])
            cost += order_part(inst, o, sol.start[o], techs)
        else:
            cost += lateness(inst, o, sol.start[o])
    if inst.c_max_lateness:
        # A global maximum: no route's or order's part can hold it.
        cost += inst.c_max_lateness * max_lateness(inst, sol)
    return cost


def order_part(inst: Instance, o: int, start: int, techs: frozenset[int] | None) -> int:
    """What served order o adds to the objective: lateness past its due time and, in a
    re-plan, the cost of changing it (`techs`: who serves it)."""
    cost = lateness(inst, o, start)
    if inst.prev_known and techs is not None:
        cost += inst.change_cost(o, techs, start)
    return cost


MEMO_LIMIT = 50000
"""Most route parts a `solution_cost` memo keeps."""


def route_travel(inst: Instance, s: int, r: RouteSol) -> int:
    """Travel seconds of shift s's route r, the depot stop's legs included."""
    sh = inst.shifts[s]
    locs = [sh.start_loc] + [inst.orders[o].loc for o in r.orders] + [sh.end_loc]
    if r.depot is not None:
        locs.insert(r.depot[1] + 1, inst.depots[r.depot[0]].loc)
    return sum(inst.t(a, b) for a, b in itertools.pairwise(locs))


def route_part(inst: Instance, s: int, r: RouteSol, travel: int | None = None) -> int:
    """What shift s's non-empty route r adds to the objective: travel, use, overtime, idle
    (the depot stop's time is neither idle nor service, as the model counts it) and
    preferences, priced by the cost kernel (`optimizer.kernel.route_price`; lateness is
    the orders' part). `travel` when known, else `route_travel`."""
    if travel is None:
        travel = route_travel(inst, s, r)
    return route_price(inst, s, r, travel, 0)
