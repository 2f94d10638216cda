"""Ejection chains for urgent work (Glover 1996; Rousseau, Gendreau and Pesant 2002): a
mandatory, pinned or priority-1 order that fits nowhere takes the place of visits of lower
value (a priority-1 or pinned one: of no higher value), which are then offered back elsewhere
or left out when that is cheaper.

A crew or linked order ejects across the routes its members could join at once: one visit
of one route, or one visit in each of two routes at about the same time (a crew needs two
technicians free together). An ejected visit as valuable as the order itself (another
outage) goes on with the chain: it ejects in turn, never what the chain moved before. Each
step keeps the few cheapest solutions (a beam), the whole chain a bounded number of trials.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from optimizer.construct import _reachable, insert, take_out
from optimizer.cp.objective import RouteKey, solution_cost, unassigned_cost
from optimizer.groups import _candidates, group_value, insert_group, is_grouped
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.retime import Ties, insert_pushed

ENOUGH = 2
"""A chain step stops trying ejections once this many times its beam placed the order."""

Found = tuple[Inserter, int]
"""A solution found by a chain and its cost."""


def place(
    ins: Inserter,
    o: int,
    ties: Ties | None = None,
    shifts: list[int] | None = None,
    near: set[int] | None = None,
) -> list[int] | None:
    """Insert unserved o (its whole group) where it is cheapest, when that costs less than
    leaving it out; with active `ties`, placements that delay the tied visits after it are
    tried as well (`optimizer.retime`). A single order goes to one of `shifts` when given
    (else its nearest routes); with `near`, a group has a member in one of those shifts.
    The shifts touched, or None."""
    if ties is None or not ties.active:
        return insert(ins, o, shifts)
    if is_grouped(ins.inst, o):
        return insert_group(ins, o, ties, near)
    return insert_pushed(ins, ties, o, shifts)


def _place_changed(ins: Inserter, o: int, ties: Ties | None, changed: set[int]) -> bool:
    """`place` for an order that fit nowhere before these shifts' routes changed (and
    nothing else did): it can fit only with one of them, so only those are tried."""
    if is_grouped(ins.inst, o):
        return place(ins, o, ties, near=changed) is not None
    shifts = [s for s in ins.nearest_routes(o) if s in changed]
    return bool(shifts) and place(ins, o, ties, shifts) is not None


def eject_insert(
    ins: Inserter,
    o: int,
    memo: dict[RouteKey, int] | None = None,
    ties: Ties | None = None,
    stuck: bool = False,
    *,
    trials: int | None = None,
    deadline: float | None = None,
) -> Inserter | None:
    """An inserter (a copy of `ins`) in which unserved order o, with its group, is served by
    an ejection chain, when its solution costs less than that of `ins`; otherwise None.
    `memo` keeps route costs between calls (`solution_cost`); with `ties`, insertions may
    delay tied visits (a crew's later outages) as in `place`. `stuck`: o is known to fit
    nowhere in `ins` as it is (else that is tried first). The chain tries at most `trials`
    ejections (default `eject_trials`), none after `deadline` (a `time.monotonic()` instant).
    An order that fits nowhere even with every visit a chain may eject for it taken out
    (`hopeless`) costs one placement, not a chain."""
    inst, moves = ins.inst, ins.moves
    if o in ins.sol.start or not ins.eligible[o] or moves.eject_depth == 0:
        return None
    memo = {} if memo is None else memo
    before = solution_cost(inst, ins.sol, memo)
    budget = [moves.eject_trials if trials is None else trials]
    stuck = stuck or place(ins.clone(), o, ties) is None
    if stuck and hopeless(ins, o, ties):
        return None
    found = _chain(ins, o, moves.eject_depth, frozenset(), memo, budget, ties, stuck, deadline)
    if found is None or found[1] >= before:
        return None
    return found[0]


def _chain(
    ins: Inserter,
    o: int,
    depth: int,
    tabu: frozenset[int],
    memo: dict[RouteKey, int],
    budget: list[int],
    ties: Ties | None,
    stuck: bool = True,
    deadline: float | None = None,
    top: bool = True,
) -> Found | None:
    """The cheapest solution found in which o is served by ejecting visits (and offering
    them back, going on with the chain for the most valuable one left out while `depth`
    allows), or None; `budget` holds the trials left for the whole chain. `stuck`: o fits
    nowhere in `ins`, so a trial places it only in a route its ejection changed."""
    inst = ins.inst
    members = inst.linked_group(o)
    tabu = tabu | set(members)
    # The first step keeps its beam; the steps after it follow their cheapest ejection only
    # (a beam at every step made a chain of three steps cost 13 steps' trials).
    beam = ins.moves.eject_beam if top else 1
    trials: list[tuple[int, int, Inserter, list[int]]] = []
    for k, victims in enumerate(_victims(ins, o, tabu)):
        if budget[0] <= 0 or (deadline is not None and time.monotonic() > deadline):
            break
        budget[0] -= 1
        trial = ins.clone()
        out: list[int] = []
        changed: set[int] = set()
        # A visit whose route cannot be re-timed without it (a crew's fixed start after it)
        # may come out once the others have.
        for v in victims + victims:
            if v in trial.sol.start:
                shifts = take_out(trial, v)
                if shifts is not None:
                    out += [y for y in inst.linked_group(v) if y not in out]
                    changed.update(shifts)
        if not out:
            continue
        if not (_place_changed(trial, o, ties, changed) if stuck else place(trial, o, ties)):
            continue
        trials.append((solution_cost(inst, trial.sol, memo), k, trial, out))
        if len(trials) >= ENOUGH * beam:
            break  # the victims come least valuable first: later ones rarely pay more
    trials.sort(key=lambda t: (t[0], t[1]))
    best: Found | None = None
    for _, _, trial, out in trials[:beam]:
        for x in sorted(out, key=lambda y: (-unassigned_cost(inst, y), y)):
            if x not in trial.sol.start:
                place(trial, x, ties)
        found: Found = (trial, solution_cost(inst, trial.sol, memo))
        left = [x for x in out if x not in trial.sol.start]
        if left and depth > 1:
            x = min(left, key=lambda y: (-group_value(inst, y), y))
            deeper = _chain(
                trial,
                x,
                depth - 1,
                tabu | set(out),
                memo,
                budget,
                ties,
                deadline=deadline,
                top=False,
            )
            if deeper is not None and deeper[1] < found[1]:
                found = deeper
        if best is None or found[1] < best[1]:
            best = found
    return best


def hopeless(ins: Inserter, o: int, ties: Ties | None = None) -> bool:
    """No ejection chain can serve unserved o: it fits nowhere even once every visit that a
    chain may eject for it (`_ejectable`, in the routes it ejects from) is taken out, a lower
    bound of every chain's first step (taking visits out only frees time)."""
    inst = ins.inst
    trial = ins.clone()
    may = _ejectable(ins, o, frozenset(inst.linked_group(o)))
    for s in _routes(ins, o):
        route = trial.sol.routes.get(s)
        for v in list(route.orders) if route is not None else []:
            if v in trial.sol.start and may(v):
                take_out(trial, v)
    return place(trial, o, ties) is None


def _routes(ins: Inserter, o: int) -> list[int]:
    """The routes a chain for o ejects from: the nearest candidates of each member."""
    routes: list[int] = []
    for x in ins.inst.linked_group(o):
        routes += [s for s in _candidates(ins, x)[: ins.moves.eject_routes] if s not in routes]
    return routes


def _ejectable(ins: Inserter, o: int, tabu: frozenset[int]) -> Callable[[int], bool]:
    """Whether a served visit may be ejected for o: not tabu, pinned or waited for, and of
    lower value (an urgent order's: of no higher value)."""
    inst, sol = ins.inst, ins.sol
    value = group_value(inst, o)
    members = inst.linked_group(o)
    # An urgent order (priority 1 or pinned) may move one as valuable (another outage) to
    # another crew; any other order only less valuable work: on a day where every order is
    # mandatory (Solomon, TRSP) a plain one ejects nothing, which only churned the first plan.
    urgent = any(
        inst.orders[x].priority == 1 or inst.orders[x].pin_tech is not None for x in members
    )
    dependents = {p for x in sol.start for p in inst.orders[x].after}

    def ejectable(v: int) -> bool:
        order = inst.orders[v]
        return (
            v not in tabu
            and v not in dependents
            and order.pin_tech is None
            and order.pin_start is None
            and not any(y in tabu for y in inst.linked_group(v))
            and (group_value(inst, v) < value or (urgent and group_value(inst, v) == value))
        )

    return ejectable


def _victims(ins: Inserter, o: int, tabu: frozenset[int]) -> Iterator[list[int]]:
    """Sets of visits to eject for o, least valuable first: each visit of the routes its
    members could join (nearest first, visits nearest to when o could start first), alone,
    then with the next visit of its route (a single order) or with the visit of another of
    those routes at about the same time (a group: two technicians free together)."""
    inst, sol = ins.inst, ins.sol
    members = inst.linked_group(o)
    grouped = len(members) > 1 or inst.orders[o].crew > 1
    target = min(_reachable(inst, x) for x in members)
    routes = _routes(ins, o)
    ejectable = _ejectable(ins, o, tabu)

    visits = {
        s: [v for v in sol.routes[s].orders if ejectable(v)]
        for s in routes
        if s in sol.routes and sol.routes[s].orders
    }
    sets: dict[frozenset[int], tuple[int, int, int]] = {}
    for rank, (s, vs) in enumerate(visits.items()):
        for v in vs:
            far = abs(sol.start[v] - target)
            base = group_value(inst, v)
            sets.setdefault(frozenset([v]), (base, rank, far))
            if not grouped:
                seq = sol.routes[s].orders
                at = seq.index(v)
                if at + 1 < len(seq) and seq[at + 1] in vs:
                    nxt = seq[at + 1]
                    sets.setdefault(
                        frozenset([v, nxt]), (base + group_value(inst, nxt), rank, far)
                    )
                continue
            for s2, ws in visits.items():
                w = _overlapping(inst, sol.start, v, [y for y in ws if s2 != s and y != v])
                if w is not None:
                    pair = frozenset([v, w])
                    sets.setdefault(pair, (base + group_value(inst, w), rank, far))
    for victims, _ in sorted(sets.items(), key=lambda kv: (kv[1], sorted(kv[0]))):
        yield sorted(victims)


def _overlapping(inst: Instance, start: dict[int, int], v: int, others: list[int]) -> int | None:
    """Of `others`, the visit whose time overlaps v's the most (the nearest in time when
    none overlaps), or None when there are none."""
    best: tuple[int, int] | None = None
    lo, hi = start[v], start[v] + inst.orders[v].duration
    for w in others:
        a, b = start[w], start[w] + inst.orders[w].duration
        score = min(hi, b) - max(lo, a)  # overlap, negative for a gap
        if best is None or score > best[0]:
            best = (score, w)
    return None if best is None else best[1]
