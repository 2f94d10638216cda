"""The cost kernel (optimizer/kernel.py): its merge against stop-by-stop timing, its prices
against the timed route and the evaluator, on hand-checked and generated routes."""

from __future__ import annotations

import random

from factory import at, order, problem, tech
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generator import BadDay, generate_day
from benchmarks.moves import evaluated_objective, own_cost
from models import load_problem
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import order_part, route_part, solution_cost
from optimizer.inserter import Inserter
from optimizer.instance import compile_problem
from optimizer.kernel import (
    BREAK,
    DEPOT,
    DURATION,
    EARLY,
    KNEES,
    LAST,
    LATE,
    TRAVEL,
    RouteKernel,
    Seg,
    concat,
    fold,
    fold_back,
    lateness,
    order_seg,
    seg_cost,
    seg_end,
    segment,
    time_route,
)
from optimizer.params import MoveParams
from optimizer.schedule import route_cost
from optimizer.solution import RouteSol

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

Stop = tuple[int, int, int, int, int, int]
"""A stop for the merge property: (location, duration, window start, window end, due,
weight per second late)."""

stops = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 30),
        st.integers(0, 100),
        st.integers(0, 150),
        st.integers(0, 200),
        st.sampled_from([0, 0, 1, 3]),
    ).map(lambda s: (s[0], s[1], min(s[2], s[3]), max(s[2], s[3]), s[4], s[5])),
    min_size=1,
    max_size=7,
)
ROWS = [[0, 7, 12, 5], [7, 0, 9, 11], [12, 9, 0, 4], [5, 11, 4, 0]]


def _seg(stop: Stop) -> Seg:
    loc, duration, early, late, due, w = stop
    if w:
        return segment(
            duration, early, late, loc, loc, 0, w * max(0, early - due), ((max(early, due), w),)
        )
    return segment(duration, early, late, loc, loc)


def _simulate(path: list[Stop], t: int) -> tuple[int, int] | None:
    """Stop by stop from reaching the first at t: (end of the last, weighted lateness), or
    None when a stop is reached after its window."""
    late, loc = 0, path[0][0]
    for where, duration, early, latest, due, w in path:
        t += ROWS[loc][where]
        if t > latest:
            return None
        t = max(t, early)
        late += w * max(0, t - due)
        t += duration
        loc = where
    return t, late


@SETTINGS
@given(stops, stops, st.integers(-50, 200))
def test_concat_is_timing_stop_by_stop(a: list[Stop], b: list[Stop], t: int) -> None:
    """Merging any two segments (each itself merged stop by stop, in either grouping) gives
    the end and lateness of timing every stop in turn, for any start, and refuses exactly
    when a stop would miss its window."""
    path = a + b
    left: Seg | None = _seg(a[0])
    for stop in a[1:]:
        left = concat(ROWS, left, _seg(stop)) if left is not None else None
    right: Seg | None = _seg(b[-1])
    for stop in reversed(b[:-1]):
        right = concat(ROWS, _seg(stop), right) if right is not None else None
    whole = concat(ROWS, left, right) if left is not None and right is not None else None
    timed = _simulate(path, t - ROWS[path[0][0]][path[0][0]])
    if whole is None or t > whole[LATE]:
        assert timed is None
        return
    assert timed == (seg_end(whole, t), lateness(whole, t))


def _warp(path: list[Stop]) -> tuple[int, int, int, int, int]:
    """Vidal's time-warp fold of the path without due times, written out stop by stop:
    (duration, time warp, earliest start, latest start, travel)."""
    loc, d1, e1, l1, _, _ = path[0]
    w1 = tr1 = 0
    for where, d2, e2, l2, _, _ in path[1:]:
        leg = ROWS[loc][where]
        at = d1 - w1 + leg
        wait = max(0, e2 - at - l1)
        warp = max(0, e1 + at - l2)
        e1, l1 = max(e2 - at, e1) - wait, min(l2 - at, l1) + warp
        d1, w1, tr1, loc = d1 + d2 + leg + wait, w1 + warp, tr1 + leg, where
    return d1, w1, e1, l1, tr1


@SETTINGS
@given(stops)
def test_plain_segments_are_the_time_warp_fold(path: list[Stop]) -> None:
    """Without due times, the kernel's merge along a route (`fold`) is Vidal's time-warp
    fold: same duration, start window and travel where it is on time, refused exactly
    where the fold is late somewhere."""
    duration, warp, early, late, travel = _warp(path)
    merged = fold(ROWS, _seg((*path[0][:4], 0, 0)), [_seg((*s[:4], 0, 0)) for s in path[1:]])[-1]
    if warp:
        assert merged is None
        return
    assert merged is not None and not merged[KNEES]
    assert (merged[DURATION], merged[EARLY], merged[LATE], merged[TRAVEL]) == (
        duration,
        early,
        late,
        travel,
    )


