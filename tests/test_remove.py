"""Removal (optimizer/remove.py): a route without an order, timed from segments as in full."""

from __future__ import annotations

import pytest

from optimizer.schedule import schedule
from tests.inserter_cases import CASES, ruined


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_removal_by_segments_times_as_full_timing(suite: str, name: str) -> None:
    inst, _, sol, ins = ruined(suite, name, seed=2)
    checked = 0
    for o in sorted(sol.provider):
        s, pos, seq, depot = ins.without(o)
        fast = ins._timed_without(s, pos, seq, depot) if seq else None
        full = schedule(inst, s, seq, depot=depot) if seq else None
        if full is None:
            assert fast is None
            continue
        assert fast is not None and fast.route == full.route and fast.starts == full.starts
        checked += 1
    assert checked > 30
