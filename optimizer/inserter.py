"""The inserter: a solution under change and the moves on it (insertion, 2-opt*, removal).

`construct` builds a first solution by inserting orders, most valuable first, at their cheapest
feasible position; re-planning and recommendations use the same insertion moves. Crew and
linked orders are placed as a whole by `optimizer.groups`.
"""

from __future__ import annotations

from optimizer.exchange import Exchanges
from optimizer.insert import InsertionSearch
from optimizer.remove import Removal


class Inserter(InsertionSearch, Exchanges, Removal):
    """Cheapest feasible insertion of single-technician orders into a solution, adding a
    depot stop where the van lacks what the order needs; route-end exchanges and removal.
    The state and its checks are `optimizer.state.RouteState`; each move family is a mixin."""
