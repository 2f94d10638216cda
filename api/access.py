"""Who reads what: every request about plans goes to the access log (key id, role, method,
route, plan, status, time), and customers' personal data (the orders' `customer` blocks) is
taken out of every answer to a viewer key.

Both happen in one middleware around the routes under `/v1/plans`, so every route that
carries a plan, a version, a problem or a slot offer is covered, those added later too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from api.auth import Role
from api.booking_store import BookingStore
from api.db import KeyRecord
from api.errors import problem_response, unavailable
from api.store import Store, database_down

WATCHED = "/v1/plans"
"""Requests to this path and below are logged."""

_PLAN_ID = re.compile(r"^/v1/plans/([^/]+)")
_JSON = ("application/json", "application/problem+json")


def redact(data: Any) -> Any:
    """The JSON document without any `customer` block (the personal data of orders)."""
    if isinstance(data, dict):
        return {
            k: redact(v)
            for k, v in data.items()
            if not (k == "customer" and (v is None or isinstance(v, dict)))
        }
    if isinstance(data, list):
        return [redact(v) for v in data]
    return data


def sees_customers(role: str | None) -> bool:
    """Whether a role may read customers' personal data (dispatchers and above)."""
    return role is not None and Role(role).allows(Role.dispatcher)


def _key_of(store: Store, header: str | None) -> KeyRecord | None:
    """The live key a request's `Authorization: Bearer` header names, if any."""
    if header is None or not header.lower().startswith("bearer "):
        return None
    return store.authenticate(header[7:].strip())


def install(app: FastAPI) -> None:
    """Log the requests about plans and redact customers for viewers, on every route."""

    @app.middleware("http")
    async def access(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path != WATCHED and not path.startswith(WATCHED + "/"):
            return await call_next(request)
        store: Store = request.app.state.store
        try:
            # The request guard has authenticated the key already; ask again only without it.
            key = request.scope.get("state", {}).get("api_key")
            if key is None:
                key = await run_in_threadpool(_key_of, store, request.headers.get("authorization"))
            response = await call_next(request)
            route = request.scope.get("route")
            found = _PLAN_ID.match(path)
            await run_in_threadpool(
                BookingStore(store).log_access,
                key_id=key.id if key is not None else None,
                role=key.role if key is not None else None,
                method=request.method,
                route=getattr(route, "path", path),
                path=path,
                plan_id=found.group(1) if found else None,
                status=response.status_code,
            )
        except DBAPIError as exc:
            # A read that cannot be recorded is not answered: 503 while the database is away.
            if not database_down(exc):
                raise
            return problem_response(unavailable(), path)
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if key is None or sees_customers(key.role) or kind not in _JSON:
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(
            json.dumps(redact(json.loads(body)), separators=(",", ":")).encode(),
            status_code=response.status_code,
            headers=headers,
            media_type=kind,
        )
