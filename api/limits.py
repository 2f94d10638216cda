"""Limits on what a request body holds, checked before the contract's validation: its
nesting depth (before it is parsed) and the sizes of its lists. No FastAPI here: the
worker processes check bodies with it too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from api.settings import Settings
from models import FieldError, InvalidInput

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (strings left out)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def _length(data: Any, *keys: str) -> int:
    for key in keys:
        if not isinstance(data, dict):
            return 0
        data = data.get(key)
    return len(data) if isinstance(data, list) else 0


def size_errors(body: Any, settings: Settings) -> list[FieldError]:
    """The body's lists that hold more items than the service takes, each naming its limit:
    a problem's orders, technicians, road or matrix nodes and road edges, and events."""
    limits = [
        (("problem", "orders"), settings.max_orders, "orders", "MAX_ORDERS"),
        (("problem", "technicians"), settings.max_technicians, "technicians", "MAX_TECHNICIANS"),
        (("problem", "travel", "nodes"), settings.max_nodes, "nodes", "MAX_NODES"),
        (("problem", "travel", "seconds"), settings.max_nodes, "matrix rows", "MAX_NODES"),
        (("problem", "travel", "edges"), settings.max_edges, "edges", "MAX_EDGES"),
        (("events",), settings.max_events, "events", "MAX_EVENTS"),
    ]
    errors = []
    for keys, limit, noun, name in limits:
        count = _length(body, *keys)
        if count > limit:
            errors.append(
                FieldError(
                    ".".join(keys),
                    f"{count} {noun}; at most {limit} per request (DISPATCH_{name})",
                )
            )
    return errors


def parse_body(body: bytes, settings: Settings) -> Any:
    """A JSON body, checked for depth before it is parsed and for sizes after (422 naming the
    limit); raises `json.JSONDecodeError` for a text that is not JSON."""
    depth = nesting_depth(body)
    if depth > settings.max_depth:
        raise InvalidInput(
            [
                FieldError(
                    "$",
                    f"arrays and objects nest {depth} deep; at most {settings.max_depth} "
                    "(DISPATCH_MAX_DEPTH)",
                )
            ]
        )
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise InvalidInput([FieldError("$", "the body is not UTF-8 text")]) from None
    errors = size_errors(data, settings)
    if errors:
        raise InvalidInput(errors)
    return data