def _lunch(due: str | None) -> tuple:
    """A at 10 east (30 min, 08:00-12:00), a lunch 12:00-13:00 for 30 min, and B at 20 east
    (30 min, window 08:00-17:00) due at `due` (priority 1): the route [A] and B."""
    brk = [{"earliest_start": at("12:00"), "latest_end": at("13:00"), "duration": "PT30M"}]
    b = {"due": at(due), "priority": 1} if due else {}
    p = problem(
        [tech("T", breaks=brk)],
        [
            order("A", 10, 0, 30, time_windows=[{"start": at("11:30"), "end": at("11:30")}]),
            order("B", 20, 0, 30, time_windows=[{"start": at("08:00"), "end": at("17:00")}], **b),
        ],
        weights={"lateness": {"1": 10}},
    )
    inst = compile_problem(p)
    route = time_route(inst, 0, [0], None, [0])  # lunch after A: 12:00-12:30
    assert route is not None
    kern = RouteKernel.of(inst, 0, route.route)
    assert kern is not None
    return inst, kern


def test_insertion_after_lunch_prices_lateness() -> None:
    """B after A and lunch starts 12:40 (A ends 12:00, lunch to 12:30, 10 min to B): due at
    12:20, 20 min late at 10 a minute = 200 on top of 40 min travel (10 + 10 + 20); before
    lunch it starts 12:10 (10 late), lunch at B 12:40-13:10 ends past 13:00: not offered."""
    inst, kern = _lunch("12:20")
    assert kern.kinds[2] == BREAK
    priced = {g: cost for cost, g, _, _ in kern.price(inst, 1, order_seg(inst, 1))}
    scale = 60 * inst.c_travel
    late = inst.c_lateness[0] * 20 * 60
    assert priced[2] == scale * 40 + late + inst.c_used
    assert 1 not in priced
    seq, depot, breaks_at = kern.place(1, 2)
    timed = time_route(inst, 0, seq, depot, breaks_at)
    assert timed is not None and route_cost(inst, timed) == priced[2]
    assert timed.route.breaks == [(0, inst.orders[0].windows[0][0] + 30 * 60)]


def test_empty_route_takes_its_break_before_or_after() -> None:
    """An empty route's lunch may come before B (at the start location) or after it; both
    are priced, B first being cheaper only by nothing (no lateness without a due time)."""
    inst, _ = _lunch(None)
    kern = RouteKernel.of(inst, 0, RouteSol(0))
    assert kern is not None and kern.kinds == [-1, BREAK, 3]
    priced = sorted(kern.price(inst, 1, order_seg(inst, 1)))
    assert [g for _, g, _, _ in priced] == [0, 1]
    for cost, g, _, _ in priced:
        timed = time_route(inst, 0, *kern.place(1, g))
        assert timed is not None and route_cost(inst, timed) == cost


def _bad_day(seed: int, orders: int = 40, techs: int = 6, weights: dict | None = None):
    """A generated bad day compiled (with `weights`, when given), with its first plan in an
    inserter."""
    day = generate_day(orders, techs, seed=seed, bad_day=BadDay.realistic())
    if weights is not None:
        day["weights"] = weights
    problem_ = load_problem(day)
    inst = compile_problem(problem_)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    sol.cost = solution_cost(inst, sol)
    return problem_, inst, Inserter(inst, sol, eligible)


def test_prices_are_timed_route_costs() -> None:
    """On bad days, every route the kernel prices costs what the inserter holds, and every
    gap's price (no new depot stop, one before the order or before the first visit; the
    break where it is, right before or after the order, earlier where the route leaves the
    gap earliest, or after a later stop) is the cost of the route timed
    so, and a gap left out cannot be timed."""
    checked = 0
    for seed in range(4):
        _, inst, ins = _bad_day(seed, orders=80, techs=12)
        for s, route in ins.sol.routes.items():
            bounds = ins.kernel_bounds(route)
            kern = ins.segments.kernel_of(inst, s, route, bounds)
            if kern is None:
                continue
            assert kern.cost(inst) == ins.cost.get(s, 0)
            loose = ins.segments.kernel_of(inst, s, route, bounds, loose=True)
            assert loose is not None and len(inst.shifts[s].breaks) == 1
            depots = [] if route.depot is not None else list(range(len(inst.depots)))
            for o in range(len(inst.orders)):
                if not ins.segments.kernel[o] or o in route.orders:
                    continue
                for k, moves in ((kern, [0]), (loose, [1, 2, 3])):
                    priced = {
                        (g, via, brk): cost
                        for cost, g, via, brk in k.price(inst, o, order_seg(inst, o), depots)
                    }
                    for (g, via, brk), cost in priced.items():
                        timed = time_route(inst, s, *k.place(o, g, via, brk), k.bounds)
                        assert timed is not None and route_cost(inst, timed) == cost
                        checked += 1
                    for g in range(len(k.kinds) - 1):
                        for via in [None] + [(d, False) for d in depots]:
                            for brk in moves:
                                if (
                                    (g, via, brk) in priced
                                    or brk == 3
                                    or (brk == 1 and (via is not None or k.kinds[g] == DEPOT))
                                ):
                                    continue
                                placed = k.place(o, g, via, brk)
                                assert time_route(inst, s, *placed, k.bounds) is None
    assert checked > 50


