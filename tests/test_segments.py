"""Route segments (optimizer/segments.py): concatenation, joins and a route's cost."""

from __future__ import annotations

from optimizer.segments import RouteSegments, concat, join, segment_cost
from tests.inserter_cases import ruined


def test_route_segment_cost_is_the_route_cost() -> None:
    inst, _, sol, ins = ruined("trsp", "R101.100_25-5-5-5")
    for s, route in sol.routes.items():
        if not route.orders:
            continue
        segs = RouteSegments.of(inst, route, s)
        assert segs.suffix[0] == segs.prefix[-1]
        assert segment_cost(inst, s, segs.prefix[-1], segs.service) == ins.cost[s]


def test_concat_detects_lateness() -> None:
    rows = [[0, 10], [10, 0]]
    a = (5, 0, 0, 100, 0, 0, 0)  # starts in [0, 100], takes 5
    b = (5, 0, 0, 12, 1, 1, 0)  # must start by 12
    assert concat(rows, a, b)[1] == 3  # earliest arrival 15: three late
    assert concat(rows, b, a)[1] == 0


def test_join_is_concat_twice() -> None:
    rows = [[0, 10, 4], [10, 0, 7], [4, 7, 0]]
    a = (5, 0, 0, 100, 0, 0, 0)
    x = (20, 0, 30, 40, 1, 2, 7)  # two stops, from place 1 to place 2
    b = (0, 0, 0, 200, 2, 2, 0)
    assert join(rows, a, x, b) == concat(rows, concat(rows, a, x), b)
    assert join(rows, a, None, b) == concat(rows, a, b)
    late = (0, 0, 0, 40, 2, 2, 0)  # x cannot end before 50
    assert join(rows, a, x, late) is None
    assert concat(rows, concat(rows, a, x), late)[1] > 0
