"""The cyclic garbage collector is paused for the calls a coordinator waits on (the fast
path and `recommend`), back on after them (also when they raise), and never turned on by
them for a caller that turned it off."""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest

from optimizer.collector import collector_paused
from optimizer.params import SolveParams
from optimizer.replan import recommend, replan
from tests.factory import DETERMINISTIC
from tests.replan_cases import NOW, events, solved_day


@pytest.fixture
def collector_on():
    """The collector on for the test, as it was after."""
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_in_the_block_and_on_after_it(collector_on):
    """Off inside the block, on after it, also after an exception; `pause=False` leaves it."""
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()
    with collector_paused(pause=False):
        assert gc.isenabled()


def test_a_caller_that_turned_it_off_keeps_it_off(collector_on):
    """Turned off by the caller, the collector stays off after the block."""
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def _spy(monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> list[bool]:
    """Record whether the collector is on each time `module.name` is called."""
    seen: list[bool] = []
    real = getattr(sys.modules[module], name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(sys.modules[module], name, spy)
    return seen


def test_the_fast_path_runs_paused_and_a_search_does_not(collector_on, monkeypatch):
    """A re-plan with no time (the fast path) runs with the collector paused; one that
    searches keeps it on; after both it is on."""
    p, plan = solved_day()
    seen = _spy(monkeypatch, "optimizer.replan.replan", "solve")
    cancel = events({"type": "order_cancelled", "order": "W3"})
    replan(p, plan, NOW, cancel, SolveParams(time_limit=0))
    assert gc.isenabled()
    replan(p, plan, NOW, cancel, SolveParams(**DETERMINISTIC))
    assert seen == [False, True]
    assert gc.isenabled()


def test_recommend_runs_paused(collector_on, monkeypatch):
    """`recommend` runs with the collector paused, and leaves it on."""
    p, plan = solved_day()
    seen = _spy(monkeypatch, "optimizer.replan.recommend", "compile_problem")
    new = p.orders[1].model_copy(update={"id": "NEW"})
    assert recommend(p, plan, new, NOW, 3)
    assert seen == [False]
    assert gc.isenabled()
