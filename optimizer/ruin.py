"""Ruin and recreate (Schrimpf et al. 2000; Shaw 1998 relatedness): remove a few related
orders, re-insert them and the unserved ones greedily in a random order of value classes,
keep the result under a falling threshold. Fast enough in Python for hundreds of moves a
second on a day of a hundred orders; crew orders stay where the CP-SAT search puts them."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.insertion import Inserter, SegmentCache
from optimizer.instance import Instance
from optimizer.solution import Solution

THRESHOLD = 0.1
"""Start threshold of acceptance, as a share of the routing cost per served order."""


class RuinRecreate:
    """One ruin-and-recreate search state over a solution."""

    def __init__(self, inst: Instance, eligible: dict[int, list[int]], rng: random.Random) -> None:
        self.inst = inst
        self.eligible = eligible
        self.rng = rng
        locs = np.array([o.loc for o in inst.orders], dtype=int)
        sym = (inst.travel.seconds + inst.travel.seconds.T) / 2.0
        # Nearest orders by travel, for related removals.
        self.near = np.argsort(sym[np.ix_(locs, locs)], axis=1)[:, :40] if len(locs) else None
        self.movable = [o for o, order in enumerate(inst.orders) if order.crew == 1]
        self.has_dependents = {p for order in inst.orders for p in order.after}
        self.value = [unassigned_cost(inst, o) for o in range(len(inst.orders))]
        # Must-serve and priority-1 orders: always offered back, and room is made for them.
        self.urgent = [o for o in self.movable if self.value[o] >= max(inst.c_unassigned[0], 1)]
        self.segments = SegmentCache(inst)

    def inserter(self, sol: Solution) -> Inserter:
        """An inserter over a copy of sol, sharing this search's route segments."""
        return Inserter(self.inst, sol.copy(), self.eligible, segments=self.segments)

    def step(self, current: Inserter, size: int) -> Inserter:
        """A new solution: `size` related orders out, then every unserved order offered
        back. `current` is left as it is."""
        inst, rng = self.inst, self.rng
        ins = current.clone()
        cand = ins.sol
        served = [o for o in cand.provider if inst.orders[o].crew == 1]
        removed: list[int] = []
        urgent = [o for o in self.urgent if o not in cand.start and self.eligible[o]]
        if served:
            kind = rng.random()
            if urgent and kind < 0.3:
                # Make room around an unserved urgent order.
                victims = self._related(rng.choice(urgent), cand)
            elif kind < 0.55:
                victims = self._related(rng.choice(served), cand)
            elif kind < 0.85:
                victims = self._strings(rng.choice(served), cand, size)
            else:
                victims = self._route(cand)
            touched = set()
            for o in victims:
                if len(removed) >= size and kind < 0.85:
                    break
                movable = o in cand.provider and inst.orders[o].crew == 1
                if movable and o not in self.has_dependents and o not in removed:
                    s = cand.provider[o]
                    if ins.remove(o):
                        removed.append(o)
                        touched.add(s)
            for s in sorted(touched):
                ins.drop_idle_depot_stop(s)
        others = [
            o
            for o in self.movable
            if o not in cand.start and self.eligible[o] and o not in removed
        ]
        # The removed orders and a few of the other unserved ones are offered back, most
        # valuable first; inside a value class in random order (variety between moves).
        sample = rng.sample(others, min(len(others), max(2, size // 2)))
        unserved = removed + list(dict.fromkeys(urgent + sample))
        unserved.sort(key=lambda o: (-self.value[o], rng.random()))
        for o in unserved:
            best = ins.best(o)
            if best is not None and best.delta < self.value[o]:
                ins.apply(best)
        cand.cost = solution_cost(inst, cand)
        return ins

    def _related(self, seed: int, sol: Solution) -> list[int]:
        """The seed (if served) and the orders nearest to it (Shaw relatedness by place)."""
        near = [int(x) for x in self.near[seed]]
        return [seed, *near] if seed in sol.start else near

    def _strings(self, seed: int, sol: Solution, size: int) -> list[int]:
        """Strings of consecutive orders from the seed's route and the routes of its nearest
        neighbours (Christiaens and Vanden Berghe's SISR ruin)."""
        rng, out = self.rng, []
        routes_seen: set[int] = set()
        for o in [seed, *(int(x) for x in self.near[seed])]:
            s = sol.provider.get(o)
            if s is None or s in routes_seen:
                continue
            routes_seen.add(s)
            seq = sol.routes[s].orders
            length = min(len(seq), rng.randint(1, max(1, size // 2)))
            at = seq.index(o)
            first = max(0, min(at - rng.randint(0, length - 1), len(seq) - length))
            out += seq[first : first + length]
            if len(routes_seen) >= 3 or len(out) >= size:
                break
        return out

    def _route(self, sol: Solution) -> list[int]:
        """Every order of one short route (to try to do without it)."""
        routes = [r for r in sol.routes.values() if r.orders]
        if not routes:
            return []
        routes.sort(key=lambda r: (len(r.orders), r.shift))
        pick = routes[min(int(self.rng.expovariate(0.5)), len(routes) - 1)]
        return list(pick.orders)


def anneal(
    inst: Instance,
    eligible: dict[int, list[int]],
    sol: Solution,
    rng: random.Random,
    *,
    iterations: int | None,
    clock: Callable[[int], float],
) -> tuple[Solution, int]:
    """Threshold-accepting ruin and recreate; returns the best solution and the moves made.

    `clock(n)` says which fraction of the budget is used after n moves (1.0 stops)."""
    rr = RuinRecreate(inst, eligible, rng)
    best = sol
    # The threshold is a share of the routing cost per order, never of unassigned penalties.
    served = sol.served()
    penalties = sum(rr.value[o] for o in range(len(inst.orders)) if o not in served)
    routing = max((sol.cost or 0) - penalties, 1)
    start_threshold = THRESHOLD * routing / max(len(served), 1)
    n = 0
    current = rr.inserter(sol)
    while True:
        used = clock(n)
        if used >= 1.0 or (iterations is not None and n >= iterations):
            break
        size = rng.randint(2, max(2, min(12, len(inst.orders) // 4)))
        cand = rr.step(current, size)
        n += 1
        threshold = start_threshold * (1.0 - used)
        if cand.sol.cost < current.sol.cost + threshold * size:
            current = cand
            if cand.sol.cost < best.cost:
                best = cand.sol
    return best, n
