"""A generated day's draft written as contract JSON (`benchmarks.generator`), with stable
formatting for the committed examples."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.catalog import DEPOT_ONLY_EQUIPMENT
from benchmarks.drafts import OrderDraft, TechDraft, lunch_start


def instant(date: str, utc_offset: str, minute: int) -> str:
    """`date` plus `minute` minutes (negative = days before) as an ISO 8601 instant."""
    from datetime import date as date_type
    from datetime import timedelta

    day = date_type.fromisoformat(date) + timedelta(days=minute // 1440)
    minute %= 1440
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{utc_offset}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def _latlon(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1]}


def technician_json(t: TechDraft, at: Any) -> dict[str, Any]:
    lunch = lunch_start(t)
    shift: dict[str, Any] = {
        "id": f"{t.id}-1",
        "start": at(t.shift[0]),
        "end": at(t.shift[1]),
        "start_location": _latlon(t.home),
        "max_overtime": _duration(t.max_overtime) if t.max_overtime else "PT0S",
        "breaks": [
            {"earliest_start": at(lunch), "latest_end": at(lunch + 120), "duration": "PT30M"}
        ],
    }
    if t.on_call:
        shift["breaks"], shift["on_call"] = [], True
    return {
        "id": t.id,
        "name": t.name,
        "skills": t.skills,
        "shifts": [shift],
        "equipment": t.equipment,
        "parts": dict(sorted(t.parts.items())),
    }


def order_json(o: OrderDraft, at: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": o.id,
        "kind": o.job.kind,
        "location": _latlon(o.location),
        "duration": _duration(o.minutes),
        "required_skills": o.skills,
    }
    if o.equipment:
        out["required_equipment"] = o.equipment
    if o.parts:
        out["required_parts"] = o.parts
    if o.windows:
        out["time_windows"] = [{"start": at(a), "end": at(b)} for a, b in o.windows]
    out["priority"] = o.priority
    if o.created_at is not None:
        out["created_at"] = at(o.created_at)
    if o.due is not None:
        out["due"] = at(o.due)
    if o.crew_size > 1:
        out["crew_size"] = o.crew_size
    if o.after:
        out["after"] = o.after
    if o.preferred:
        out["preferred_technicians"] = o.preferred
    if o.mandatory:
        out["mandatory"] = True
    if o.pinned is not None:
        out["pinned"] = {"technician": o.pinned[0], "start": at(o.pinned[1])}
    if o.linked is not None:
        out["linked"] = [{"order": o.linked, "min_gap": "PT0S", "max_gap": "PT0S"}]
    return out


def depot_json(
    location: tuple[float, float],
    i: int,
    orders: list[OrderDraft],
    techs: list[TechDraft],
    at: Any,
) -> dict[str, Any]:
    """A depot with enough special equipment and parts for its region's day, and some slack."""
    region_orders = [o for o in orders if o.region == i]
    equipment: dict[str, int | None] = {}
    for item in DEPOT_ONLY_EQUIPMENT:
        used = sum(item in o.equipment for o in region_orders)
        equipment[item] = max(1, min(used, 3)) + (1 if item in ("otdr", "fusion-splicer") else 0)
    equipment["optical-power-meter"] = 2
    equipment["climbing-kit"] = None
    parts: dict[str, int | None] = {}
    for o in region_orders:
        for part, qty in o.parts.items():
            parts[part] = (parts.get(part) or 0) + qty
    parts = {p: q + 4 if q is not None else None for p, q in sorted(parts.items())}
    parts["sc-apc-connector"] = None  # bulk stock
    return {
        "id": f"DEP-{i + 1}",
        "location": _latlon(location),
        "opening": {"start": at(7 * 60), "end": at(19 * 60)},
        "visit_duration": "PT10M",
        "equipment": equipment,
        "parts": parts,
    }


def dump_day(day: dict[str, Any]) -> str:
    """The JSON text of a generated day, as committed in `examples/` (stable formatting)."""
    return json.dumps(day, indent=2, ensure_ascii=False) + "\n"
