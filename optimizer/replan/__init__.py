"""Re-planning a running day, and recommendations for one new order.

`replan` applies the events to the problem (`events`), freezes every item that started before
`now` (`freeze`), and plans the rest from where each technician is (`residual`): first a fast
path (the previous routes kept in order and at their old starts where possible, new and
orphaned orders inserted at their cheapest place, changes priced), then CP-SAT and
ruin-and-recreate improving it until the time limit. The new plan holds the frozen items
unchanged and lists every change (`replan`). `recommend` gives the cheapest places for one new
order.
"""

from optimizer.replan.events import apply_events, visit_times
from optimizer.replan.freeze import Frozen, fold_frozen, freeze
from optimizer.replan.kept import KeptDay, keep_day, problem_key
from optimizer.replan.recommend import recommend
from optimizer.replan.replan import ReplanResult, replan
from optimizer.replan.residual import day_matrix, residual_problem

__all__ = [
    "Frozen",
    "KeptDay",
    "ReplanResult",
    "apply_events",
    "day_matrix",
    "fold_frozen",
    "freeze",
    "keep_day",
    "problem_key",
    "recommend",
    "replan",
    "residual_problem",
    "visit_times",
]
