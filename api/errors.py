"""Errors as `application/problem+json` (RFC 9457), for every error the service answers.

Invalid input is 422 with an `errors` member listing every error with its path, whether the
request failed FastAPI's own parsing or the contract's validation (`models.InvalidInput`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.jobs import QueueFull
from api.schemas import ErrorItem, ProblemDetails
from api.store import database_down
from models import FieldError, InvalidInput
from models.validation import format_path, prefixed

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
INVALID_INPUT = "urn:telecom-dispatch:problem:invalid-input"
QUEUE_FULL = "urn:telecom-dispatch:problem:queue-full"
CONFLICT = "urn:telecom-dispatch:problem:conflict"


class ApiError(Exception):
    """An error answer: status, title, detail, and for invalid input every error."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = "about:blank",
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.type = type
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}


def not_found(what: str, ident: object) -> ApiError:
    """404 for a missing id."""
    return ApiError(404, f"no {what} with id '{ident}'")


def conflict(detail: str) -> ApiError:
    """409: the request does not fit the resource's current state."""
    return ApiError(409, detail, type=CONFLICT, title="Conflict with the current state")


def invalid(errors: Iterable[FieldError], prefix: str = "") -> ApiError:
    """422 listing every input error, with paths under `prefix` (`problem`, `order`...)."""
    listed = prefixed(errors, prefix)
    noun = "error" if len(listed) == 1 else "errors"
    return ApiError(
        422,
        f"{len(listed)} input {noun}",
        title="Invalid input",
        type=INVALID_INPUT,
        errors=listed,
    )


def busy(exc: QueueFull) -> ApiError:
    """429: no room for another job; retry after the seconds `exc` says."""
    return ApiError(
        429,
        str(exc),
        title="Too many jobs",
        type=QUEUE_FULL,
        headers={"Retry-After": str(exc.retry_after)},
    )


DATABASE_RETRY_SECONDS = 5
"""Retry-After of a 503 while the database does not answer."""


def unavailable() -> ApiError:
    """503 while the database does not answer."""
    return ApiError(
        503,
        "the database does not answer; nothing was lost, retry later",
        title="Service unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_SECONDS)},
    )


def problem_response(error: ApiError, instance: str | None = None) -> JSONResponse:
    """The problem+json answer of an error."""
    body = ProblemDetails(
        type=error.type,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=instance,
        errors=(
            [ErrorItem(path=e.path, message=e.message) for e in error.errors]
            if error.errors is not None
            else None
        ),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=error.status,
        headers=error.headers,
        media_type=PROBLEM_JSON,
    )


def request_errors(errors: Sequence[Any], body: Any) -> list[FieldError]:
    """FastAPI's validation errors as field errors with JSON paths into the body (union tags
    and validator names that pydantic adds to a location are left out)."""
    out: list[FieldError] = []
    for err in errors:
        loc = list(err.get("loc", ()))
        where, rest = (loc[0], loc[1:]) if loc else ("body", [])
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if where == "body":
            path: list[Any] = []
            node = body
            for n, part in enumerate(rest):
                last = n == len(rest) - 1
                in_list = (
                    isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
                )
                if in_list or (isinstance(node, dict) and part in node):
                    node = node[part]
                    path.append(part)
                elif last:
                    path.append(part)
            if err.get("type") == "json_invalid":
                path = []
            out.append(FieldError(format_path(path), msg))
        else:
            out.append(FieldError(format_path([where, *rest]), msg))
    return list(dict.fromkeys(out))  # duplicates out, in linear time


def allowed_methods(app: FastAPI, scope: Any) -> str:
    """The methods the routes of a request's path answer, for a 405's `Allow` header (read
    off the OpenAPI paths, which list every route once)."""
    path = scope.get("path", "")
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Answer every error of the app as problem+json."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return problem_response(exc, request.url.path)

    async def invalid_input(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidInput)
        return problem_response(invalid(exc.errors), request.url.path)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = request_errors(exc.errors(), exc.body)
        return problem_response(invalid(errors), request.url.path)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only one route's
            headers["Allow"] = allowed_methods(app, request.scope)
        detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
        error = ApiError(exc.status_code, detail, headers=headers)
        return problem_response(error, request.url.path)

    async def queue_full(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, QueueFull)
        return problem_response(busy(exc), request.url.path)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if not database_down(exc):
            return await unexpected(request, exc)
        return problem_response(unavailable(), request.url.path)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        error = ApiError(500, "the service failed to answer; the error is in its log")
        return problem_response(error, request.url.path)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(QueueFull, queue_full)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers a route may give."""
    meaning = {
        400: "The body could not be read (not JSON text).",
        401: "Missing, unknown or revoked API key.",
        403: "The key's role may not do this.",
        404: "No resource with that id.",
        409: "The request does not fit the resource's current state.",
        413: "The request body is larger than the service takes (`DISPATCH_MAX_BODY_BYTES`).",
        422: "Invalid input: every error, each with its path.",
        429: "The solve queue is full; retry after `Retry-After` seconds.",
        503: "The database does not answer; retry after `Retry-After` seconds.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {
            "description": meaning.get(code, HTTPStatus(code).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        if code == 429:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before submitting again.",
                    "schema": {"type": "integer"},
                }
            }
        if code == 401:
            entry["headers"] = {
                "WWW-Authenticate": {
                    "description": "The scheme to authenticate with (Bearer).",
                    "schema": {"type": "string"},
                }
            }
        out[code] = entry
    return out
