"""Python's cyclic garbage collector paused for the calls a coordinator waits on.

A full collection walks every object the process holds (a kept day, its plans and compiled
orders): at 500 orders it takes some 50 ms, and the many young objects a re-plan makes
trigger one every few calls. Paused for the call, objects are still freed by reference
counting as it goes; only reference cycles wait for the collector, which runs again once the
call returns (its next collections come as often as before, not more)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, when `pause` and it is on (a caller
    that turned it off keeps it off)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
