"""The late priority-1 verdicts of `benchmarks.late_p1`."""

from __future__ import annotations

from benchmarks.generator import BadDay, generate_day
from benchmarks.late_p1 import verdicts
from models import load_problem


def test_an_order_due_before_any_crew_can_come_is_infeasible_on_time() -> None:
    """A priority-1 order due at its window's opening is late, and no neighbourhood fixes it."""
    data = generate_day(12, 6, seed=2, vans_cover_orders=True, bad_day=BadDay(outages=2))
    urgent = next(o for o in data["orders"] if o["id"].startswith("OUT-"))
    urgent["due"] = urgent["time_windows"][0]["start"]
    out = verdicts(load_problem(data), deterministic_limit=0.2, routes=3, repair_limit=0.2)
    by_id = {r["order"]: r for r in out}
    assert by_id[urgent["id"]]["verdict"] == "infeasible"
    assert all(r["verdict"] in ("infeasible", "dearer", "missed") for r in out)
    assert all((r["verdict"] == "missed") == ((r["on_time_extra"] or 0) < 0) for r in out)
