"""Recommendations: the k cheapest ways to fit one new order into the running plan, bumping
others where that is cheaper; crew orders placed whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.events import Event, OrderAdded
from models.plan import Change, Plan, Recommendation
from models.problem import Order, Problem
from optimizer.budget import Budget
from optimizer.collector import collector_paused
from optimizer.cp.build import eligible_for
from optimizer.cp.objective import unassigned_cost
from optimizer.groups import GroupInsertion, best_group, is_grouped
from optimizer.insert import Insertion
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.replan.kept import KeptDay
from optimizer.replan.residual import previous_solution
from optimizer.replan.setup import residual_day
from optimizer.schedule import Timed
from optimizer.solution import Solution
from optimizer.travel import TravelMatrix


@dataclass
class _Option:
    """One way to fit the new order: the insertion, and the orders it pushes out."""

    delta: int
    insertion: Insertion
    dropped: list[int]
    before: dict[int, int]  # starts of the route's orders before the insertion


def recommend(
    problem: Problem,
    plan: Plan,
    order: Order,
    now: datetime,
    k: int = 5,
    *,
    tolerance: timedelta = timedelta(minutes=15),
    travel: TravelMatrix | None = None,
    time_limit: float | None = None,
    budget: Budget | None = None,
    day: KeptDay | None = None,
) -> list[Recommendation]:
    """The k cheapest ways to fit one new order into the running plan, best first. Where a
    route is full, dropping one of its orders of no higher priority is an option too (listed
    in the changes and priced in `cost_delta`). A crew order gets the k cheapest crews, each
    led by another technician (`crew` lists them). `travel`, `day`: as for `replan`.

    The budget is `time_limit` seconds from this call (none: no limit, the same options on
    any machine): once it is spent, no further route is tried for dropping an order and no
    further crew is looked for (the direct insertions, and the first crew, are always
    given)."""
    if budget is None and time_limit is not None:
        budget = Budget.start(time_limit)
    with collector_paused():  # a coordinator waits on it (see `optimizer.collector`)
        return _recommend(problem, plan, order, now, k, tolerance, travel, budget, day)


def _recommend(
    problem: Problem,
    plan: Plan,
    order: Order,
    now: datetime,
    k: int,
    tolerance: timedelta,
    travel: TravelMatrix | None,
    budget: Budget | None,
    day: KeptDay | None,
) -> list[Recommendation]:
    """`recommend` with its budget started."""
    added: list[Event] = [OrderAdded(type="order_added", order=order)]
    rest = residual_day(
        problem, plan, now, added, tolerance=tolerance, travel=travel, day=day, whole_day=False
    )
    frozen, residual, context = rest.frozen, rest.residual, rest.context
    inst = compile_problem(residual, context=context)
    o = inst.order_idx[order.id]
    eligible = {o: eligible_for(inst, o)}
    sol = previous_solution(inst, plan, frozen)
    if inst.orders[o].crew > 1:
        return _crew_recommendations(inst, sol, o, eligible[o], k, budget)
    ins = Inserter(inst, sol, eligible, granularity=len(inst.shifts))
    options: list[_Option] = []
    full: list[int] = []
    for s in eligible[o]:
        best = ins.best(o, shifts=[s])
        if best is not None:
            options.append(_Option(best.delta, best, [], dict(sol.start)))
        else:
            full.append(s)
    if len(options) < k:
        options += _bumping_options(ins, o, full, budget)
    options.sort(key=lambda x: (x.delta, x.insertion.shift))
    return [_recommendation(inst, opt, o) for opt in options[:k]]


def _crew_recommendations(
    inst: Instance, sol: Solution, o: int, shifts: list[int], k: int, budget: Budget | None
) -> list[Recommendation]:
    """The k cheapest crews for a new crew order, each led by another technician: the best
    crew, then the best without the leaders offered before."""
    out: list[Recommendation] = []
    leaders: set[int] = set()
    while len(out) < k and not (out and budget is not None and budget.expired()):
        eligible = {x: eligible_for(inst, x) for x in inst.linked_group(o)}
        eligible[o] = [s for s in shifts if inst.shifts[s].tech not in leaders]
        ins = Inserter(inst, sol.copy(), eligible, granularity=len(inst.shifts))
        group = best_group(ins, o)
        if group is None:
            break
        lead = group.provider[o]
        leaders.add(inst.shifts[lead].tech)
        out.append(_crew_recommendation(inst, sol, group, o, lead))
    out.sort(key=lambda r: r.cost_delta)
    return out


def _crew_recommendation(
    inst: Instance, sol: Solution, group: GroupInsertion, o: int, lead: int
) -> Recommendation:
    """One crew as a recommendation: its leader's route and the crew, with every other order
    of the crew's routes that moves."""
    timed = group.routes[lead]
    pos = timed.route.orders.index(o)
    start = timed.starts[pos]
    crew = [lead, *sorted(s for s in group.routes if s != lead)]
    changes = []
    for s in crew:
        changes += _moved(inst, group.routes[s], o, sol.start)
    due = inst.orders[o].due
    return Recommendation(
        technician=inst.techs[inst.shifts[lead].tech].id,
        shift=inst.shifts[lead].id,
        crew=[inst.techs[inst.shifts[s].tech].id for s in crew],
        arrival=inst.instant(_arrival(inst, timed, pos)),
        start=inst.instant(start),
        end=inst.instant(start + inst.orders[o].duration),
        sla_met=None if due is None else start <= due,
        cost_delta=group.delta / (60 * 100),
        changes=changes,
    )


