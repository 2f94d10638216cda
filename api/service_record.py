"""A day's service record: a plan's final version with every earlier one, the events that led
to each, the changes, the KPIs, the bookings and the access log, as one JSON document and as
CSV files (one per section) for the operator to archive. No FastAPI here: `dispatch record`
uses it too.

The archive (`record_zip`) holds `record.json` and `versions.csv`, `events.csv`,
`changes.csv`, `visits.csv`, `unassigned.csv`, `kpis.csv`, `offers.csv` and, when the
access log is included, `access_log.csv`; every CSV has a header row and names its version.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from typing import Any

from api.booking_db import AccessRecord, SlotOfferRecord
from api.booking_schemas import AccessEntry, RecordVersion, ServiceRecord, SlotOfferPublic
from api.booking_store import AccessFilter, BookingStore
from api.db import VersionRecord, utcnow
from api.schemas import AuthorPublic
from api.store import Store
from models import Window

ACCESS_LIMIT = 1_000_000
"""Most access log entries one record holds."""


def access_entry(record: AccessRecord) -> AccessEntry:
    """An access log entry as the API shows it."""
    return AccessEntry(
        at=record.at,
        key_id=record.key_id,
        role=record.role,
        method=record.method,
        route=record.route,
        path=record.path,
        plan_id=record.plan_id,
        status=record.status,
    )


def stored_offer(record: SlotOfferRecord) -> SlotOfferPublic:
    """A stored offer as the API shows it."""
    return SlotOfferPublic(
        id=record.id,
        plan_id=record.plan_id,
        version=record.version,
        order=str(record.order.get("id", "")),
        window=Window.model_validate(record.window),
        feasible=record.feasible,
        options=record.options,  # type: ignore[arg-type]
        reason=record.reason,  # type: ignore[arg-type]
        created_at=record.created_at,
        held_option=record.held_option,
        expires_at=record.held_until,
        booked_version=record.confirmed_version,
    )


def _version(record: VersionRecord) -> RecordVersion:
    events = record.input.get("events", []) if record.kind != "solve" else []
    return RecordVersion(
        plan_id=record.plan_id,
        number=record.number,
        kind=record.kind,  # type: ignore[arg-type]
        created_at=record.created_at,
        author=AuthorPublic(
            key_id=record.author_key, name=record.author_name, role=record.author_role
        ),
        events=list(events),
        input=record.input,
        problem=record.problem,
        plan=record.plan,  # type: ignore[arg-type]
        changes=record.changes,  # type: ignore[arg-type]
        kpis=dict(record.plan.get("kpis") or {}),
    )


def build_record(store: Store, plan_id: str, *, with_access_log: bool) -> ServiceRecord | None:
    """The service record of a plan (None for an unknown plan); the access log only when
    asked for (admins)."""
    plan = store.get_plan(plan_id)
    if plan is None:
        return None
    bookings = BookingStore(store)
    access = None
    if with_access_log:
        entries, _ = bookings.access_log(
            AccessFilter(plan_id=plan_id), limit=ACCESS_LIMIT, oldest_first=True
        )
        access = [access_entry(e) for e in entries]
    return ServiceRecord(
        plan_id=plan.id,
        problem_id=plan.problem_id,
        status=plan.status,
        exported_at=utcnow(),
        final_version=plan.version,
        versions=[_version(v) for v in store.versions(plan_id)],
        offers=[stored_offer(o) for o in bookings.offers(plan_id)],
        access_log=access,
    )


def _csv(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def _flat(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    """KPI paths and values: nested objects flattened with dots."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flat(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list):
        yield prefix, json.dumps(value)
    else:
        yield prefix, value


def record_csvs(data: dict[str, Any]) -> dict[str, str]:
    """The record (as JSON data) as CSV files by name, one per section."""
    versions = data["versions"]
    files = {
        "versions.csv": _csv(
            [
                "version",
                "kind",
                "created_at",
                "author_key",
                "author_name",
                "author_role",
                "plan_status",
                "objective",
                "routes",
                "unassigned",
                "events",
                "changes",
            ],
            (
                [
                    v["number"],
                    v["kind"],
                    v["created_at"],
                    v["author"].get("key_id"),
                    v["author"].get("name"),
                    v["author"].get("role"),
                    v["plan"]["status"],
                    v["plan"]["objective"]["value"],
                    len(v["plan"]["routes"]),
                    len(v["plan"]["unassigned"]),
                    len(v["events"]),
                    len(v["changes"]),
                ]
                for v in versions
            ),
        ),
        "events.csv": _csv(
            ["version", "index", "type", "order", "technician", "event"],
            (
                [
                    v["number"],
                    i,
                    e.get("type"),
                    e["order"].get("id") if isinstance(e.get("order"), dict) else e.get("order"),
                    e.get("technician"),
                    json.dumps(e, ensure_ascii=False),
                ]
                for v in versions
                for i, e in enumerate(v["events"])
            ),
        ),
        "changes.csv": _csv(
            ["version", "order", "from_technician", "to_technician", "old_start", "new_start"],
            (
                [
                    v["number"],
                    c["order"],
                    c.get("from_technician"),
                    c.get("to_technician"),
                    c.get("old_start"),
                    c.get("new_start"),
                ]
                for v in versions
                for c in v["changes"]
            ),
        ),
        "visits.csv": _csv(
            ["version", "technician", "shift", "order", "arrival", "start", "end", "crew"],
            (
                [
                    v["number"],
                    r["technician"],
                    r["shift"],
                    it["order"],
                    it["arrival"],
                    it["start"],
                    it["end"],
                    " ".join(it.get("crew", [])),
                ]
                for v in versions
                for r in v["plan"]["routes"]
                for it in r["items"]
                if it["type"] == "visit"
            ),
        ),
        "unassigned.csv": _csv(
            ["version", "order", "codes", "details"],
            (
                [
                    v["number"],
                    u["order"],
                    " ".join(r["code"] for r in u["reasons"]),
                    " ".join(r["detail"] for r in u["reasons"]),
                ]
                for v in versions
                for u in v["plan"]["unassigned"]
            ),
        ),
        "kpis.csv": _csv(
            ["version", "kpi", "value"],
            ([v["number"], k, x] for v in versions for k, x in _flat("", v["kpis"])),
        ),
        "offers.csv": _csv(
            [
                "offer",
                "created_at",
                "version",
                "order",
                "window_start",
                "window_end",
                "feasible",
                "options",
                "reason",
                "held_option",
                "expires_at",
                "booked_version",
            ],
            (
                [
                    o["id"],
                    o["created_at"],
                    o["version"],
                    o["order"],
                    o["window"]["start"],
                    o["window"]["end"],
                    o["feasible"],
                    len(o["options"]),
                    (o.get("reason") or {}).get("code"),
                    o.get("held_option"),
                    o.get("expires_at"),
                    o.get("booked_version"),
                ]
                for o in data["offers"]
            ),
        ),
    }
    if data.get("access_log") is not None:
        files["access_log.csv"] = _csv(
            ["at", "key_id", "role", "method", "route", "path", "plan_id", "status"],
            (
                [
                    a["at"],
                    a.get("key_id"),
                    a.get("role"),
                    a["method"],
                    a["route"],
                    a["path"],
                    a.get("plan_id"),
                    a["status"],
                ]
                for a in data["access_log"]
            ),
        )
    return files


def record_zip(data: dict[str, Any]) -> bytes:
    """The archive: `record.json` and every CSV file, zipped."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("record.json", json.dumps(data, indent=2, ensure_ascii=False))
        for name, text in record_csvs(data).items():
            archive.writestr(name, text)
    return out.getvalue()
