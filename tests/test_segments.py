"""Plain route segments (optimizer/kernel.py: `RouteSegments`, `between`, `join`,
`seg_cost`): the kernel's merge along routes without lateness, and a route's cost."""

from __future__ import annotations

from optimizer.kernel import RouteSegments, between, concat, join, seg_cost, segment
from tests.inserter_cases import ruined


def test_route_segment_cost_is_the_route_cost() -> None:
    """A plain route's whole segment, priced by `seg_cost`, is its cost in the search."""
    inst, _, sol, ins = ruined("trsp", "R101.100_25-5-5-5")
    for s, route in sol.routes.items():
        if not route.orders:
            continue
        segs = RouteSegments.of(inst, route, s)
        assert segs.suffix[0] == segs.prefix[-1]
        whole = segs.prefix[-1]
        assert whole is not None
        assert seg_cost(inst, s, whole, segs.service) == ins.cost[s]


def test_concat_detects_lateness() -> None:
    """A stop reached after its window's end is refused; the other order fits."""
    rows = [[0, 10], [10, 0]]
    a = segment(5, 0, 100, 0, 0)  # starts in [0, 100], takes 5
    b = segment(5, 0, 12, 1, 1)  # must start by 12
    assert concat(rows, a, b) is None  # earliest arrival 15: three late
    assert concat(rows, b, a) == segment(20, 0, 12, 1, 0, 10)


def test_join_is_concat_twice() -> None:
    """`join` and `between` (concat inlined) merge as `concat` twice, refusals included."""
    rows = [[0, 10, 4], [10, 0, 7], [4, 7, 0]]
    a = segment(5, 0, 100, 0, 0)
    x = segment(20, 30, 40, 1, 2, 7)  # two stops, from place 1 to place 2
    b = segment(0, 0, 200, 2, 2)
    twice = concat(rows, concat(rows, a, x), b)  # type: ignore[arg-type]
    assert join(rows, a, x, b) == twice == between(rows, a, x, b)
    assert join(rows, a, None, b) == concat(rows, a, b)
    late = segment(0, 0, 40, 2, 2)  # x cannot end before 50
    assert join(rows, a, x, late) is None
    assert concat(rows, concat(rows, a, x), late) is None  # type: ignore[arg-type]
