"""What each route picks up at its depot stop, and whether every provided order is supplied.

Equipment is picked for the rest of the shift; parts are picked just in time: at each stop,
what the technician's later orders need until the next stop, less what the van still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.instance import Instance
from optimizer.solution import RouteSol, Solution


@dataclass
class Pickup:
    """What one depot stop takes."""

    equipment: set[str] = field(default_factory=set)
    parts: dict[str, int] = field(default_factory=dict)


@dataclass
class DepotStock:
    """What the depots have left to give (None = unlimited)."""

    equipment: dict[tuple[int, str], int | None]
    parts: dict[tuple[int, str], int | None]

    @classmethod
    def full(cls, inst: Instance) -> DepotStock:
        """Every depot's stock before anything is taken."""
        return cls(
            {(d, e): n for d, dep in enumerate(inst.depots) for e, n in dep.equipment.items()},
            {(d, k): q for d, dep in enumerate(inst.depots) for k, q in dep.parts.items()},
        )

    def copy(self) -> DepotStock:
        """An independent copy."""
        return DepotStock(dict(self.equipment), dict(self.parts))

    def unlimited(self) -> bool:
        """Every depot item is unlimited: taking from this stock leaves it as it is."""
        return all(n is None for n in self.equipment.values()) and all(
            q is None for q in self.parts.values()
        )


def tech_supply(
    inst: Instance,
    tech: int,
    routes: list[RouteSol],
    provided: set[int],
    stock: DepotStock,
) -> dict[int, Pickup] | None:
    """Pick-ups of one technician's routes (in time order), taken from `stock` in place;
    None when some provided order lacks equipment or parts."""
    van = inst.techs[tech]
    if all(r.depot is None for r in routes):
        # No depot stop: the van alone supplies every order it provides.
        need: dict[str, int] = {}
        for r in routes:
            for o in r.orders:
                if o in provided:
                    order = inst.orders[o]
                    if not order.equipment <= van.equipment:
                        return None
                    for k, q in order.parts.items():
                        need[k] = need.get(k, 0) + q
        if any(van.parts.get(k, 0) < q for k, q in need.items()):
            return None
        return {}
    parts = dict(van.parts)
    # Flatten the technician's day into stops to look ahead across shifts.
    stops: list[tuple[str, int, int]] = []  # (kind, index, shift)
    for r in routes:
        for pos, o in enumerate(r.orders):
            if r.depot is not None and r.depot[1] == pos:
                stops.append(("d", r.depot[0], r.shift))
            stops.append(("o", o, r.shift))
        if r.depot is not None and r.depot[1] >= len(r.orders):
            stops.append(("d", r.depot[0], r.shift))
    out: dict[int, Pickup] = {}
    equipment: set[str] = set(van.equipment)
    shift = None
    for i, (kind, idx, s) in enumerate(stops):
        if s != shift:
            shift, equipment = s, set(van.equipment)
        if kind == "d":
            pick = Pickup()
            for k2, o2, s2 in stops[i + 1 :]:
                if s2 != s or k2 == "d":
                    break
                if o2 in provided:
                    pick.equipment |= inst.orders[o2].equipment - equipment
            for e in pick.equipment:
                left = stock.equipment.get((idx, e), 0)
                if left is not None and left <= 0:
                    return None
                if left is not None:
                    stock.equipment[(idx, e)] = left - 1
            equipment |= pick.equipment
            ahead: dict[str, int] = {}  # parts the orders up to the next depot stop use
            for k2, o2, _ in stops[i + 1 :]:
                if k2 == "d":
                    break
                if o2 in provided:
                    for k, q in inst.orders[o2].parts.items():
                        ahead[k] = ahead.get(k, 0) + q
            for k, q in ahead.items():
                short = q - parts.get(k, 0)
                left = stock.parts.get((idx, k), 0)
                take = short if left is None else min(short, left)
                if take > 0:
                    pick.parts[k] = take
                    parts[k] = parts.get(k, 0) + take
                    if left is not None:
                        stock.parts[(idx, k)] = left - take
            out[s] = pick
            continue
        if idx not in provided:
            continue
        order = inst.orders[idx]
        if not order.equipment <= equipment:
            return None
        for k, q in order.parts.items():
            if parts.get(k, 0) < q:
                return None
            parts[k] -= q
    return out


def supply_plan(inst: Instance, sol: Solution) -> dict[int, Pickup] | None:
    """Pick-ups of every depot stop of the solution; None if something is not supplied."""
    stock = DepotStock.full(inst)
    out: dict[int, Pickup] = {}
    by_tech: dict[int, list[RouteSol]] = {}
    for s in sorted(sol.routes):
        if sol.routes[s].orders:
            by_tech.setdefault(inst.shifts[s].tech, []).append(sol.routes[s])
    provided_by: dict[int, set[int]] = {}
    for o, s in sol.provider.items():
        provided_by.setdefault(inst.shifts[s].tech, set()).add(o)
    for t, routes in by_tech.items():
        got = tech_supply(inst, t, routes, provided_by.get(t, set()), stock)
        if got is None:
            return None
        out.update(got)
    return out
