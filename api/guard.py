"""What a request meets before any route sees it, so that no request can stall or exhaust
the service: limits on the query, the body's size, nesting and contents, and the API key.

`RequestGuard` (ASGI middleware) counts the query parameters, answers 413 to a declared
body over the limit without reading it, authenticates the key of every `/v1` request before
its body is read, and stops reading a body (413) once it passes the limit. `GuardedRoute`
(the routes' class) parses a JSON body in a worker thread, after checking its nesting depth,
and checks the sizes of what it holds (orders, technicians, nodes, edges, events) before
pydantic validates it, so that the event loop never holds a request's CPU work.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, invalid, problem_response, unavailable
from api.limits import parse_body
from api.settings import Settings
from api.store import database_down
from models import FieldError

UNAUTHENTICATED = "send an API key as `Authorization: Bearer <key>`"
UNKNOWN_KEY = "unknown, revoked or expired API key"


class BodyTooLarge(ApiError):
    """413: the body is longer than the service takes."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is larger than {limit} bytes (DISPATCH_MAX_BODY_BYTES)",
            title="Request body too large",
        )


def unauthenticated(detail: str, error: str | None) -> ApiError:
    """401 for a missing or unknown key."""
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ApiError(401, detail, headers={"WWW-Authenticate": challenge})


def bearer_token(scope: Scope) -> str | None:
    """The token of the `Authorization: Bearer` header, if any."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


def declared_length(scope: Scope) -> int | None:
    """The body length the client declared (Content-Length), if any."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestGuard:
    """ASGI middleware: query parameter count, body size, and authentication before the
    body is read (`/v1` routes). The authenticated key is left in the request's state."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a request that breaks a limit; pass the others on with a bounded body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._check(scope)
        except ApiError as error:
            await problem_response(error, scope.get("path"))(scope, receive, send)
            return
        await self.app(scope, self._bounded(receive), send)

    async def _check(self, scope: Scope) -> None:
        settings = self.settings
        query: bytes = scope.get("query_string", b"")
        count = len([p for p in query.split(b"&") if p]) if query else 0
        if count > settings.max_query_params:
            raise invalid(
                [
                    FieldError(
                        "query",
                        f"{count} query parameters; at most {settings.max_query_params} "
                        "(DISPATCH_MAX_QUERY_PARAMS)",
                    )
                ]
            )
        length = declared_length(scope)
        if length is not None and length > settings.max_body_bytes:
            raise BodyTooLarge(settings.max_body_bytes)
        path: str = scope.get("path", "")
        if path == "/v1" or path.startswith("/v1/"):
            token = bearer_token(scope)
            if token is None:
                raise unauthenticated(UNAUTHENTICATED, None)
            store = scope["app"].state.store
            try:
                record = await anyio.to_thread.run_sync(store.authenticate, token)
            except DBAPIError as exc:
                if database_down(exc):
                    raise unavailable() from None
                raise
            if record is None:
                raise unauthenticated(UNKNOWN_KEY, "invalid_token")
            scope.setdefault("state", {})["api_key"] = record

    def _bounded(self, receive: Receive) -> Receive:
        limit = self.settings.max_body_bytes
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return bounded


class ThreadedJsonRequest(Request):
    """A request whose JSON body is parsed (and checked) in a worker thread."""

    async def json(self) -> Any:
        """The body as JSON data, parsed off the event loop."""
        if not hasattr(self, "_json"):
            body = await self.body()
            settings: Settings = self.app.state.settings
            self._json = await anyio.to_thread.run_sync(parse_body, body, settings)
        return self._json


def query_names(dependant: Any) -> set[str]:
    """The query parameters a route takes, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names


class GuardedRoute(APIRoute):
    """The API's route class: the JSON body is read and checked before FastAPI validates
    it, its parsing and checks off the event loop."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, given a `ThreadedJsonRequest`."""
        handle = super().get_route_handler()
        known = query_names(self.dependant)

        async def guarded(request: Request) -> Response:
            unknown = sorted(set(request.query_params) - known)
            if unknown:  # a misspelt filter must not silently list everything
                raise invalid(
                    [FieldError(f"query.{n}", "unknown query parameter") for n in unknown]
                )
            request = ThreadedJsonRequest(request.scope, request.receive)
            if self.body_field is not None and await request.body():
                try:  # parsed here, so that a limit's 422 is not taken for a parse error
                    await request.json()
                except json.JSONDecodeError:
                    pass  # FastAPI answers it with its position
                except RecursionError:
                    raise invalid([FieldError("$", "arrays and objects nest too deep")]) from None
            return await handle(request)

        return guarded
