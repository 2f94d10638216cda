"""The outcome of re-checking literature routes in double precision."""

from __future__ import annotations

from dataclasses import dataclass, field

EPS = 1e-7
"""Slack, in instance time units, allowed on windows and the horizon for float round-off."""


@dataclass
class Check:
    """Feasibility and value of a set of routes, recomputed from the instance alone.

    `value` is the literature's objective (total distance, or total tour duration for the
    TRSP); `violations` lists one sentence per broken rule.
    """

    feasible: bool
    value: float
    routes: int
    violations: list[str] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    """Parts of the value, when the literature reports them (HHCRSP: D, T and Tmax)."""
