"""What the service keeps about bookings and reads: slot offers with their holds and
bookings, and the access log; on the store's database, each method in its own short
transaction. Nothing here is ever deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from api.booking_db import AccessRecord, SlotOfferRecord
from api.db import utcnow
from api.store import Author, Store, storable


@dataclass(frozen=True)
class AccessFilter:
    """Which access log entries a listing returns."""

    plan_id: str | None = None
    key_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _text(value: str) -> str:
    """A text PostgreSQL can hold: NUL characters (from a request path) shown as U+FFFD."""
    return value.replace("\x00", "\ufffd")


class BookingStore:
    """Slot offers and the access log, next to the plans of a `Store`."""

    def __init__(self, store: Store) -> None:
        self._session = sessionmaker(store.engine, expire_on_commit=False)

    # ----------------------------------------------------------------------------- offers

    def add_offers(
        self,
        plan_id: str,
        version: int,
        *,
        author: Author,
        now: datetime,
        order: dict[str, Any],
        offers: list[dict[str, Any]],
    ) -> list[SlotOfferRecord]:
        """Store one offer per answered window (`window`, `feasible`, `options`, `reason`),
        in order."""
        made = utcnow()
        records = [
            SlotOfferRecord(
                id=str(uuid.uuid4()),
                plan_id=plan_id,
                version=version,
                created_at=made,
                author_key=author.key_id,
                author_role=author.role,
                now=now,
                order=order,
                window=offer["window"],
                feasible=offer["feasible"],
                options=offer["options"],
                reason=offer.get("reason"),
            )
            for offer in offers
        ]
        with self._session.begin() as session:
            session.add_all(records)
        return records

    def get_offer(self, plan_id: str, offer_id: str) -> SlotOfferRecord | None:
        """The offer with this id made on this plan, or None."""
        if not storable(offer_id):
            return None
        with self._session.begin() as session:
            record = session.get(SlotOfferRecord, offer_id)
        return record if record is not None and record.plan_id == plan_id else None

    def offers(self, plan_id: str) -> list[SlotOfferRecord]:
        """Every offer made on a plan, oldest first."""
        with self._session.begin() as session:
            return list(
                session.scalars(
                    select(SlotOfferRecord)
                    .where(SlotOfferRecord.plan_id == plan_id)
                    .order_by(SlotOfferRecord.created_at, SlotOfferRecord.id)
                )
            )

    def active_holds(
        self, plan_id: str, at: datetime, exclude: str | None = None
    ) -> list[SlotOfferRecord]:
        """Offers of the plan held past `at` and not booked yet (but `exclude`)."""
        query = select(SlotOfferRecord).where(
            SlotOfferRecord.plan_id == plan_id,
            SlotOfferRecord.held_until > at,
            SlotOfferRecord.confirmed_at.is_(None),
        )
        if exclude is not None:
            query = query.where(SlotOfferRecord.id != exclude)
        with self._session.begin() as session:
            return list(session.scalars(query.order_by(SlotOfferRecord.held_until)))

    def hold(self, offer_id: str, option: int, until: datetime, by: str | None) -> SlotOfferRecord:
        """Hold one option of an offer until `until` (a later hold replaces an earlier one)."""
        with self._session.begin() as session:
            record = session.get(SlotOfferRecord, offer_id, with_for_update=True)
            assert record is not None
            record.held_option, record.held_until, record.held_by = option, until, by
            return record

    def mark_booked(self, offer_id: str, option: int, version: int, by: str | None) -> None:
        """Record that an offer was booked as `version` (its hold ends with it)."""
        with self._session.begin() as session:
            record = session.get(SlotOfferRecord, offer_id, with_for_update=True)
            assert record is not None
            record.confirmed_at = utcnow()
            record.confirmed_option, record.confirmed_version, record.confirmed_by = (
                option,
                version,
                by,
            )

    # ----------------------------------------------------------------------------- access log

    def log_access(
        self,
        *,
        key_id: str | None,
        role: str | None,
        method: str,
        route: str,
        path: str,
        plan_id: str | None,
        status: int,
    ) -> None:
        """Append one entry to the access log."""
        entry = AccessRecord(
            at=utcnow(),
            key_id=key_id,
            role=role,
            method=_text(method)[:8],
            route=_text(route)[:200],
            path=_text(path)[:400],
            plan_id=plan_id[:64] if plan_id is not None and storable(plan_id) else None,
            status=status,
        )
        with self._session.begin() as session:
            session.add(entry)

    def access_log(
        self, where: AccessFilter, *, limit: int, offset: int = 0, oldest_first: bool = False
    ) -> tuple[list[AccessRecord], int]:
        """One page of the access log (newest first unless asked) and the number of entries
        that match."""
        query = select(AccessRecord)
        for value, column in (
            (where.plan_id, AccessRecord.plan_id),
            (where.key_id, AccessRecord.key_id),
        ):
            if value is not None:
                if not storable(value):
                    return [], 0
                query = query.where(column == value)
        if where.since is not None:
            query = query.where(AccessRecord.at >= where.since)
        if where.until is not None:
            query = query.where(AccessRecord.at < where.until)
        order = (
            (AccessRecord.at, AccessRecord.id)
            if oldest_first
            else (AccessRecord.at.desc(), AccessRecord.id.desc())
        )
        with self._session.begin() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = session.scalars(query.order_by(*order).limit(limit).offset(offset))
            return list(page), total
