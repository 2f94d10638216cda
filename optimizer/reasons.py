"""Why an order is not served: static reasons found before solving, and the reasons found
after it (`dependency`, `capacity`, `not_worth_it`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from models.plan import Reason
from optimizer.cp.constraints import fit_windows
from optimizer.instance import Instance
from optimizer.schedule import schedule


def static_reasons(inst: Instance, orders: Iterable[int] | None = None) -> dict[int, list[Reason]]:
    """Orders that no plan can serve, each with every reason that alone rules it out.

    With `orders`, only those are looked at, and the orders they wait for or are linked to
    (directly or through others): their reasons are the same as when all are looked at."""
    out: dict[int, list[Reason]] = {}
    scope = range(len(inst.orders)) if orders is None else _with_prerequisites(inst, orders)
    depots = [_reachable_depots(inst, t) for t in range(len(inst.techs))]
    for o in scope:
        reasons = _order_reasons(inst, o, depots)
        if reasons:
            out[o] = reasons
    within = set(scope)
    for o, reason in _gap_reasons(inst).items():
        if o in within:
            out.setdefault(o, [reason])
    # An order waiting for, or linked to, an order that can never be served cannot be served
    # either (linked orders are served both or neither).
    changed = True
    while changed:
        changed = False
        for o in scope:
            order = inst.orders[o]
            if o in out:
                continue
            blocked = [inst.orders[p].id for p in order.after if p in out]
            partners = [inst.orders[p].id for p, _, _ in order.links if p in out]
            if blocked:
                detail = f"It must follow {', '.join(blocked)}, which cannot be served."
            elif partners:
                detail = (
                    f"It is linked to {', '.join(partners)}, which cannot be served; linked "
                    "orders are served together or not at all."
                )
            else:
                continue
            out[o] = [Reason(code="dependency", detail=detail)]
            changed = True
    return out


def _with_prerequisites(inst: Instance, orders: Iterable[int]) -> list[int]:
    """The orders, and every order they wait for or are linked to, directly or through
    others, in index order."""
    seen = set(orders)
    todo = list(seen)
    while todo:
        order = inst.orders[todo.pop()]
        for p in [*order.after, *(p for p, _, _ in order.links)]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return sorted(seen)


def _gap_reasons(inst: Instance) -> dict[int, Reason]:
    """Linked orders whose windows (or pinned starts) leave no pair of starts within the
    link's gap: both get a `time_window` reason naming the other."""
    out: dict[int, Reason] = {}
    for o, order in enumerate(inst.orders):
        for p, lo, hi in order.links:
            mine, theirs = _starts(inst, o), _starts(inst, p)
            # Some start pair has lo <= (this start - that start) <= hi.
            if not any(a - d <= hi and b - c >= lo for a, b in mine for c, d in theirs):
                out[o] = Reason(
                    code="time_window",
                    detail=f"Its windows and those of {inst.orders[p].id}, linked to it, leave "
                    "no pair of starts within the link's gap.",
                )
    return out


def _starts(inst: Instance, o: int) -> list[tuple[int, int]]:
    """The ranges an order may start in: its windows, or its pinned start."""
    order = inst.orders[o]
    if order.pin_start is not None:
        return [(order.pin_start, order.pin_start)]
    return order.windows