@settings(max_examples=4, deadline=None, derandomize=True)
@given(st.integers(0, 10_000))
def test_kernel_insertions_cost_what_the_evaluator_says(seed: int) -> None:
    """Orders taken out of a bad day's plan and inserted again at the kernel's cheapest
    place: the search's own cost of the result is the evaluator's objective of its plan."""
    problem_, inst, ins = _bad_day(seed)
    rng = random.Random(seed)
    movable = [o for o in sorted(ins.sol.provider) if ins.segments.kernel[o]]
    for o in rng.sample(movable, min(8, len(movable))):
        if ins.remove(o):
            found = ins.best(o)
            if found is not None:
                ins.apply(found)
    sol = ins.sol
    for s, route in sol.routes.items():
        assert ins.cost.get(s, 0) == (route_cost(inst, ins._timed_as_is(s, route)))
    sol.cost = solution_cost(inst, sol)
    assert abs(own_cost(inst, sol) - evaluated_objective(inst, problem_, sol)) < 1e-6


WEIGHTS = st.fixed_dictionaries(
    {
        "travel": st.integers(0, 3),
        "idle": st.integers(0, 2),
        "overtime": st.integers(0, 10),
        "technician_used": st.integers(0, 300),
        "preference": st.integers(0, 60),
        "max_lateness": st.integers(0, 5),
        "lateness": st.fixed_dictionaries({str(p): st.integers(0, 20) for p in range(1, 6)}),
    }
)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), WEIGHTS)
def test_search_cost_is_the_evaluators_under_any_weights(seed: int, weights: dict) -> None:
    """Under any weights (idle time with breaks and depot stops, overtime, use, preferences,
    lateness), orders of a bad day's plan taken out and inserted again: the search's own cost
    of the result (the kernel's route prices) is the evaluator's objective of its plan."""
    problem_, inst, ins = _bad_day(seed, weights=weights)
    rng = random.Random(seed)
    for o in rng.sample(sorted(ins.sol.provider), min(6, len(ins.sol.provider))):
        if inst.orders[o].crew == 1 and ins.remove(o):
            found = ins.best(o)
            if found is not None:
                ins.apply(found)
    sol = ins.sol
    for s, route in sol.routes.items():
        assert ins.cost.get(s, 0) == route_cost(inst, ins._timed_as_is(s, route))
    sol.cost = solution_cost(inst, sol)
    assert abs(own_cost(inst, sol) - evaluated_objective(inst, problem_, sol)) < 1e-6


def test_the_kernel_can_be_switched_off() -> None:
    """With `moves.kernel` off no order is priced by the kernel; on, a bad day's are."""
    _, inst, ins = _bad_day(0)
    assert any(ins.segments.kernel)
    off = Inserter(inst, ins.sol, eligible_shifts(inst), moves=MoveParams(kernel=False))
    assert not any(off.segments.kernel)


def test_bounds_hold_every_price_of_their_gap() -> None:
    """On bad days, `RouteKernel.lower` bounds every price of a gap without a new depot
    stop (the break anywhere, in the loose kernel), and leaves out only gaps priced at
    nothing."""
    checked = 0
    for seed in range(3):
        _, inst, ins = _bad_day(seed, orders=80, techs=12)
        for s, route in ins.sol.routes.items():
            bounds = ins.kernel_bounds(route)
            for loose in (False, True):
                kern = ins.segments.kernel_of(inst, s, route, bounds, loose=loose)
                if kern is None:
                    continue
                for o in range(len(inst.orders)):
                    if not ins.segments.kernel[o] or o in route.orders:
                        continue
                    x = order_seg(inst, o)
                    lower = {g: bound for bound, g in kern.lower(inst, kern.job(inst, o, x))}
                    for cost, g, _, _ in kern.price(inst, o, x):
                        assert lower[g] <= cost
                        checked += 1
    assert checked > 50