def _bumping_options(
    ins: Inserter, o: int, shifts: list[int], budget: Budget | None = None
) -> list[_Option]:
    """For each full route, the best option that drops one order of o's priority or lower
    (each tried on a clone of the inserter of the current solution: only the route touched
    is re-timed and priced), until the budget (if any) is spent."""
    inst, sol = ins.inst, ins.sol
    out = []
    for s in shifts:
        if budget is not None and budget.expired():
            break
        route = sol.routes.get(s)
        if route is None:
            continue
        mine = inst.orders[o]
        cheaper = sorted(
            (
                x
                for x in route.orders
                if inst.orders[x].priority >= mine.priority
                and not is_grouped(inst, x)  # a crew or linked order moves only as a whole
                and not inst.orders[x].mandatory
                and inst.orders[x].pin_tech is None
                and inst.orders[x].pin_start is None
            ),
            key=lambda x: (unassigned_cost(inst, x), x),
        )
        best: _Option | None = None
        for x in cheaper[:3]:
            tins = ins.clone()
            before = tins.cost.get(s, 0)
            if not tins.remove(x):
                continue
            fit = tins.best(o, shifts=[s])
            if fit is None:
                continue
            delta = tins.cost.get(s, 0) - before + fit.delta + unassigned_cost(inst, x)
            if best is None or delta < best.delta:
                best = _Option(delta, fit, [x], dict(sol.start))
        if best is not None:
            out.append(best)
    return out


def _recommendation(inst: Instance, opt: _Option, o: int) -> Recommendation:
    best = opt.insertion
    route = best.timed.route
    pos = route.orders.index(o)
    start = best.timed.starts[pos]
    tid = inst.techs[inst.shifts[best.shift].tech].id
    changes = [
        Change(
            order=inst.orders[x].id,
            from_technician=tid,
            old_start=inst.instant(opt.before[x]),
        )
        for x in opt.dropped
    ]
    changes += _moved(inst, best.timed, o, opt.before)
    due = inst.orders[o].due
    return Recommendation(
        technician=tid,
        shift=inst.shifts[best.shift].id,
        arrival=inst.instant(_arrival(inst, best.timed, pos)),
        start=inst.instant(start),
        end=inst.instant(start + inst.orders[o].duration),
        sla_met=None if due is None else start <= due,
        cost_delta=opt.delta / (60 * 100),
        changes=changes,
    )


def _moved(inst: Instance, timed: Timed, o: int, before: dict[int, int]) -> list[Change]:
    """The orders of a timed route, other than the new order o, whose start moves by more
    than the tolerance from `before`."""
    tid = inst.techs[inst.shifts[timed.route.shift].tech].id
    return [
        Change(
            order=inst.orders[x].id,
            from_technician=tid,
            to_technician=tid,
            old_start=inst.instant(before[x]),
            new_start=inst.instant(st),
        )
        for x, st in zip(timed.route.orders, timed.starts, strict=True)
        if x != o and abs(st - before.get(x, st)) > inst.tolerance
    ]


def _arrival(inst: Instance, timed: Timed, pos: int) -> int:
    """Arrival at the pos-th order of a scheduled route."""
    r = timed.route
    sh = inst.shifts[r.shift]
    if pos == 0:
        t, loc = r.depart, sh.start_loc
        if r.depot is not None and r.depot[1] == 0:
            dep = inst.depots[r.depot[0]]
            t, loc = r.depot[2] + dep.duration, dep.loc
        for k, (bpos, bstart) in enumerate(r.breaks):
            if bpos == -1:
                t = max(t, bstart + sh.breaks[k].duration)
    else:
        prev = r.orders[pos - 1]
        t = timed.starts[pos - 1] + inst.orders[prev].duration
        loc = inst.orders[prev].loc
        for k, (bpos, bstart) in enumerate(r.breaks):
            if bpos == pos - 1:
                t = max(t, bstart + sh.breaks[k].duration)
        if r.depot is not None and r.depot[1] == pos:
            dep = inst.depots[r.depot[0]]
            t, loc = r.depot[2] + dep.duration, dep.loc
    return t + inst.t(loc, inst.orders[r.orders[pos]].loc)
