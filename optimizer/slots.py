"""Appointment slots for a new order: which candidate windows the running plan can take it
in, and the best ways to fit it in each.

Each candidate window becomes one copy of the order with that window as its only time
window, added to the plan's unstarted part at `now` as re-planning sees it (started and
frozen work stays as it is, `optimizer.replan`). One residual instance and one inserter
(`optimizer.inserter`) then price every window: the cheapest insertion of each copy per
technician, as `recommend` does for one order, without dropping other work. Capacity held
for other bookings is placed first, so it counts as taken. A crew order is fitted at a common
start on the routes of `crew_size` technicians, the lead supplying it from the van.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.common import Window
from models.plan import Change, Plan, Reason
from models.problem import Order, Problem
from models.slots import SlotOffer, SlotOption
from models.validation import FieldError, InvalidInput, location_error, used_locations
from optimizer.context import Context
from optimizer.cp.build import eligible_for
from optimizer.inserter import Inserter
from optimizer.instance import SCALE, Instance, compile_problem
from optimizer.reasons import order_reasons
from optimizer.replan.freeze import fold_frozen, freeze
from optimizer.replan.recommend import _arrival
from optimizer.replan.residual import previous_solution, residual_problem
from optimizer.schedule import Timed, fixed_start, route_cost, schedule
from optimizer.solution import Solution
from optimizer.travel import TravelMatrix, extended

MAX_WINDOWS = 96
"""Most candidate windows one request may ask about."""


@dataclass(frozen=True)
class Hold:
    """Capacity held for another booking: its order, the window booked and the technicians
    it is held with (the lead first)."""

    order: Order
    window: Window
    technicians: tuple[str, ...]


@dataclass
class _Fit:
    """One way to fit an order: its cost, and per crew member (lead first) the shift and its
    route timed with the order in it."""

    delta: int
    members: list[tuple[int, Timed]]


def tile_windows(start: datetime, end: datetime, length: timedelta) -> list[Window]:
    """Back-to-back windows of `length` from `start`, the last one ending by `end`."""
    if length <= timedelta(0):
        raise ValueError("the window length must be positive")
    out: list[Window] = []
    t = start
    while t + length <= end and len(out) <= MAX_WINDOWS:
        out.append(Window(start=t, end=t + length))
        t += length
    return out


def check_slot_request(problem: Problem, order: Order, windows: Sequence[Window]) -> None:
    """Raise `InvalidInput` with every reason the order and windows cannot be offered slots
    (paths `order...` and `windows`)."""
    errors: list[FieldError] = []
    known = {o.id for o in problem.orders}
    techs = {t.id for t in problem.technicians}
    if order.id in known:
        errors.append(FieldError("order.id", f"order '{order.id}' is already in the plan"))
    if order.time_windows:
        errors.append(
            FieldError("order.time_windows", "a slot order has no time windows: they are offered")
        )
    if order.pinned is not None:
        errors.append(FieldError("order.pinned", "a slot order cannot be pinned"))
    if order.linked:
        errors.append(FieldError("order.linked", "a slot order cannot be linked to others"))
    wrong = location_error(problem, order.location)
    if wrong is not None:
        errors.append(FieldError("order.location", wrong))
    for i, tid in enumerate(order.preferred_technicians):
        if tid not in techs:
            errors.append(
                FieldError(f"order.preferred_technicians[{i}]", f"unknown technician '{tid}'")
            )
    for i, oid in enumerate(order.after):
        if oid not in known:
            errors.append(FieldError(f"order.after[{i}]", f"unknown order '{oid}'"))
    if order.crew_size > len(techs):
        errors.append(
            FieldError("order.crew_size", f"a crew of {order.crew_size} needs more technicians")
        )
    if not windows:
        errors.append(FieldError("windows", "give at least one candidate window"))
    if len(windows) > MAX_WINDOWS:
        errors.append(FieldError("windows", f"at most {MAX_WINDOWS} windows at once"))
    if errors:
        raise InvalidInput(errors)


def slot_offers(
    problem: Problem,
    plan: Plan,
    order: Order,
    windows: Sequence[Window],
    now: datetime,
    k: int = 3,
    *,
    holds: Sequence[Hold] = (),
    tolerance: timedelta = timedelta(minutes=15),
    travel: TravelMatrix | None = None,
) -> list[SlotOffer]:
    """For each candidate window, in the order given: whether the new order fits in it as
    the day stands at `now` (with the held capacity taken), the `k` cheapest ways if it
    does, and the reason if it does not.

    `travel` may be the matrix of the problem (`TravelMatrix.from_problem`), kept from an
    earlier call: only the rows of the locations it lacks (the order's) are then computed.
    Raises `InvalidInput` for an order or windows that cannot be offered
    (`check_slot_request`).
    """
    check_slot_request(problem, order, windows)
    taken = {o.id for o in problem.orders}

    def fresh(base: str) -> str:
        name, n = base, 1
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        return name

    bare: dict[str, object] = {
        "pinned": None,
        "after": [],
        "linked": [],
        "preferred_technicians": [],
    }
    held = [
        h.order.model_copy(
            update={**bare, "id": fresh(f"held:{h.order.id}"), "time_windows": [h.window]}
        )
        for h in holds
    ]
    copies = [
        order.model_copy(update={"id": fresh(f"slot:{i}:{order.id}"), "time_windows": [w]})
        for i, w in enumerate(windows)
    ]
    updated = problem.model_copy()
    updated.orders = [*problem.orders, *held, *copies]
    frozen = freeze(updated, plan, now, [])
    updated = fold_frozen(updated, frozen)
    residual = residual_problem(updated, frozen, now)
    if travel is not None:
        travel = extended(travel, residual, (loc for _, loc in used_locations(residual)))
    context = Context(previous=plan, frozen=frozen, tolerance=tolerance)
    inst = compile_problem(residual, travel, context)
    sol = previous_solution(inst, plan, frozen)
    for h, held_order in zip(holds, held, strict=True):
        _place_hold(inst, sol, inst.order_idx[held_order.id], h.technicians)
    index = [inst.order_idx[c.id] for c in copies]
    eligible = {o: eligible_for(inst, o) for o in index}
    ins = Inserter(inst, sol, eligible, granularity=len(inst.shifts))
    # Moves are against the plan's own starts (held orders have none).
    before = {x: start for x, (_, start) in inst.baseline.items()}
    offers = []
    for window, o in zip(windows, index, strict=True):
        fits = _fits(ins, o, eligible[o])
        fits.sort(key=lambda f: (f.delta, [s for s, _ in f.members]))
        options = [_option(inst, f, o, before) for f in fits[:k]]
        reason = None if options else _reason(inst, o, window, now, bool(eligible[o]))
        offers.append(
            SlotOffer(window=window, feasible=bool(options), options=options, reason=reason)
        )
    return offers


def _fits(ins: Inserter, o: int, shifts: list[int]) -> list[_Fit]:
    """The cheapest way per technician (per crew, for a crew order) to fit o in its window."""
    inst = ins.inst
    if inst.orders[o].crew > 1:
        return _crew_fits(ins, o, shifts)
    best: dict[int, _Fit] = {}
    for s in shifts:
        found = ins.best(o, shifts=[s])
        if found is None:
            continue
        tech = inst.shifts[s].tech
        if tech not in best or found.delta < best[tech].delta:
            best[tech] = _Fit(found.delta, [(s, found.timed)])
    return list(best.values())


def _crew_fits(ins: Inserter, o: int, shifts: list[int]) -> list[_Fit]:
    """Ways to fit crew order o at one common start: the earliest starts each route allows
    are the candidates; at each, the cheapest route position per technician, and the
    cheapest crew whose lead's van holds what the order needs."""
    inst, sol = ins.inst, ins.sol
    order = inst.orders[o]
    positions: dict[int, list[tuple[int, int]]] = {}  # shift -> (delta, position) that fit
    starts: set[int] = set()
    for s in shifts:
        seq = sol.routes[s].orders if s in sol.routes else []
        lower = ins._lower(seq)  # crew orders already planned keep their starts
        for pos in range(len(seq) + 1):
            timed = schedule(inst, s, [*seq[:pos], o, *seq[pos:]], lower)
            if timed is not None:
                positions.setdefault(s, []).append(
                    (route_cost(inst, timed) - ins.cost.get(s, 0), pos)
                )
                starts.add(timed.starts[pos])
    fits: dict[frozenset[int], _Fit] = {}
    for t in sorted(starts)[: ins.moves.slot_crew_starts]:
        per_tech: dict[int, tuple[int, int, Timed]] = {}  # tech -> (delta, shift, timed)
        for s, found in positions.items():
            seq = sol.routes[s].orders if s in sol.routes else []
            lower = {**ins._lower(seq), o: fixed_start(t)}
            for _, pos in sorted(found):
                timed = schedule(inst, s, [*seq[:pos], o, *seq[pos:]], lower)
                if timed is None:
                    continue
                delta = route_cost(inst, timed) - ins.cost.get(s, 0)
                tech = inst.shifts[s].tech
                if tech not in per_tech or delta < per_tech[tech][0]:
                    per_tech[tech] = (delta, s, timed)
                break
        ranked = sorted(per_tech.items(), key=lambda x: (x[1][0], x[1][1]))
        leads = [x for x in ranked if inst.van_ok[o, x[0]]]
        if len(ranked) < order.crew or not leads:
            continue
        crew = [leads[0], *[x for x in ranked if x is not leads[0]][: order.crew - 1]]
        key = frozenset(tech for tech, _ in crew)
        total = sum(fit[0] for _, fit in crew)
        if key not in fits or total < fits[key].delta:
            fits[key] = _Fit(total, [(s, timed) for _, (_, s, timed) in crew])
    return list(fits.values())


def _place_hold(inst: Instance, sol: Solution, o: int, technicians: tuple[str, ...]) -> None:
    """Put held order o into the routes of the technicians it is held with, at its cheapest
    place (left out when it no longer fits there)."""
    techs = {inst.tech_idx[t] for t in technicians if t in inst.tech_idx}
    shifts = [s for s in eligible_for(inst, o) if inst.shifts[s].tech in techs]
    ins = Inserter(inst, sol, {o: shifts}, granularity=len(inst.shifts))
    if inst.orders[o].crew == 1:
        found = ins.best(o, shifts=shifts)
        if found is not None:
            ins.apply(found)
        return
    fits = _crew_fits(ins, o, shifts)
    if not fits:
        return
    best = min(fits, key=lambda f: f.delta)
    for s, timed in best.members:
        sol.routes[s] = timed.route
        for x, st in zip(timed.route.orders, timed.starts, strict=True):
            sol.start[x] = st
    sol.provider[o] = best.members[0][0]


def _option(inst: Instance, fit: _Fit, o: int, before: dict[int, int]) -> SlotOption:
    """A fit as the dispatcher sees it: who, when, at what cost, what else moves."""
    lead, timed = fit.members[0]
    pos = timed.route.orders.index(o)
    start = timed.starts[pos]
    moves = []
    for s, member in fit.members:
        tid = inst.techs[inst.shifts[s].tech].id
        for x, st in zip(member.route.orders, member.starts, strict=True):
            if x in before and abs(st - before[x]) > inst.tolerance:
                moves.append(
                    Change(
                        order=inst.orders[x].id,
                        from_technician=tid,
                        to_technician=tid,
                        old_start=inst.instant(before[x]),
                        new_start=inst.instant(st),
                    )
                )
    due = inst.orders[o].due
    return SlotOption(
        technician=inst.techs[inst.shifts[lead].tech].id,
        crew=[inst.techs[inst.shifts[s].tech].id for s, _ in fit.members],
        shift=inst.shifts[lead].id,
        arrival=inst.instant(_arrival(inst, timed, pos)),
        start=inst.instant(start),
        end=inst.instant(start + inst.orders[o].duration),
        cost_delta=fit.delta / (60 * SCALE),
        sla_slack=None if due is None else timedelta(seconds=due - start),
        moves=moves,
    )


def _reason(inst: Instance, o: int, window: Window, now: datetime, eligible: bool) -> Reason:
    """Why copy o of the order does not fit in its window."""
    if window.end < now:
        return Reason(code="time_window", detail="The window is over by now.")
    static = order_reasons(inst, o)
    if static:
        return static[0]
    if not eligible:
        return Reason(
            code="time_window",
            detail="No technician who could do it can be there within the window.",
        )
    return Reason(
        code="capacity",
        detail="Every technician who could do it is booked through the window "
        "(held slots count as booked).",
    )
