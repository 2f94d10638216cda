"""Start intervals that cut insertions: never a start that a placement takes, never stale."""

from __future__ import annotations

import random

import pytest

from benchmarks.generator import BadDay, generate_day
from models import load_problem
from optimizer import groups, reach, retime
from optimizer.construct import construct, take_out
from optimizer.cp.build import eligible_shifts
from optimizer.cp.objective import solution_cost
from optimizer.groups import best_group, is_grouped
from optimizer.inserter import Inserter
from optimizer.instance import Instance, compile_problem
from optimizer.reach import EVER, covered, inside, intersect, loose
from optimizer.retime import insert_pushed
from optimizer.ruin import RuinRecreate, anneal
from optimizer.schedule import schedule


def _searched(orders: int, moves: int, seed: int) -> tuple[Instance, RuinRecreate, Inserter]:
    """A generated bad day after a few ruin-and-recreate moves (its caches filled)."""
    day = generate_day(orders, max(2, orders // 8), seed=seed, bad_day=BadDay.realistic())
    inst = compile_problem(load_problem(day))
    eligible = eligible_shifts(inst)
    first = construct(inst, eligible)
    first.cost = solution_cost(inst, first)
    rng = random.Random(seed)
    rr = RuinRecreate(inst, eligible, rng)
    best, _ = anneal(inst, eligible, first, rng, iterations=moves, clock=lambda n: 0.0, rr=rr)
    return inst, rr, rr.inserter(best)


def test_covered_and_intersect_by_hand() -> None:
    """Two technicians free over [0, 10] and [5, 20] (one in two pieces) cover [5, 10]
    together; that and [8, 30] share [8, 10]; 9 lies inside, 11 does not."""
    both = covered([[(0, 10)], [(5, 12), (13, 20)]], 2)
    assert both == [(5, 10)]
    assert covered([[(0, 10)], [(5, 12), (13, 20)]], 1) == [(0, 20)]
    assert covered([[(0, 10)]], 2) == []
    common = intersect(both, [(8, 30)])
    assert common == [(8, 10)]
    assert inside(common, 9) and not inside(common, 11) and not inside([], 0)


@pytest.mark.parametrize("seed", [3, 8])
def test_reach_holds_every_start_a_placement_takes(seed: int) -> None:
    """Every position of an order in a route not its own that `schedule` can time (crew and
    linked starts fixed, or only bounded below as a push leaves them) starts inside that
    route's reach."""
    inst, rr, ins = _searched(60, 15, seed)
    sol = ins.sol
    checked = 0
    for x in random.Random(seed).sample(range(len(inst.orders)), 15):
        for s in rr.eligible[x][:6]:
            route = sol.routes.get(s)
            seq = route.orders if route is not None else []
            if x in seq:
                continue
            for pushed in (False, True):
                relaxed = loose(ins, s) if pushed else ins.relaxed(s)
                spans = reach.reach(ins, x, s, relaxed)
                for pos in range(len(seq) + 1):
                    cand = [*seq[:pos], x, *seq[pos:]]
                    lower = ins.lower_bounds(cand)
                    if pushed:
                        lower = {y: -v - 1 if v < 0 else v for y, v in lower.items()}
                    for depot in ins.depot_options(s, pos, x):
                        timed = schedule(inst, s, cand, lower, depot=depot)
                        if timed is None:
                            continue
                        checked += 1
                        assert inside(spans, timed.starts[pos]), (x, s, pos, depot, pushed)
    assert checked > 0


def test_cut_insertions_find_what_uncut_ones_find(monkeypatch: pytest.MonkeyPatch) -> None:
    """On states a search reached, every unserved group is placed at the same cost and every
    unserved single order inserted at the same cost with the reach cuts as without them."""
    inst, rr, ins = _searched(80, 20, 5)
    served = [o for o in rr.movable if o in ins.sol.start]
    for o in [o for o in served if is_grouped(inst, o)] + served[::6]:
        take_out(ins, o)
    unserved = [o for o in rr.movable if o not in ins.sol.start and rr.eligible[o]]
    assert any(is_grouped(inst, o) for o in unserved)
    for o in unserved:
        if is_grouped(inst, o):
            cut = best_group(ins, o, rr.ties)
            with monkeypatch.context() as m:
                m.setattr(groups, "anchor_room", lambda *args: EVER)
                m.setattr(groups, "loose", lambda *args: None)
                whole = best_group(ins, o, rr.ties)
            assert (cut is None) == (whole is None), o
            assert cut is None or whole is None or cut.delta == whole.delta
        else:
            a, b = ins.clone(), ins.clone()
            found = insert_pushed(a, rr.ties, o)
            with monkeypatch.context() as m:
                m.setattr(retime, "loose", lambda *args: None)
                again = insert_pushed(b, rr.ties, o)
            assert found == again and a.cost == b.cost, o


def test_kept_reach_is_never_stale() -> None:
    """After many moves, the reach kept for each route is the one computed afresh."""
    inst, rr, ins = _searched(60, 40, 4)
    memo = ins.segments.reach
    assert memo
    unserved = [o for o in range(len(inst.orders)) if o not in ins.sol.start]
    for x in unserved[:10]:
        for s in rr.eligible[x][:8]:
            for relaxed in (ins.relaxed(s), loose(ins, s)):
                kept = reach.reach(ins, x, s, relaxed)
                memo.clear()
                assert reach.reach(ins, x, s, relaxed) == kept


def test_plain_starts_match_the_relaxation_on_hhcrsp() -> None:
    """On hhcrsp C1 after a few moves (no breaks, one window per order), the inline start
    intervals of `reach` equal `Relaxed.starts` at every position of every route, for both
    relaxations, and for orders in and out of the route."""
    from benchmarks.suites import load_case

    inst = compile_problem(load_case("hhcrsp", "C1").problem)
    eligible = eligible_shifts(inst)
    first = construct(inst, eligible)
    first.cost = solution_cost(inst, first)
    rng = random.Random(1)
    rr = RuinRecreate(inst, eligible, rng)
    best, _ = anneal(inst, eligible, first, rng, iterations=10, clock=lambda n: 0.0, rr=rr)
    ins = rr.inserter(best)
    checked = nonempty = 0
    for s in range(len(inst.shifts)):
        for relaxed in (ins.relaxed(s), loose(ins, s)):
            assert relaxed is not None
            for x in range(0, len(inst.orders), 3):
                for g in range(len(relaxed.locs) - 1):
                    plain = reach._plain_starts(inst, x, relaxed, g)
                    assert plain == relaxed.starts(inst, x, g)
                    checked += 1
                    nonempty += bool(plain)
    assert checked > 1000 and 0 < nonempty < checked
