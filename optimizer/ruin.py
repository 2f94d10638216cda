"""Ruin and recreate (Schrimpf et al. 2000; Shaw 1998 relatedness): remove a few related
orders, re-insert them and the unserved ones greedily in a random order of value classes,
keep the result under a falling threshold. Fast enough in Python for hundreds of moves a
second on a day of a hundred orders. Crew and linked orders move as a whole: taken out with
their group and placed again with every member (`optimizer.groups`)."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable

import numpy as np

from optimizer.construct import take_out
from optimizer.cp.objective import RouteKey, solution_cost, unassigned_cost
from optimizer.eject import eject_insert, place
from optimizer.groups import _candidates, is_grouped
from optimizer.inserter import Inserter
from optimizer.instance import Instance
from optimizer.params import RuinRecreateParams, SolveParams
from optimizer.pool import Entry, RoutePool
from optimizer.retime import Ties
from optimizer.solution import RouteSol, Solution
from optimizer.state import SegmentCache
from optimizer.timing import lateness

SCORES = (33.0, 9.0, 13.0)
"""Scores of a move for the adaptive removal weights (Ropke and Pisinger 2006): a new best
solution, a better current one, an accepted worse one; a rejected move or one to a solution
of the same cost scores 0."""
SCORE_SCALE = 10.0
"""Starting sum of the adaptive weights, near the mean score of a move."""

FailureKey = tuple[object, ...]
"""The state of the routes an insertion of an order tries (`Failures.key`)."""


class Failures:
    """Orders (a group by its first member) whose last insertion failed, with the state of
    the routes that were tried then. Offered back before any of those routes changed, they
    would fail again, so they are skipped (the insertion caches of jsprit and Vroom keep
    per-route results the same way). A group tries only its members' nearest routes
    (`optimizer.groups`), so those are its key; a single order, every eligible route.
    Routes elsewhere may still matter through pushed partners and depot stock; they are not
    part of the key: a failure is remembered by the state of the routes tried."""

    STATES = 20000

    def __init__(self, inst: Instance, eligible: dict[int, list[int]], most: int) -> None:
        self.inst = inst
        self.eligible = eligible
        self.most = most  # keys remembered per order
        self.after: dict[int, list[int]] = {}
        for o in range(len(inst.orders)):
            members = inst.linked_group(o) if is_grouped(inst, o) else [o]
            self.after[o] = sorted({p for x in members for p in inst.orders[x].after})
        # Per order, the keys of its last failures (oldest first): a rejected move leaves
        # the current solution as it was, so its states recur.
        self.failed: dict[int, dict[FailureKey, None]] = {}
        # The state of each route object seen, by its id (see `key`).
        self.states: dict[int, tuple[RouteSol, tuple[object, ...]]] = {}
        # Per single order, the state of each route in which it last failed to fit (`_state`),
        # and at -1 its predecessors' starts then (`untried`).
        self.routes_failed: dict[int, dict[int, object]] = {}

    def known(self, o: int, key: FailureKey) -> bool:
        """Order o failed to fit in routes in this state before."""
        return key in self.failed.get(o, ())

    def note(self, o: int, key: FailureKey) -> None:
        """Order o fits nowhere with its routes in this state."""
        keys = self.failed.setdefault(o, {})
        keys[key] = None
        if len(keys) > self.most:
            del keys[next(iter(keys))]

    def untried(self, ins: Inserter, o: int) -> list[int]:
        """The routes an insertion of single order o tries (`Inserter.nearest_routes`) less
        those in which it failed before and that are as they were then (the same route
        state, its predecessors' starts the same): empty when it would fail again. Per
        route, so a move that changed one of them re-prices that one only."""
        sol = ins.sol
        shifts = ins.nearest_routes(o)
        seen = self.routes_failed.get(o)
        if not seen:
            return shifts
        if seen[-1] != tuple(map(sol.start.get, self.after[o])):
            del self.routes_failed[o]
            return shifts
        return [s for s in shifts if seen.get(s) != self._state(ins, s)]

    def note_routes(self, ins: Inserter, o: int, shifts: list[int]) -> None:
        """Single order o fits in none of these routes as they are now."""
        sol = ins.sol
        starts = tuple(map(sol.start.get, self.after[o]))
        seen = self.routes_failed.get(o)
        if seen is None or seen[-1] != starts:
            seen = self.routes_failed[o] = {-1: starts}
        for s in shifts:
            seen[s] = self._state(ins, s)

    def key(self, ins: Inserter, o: int) -> FailureKey:
        """The state of the routes an insertion of o tries, and its predecessors' starts."""
        inst, sol = self.inst, ins.sol
        if is_grouped(inst, o):
            shifts = sorted({s for x in inst.linked_group(o) for s in _candidates(ins, x)})
        else:
            shifts = self.eligible.get(o, [])
        parts: list[object] = [tuple(sol.start.get(p) for p in self.after[o])]
        parts += [self._state(ins, s) for s in shifts]
        return tuple(parts)

    def _state(self, ins: Inserter, s: int) -> object:
        """The state of shift s's route: its stops, starts, breaks and depot stop (the
        shift alone when it has no orders)."""
        r = ins.sol.routes.get(s)
        if r is None or not r.orders:
            return s
        # A route object is replaced, never changed, when its route or starts change:
        # its state is read once (the object is kept, so its id stays its own).
        states = self.states
        hit = states.get(id(r))
        if hit is None or hit[0] is not r:
            starts = tuple(map(ins.sol.start.__getitem__, r.orders))
            state = (s, starts, tuple(r.orders), r.depart, r.depot, tuple(r.breaks))
            if len(states) >= self.STATES:
                states.clear()
            hit = states[id(r)] = (r, state)
        return hit[1]


class RuinRecreate:
    """One ruin-and-recreate search state over a solution."""

    def __init__(
        self,
        inst: Instance,
        eligible: dict[int, list[int]],
        rng: random.Random,
        params: SolveParams | None = None,
    ) -> None:
        self.inst = inst
        self.params = params if params is not None else SolveParams()
        self.tuning = self.params.ruin_recreate
        self.eligible = eligible
        self.rng = rng
        locs = np.array([o.loc for o in inst.orders], dtype=int)
        sym = (inst.travel.seconds + inst.travel.seconds.T) / 2.0
        # Nearest orders by travel, for related removals.
        self.near = np.argsort(sym[np.ix_(locs, locs)], axis=1)[:, :40]
        # Late removals only where lateness is priced: other days keep their moves.
        self.priced_late = any(inst.c_lateness) and any(o.due is not None for o in inst.orders)
        # Adaptive weights of late and related removals (`late_adaptive`): the late ones are
        # drawn with odds late / (late + related), each weight following the scores of the
        # moves its kind made; `drawn` is the kind of this move's removal, if one was drawn.
        share = self.tuning.late_share
        self.weights = {"late": share * SCORE_SCALE, "related": (1 - share) * SCORE_SCALE}
        self.drawn: str | None = None
        # A group is offered back through its first member only.
        self.movable = [
            o
            for o in range(len(inst.orders))
            if not is_grouped(inst, o) or o == inst.linked_group(o)[0]
        ]
        self.has_dependents = {p for order in inst.orders for p in order.after}
        self.value = [unassigned_cost(inst, o) for o in range(len(inst.orders))]
        # Must-serve and priority-1 orders: always offered back, and room is made for them.
        self.urgent = [o for o in self.movable if self.value[o] >= max(inst.c_unassigned[0], 1)]
        self.segments = SegmentCache(inst, self.params.moves)
        self.ties = Ties(inst)
        self.failures = Failures(inst, eligible, self.tuning.failed_keys)
        self.ejections = Failures(inst, eligible, self.tuning.failed_keys)  # chains that failed
        # Unserved urgent orders offered back in vain: the move from which each is offered
        # again and how many times in a row it failed (`urgent_rest`).
        self.resting: dict[int, tuple[int, int]] = {}
        self.made = 0  # moves made
        self.exchange_pays = 1.0  # running share of exchange calls that found something
        self.costs: dict[RouteKey, int] = {}  # route parts of the objective (`solution_cost`)
        # Keys of the orders in which recreate offers orders back (Christiaens and Vanden
        # Berghe's SISR varies it): random, farthest from any start first, earliest
        # closing first, tightest windows first.
        starts = sorted({sh.start_loc for sh in inst.shifts})
        far = (
            sym[np.ix_(locs, np.array(starts, dtype=int))].min(axis=1)
            if len(locs) and starts
            else np.zeros(0)
        )
        self.keys: list[list[float]] = [
            (-far).tolist(),
            [float(min(o.windows[-1][1], o.due or inst.horizon)) for o in inst.orders],
            [float(sum(we - ws for ws, we in o.windows)) for o in inst.orders],
        ]

    def inserter(self, sol: Solution) -> Inserter:
        """An inserter over a copy of sol, sharing this search's route segments."""
        return Inserter(self.inst, sol.copy(), self.eligible, segments=self.segments)

    def step(self, current: Inserter, size: int) -> Inserter:
        """A new solution: `size` related orders out, then every unserved order offered
        back. `current` is left as it is."""
        inst, rng = self.inst, self.rng
        ins = current.clone()
        cand = ins.sol
        served = list(cand.provider)
        self.drawn = None
        removed: list[int] = []
        touched: set[int] = set()
        urgent = [o for o in self.urgent if o not in cand.start and self.eligible[o]]
        if served:
            kind = rng.random()
            if urgent and kind < 0.3:
                # Make room around an unserved urgent order.
                victims = self._related(rng.choice(urgent), cand)
            elif kind < 0.55:
                # With every order served, the cost is in the routes: late removals then.
                late = self._late(cand, size) if self._all_served(cand) else []
                victims = late or self._related(rng.choice(served), cand)
            elif kind < 0.85:
                victims = self._strings(rng.choice(served), cand, size)
            else:
                victims = self._route(cand)
            for o in victims:
                if len(removed) >= size and kind < 0.85:
                    break
                if o in cand.provider and o not in self.has_dependents and o not in removed:
                    shifts = take_out(ins, o)
                    if shifts is not None:
                        removed.append(o if not is_grouped(inst, o) else inst.linked_group(o)[0])
                        touched.update(shifts)
            for s in sorted(touched):
                ins.drop_idle_depot_stop(s)
        others = [
            o
            for o in self.movable
            if o not in cand.start and self.eligible[o] and o not in removed
        ]
        # The removed orders and a few of the other unserved ones are offered back, most
        # valuable first; inside a value class in random order or by one of the keys.
        sample = rng.sample(others, min(len(others), max(2, size // 2)))
        # A few of the unserved urgent orders each move: some may fit nowhere at all, and
        # trying every one of them on every move would take most of the move's time.
        tuning = self.tuning
        rested = [o for o in urgent if self.resting.get(o, (0, 0))[0] <= self.made]
        hurry = rng.sample(rested, min(len(rested), tuning.urgent_tries))
        unserved = removed + list(dict.fromkeys(hurry + sample))
        pick, share = rng.random(), tuning.random_order
        if pick < share:
            unserved.sort(key=lambda o: (-self.value[o], rng.random()))
        else:
            key = self.keys[min(int((pick - share) / (1 - share) * 3), 2)]
            unserved.sort(key=lambda o: (-self.value[o], key[o], rng.random()))
        for o in unserved:
            if o in cand.start:
                continue
            if not is_grouped(inst, o):
                # Only the routes that changed since it last failed in them are tried.
                tried = self.failures.untried(ins, o)
                if not tried:
                    continue
                shifts = place(ins, o, self.ties, tried)
                if shifts is not None:
                    touched.update(shifts)
                else:
                    self.failures.note_routes(ins, o, tried)
                continue
            state = self.failures.key(ins, o)
            if self.failures.known(o, state):
                continue  # its routes are as they were when it once fit nowhere
            shifts = place(ins, o, self.ties)
            if shifts is not None:
                touched.update(shifts)
            else:
                self.failures.note(o, state)
        left = [o for o in hurry if o not in ins.sol.start]
        self._rest(hurry, left)
        if left and rng.random() < tuning.eject_share:
            ins, changed = self._eject(ins, left[0])
            cand = ins.sol
            touched.update(changed)
        if rng.random() < max(tuning.exchange_floor, self.exchange_pays):
            # The touched routes exchange their ends (2-opt*) as often as that pays: much
            # on long routes with wide windows, little where skills and depot stops bind.
            made = ins.exchange_tails(touched)
            self.exchange_pays += 0.02 * ((made > 0) - self.exchange_pays)
        cand.cost = solution_cost(inst, cand, self.costs)
        return ins

    def _rest(self, hurry: list[int], left: list[int]) -> None:
        """The urgent crew and linked orders offered back this move that still fit nowhere
        (`left`) rest for twice as many moves as the last time, up to `urgent_rest`; the
        others rest no more. Most of a bad day's unserved outages fit nowhere move after
        move (no crew free at once), and offering each of them back every move took most
        of the moves' time. A single order's failures are remembered per route
        (`Failures.untried`), which costs little: it does not rest (on Solomon and TRSP days,
        where every order is mandatory, resting ones cost plans at an equal move budget)."""
        self.made += 1
        for o in hurry:
            if o not in left or not is_grouped(self.inst, o):
                self.resting.pop(o, None)
                continue
            fails = self.resting.get(o, (0, 0))[1] + 1
            wait = min(1 << (fails - 1), self.tuning.urgent_rest)
            self.resting[o] = (self.made + wait, fails)

    def _eject(self, ins: Inserter, o: int) -> tuple[Inserter, set[int]]:
        """Unserved urgent order o placed by an ejection chain (`optimizer.eject`) when one
        pays: the inserter then and the shifts whose routes changed. A chain that failed is
        not tried again before its routes change."""
        state = self.ejections.key(ins, o)
        if self.ejections.known(o, state):
            return ins, set()
        found = eject_insert(ins, o, self.costs, self.ties, stuck=True)
        if found is None:
            self.ejections.note(o, state)
            return ins, set()
        old, new = ins.sol.routes, found.sol.routes
        changed = {
            s
            for s in old.keys() | new.keys()
            if s not in old or s not in new or old[s].orders != new[s].orders
        }
        return found, changed

    def _related(self, seed: int, sol: Solution) -> list[int]:
        """The seed (if served) and the orders nearest to it (Shaw relatedness by place)."""
        near = [int(x) for x in self.near[seed]]
        return [seed, *near] if seed in sol.start else near

    def _all_served(self, sol: Solution) -> bool:
        """Lateness is priced and sol serves every order that can be served: no removal
        needs to make room for one left out."""
        return self.priced_late and all(
            o in sol.start or not self.eligible[o] for o in self.movable
        )

    def _late(self, sol: Solution, size: int) -> list[int]:
        """On a share of moves (`late_share`), the late orders, the latest most likely
        first (Ropke and Pisinger's worst removal), each with the visits that make it late:
        its chain of waiting (`_causes`) with `late_causes`, else up to two visits before it
        in its route; empty on the other moves or when none is late."""
        rng, inst = self.rng, self.inst
        share = self.tuning.late_share
        if share <= 0:  # no draw: the moves of before
            return []
        if self.tuning.late_adaptive:
            w = self.weights
            share = min(max(w["late"] / max(w["late"] + w["related"], 1e-9), 0.05), 0.95)
        if rng.random() >= share:
            self.drawn = "related"
            return []
        self.drawn = "late"
        late = sorted(
            ((lateness(inst, x, st), x) for x, st in sol.start.items()),
            key=lambda c: (-c[0], c[1]),
        )
        late = [c for c in late if c[0] > 0]
        out: list[int] = []
        causes = self.tuning.late_causes
        shifts_of = sol.shifts_of() if causes else {}
        while late and len(out) < size:
            _, x = late.pop(int(rng.random() ** 3 * len(late)))
            if causes:
                out += [
                    y for y in self._causes(sol, x, shifts_of, size - len(out)) if y not in out
                ]
                continue
            seq = sol.routes[sol.provider[x]].orders
            at = seq.index(x)
            out += [y for y in seq[max(0, at - rng.randint(0, 2)) : at + 1] if y not in out]
        return out

    def learn(self, score: float) -> None:
        """Move the weight of the kind of removal this move drew (if any) towards the move's
        score (`SCORES`), by `late_reaction`."""
        if self.drawn is not None and self.tuning.late_adaptive:
            w = self.weights[self.drawn]
            self.weights[self.drawn] = w + self.tuning.late_reaction * (score - w)

    def _causes(
        self, sol: Solution, x: int, shifts_of: dict[int, list[int]], most: int
    ) -> list[int]:
        """x and the visits that hold it back, nearest first (at most `most`): following the
        chain of waiting from x, a visit is held back by the visit before it in a route that
        reaches it without waiting, by a linked visit whose start binds its gap, and by an
        order it must follow that ends at its start. A late crew or linked visit is then taken
        out with the visits that delay its partner in the partner's route, which no removal
        by place or by route takes together."""
        inst, start = self.inst, sol.start
        rows = inst.travel.rows
        orders = inst.orders
        out, todo = [x], [x]
        seen = {x}
        while todo and len(out) < most:
            y = todo.pop(0)
            here, sy = orders[y], start[y]
            held: list[int] = []
            for s in shifts_of.get(y, ()):
                seq = sol.routes[s].orders
                at = seq.index(y)
                if at > 0:
                    p = seq[at - 1]
                    ready = start[p] + orders[p].duration + rows[orders[p].loc][here.loc]
                    if ready >= sy:
                        held.append(p)
            # start_y - start_z in [lo, hi]: z holds y back when y starts at its least gap.
            held += [z for z, lo, _ in here.links if z in start and sy - start[z] <= lo]
            held += [p for p in here.after if p in start and start[p] + orders[p].duration >= sy]
            for z in held:
                if z not in seen:
                    seen.add(z)
                    out.append(z)
                    todo.append(z)
        return out[:most]

    def _strings(self, seed: int, sol: Solution, size: int) -> list[int]:
        """Strings of consecutive orders from the seed's route and the routes of its nearest
        neighbours (Christiaens and Vanden Berghe's SISR ruin)."""
        out: list[int] = []
        routes_seen: set[int] = set()
        partners = self.tuning.partner_strings
        shifts_of = sol.shifts_of() if partners else {}
        for o in [seed, *(int(x) for x in self.near[seed])]:
            s = sol.provider.get(o)
            if s is None or s in routes_seen:
                continue
            taken = self._string(sol, s, o, size, routes_seen)
            out += taken
            if partners:
                # The partners of a crew or linked visit taken, with the visits around them
                # in their own routes: the pair is placed again with room on both sides.
                for x in taken:
                    for y in self.inst.linked_group(x) if is_grouped(self.inst, x) else ():
                        for t in shifts_of.get(y, ()):
                            if t not in routes_seen and len(out) < size:
                                out += self._string(sol, t, y, size, routes_seen)
            if len(routes_seen) >= 3 or len(out) >= size:
                break
        return out

    def _string(self, sol: Solution, s: int, o: int, size: int, seen: set[int]) -> list[int]:
        """A string of consecutive visits of shift s's route around o (at most size / 2)."""
        seen.add(s)
        seq = sol.routes[s].orders
        length = min(len(seq), self.rng.randint(1, max(1, size // 2)))
        at = seq.index(o)
        first = max(0, min(at - self.rng.randint(0, length - 1), len(seq) - length))
        return list(seq[first : first + length])

    def _route(self, sol: Solution) -> list[int]:
        """Every order of one short route (to try to do without it)."""
        routes = [r for r in sol.routes.values() if r.orders]
        if not routes:
            return []
        routes.sort(key=lambda r: (len(r.orders), r.shift))
        pick = routes[min(int(self.rng.expovariate(0.5)), len(routes) - 1)]
        return list(pick.orders)


def ruin_cap(inst: Instance, tuning: RuinRecreateParams) -> int:
    """The most orders one ruin removes on this day: `max_ruin`, or `large_day_ruin` on a
    day of more than `large_day_orders` orders."""
    if len(inst.orders) > tuning.large_day_orders:
        return min(tuning.max_ruin, tuning.large_day_ruin)
    return tuning.max_ruin


def start_threshold(inst: Instance, sol: Solution, share: float) -> float:
    """The acceptance threshold per removed order at the start of a search from sol: `share`
    of the routing cost per served order (never of unassigned penalties)."""
    served = sol.served()
    penalties = sum(unassigned_cost(inst, o) for o in range(len(inst.orders)) if o not in served)
    routing = max((sol.cost or 0) - penalties, 1)
    return share * routing / max(len(served), 1)


def threshold_left(used: float, power: float) -> float:
    """The share of the starting threshold left after a share `used` of the budget:
    (1 - used) ** power (`RuinRecreateParams.threshold_power`), 1 at the start, 0 at the
    end."""
    return float(max(1.0 - used, 0.0) ** power)


def anneal(
    inst: Instance,
    eligible: dict[int, list[int]],
    sol: Solution,
    rng: random.Random,
    *,
    iterations: int | None,
    clock: Callable[[int], float],
    rr: RuinRecreate | None = None,
    pool: RoutePool | None = None,
    params: SolveParams | None = None,
) -> tuple[Solution, int]:
    """Threshold-accepting ruin and recreate; returns the best solution and the moves made.

    `clock(n)` says which fraction of the budget is used after n moves (1.0 stops). The
    acceptance threshold falls from `start_threshold` to 0 (`threshold_left`). A given
    search state `rr` is reused with rng (its parameters then hold, not `params`). The routes
    of every solution it builds go into `pool` when given."""
    if rr is None:
        rr = RuinRecreate(inst, eligible, rng, params)
    else:
        rr.rng = rng
    best = sol
    first = start_threshold(inst, sol, rr.tuning.threshold)
    most = ruin_cap(inst, rr.tuning)
    power = rr.tuning.threshold_power
    n = 0
    current = rr.inserter(sol)
    while True:
        used = clock(n)
        if used >= 1.0 or (iterations is not None and n >= iterations):
            break
        size = rng.randint(2, max(2, min(most, len(inst.orders) // 4)))
        cand = rr.step(current, size)
        n += 1
        allowed = first * threshold_left(used, power)
        if pool is not None:
            pool.add(cand.sol)
        value = cand.sol.objective()
        if value < current.sol.objective() + allowed * size:
            score = SCORES[0] if value < best.objective() else SCORES[1]
            if value >= current.sol.objective():
                # An equal solution is most often the same one: no reward for going nowhere.
                score = SCORES[2] if value > current.sol.objective() else 0.0
            current = cand
            if value < best.objective():
                best = cand.sol
        else:
            score = 0.0
        rr.learn(score)
    return best, n


_SHARED: dict[str, object] = {}
"""The instance, eligible shifts and search state (nearest orders, route segments), built
once and handed to forked chain processes by inheritance."""


Chain = tuple[Solution, int, dict[tuple[int, frozenset[int]], Entry] | None]
"""What a chain gives back: its best solution, its moves and the routes it pooled."""


def phase_clock(
    until: float, iterations: int | None, phase: tuple[float, float] = (0.0, 1.0)
) -> Callable[[int], float]:
    """The clock of a chain starting now (see `anneal`): it goes through `phase` of the
    threshold's fall over `iterations` moves or until `until`, then says 1.0 (stop)."""
    began = time.monotonic()
    length = max(until - began, 1e-9)
    first, last = phase

    def clock(n: int) -> float:
        if iterations is not None:
            done = n / max(iterations, 1)
        else:
            done = (time.monotonic() - began) / length
        return 1.0 if done >= 1.0 else first + (last - first) * done

    return clock


def _chain(job: tuple[Solution, int, int | None, float, tuple[float, float]]) -> Chain:
    """One chain: from sol, for `iterations` moves or until `until`, over the `phase` of
    the threshold's fall."""
    sol, seed, iterations, until, phase = job
    clock = phase_clock(until, iterations, phase)
    rr: RuinRecreate = _SHARED["rr"]  # type: ignore[assignment]
    pool = RoutePool(rr.inst, rr.params.pool) if _SHARED["pooled"] else None
    best, n = anneal(
        _SHARED["inst"],  # type: ignore[arg-type]
        _SHARED["eligible"],  # type: ignore[arg-type]
        sol,
        random.Random(seed),
        iterations=iterations,
        clock=clock,
        rr=rr,
        pool=pool,
    )
    return best, n, None if pool is None else pool.routes


def can_fork_chains() -> bool:
    """Chains run in forked processes: not from a daemonic process (which may have no
    children) and only where fork exists."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def anneal_chains(
    inst: Instance,
    eligible: dict[int, list[int]],
    sol: Solution,
    seed: int,
    chains: int,
    *,
    until: float,
    iterations: int | None,
    pool: RoutePool | None = None,
    phase: tuple[float, float] = (0.0, 1.0),
    params: SolveParams | None = None,
) -> tuple[Solution, int]:
    """Ruin and recreate in `chains` independent chains (one here, the others in forked
    processes), each from sol over the whole budget; the best solution any found (the first
    of equals, for determinism) and the moves made in all. `phase` is the part of the
    threshold's fall (from start to 0) the budget covers.

    The budget is the deadline `until` (a `time.monotonic()` instant), or `iterations`
    moves per chain when given; with a move budget the result depends only on the seed.
    Every chain's pooled routes go into `pool` when given.
    Chains that met every 2 s and all went on from the best did worse: every restart cut
    a chain's annealing short (10 TRSP instances at 30 s, mean gap 5.4% against 3.4%)."""
    _SHARED.update(
        inst=inst,
        eligible=eligible,
        rr=RuinRecreate(inst, eligible, random.Random(seed), params),
        pooled=pool is not None,
    )
    seeds = [(seed * 1_000_003 + c) & 0x7FFFFFFF for c in range(chains)]
    jobs = [(sol, k, iterations, until, phase) for k in seeds]
    try:
        with multiprocessing.get_context("fork").Pool(chains - 1) as processes:
            others = processes.map_async(_chain, jobs[1:])
            results = [_chain(jobs[0]), *others.get()]
    finally:
        _SHARED.clear()
    best = sol
    for found, _, routes in results:
        if found.objective() < best.objective():
            best = found
        if pool is not None and routes is not None:
            pool.merge(routes)
    return best, sum(n for _, n, _ in results)
