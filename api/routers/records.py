"""A day's service record: every version with its events, changes and KPIs, the bookings
and the access log, as JSON or as a zip of CSV files to archive."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.access import redact, sees_customers
from api.auth import Role
from api.booking_schemas import ServiceRecord
from api.deps import StoreDep, ViewerKey
from api.errors import not_found, responses
from api.routers.plans import PlanId
from api.service_record import build_record, record_zip

router = APIRouter(prefix="/v1/plans/{plan_id}", tags=["versions"])


@router.get(
    "/record",
    summary="Export the service record",
    response_model=ServiceRecord,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "The record as JSON, or with `format=zip` a zip archive of "
            "`record.json` and one CSV file per section.",
        },
        **responses(401, 403, 404, 422),
    },
)
def get_record(
    plan_id: PlanId,
    key: ViewerKey,
    store: StoreDep,
    format: Annotated[
        Literal["json", "zip"],
        Query(description="`json` (default) or `zip`: record.json and a CSV per section."),
    ] = "json",
) -> Response:
    """The plan's final version with every earlier one, the events that led to each, the
    changes, the KPIs and the slot offers; for admin keys the access log of the plan too.
    Customers' personal data is left out for viewers."""
    admin = Role(key.role).allows(Role.admin)
    record = build_record(store, plan_id, with_access_log=admin)
    if record is None:
        raise not_found("plan", plan_id)
    data = record.model_dump(mode="json", exclude_none=False)
    if not sees_customers(key.role):
        data = redact(data)
    if format == "zip":
        return Response(
            record_zip(data),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="record-{plan_id}.zip"'},
        )
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")
