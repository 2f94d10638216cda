"""The access log: who read which plan, version or slot offer, and when (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.booking_schemas import AccessPage
from api.booking_store import AccessFilter, BookingStore
from api.deps import AdminKey, StoreDep
from api.errors import responses
from api.routers.plans import QueryInstant, _in_utc
from api.service_record import access_entry

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="Read the access log", responses=responses(401, 403, 422))
def read_access_log(
    key: AdminKey,
    store: StoreDep,
    plan_id: Annotated[
        str | None, Query(max_length=64, description="Only requests about this plan.")
    ] = None,
    key_id: Annotated[
        str | None, Query(max_length=64, description="Only requests made with this key.")
    ] = None,
    since: Annotated[
        QueryInstant | None, Query(description="Only entries at or after this.")
    ] = None,
    until: Annotated[QueryInstant | None, Query(description="Only entries before this.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000_000, description="Entries to skip (paging).")
    ] = 0,
) -> AccessPage:
    """Every request about plans (reads of plans, versions, records and slot offers, and
    the rest), newest first: key id, role, method, route, path, plan, status and time. The
    log is kept with the plans and never deleted."""
    where = AccessFilter(
        plan_id=plan_id, key_id=key_id, since=_in_utc(since), until=_in_utc(until)
    )
    entries, total = BookingStore(store).access_log(where, limit=limit, offset=offset)
    return AccessPage(
        items=[access_entry(e) for e in entries], total=total, limit=limit, offset=offset
    )
