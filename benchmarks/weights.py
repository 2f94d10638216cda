"""Objective weights of the benchmark problems."""

from __future__ import annotations

from models.problem import Weights


def only(**nonzero: float | dict[str, float]) -> Weights:
    """Weights that are zero except the given ones (a per-priority map for `unassigned` or
    `lateness`); `unassigned` keeps its large default."""
    zero_by_priority = {str(p): 0.0 for p in range(1, 6)}
    base: dict[str, object] = {
        "lateness": zero_by_priority,
        "overtime": 0,
        "travel": 0,
        "idle": 0,
        "technician_used": 0,
        "preference": 0,
        "change": 0,
    }
    return Weights.model_validate({**base, **nonzero})
