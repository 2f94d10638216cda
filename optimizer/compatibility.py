"""Which technician can serve which order, as (order, technician) tables computed with numpy:
qualified (skill levels), van_ok (the van holds the equipment and parts) and supply_ok (or a
depot makes up what it lacks); and the same tables reused row by row from a kept day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from optimizer.instance import DepotData, Instance, OrderData, TechData


def compatibility(
    orders: list[OrderData],
    techs: list[TechData],
    depots: list[DepotData],
    qualified: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """qualified (unless given), van_ok and supply_ok for every (order, technician), with
    numpy; equipment as bit masks (an (order, technician) array, not a cube per kind)."""
    if qualified is None:
        skills = sorted(
            {k for o in orders for k in o.skills} | {k for t in techs for k in t.skills}
        )
        need = _matrix([o.skills for o in orders], skills)
        have = _matrix([t.skills for t in techs], skills)
        qualified = _every(need[:, None, :] <= have[None, :, :])
    kinds = sorted(
        {e for o in orders for e in o.equipment}
        | {e for t in techs for e in t.equipment}
        | {e for d in depots for e in d.equipment}
    )
    bit = {e: 1 << i for i, e in enumerate(kinds)}
    mask = np.int64 if len(kinds) < 63 else object  # Python integers beyond 62 kinds

    def bits(held: Iterable[str]) -> int:
        return sum(bit[e] for e in held)

    wants = np.array([bits(o.equipment) for o in orders], dtype=mask)
    holds = np.array([bits(t.equipment) for t in techs], dtype=mask)
    lacking = wants[:, None] & ~holds[None, :]  # (O, T): the kinds t's van lacks for o
    parts = sorted(
        {k for o in orders for k in o.parts}
        | {k for t in techs for k in t.parts}
        | {k for d in depots for k in d.parts}
    )
    req = _matrix([o.parts for o in orders], parts)
    stock = _matrix([t.parts for t in techs], parts)
    van_ok = (lacking == 0) & _every(req[:, None, :] <= stock[None, :, :])
    supply_ok = van_ok.copy()
    for d in depots:
        lends = bits(e for e in kinds if d.has_equipment(e))
        limit = np.array([d.part_limit(k) for k in parts], dtype=float)
        equipment_ok = (lacking & ~np.array(lends, dtype=mask)) == 0
        parts_ok = _every(req[:, None, :] <= stock[None, :, :] + limit[None, None, :])
        supply_ok |= equipment_ok & parts_ok
    return qualified, van_ok, supply_ok


def kept_compatibility(
    kept: Instance,
    rows: list[int],
    orders: list[OrderData],
    techs: list[TechData],
    depots: list[DepotData],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """`compatibility` with the rows of orders compiled alike taken from the kept day:
    qualification (the same technicians' skills), and vans and supply when no van and no
    depot changed; the rest computed."""
    if any(t.skills != k.skills for t, k in zip(techs, kept.techs, strict=True)):
        return compatibility(orders, techs, depots)
    vans_same = all(
        t.equipment == k.equipment and t.parts == k.parts
        for t, k in zip(techs, kept.techs, strict=True)
    ) and [(d.id, d.equipment, d.parts) for d in depots] == [
        (d.id, d.equipment, d.parts) for d in kept.depots
    ]
    index = np.array(rows, dtype=np.int64)
    alike = index >= 0
    fresh = [o for o, j in zip(orders, rows, strict=True) if j < 0]
    new = compatibility(fresh, techs, depots) if fresh else None
    if not vans_same:  # vans or depots as the frozen part left them: computed again
        qualified = _rows_from(kept.qualified, index, alike, new, 0)
        return compatibility(orders, techs, depots, qualified)
    return (
        _rows_from(kept.qualified, index, alike, new, 0),
        _rows_from(kept.van_ok, index, alike, new, 1),
        _rows_from(kept.supply_ok, index, alike, new, 2),
    )


def _rows_from(
    day: npt.NDArray[np.bool_],
    index: npt.NDArray[np.int64],
    alike: npt.NDArray[np.bool_],
    new: tuple[npt.NDArray[np.bool_], ...] | None,
    which: int,
) -> npt.NDArray[np.bool_]:
    """An (order, technician) array: the kept day's rows of the orders compiled alike, the
    new ones' rows from `new[which]` (in order)."""
    out = np.zeros((len(index), day.shape[1]), dtype=bool)
    out[alike] = day[index[alike]]
    if new is not None:
        out[~alike] = new[which]
    return out


def _matrix(
    rows: Sequence[Mapping[str, float | None]], names: list[str], fill: float = 0
) -> npt.NDArray[np.float64]:
    col = {n: j for j, n in enumerate(names)}
    out = np.full((len(rows), len(names)), fill, dtype=float)
    for i, row in enumerate(rows):
        for name, value in row.items():
            out[i, col[name]] = np.inf if value is None else value
    return out


def _every(cube: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """`cube.all(axis=2)`, typed: an (order, technician) array, never numpy's scalar case."""
    return cast(npt.NDArray[np.bool_], cube.all(axis=2))