def test_one_break_routes_need_no_timed_search() -> None:
    """Where the kernel finds no place for an order in routes of one break (moved anywhere
    by the loose kernel), re-timing those routes in full finds none either; where it
    finds one, re-timing finds none cheaper."""
    empty = 0
    for seed in range(3):
        _, inst, ins = _bad_day(seed, orders=80, techs=8)
        served = [o for o in sorted(ins.sol.provider) if ins.segments.kernel[o]]
        unserved = [o for o in range(len(inst.orders)) if o not in ins.sol.provider]
        for o in served[::4]:
            ins.remove(o)
            unserved.append(o)
        for o in unserved:
            if not ins.segments.kernel[o]:
                continue
            routes = [ins.kernel_route(o, s) for s in ins.eligible[o]]
            kerns = [k for k in routes if k is not None and k.other is not None]
            found = ins._best_kernel(o, kerns, None)
            timed = ins._best_timed(o, [k.shift for k in kerns])
            if found is None:
                empty += 1
                assert timed is None
            elif timed is not None:
                assert found.delta <= timed.delta
    assert empty > 0


def _merged_cost(inst, timed) -> int:
    """A timed route's cost from `concat` over its stops, each held at its start (the
    start at the departure, breaks and the depot stop where the route has them, the end at
    the return), priced by `seg_cost`, plus its preferences and changes."""
    r = timed.route
    sh = inst.shifts[r.shift]
    seg = segment(0, r.depart, r.depart, sh.start_loc, sh.start_loc)
    service = 0
    far = 1 << 60

    def then(node: Seg) -> None:
        nonlocal seg, service
        merged = concat(inst.rows, seg, node)
        assert merged is not None
        seg, service = merged, service + node[DURATION]

    for p in range(-1, len(r.orders)):
        if p >= 0:
            then(order_seg(inst, r.orders[p], (timed.starts[p], far)))
        for k, (pos, start) in enumerate(r.breaks):
            if pos == p:
                then(segment(sh.breaks[k].duration, start, far, seg[LAST], seg[LAST]))
        if r.depot is not None and r.depot[1] == p + 1:
            dep = inst.depots[r.depot[0]]
            then(segment(dep.duration, r.depot[2], far, dep.loc, dep.loc))
    then(segment(0, r.ret, far, sh.end_loc, sh.end_loc))
    assert not seg[KNEES] and seg[EARLY] == r.depart
    alone = frozenset((sh.tech,))
    other = sum(
        inst.c_preference
        * (bool(inst.orders[o].preferred) and sh.tech not in inst.orders[o].preferred)
        + (inst.change_cost(o, alone, st) if inst.orders[o].crew == 1 else 0)
        for o, st in zip(r.orders, timed.starts, strict=True)
    )
    return seg_cost(inst, r.shift, seg, service) + other


def test_route_cost_is_the_merge_of_its_stops() -> None:
    """On bad days (breaks, depot stops, SLA lateness, crews), `route_cost` of every route
    of a plan is the cost of merging its stops held at their starts, and the CP objective's
    route and order parts of it."""
    checked = 0
    for seed in range(3):
        _, inst, ins = _bad_day(seed, orders=60, techs=8)
        for s, route in ins.sol.routes.items():
            if not route.orders:
                continue
            timed = ins._timed_as_is(s, route)
            cost = route_cost(inst, timed)
            assert cost == _merged_cost(inst, timed)
            alone = frozenset((inst.shifts[s].tech,))
            parts = route_part(inst, s, route) + sum(
                order_part(inst, o, st, alone if inst.orders[o].crew == 1 else None)
                for o, st in zip(route.orders, timed.starts, strict=True)
            )
            assert cost == parts
            checked += bool(route.breaks) + (route.depot is not None)
    assert checked > 10


@SETTINGS
@given(stops)
def test_folds_are_concat_along_the_route(path: list[Stop]) -> None:
    """`fold` and `fold_back` (inlined where no knee is met) give the segments `concat`
    gives merging stop by stop, lateness included, and None exactly where that refuses."""
    segs = [_seg(stop) for stop in path]
    ahead: list[Seg | None] = [segs[0]]
    for seg in segs[1:]:
        last = ahead[-1]
        ahead.append(concat(ROWS, last, seg) if last is not None else None)
    assert fold(ROWS, segs[0], segs[1:]) == ahead
    behind: list[Seg | None] = [segs[-1]]
    for seg in reversed(segs[:-1]):
        first = behind[0]
        behind.insert(0, concat(ROWS, seg, first) if first is not None else None)
    assert fold_back(ROWS, segs[:-1], segs[-1]) == behind