def _order_reasons(inst: Instance, o: int, reachable: list[list[int]]) -> list[Reason]:
    order = inst.orders[o]
    reasons: list[Reason] = []
    qualified = np.flatnonzero(inst.qualified[o]).tolist()
    if order.pin_tech is not None and order.pin_tech not in qualified:
        name = inst.techs[order.pin_tech].id
        return [
            Reason(
                code="no_qualified_technician",
                detail=f"The pinned technician {name} lacks a required skill level.",
            )
        ]
    if not qualified:
        need = ", ".join(f"{k} {v}" for k, v in sorted(order.skills.items()))
        return [Reason(code="no_qualified_technician", detail=f"No technician holds {need}.")]
    if len(qualified) < order.crew:
        reasons.append(
            Reason(
                code="crew",
                detail=f"It needs a crew of {order.crew}; only {len(qualified)} are qualified.",
            )
        )
    depots = {t: reachable[t] for t in qualified}
    # Whether any qualified technician can get the equipment and parts (the first one found
    # is enough).
    has_equipment = any(
        order.equipment <= inst.techs[t].equipment
        or any(
            all(inst.depots[d].has_equipment(e) for e in order.equipment - inst.techs[t].equipment)
            for d in depots[t]
        )
        for t in qualified
    )
    if order.equipment and not has_equipment:
        reasons.append(
            Reason(
                code="no_equipment",
                detail="Neither a qualified technician's van nor a depot they can reach has "
                + ", ".join(sorted(order.equipment))
                + ".",
            )
        )
    has_parts = not order.parts or any(
        any(
            all(
                inst.techs[t].parts.get(k, 0) + (inst.depots[d].part_limit(k) if d >= 0 else 0)
                >= q
                for k, q in order.parts.items()
            )
            for d in [-1, *depots[t]]
        )
        for t in qualified
    )
    if not has_parts:
        need = ", ".join(f"{q} {k}" for k, q in sorted(order.parts.items()))
        reasons.append(
            Reason(
                code="no_parts",
                detail=f"Neither a qualified technician's van nor a depot they can reach holds "
                f"{need}.",
            )
        )
    if reasons:
        return reasons
    van_ok, supply_ok = inst.van_ok[o].tolist(), inst.supply_ok[o].tolist()
    providers = [t for t in qualified if van_ok[t] or (supply_ok[t] and depots[t])]
    if order.pin_start is not None and not any(
        ws <= order.pin_start <= we for ws, we in order.windows
    ):
        return [Reason(code="time_window", detail="Its pinned start lies outside its windows.")]
    members = qualified if order.crew > 1 else providers
    if order.pin_tech is not None and order.crew == 1:
        members = [t for t in members if t == order.pin_tech]
    every = [s for t in members for s in inst.techs[t].shifts]
    # On-call shifts take only emergencies and priority-1 orders.
    shifts = [s for s in every if inst.on_call_ok(o, s)]
    on_call = Reason(
        code="outside_shifts",
        detail="The only qualified technicians who could do it are on call, and on-call "
        "shifts take only emergencies and priority-1 orders.",
    )
    if not any(_overlaps(inst, o, s) for s in shifts):
        if len(shifts) < len(every) and any(_overlaps(inst, o, s) for s in every):
            return [on_call]
        return [
            Reason(
                code="outside_shifts",
                detail="None of its windows meets a shift of a technician who could do it.",
            )
        ]
    fitting = _fitting(inst, o, shifts)
    if len(fitting) < order.crew and len(_fitting(inst, o, every)) >= order.crew:
        return [on_call]
    if not fitting:
        breaks = _fitting(inst, o, shifts, breaks=False)
        return [
            Reason(
                code="time_window",
                detail="No qualified technician can reach it, do it and get back within a "
                "window and a shift"
                + (", their breaks taken in their windows." if breaks else "."),
            )
        ]
    if order.crew > 1:
        # A provider supplies from the van or with a depot stop, as insertion places crews.
        fit_providers = [t for t in fitting if t in providers]
        if len(fitting) < order.crew or not fit_providers:
            return [
                Reason(
                    code="crew",
                    detail=f"Only {len(fitting)} qualified technicians can be there in a window; "
                    f"it needs {order.crew}"
                    + ("" if fit_providers else ", one of them with its equipment and parts")
                    + ".",
                )
            ]
    return []


def _fitting(inst: Instance, o: int, shifts: list[int], breaks: bool = True) -> set[int]:
    """Technicians with a shift among `shifts` that can reach order o in a window, do it
    (with the shift's breaks taken) and get back in time (for a one-technician order, the
    first one found is enough)."""
    fits = (
        inst.shifts[s].tech
        for s in shifts
        if fit_windows(inst, o, s) and (not breaks or _alone(inst, o, s))
    )
    if inst.orders[o].crew == 1:
        first = next(fits, None)
        return set() if first is None else {first}
    return set(fits)


def _alone(inst: Instance, o: int, s: int) -> bool:
    """Order o alone fits shift s, breaks taken in their windows (straight there, or through
    a depot, which a van that lacks something must visit)."""
    stops = [None] + [(d, 0) for d in range(len(inst.depots))]
    return any(schedule(inst, s, [o], depot=stop) is not None for stop in stops)


def _reachable_depots(inst: Instance, t: int) -> list[int]:
    """Depots that some shift of technician t can stop at (open while the shift lasts)."""
    out = []
    for d, dep in enumerate(inst.depots):
        for s in inst.techs[t].shifts:
            sh = inst.shifts[s]
            if sh.max_depot_visits == 0:
                continue
            earliest = max(dep.open_start, sh.start + inst.t(sh.start_loc, dep.loc))
            latest = min(
                dep.open_end - dep.duration,
                sh.end + sh.max_overtime - dep.duration - inst.t(dep.loc, sh.end_loc),
            )
            if earliest <= latest:
                out.append(d)
                break
    return out


def _overlaps(inst: Instance, o: int, s: int) -> bool:
    sh = inst.shifts[s]
    return any(
        ws <= sh.end + sh.max_overtime and we >= sh.start for ws, we in inst.orders[o].windows
    )


def order_reasons(inst: Instance, o: int) -> list[Reason]:
    """Every static reason that alone rules order o out (`static_reasons` for one order,
    without the orders it waits for); empty when none does."""
    depots = [_reachable_depots(inst, t) for t in range(len(inst.techs))]
    return _order_reasons(inst, o, depots)
