"""Tables of bookings and of the access log, on the service's database (`api.db.Base`, so
they are created with the others).

A slot offer is one candidate window answered for one new order against one version of a
plan; holding it keeps one of its options for a few minutes, confirming it books the order
as a new version. The access log records every request about plans; like plans, neither is
ever deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime


class SlotOfferRecord(Base):
    """One candidate window offered for a new order, with its options, hold and booking."""

    __tablename__ = "slot_offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_key: Mapped[str | None] = mapped_column(String(32))
    author_role: Mapped[str | None] = mapped_column(String(16))
    now: Mapped[datetime] = mapped_column(UTCDateTime)
    order: Mapped[dict[str, Any]] = mapped_column(JSON)
    window: Mapped[dict[str, Any]] = mapped_column(JSON)
    feasible: Mapped[bool] = mapped_column(Boolean)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    held_option: Mapped[int | None] = mapped_column(Integer)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    held_by: Mapped[str | None] = mapped_column(String(32))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_option: Mapped[int | None] = mapped_column(Integer)
    confirmed_version: Mapped[int | None] = mapped_column(Integer)
    confirmed_by: Mapped[str | None] = mapped_column(String(32))


class AccessRecord(Base):
    """One request about plans: who (key id and role), what (method, route, path, plan) and
    when, with the status it was answered."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    key_id: Mapped[str | None] = mapped_column(String(32), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(400))
    plan_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[int] = mapped_column(Integer)


Index("ix_access_log_plan_at", AccessRecord.plan_id, AccessRecord.at)
