"""Instance time units as contract instants, and exact integer travel seconds.

An instance time `t` (in its own unit) becomes the instant `EPOCH + t * scale` seconds. Travel
times go into a `matrix` travel model as whole seconds computed here, with integer arithmetic:

- distances truncated to one decimal (the `dist_trunc1` convention) are multiples of 0.1, so with
  a scale that is a multiple of 10 they are exact integers: `floor(10 d) * scale / 10`;
- double-precision distances are rounded up, `ceil(d * scale)`, so that a plan that is feasible
  in whole seconds stays feasible when re-checked with exact distances (each leg is at most one
  second, i.e. `1 / scale` instance units, too long).

Coordinates are integers in every suite, so `d**2` is an integer and both roundings are exact
(`math.isqrt`), never off by a float error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
"""Instance time 0 (a Monday, midnight UTC)."""


def instant(units: float, scale: int) -> datetime:
    """The instant `units` instance time units after the epoch."""
    return EPOCH + timedelta(seconds=units * scale)


def seconds(at: datetime) -> float:
    """Seconds from the epoch to an instant."""
    return (at - EPOCH).total_seconds()


def squared_distances(xs: Sequence[int], ys: Sequence[int]) -> list[list[int]]:
    """Integer squared Euclidean distances between every pair of integer points."""
    return [
        [(xa - xb) ** 2 + (ya - yb) ** 2 for xb, yb in zip(xs, ys, strict=True)]
        for xa, ya in zip(xs, ys, strict=True)
    ]


def trunc1_seconds(xs: Sequence[int], ys: Sequence[int], scale: int) -> list[list[int]]:
    """Seconds of the distances truncated to one decimal: `floor(10 d) * scale / 10`, exact."""
    if scale % 10:
        raise ValueError("a truncated-distance scale must be a multiple of 10")
    return [
        [math.isqrt(100 * d2) * (scale // 10) for d2 in row] for row in squared_distances(xs, ys)
    ]


def ceil_seconds(xs: Sequence[int], ys: Sequence[int], scale: int) -> list[list[int]]:
    """Seconds of the exact distances rounded up: `ceil(d * scale)`, exact."""
    return [
        [math.isqrt(scale * scale * d2 - 1) + 1 if d2 else 0 for d2 in row]
        for row in squared_distances(xs, ys)
    ]


def distance(xa: float, ya: float, xb: float, yb: float, metric: str = "exact") -> float:
    """Euclidean distance in double precision, or truncated to one decimal (`trunc1`)."""
    d = math.hypot(xa - xb, ya - yb)
    if metric == "trunc1":
        return math.floor(d * 10) / 10
    if metric != "exact":
        raise ValueError(f"unknown metric {metric!r}")
    return d
