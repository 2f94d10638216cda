"""CP-SAT repair of urgent work: a mandatory, pinned or priority-1 order the search left out,
or a priority-1 order it serves late while a crew could reach it on time alone, gets a
neighbourhood of its own (the routes serving it and the nearest routes of technicians who may
serve it, everything else fixed) that CP-SAT re-decides with that order hard: served, and by
its due when it has one (when no plan of the neighbourhood has it on time, its lateness is
minimised first). The routes' other orders stay optional at their value; the model is hinted
with the current plan. A repaired plan is kept when it covers more mandatory work, or as much
at a lower objective.

Insertion-based moves (ruin and recreate, ejection chains) place one order, or one crew, at a
time into routes whose other visits stay in sequence; a repair re-sequences several routes at
once around the urgent order, which is what an on-time crew at dawn often needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from optimizer.construct import _late, insert, take_out, take_out_around, urgent
from optimizer.cp.build import CpStatus, add_hint, build, make_scope, run
from optimizer.cp.constraints import fit_windows
from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.cp.variables import Model
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.params import SolveParams
from optimizer.solution import Solution


@dataclass
class RepairStats:
    """What the repair did."""

    targets: int = 0  # urgent orders it looked at
    solves: int = 0  # CP-SAT calls
    repaired: int = 0  # neighbourhoods whose answer was kept
    deterministic_time: float = 0.0


def must_serve(inst: Instance, o: int) -> bool:
    """Order o is mandatory or pinned: a plan without it is infeasible."""
    order = inst.orders[o]
    return order.mandatory or order.pin_tech is not None or order.pin_start is not None


def on_time_alone(inst: Instance, o: int, eligible: dict[int, list[int]]) -> bool:
    """Enough distinct technicians for o's crew can each reach it by its due, leaving from
    their shift's start (a necessary condition of an on-time visit; the model decides)."""
    order = inst.orders[o]
    if order.due is None:
        return False
    techs = {
        inst.shifts[s].tech
        for s in eligible[o]
        if (wins := fit_windows(inst, o, s)) and wins[0][0] <= order.due
    }
    return len(techs) >= order.crew


def wanted(inst: Instance, sol: Solution, o: int, eligible: dict[int, list[int]]) -> bool:
    """Order o is one to repair: urgent (mandatory, pinned or priority 1), some shift may
    serve it, and it is unserved, or it (or a member of its group) is a priority-1 order
    served late that a crew could reach on time alone."""
    if not eligible[o] or not urgent(inst, o):
        return False
    if o not in sol.start:
        return True
    return any(
        inst.orders[x].priority == 1
        and (due := inst.orders[x].due) is not None
        and sol.start.get(x, 0) > due
        and on_time_alone(inst, x, eligible)
        for x in inst.linked_group(o)
    )


def targets(inst: Instance, sol: Solution, eligible: dict[int, list[int]]) -> list[int]:
    """The orders to repair (`wanted`), mandatory and pinned first, then the most valuable,
    then the earliest due; one order per crew or linked group."""
    out: list[int] = []
    seen: set[int] = set()
    for o in range(len(inst.orders)):
        if o in seen:
            continue
        seen.update(inst.linked_group(o))
        if wanted(inst, sol, o, eligible):
            out.append(o)
    out.sort(
        key=lambda o: (
            not must_serve(inst, o),
            -unassigned_cost(inst, o),
            inst.orders[o].due or inst.horizon,
            o,
        )
    )
    return out


def neighbourhood(
    inst: Instance, sol: Solution, o: int, eligible: dict[int, list[int]], k: int
) -> list[int]:
    """The shifts serving o's group now, then the eligible shifts that could reach it on time
    (then the others), nearest first by their start or stops: at least one more than its
    crew, `k` in all when there are that many."""
    group = inst.linked_group(o)
    where = sol.shifts_of()
    own: list[int] = []
    for x in group:
        own += [s for s in where.get(x, []) if s not in own]
    need = max(k, sum(inst.orders[x].crew for x in group) + 1)

    def rank(s: int, x: int) -> tuple[bool, int, int]:
        due = inst.orders[x].due
        wins = fit_windows(inst, x, s)
        late = due is not None and (not wins or wins[0][0] > due)
        loc = inst.orders[x].loc
        route = sol.routes.get(s)
        stops = [inst.orders[y].loc for y in route.orders] if route is not None else []
        gap = min(inst.t(y, loc) for y in [inst.shifts[s].start_loc, *stops])
        return (late, gap, s)

    chosen = list(own)
    for x in group:
        near = sorted((s for s in eligible[x] if s not in chosen), key=lambda s: rank(s, x))
        chosen += near[: max(need - len(chosen), inst.orders[x].crew)]
    # Then the routes nearest to the order, qualified or not, to take over the work that
    # makes room for it.
    rest = sorted(
        (s for s in range(len(inst.shifts)) if s not in chosen), key=lambda s: rank(s, o)[1:]
    )
    return chosen + rest[: max(need - len(chosen), 0)]


