"""The fast path of a re-plan: the previous plan's unstarted part kept where it still fits,
new and orphaned orders inserted at their cheapest place, an urgent order given room by
dropping a less urgent one. It is the search's start (or, with no time, the plan)."""

from __future__ import annotations

from optimizer.construct import construct
from optimizer.context import Context
from optimizer.cp.build import eligible_for, eligible_shifts
from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.params import MoveParams
from optimizer.replan.recommend import _bumping_options
from optimizer.replan.residual import previous_solution
from optimizer.solution import Solution


def fast_path(
    inst: Instance, context: Context, *, lazy: bool = False, moves: MoveParams | None = None
) -> tuple[dict[int, list[int]], Solution]:
    """The eligible shifts of the orders and the fast path's solution of a residual instance
    compiled with `context`. `lazy`: the fast path alone looks at few orders, so their
    eligible shifts are found when asked for (unless every van holds everything: then the
    inserter reads them all). `moves` says how far insertion looks."""
    start = previous_solution(inst, context.previous, context.frozen)
    eligible = _Eligible(inst) if lazy and not inst.van_ok.all() else eligible_shifts(inst)
    # The fast path places new and orphaned orders; the search tries the rest.
    orphans = {o for o in range(len(inst.orders)) if o not in start.start} - {
        o for o in inst.prev_known if o not in inst.baseline
    }
    fast = construct(inst, eligible, start, only=orphans, moves=moves)
    fast = _make_room(inst, fast, eligible, orphans, moves)
    fast.cost = solution_cost(inst, fast)
    return eligible, fast


class _Eligible(dict[int, list[int]]):
    """Order -> its eligible shifts (`eligible_for`), each found the first time it is asked
    for. Only what was asked for is in it: for callers that read it by order, not iterate."""

    def __init__(self, inst: Instance) -> None:
        super().__init__()
        self.inst = inst

    def __missing__(self, o: int) -> list[int]:
        found = self[o] = eligible_for(self.inst, o)
        return found


def _make_room(
    inst: Instance,
    sol: Solution,
    eligible: dict[int, list[int]],
    only: set[int],
    moves: MoveParams | None,
) -> Solution:
    """Fit each unserved priority-1 or mandatory order by dropping one order of no higher
    priority from a full route when nothing else works; then re-insert what was dropped."""
    urgent = [
        o
        for o, order in enumerate(inst.orders)
        if o not in sol.start
        and order.crew == 1
        and (order.priority == 1 or order.mandatory)
        and eligible[o]
    ]
    if not urgent:
        return sol
    urgent.sort(key=lambda o: -unassigned_cost(inst, o))
    dropped_all: list[int] = []
    # One inserter over the solution for them all: its moves keep its route costs and
    # supplies up to date.
    ins = Inserter(inst, sol, eligible, moves=moves)
    for o in urgent:
        direct = ins.best(o)
        if direct is not None:
            ins.apply(direct)
            continue
        near = ins.nearest_routes(o)
        options = _bumping_options(ins, o, near)
        if not options:
            continue
        best = min(options, key=lambda x: (x.delta, x.insertion.shift))
        if best.delta >= unassigned_cost(inst, o):
            continue
        dropped = best.dropped[0]
        if ins.remove(dropped):
            dropped_all.append(dropped)
            again = ins.best(o, shifts=[best.insertion.shift])
            if again is not None:
                ins.apply(again)
    return construct(inst, eligible, sol, only=only | set(dropped_all), moves=moves)
