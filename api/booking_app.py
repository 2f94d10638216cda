"""Bookings, service records and the access log, added to the application in one call:
their routers, the answer to a taken slot, and the access middleware."""

from __future__ import annotations

from fastapi import FastAPI

from api import access
from api.routers import audit, records, slots

TAGS = [
    {"name": "bookings", "description": "Appointment slots: offer, hold, confirm."},
    {"name": "audit", "description": "Who read which plan, and when (admin)."},
]


def install_booking(app: FastAPI) -> None:
    """Add the booking, record and audit routes, and log and redact plan reads."""
    for module in (slots, records, audit):
        app.include_router(module.router)
    app.openapi_tags = [*(app.openapi_tags or []), *TAGS]
    slots.install(app)
    access.install(app)