def room(
    inst: Instance,
    sol: Solution,
    o: int,
    shifts: list[int],
    eligible: dict[int, list[int]],
    params: SolveParams,
) -> Solution | None:
    """A start for the hard model: `sol` with o's group served on time, made by taking out of
    `shifts` the visits around the time o could be served there (those served in `shifts`
    only, neither mandatory nor pinned), placing o, then offering those visits back where
    they fit. None when o does not fit on time even so."""
    ins = Inserter(inst, sol.copy(), eligible, moves=params.moves)
    if o in ins.sol.start and take_out(ins, o) is None:
        return None
    where = ins.sol.shifts_of()
    inside = set(shifts)
    moved = take_out_around(
        ins, o, shifts, lambda x: must_serve(inst, x) or not inside >= set(where[x])
    )
    if insert(ins, o) is None or _late(inst, ins.sol, o):
        return None
    for x in sorted(moved, key=lambda y: (-unassigned_cost(inst, y), y)):
        if x not in ins.sol.start:
            insert(ins, x)
    out = ins.sol
    out.cost = solution_cost(inst, out)
    return out


class Mode(StrEnum):
    """How a repair solve holds its urgent order."""

    on_time = "on_time"  # served by its due (hard)
    earliest = "earliest"  # served, its lateness minimised before the rest of the objective
    served = "served"  # served, the objective as it is


def hold(m: Model, group: list[int], mode: Mode, sol: Solution) -> bool:
    """Make the group's free orders served (by their due in `on_time` mode), and keep every
    mandatory or pinned order that `sol` serves served: False when a member of the group is
    not among the model's free orders (no shift of the neighbourhood may serve it)."""
    inst, cp = m.inst, m.cp
    free = set(m.scope.orders)
    if not free.issuperset(group):
        return False
    for x in group:
        cp.add(m.orders[x].served == 1)
        due = inst.orders[x].due
        if mode == Mode.on_time and due is not None and inst.orders[x].priority == 1:
            cp.add(m.orders[x].start <= due)
    for x in m.scope.orders:
        if x in sol.start and must_serve(inst, x):
            cp.add(m.orders[x].served == 1)
    if mode == Mode.earliest:
        _lateness_first(m, group)
    return True


def _lateness_first(m: Model, group: list[int]) -> None:
    """Minimise the group's priority-1 lateness before the rest of the objective: a second of
    it outweighs leaving out any order that is not mandatory (those are held served)."""
    inst = m.inst
    weight = max(max(inst.c_unassigned), 1)
    late = [
        lateness
        for x in group
        if inst.orders[x].priority == 1 and (lateness := m.orders[x].late) is not None
    ]
    if late:
        m.cp.minimize(weight * sum(late) + sum(m.terms.values()))


def _next_mode(mode: Mode, status: CpStatus, kept: bool, *, unserved: bool) -> Mode | None:
    """The next solve of a neighbourhood, if any: when no plan has the order on time, one with
    it as early as it can be; when the one on time costs more than the current plan and the
    order is left out there, one with it served at whatever time pays best."""
    if kept or mode != Mode.on_time:
        return None
    if status == CpStatus.infeasible:
        return Mode.earliest
    if status in (CpStatus.optimal, CpStatus.feasible) and unserved:
        return Mode.served
    return None  # no answer in the time given: the next order's turn


def _unserved_must(inst: Instance, sol: Solution) -> int:
    """How many mandatory or pinned orders the solution leaves out."""
    return sum(1 for o in range(len(inst.orders)) if must_serve(inst, o) and o not in sol.start)


def _better(inst: Instance, new: Solution, old: Solution) -> bool:
    """`new` covers more mandatory work than `old`, or as much at a lower objective."""
    a, b = _unserved_must(inst, new), _unserved_must(inst, old)
    return a < b or (a == b and new.objective() < old.objective())


