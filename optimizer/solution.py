"""A solution in solver units: routes as order sequences with times.

This is what the search moves around; `optimizer.plan_builder` turns it into a contract plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RouteSol:
    """One shift's route: its orders in visiting order, departure, return and breaks."""

    shift: int
    orders: list[int] = field(default_factory=list)
    depart: int = 0
    ret: int = 0
    # Entry k is break rule k of the shift: (position of the order it follows, -1 = the
    # start location; break start).
    breaks: list[tuple[int, int]] = field(default_factory=list)
    # A depot stop: (depot, number of orders before it, start of the stop), or None.
    depot: tuple[int, int, int] | None = None

    def copy(self) -> RouteSol:
        """An independent copy."""
        return RouteSol(
            self.shift, list(self.orders), self.depart, self.ret, list(self.breaks), self.depot
        )


@dataclass
class Solution:
    """Routes by shift index, service starts by order, and who provides each order's items."""

    routes: dict[int, RouteSol] = field(default_factory=dict)
    start: dict[int, int] = field(default_factory=dict)
    provider: dict[int, int] = field(default_factory=dict)  # order -> shift
    cost: int | None = None

    def objective(self) -> int:
        """`cost`, which a solution has once priced (`optimizer.cp.objective.solution_cost`)."""
        if self.cost is None:
            raise ValueError("the solution has not been priced")
        return self.cost

    def served(self) -> set[int]:
        """Orders visited by at least one route."""
        return {o for r in self.routes.values() for o in r.orders}

    def shifts_of(self) -> dict[int, list[int]]:
        """Order -> the shifts whose routes visit it."""
        out: dict[int, list[int]] = {}
        for s, r in self.routes.items():
            for o in r.orders:
                out.setdefault(o, []).append(s)
        return out

    def copy(self) -> Solution:
        """A deep copy."""
        return Solution(
            routes={s: r.copy() for s, r in self.routes.items()},
            start=dict(self.start),
            provider=dict(self.provider),
            cost=self.cost,
        )