def repair(
    inst: Instance,
    sol: Solution,
    params: SolveParams,
    eligible: dict[int, list[int]],
    *,
    deadline: float,
    deterministic: float | None = None,
    pick: Callable[[int], bool] | None = None,
) -> tuple[Solution, RepairStats]:
    """The solution with its urgent orders repaired one neighbourhood at a time (see the
    module), until `deadline` (a `time.monotonic()` instant) or, when given, `deterministic`
    CP-SAT seconds in all. Each neighbourhood is solved twice at most: its order on time
    (hard, when a crew could reach it by its due), then, when no plan has it on time, with its
    lateness minimised first, or, when the plan on time costs more and the order was left
    out, served at whatever time pays best (`_next_mode`). With `pick`, only the orders it
    holds are repaired."""
    tuning = params.repair
    stats = RepairStats()
    if deadline - time.monotonic() < tuning.least_seconds:
        return sol, stats  # a loaded machine spent the time: not even the targets are sought
    best = sol.copy()
    best.cost = solution_cost(inst, best)
    spent = 0.0
    seed = params.seed or 0
    for o in targets(inst, best, eligible):
        if pick is not None and not pick(o):
            continue
        if not wanted(inst, best, o, eligible):
            continue  # an earlier repair served it (on time)
        stats.targets += 1
        group = inst.linked_group(o)
        shifts = neighbourhood(inst, best, o, eligible, tuning.routes)
        timed = any(
            inst.orders[x].priority == 1 and on_time_alone(inst, x, eligible) for x in group
        )
        mode: Mode | None = Mode.on_time if timed else Mode.served
        while mode is not None:
            left = deadline - time.monotonic()
            if left < tuning.least_seconds:
                return best, stats
            if deterministic is not None and spent >= deterministic:
                return best, stats
            # On time, the model starts from a plan with room made for the order, when one
            # is found: a hint that breaks the hard constraints leaves CP-SAT to search from
            # nothing, and in a short step it finds worse plans than the one it had.
            start = room(inst, best, o, shifts, eligible, params) if mode == Mode.on_time else None
            start = start or best
            scope = shifts + [s for s in start.shifts_of().get(o, []) if s not in shifts]
            model = build(inst, make_scope(inst, start, scope, group, eligible))
            if not hold(model, group, mode, start):
                break
            add_hint(model, start)
            det = None
            if deterministic is not None:
                det = min(tuning.step_deterministic, deterministic - spent)
            out = run(
                model,
                start,
                time_limit=left if det is not None else min(tuning.step_time, left),
                workers=params.workers or 1,
                seed=seed + stats.solves,
                deterministic_limit=det,
                light_presolve=True,
            )
            stats.solves += 1
            stats.deterministic_time += out.deterministic_time
            spent += max(out.deterministic_time, params.lns.min_step_charge)
            kept = False
            if out.solution is not None:
                out.solution.cost = solution_cost(inst, out.solution)
                kept = _better(inst, out.solution, best)
                if kept:
                    best = out.solution
                    stats.repaired += 1
            mode = _next_mode(mode, out.status, kept, unserved=o not in sol.start)
    return best, stats


def first_repair(
    inst: Instance,
    sol: Solution,
    params: SolveParams,
    eligible: dict[int, list[int]],
    *,
    deadline: float,
    deterministic: float | None = None,
) -> tuple[Solution, RepairStats]:
    """The first plan with its unserved mandatory and pinned orders, and its unserved
    priority-1 crew orders, repaired (`repair`: each order hard in a neighbourhood of the
    routes that could host it, the rest of their work optional), right after construction,
    whose insertions place one order or crew at a time. Not on a day where every order is
    mandatory (Solomon, TRSP): there an order left out is one of many that compete for room,
    which the search's neighbourhoods weigh."""
    orders = range(len(inst.orders))
    if all(must_serve(inst, o) for o in orders):
        return sol, RepairStats()

    def pick(o: int) -> bool:
        order = inst.orders[o]
        crew = order.crew > 1 or bool(order.links)
        return o not in sol.start and (must_serve(inst, o) or (order.priority == 1 and crew))

    if not any(pick(o) and eligible[o] for o in orders):
        return sol, RepairStats()
    return repair(
        inst, sol, params, eligible, deadline=deadline, deterministic=deterministic, pick=pick
    )
