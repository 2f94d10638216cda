"""Search: one exact CP-SAT model when the problem is small, large neighbourhood search
(Shaw 1998) otherwise: free a few related routes and the unserved orders near them, let
CP-SAT re-decide them with everything else fixed, warm-started from the incumbent."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import numpy as np

from optimizer.budget import Budget
from optimizer.construct import first_plan
from optimizer.cp.build import CpStatus, add_hint, build, eligible_shifts, make_scope, run
from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.decompose import should_decompose, solve_parts
from optimizer.instance import Instance
from optimizer.params import SolveParams
from optimizer.pool import RoutePool
from optimizer.repair import first_repair
from optimizer.ruin import anneal, anneal_chains, can_fork_chains, phase_clock
from optimizer.solution import Solution

log = logging.getLogger(__name__)


@dataclass
class SearchStats:
    """What the search did, for the plan's `solver` section."""

    mode: str = "lns"
    iterations: int = 0
    moves: int = 0
    improvements: int = 0
    deterministic_time: float = 0.0
    proven_optimal: bool = False
    bound: float | None = None
    parts: int = 1
    chains: int = 1


def search(
    inst: Instance,
    params: SolveParams,
    budget: Budget,
    initial: Solution | None = None,
    *,
    decompose: bool = True,
) -> tuple[Solution, SearchStats]:
    """Best solution found within the budget.

    Construction, then ruin and recreate, then CP-SAT: one exact model for a small day, or
    neighbourhoods (the unserved urgent and crew orders first) for a large one, none for a
    day of more than `large_day_orders` (ruin and recreate has their time). With a
    deterministic limit every phase is bounded by work, not by the clock.
    """
    if decompose and initial is None and should_decompose(inst, params.decompose):
        return _decomposed(inst, params, budget)
    deadline = budget.deadline
    eligible = eligible_shifts(inst)
    opened = time.monotonic()
    # The first plan gets a least share of the budget even when the steps before the search
    # ran late (a loaded machine): a late plan is better than an empty one.
    tuning = params.search
    floor = tuning.construct_floor * budget.limit
    until = opened + tuning.construct_share * max(deadline - opened, floor)
    tries = tuning.construct_tries if len(inst.orders) <= tuning.construct_tries_orders else 1
    incumbent = first_plan(
        inst,
        eligible,
        initial,
        _stage_end(budget, until),
        params.moves,
        tries=tries,
        until=_stage_end(budget, opened + tuning.construct_tries_share * (deadline - opened)),
        shared=budget.deterministic is None,
    )
    incumbent.cost = solution_cost(inst, incumbent)
    stats = SearchStats()
    rng = random.Random(params.seed or 0)
    began = time.monotonic()
    total = max(deadline - began, 0.0)
    det = budget.deterministic
    per_shift = np.zeros(len(inst.shifts))
    for shifts in eligible.values():
        per_shift[shifts] += 1
    fits = float((per_shift**2).sum()) <= tuning.full_model_arcs
    small = fits or len(inst.shifts) <= 1
    # One route too long for the full model (5,000 orders, one technician): ruin and
    # recreate has all the time; building that model would outlast any time limit.
    alone = small and not fits
    first = params.repair.first_share
    if not small and first > 0:
        incumbent, fixed = first_repair(
            inst,
            incumbent,
            params,
            eligible,
            deadline=_stage_end(budget, began + first * total),
            deterministic=None if det is None else first * det,
        )
        stats.iterations += fixed.solves
        stats.improvements += fixed.repaired
        stats.deterministic_time += fixed.deterministic_time
    # A very large day: the neighbourhoods' time is ruin and recreate's (see the parameter).
    moves_only = not small and len(inst.orders) > tuning.large_day_orders
    if not small and not moves_only:
        incumbent = _cp_lns(
            inst,
            params,
            _stage_end(budget, began + tuning.urgent_share * total),
            incumbent,
            eligible,
            stats,
            rng,
            urgent_only=True,
            det_budget=None if det is None else tuning.urgent_share * det,
        )
    # Neighbourhoods after ruin and recreate pay only for the orders it leaves in place:
    # crew orders and orders in `after` relations. Elsewhere (TRSP and Solomon, 10 s and 30 s)
    # they improved nothing in their quarter of the time, so ruin and recreate keeps it.
    share = (
        1.0
        if moves_only or RoutePool.applies(inst) or _rr_moves_all(inst, incumbent, eligible)
        else tuning.rr_share
    )
    share = _small_share(inst, params) if small else share
    incumbent = _ruin_recreate(
        inst,
        params,
        _stage_end(budget, deadline if alone else began + share * total),
        incumbent,
        eligible,
        stats,
        rng,
        det,
        deadline,
    )
    if alone:
        return incumbent, stats
    if small:
        if _synced(inst):
            # Neighbourhoods first, then the one model from what they found (see the share).
            share = tuning.small_lns_share_synced
            now = time.monotonic()
            incumbent = _cp_lns(
                inst,
                params,
                _stage_end(budget, now + share * max(deadline - now, 0.0)),
                incumbent,
                eligible,
                stats,
                rng,
                urgent_only=False,
                det_budget=None if det is None else share * det,
            )
            det = None if det is None else (1 - share) * det
        return _full_model(inst, params, deadline, incumbent, eligible, stats, det)
    if not moves_only:
        incumbent = _cp_lns(
            inst,
            params,
            deadline,
            incumbent,
            eligible,
            stats,
            rng,
            urgent_only=False,
            det_budget=det,
        )
    return incumbent, stats


def _stage_end(budget: Budget, instant: float) -> float:
    """Where a stage of the search ends: at `instant`, or, under a deterministic limit, at
    the budget's deadline: the stages are then bounded by work (moves, deterministic
    seconds), so that a slow machine gives the same plan, and the wall clock is only the
    safety stop."""
    return budget.deadline if budget.deterministic is not None else instant


def _synced(inst: Instance) -> bool:
    """The day has crew or linked orders."""
    return any(order.crew > 1 or order.links for order in inst.orders)


def _rr_moves_all(inst: Instance, sol: Solution, eligible: dict[int, list[int]]) -> bool:
    """Ruin and recreate can move every order of sol's day: none has `after` relations
    (which it leaves in place) and sol serves every order that can be served. The CP-SAT
    neighbourhoods after it then only re-route what it also reaches (hhcrsp D3, D6, E3, E5:
    4 deterministic seconds after 600 moves improved 0.00-0.15%, where the same CPU in moves
    gains more), so ruin and recreate keeps their time."""
    served = sol.served()
    return not any(o.after for o in inst.orders) and all(
        o in served or not eligible[o] for o in range(len(inst.orders))
    )


def _small_share(inst: Instance, params: SolveParams) -> float:
    """Ruin and recreate's share of the time on a day solved as one exact model."""
    return params.search.small_rr_share_synced if _synced(inst) else params.search.small_rr_share


def _decomposed(
    inst: Instance, params: SolveParams, budget: Budget
) -> tuple[Solution, SearchStats]:
    """A very large day, region by region (`optimizer.decompose`)."""
    stats = SearchStats(mode="decomposed")

    def search_part(sub: Instance, until: float) -> Solution:
        part_budget = budget if budget.deterministic is not None else budget.ending(until)
        sol, part = search(sub, params, part_budget, decompose=False)
        stats.iterations += part.iterations
        stats.moves += part.moves
        stats.improvements += part.improvements
        stats.deterministic_time += part.deterministic_time
        stats.chains = max(stats.chains, part.chains)
        return sol

    sol, parts = solve_parts(inst, budget.deadline, search_part, params.decompose)
    stats.parts = len(parts)
    sol.cost = solution_cost(inst, sol)
    return sol, stats


def _ruin_recreate(
    inst: Instance,
    params: SolveParams,
    until: float,
    incumbent: Solution,
    eligible: dict[int, list[int]],
    stats: SearchStats,
    rng: random.Random,
    det: float | None,
    deadline: float,
) -> Solution:
    """Ruin and recreate until `until` (or its moves under a deterministic limit), with
    route pool combinations between rounds when the day has a pool; `deadline` is the
    search's, the pool's safety stop under a deterministic limit."""
    began = time.monotonic()
    pool = RoutePool(inst, params.pool) if RoutePool.applies(inst) else None
    tuning = params.ruin_recreate
    rounds = tuning.pool_rounds if pool is not None else 1
    iterations = None
    if det is not None:
        moves = int(tuning.moves_per_det_second * det)
        iterations = max(1, moves // rounds)
    chains = min(params.workers or 1, tuning.max_chains)
    parallel = chains > 1 and can_fork_chains()
    if parallel:
        stats.chains = max(stats.chains, chains)
    span = max(until - began, 0.0)
    best, moves = incumbent, 0
    for r in range(rounds):
        # Each round covers its part of the threshold's fall; with a pool, its chains
        # stop early enough for the routes pooled so far to be combined, and the next
        # round goes on from the combination.
        phase = (r / rounds, (r + 1) / rounds)
        end = began + span * phase[1]
        stop = end - (tuning.pool_share * span / rounds if pool is not None else 0.0)
        if parallel:
            seed = rng.randrange(1 << 30)
            best, n = anneal_chains(
                inst,
                eligible,
                best,
                seed,
                chains,
                until=stop,
                iterations=iterations,
                pool=pool,
                phase=phase,
                params=params,
            )
        else:
            best, n = anneal(
                inst,
                eligible,
                best,
                rng,
                iterations=iterations,
                clock=phase_clock(stop, iterations, phase),
                pool=pool,
                params=params,
            )
        moves += n
        if pool is not None:
            combined = pool.combine(
                best,
                # Under a deterministic limit its deterministic seconds bind, not the round.
                time_limit=(end if iterations is None else deadline) - time.monotonic(),
                workers=params.workers or 1,
                deterministic=None if iterations is None else tuning.pool_deterministic,
            )
            if combined is not None:
                log.debug("pool %s -> %s", best.cost, combined.cost)
                best = combined
    stats.moves += moves
    if best.objective() < incumbent.objective():
        stats.improvements += 1
    return best


def _full_model(
    inst: Instance,
    params: SolveParams,
    deadline: float,
    incumbent: Solution,
    eligible: dict[int, list[int]],
    stats: SearchStats,
    det: float | None,
) -> tuple[Solution, SearchStats]:
    stats.mode = "full"
    everything = list(range(len(inst.shifts)))
    scope = make_scope(inst, incumbent, everything, list(range(len(inst.orders))), eligible)
    model = build(inst, scope)
    add_hint(model, incumbent)
    out = run(
        model,
        incumbent,
        time_limit=deadline - time.monotonic(),
        workers=params.workers or 1,
        seed=params.seed or 0,
        deterministic_limit=det,
        log=params.log,
    )
    stats.iterations += 1
    stats.deterministic_time += out.deterministic_time
    if out.solution is not None:
        cost = out.solution.cost = solution_cost(inst, out.solution)
        if cost <= incumbent.objective():
            if cost < incumbent.objective():
                stats.improvements += 1
            incumbent = out.solution
        stats.proven_optimal = out.status == CpStatus.optimal
        stats.bound = out.bound
    return incumbent, stats


def _cp_lns(
    inst: Instance,
    params: SolveParams,
    deadline: float,
    incumbent: Solution,
    eligible: dict[int, list[int]],
    stats: SearchStats,
    rng: random.Random,
    *,
    urgent_only: bool,
    det_budget: float | None,
) -> Solution:
    """CP-SAT neighbourhoods until the deadline (or the deterministic budget)."""
    workers = params.workers or 1
    k_routes = max(1, min(params.lns.routes, len(inst.shifts)))
    cap = params.lns.max_free_orders
    sym = (inst.travel.seconds + inst.travel.seconds.T) / 2.0
    order_loc = np.array([o.loc for o in inst.orders]) if inst.orders else np.zeros(0, int)
    by_value = sorted(range(len(inst.orders)), key=lambda o: -unassigned_cost(inst, o))
    t_start = time.monotonic()
    spent = 0.0
    urgent = [
        o
        for o in by_value
        if eligible[o]
        and o not in incumbent.shifts_of()
        and (
            inst.orders[o].crew > 1
            or (not urgent_only and unassigned_cost(inst, o) >= inst.c_unassigned[1])
        )
    ]
    while True:
        if deadline - time.monotonic() < 0.05:
            break
        if det_budget is not None and spent >= det_budget:
            break
        served = incumbent.shifts_of()
        unserved = [o for o in by_value if o not in served and eligible[o]]
        # First give each unserved must-serve, crew or urgent order a neighbourhood of its own.
        while urgent and urgent[0] in served:
            urgent.pop(0)
        if urgent:
            o = urgent.pop(0)
            k = max(k_routes, inst.orders[o].crew + 1)
            shifts = _around_order(inst, incumbent, o, eligible, k, sym)
        elif urgent_only:
            break
        else:
            shifts = _pick_routes(inst, incumbent, unserved, eligible, k_routes, rng, sym)
        shift_set = set(shifts)
        anchor = _anchor_locs(inst, incumbent, shifts)
        cand = [o for o in unserved if shift_set.intersection(eligible[o])]
        in_routes = sum(len(incumbent.routes[s].orders) for s in shifts if s in incumbent.routes)
        room = max(cap - in_routes, 5)
        if len(cand) > room:
            dist = sym[np.ix_(order_loc[cand], np.array(anchor, dtype=int))].min(axis=1)
            value = np.array([unassigned_cost(inst, o) for o in cand], dtype=float)
            rank = np.lexsort((dist, -value))
            cand = [cand[i] for i in rank[:room]]
        scope = make_scope(inst, incumbent, shifts, cand, eligible)
        model = build(inst, scope)
        add_hint(model, incumbent)
        step = min(params.lns.step_time, deadline - time.monotonic())
        if det_budget is not None:
            step = deadline - time.monotonic()  # the deterministic step limit binds
        if step <= 0.01:
            break
        det_step = None
        if det_budget is not None:
            det_step = min(params.lns.step_time, det_budget - spent)
        out = run(
            model,
            incumbent,
            time_limit=step,
            workers=workers,
            seed=rng.randrange(1 << 30),
            deterministic_limit=det_step,
            light_presolve=True,
        )
        stats.iterations += 1
        stats.deterministic_time += out.deterministic_time
        # Counted at least at the least charge: a tiny neighbourhood takes almost no
        # deterministic time, and the loop would otherwise run until the wall clock.
        spent += max(out.deterministic_time, params.lns.min_step_charge)
        log.debug(
            "lns %d shifts=%s free=%d fixed=%d %s t=%.2f",
            stats.iterations,
            shifts,
            len(scope.orders),
            len(scope.fixed),
            out.status,
            time.monotonic() - t_start,
        )
        if out.solution is None:
            continue
        cost = out.solution.cost = solution_cost(inst, out.solution)
        if cost < incumbent.objective() or (cost == incumbent.objective() and rng.random() < 0.5):
            if cost < incumbent.objective():
                stats.improvements += 1
            incumbent = out.solution
    return incumbent


def _around_order(
    inst: Instance,
    sol: Solution,
    o: int,
    eligible: dict[int, list[int]],
    k: int,
    sym: np.ndarray,
) -> list[int]:
    """The k eligible shifts whose routes pass closest to order o."""
    loc = inst.orders[o].loc
    return sorted(eligible[o], key=lambda s: (_route_dist(inst, sol, s, loc, sym), s))[:k]


def _anchor_locs(inst: Instance, sol: Solution, shifts: list[int]) -> list[int]:
    """Locations that stand for where the chosen routes are: homes and visited orders."""
    locs = [inst.shifts[s].start_loc for s in shifts]
    for s in shifts:
        route = sol.routes.get(s)
        if route:
            locs += [inst.orders[o].loc for o in route.orders]
    return locs


def _pick_routes(
    inst: Instance,
    sol: Solution,
    unserved: list[int],
    eligible: dict[int, list[int]],
    k: int,
    rng: random.Random,
    sym: np.ndarray,
) -> list[int]:
    """A related set of k shifts: around an unserved valuable order, or around a route."""
    n = len(inst.shifts)
    if unserved and rng.random() < 0.5:
        o = unserved[min(int(rng.expovariate(0.3)), len(unserved) - 1)]
        chosen = _around_order(inst, sol, o, eligible, max(1, k - 1), sym)
        # Plus a neighbour of the closest one, for room to move its work.
        if len(chosen) < k:
            chosen += _nearest_shifts(inst, sol, chosen[0], k - len(chosen), chosen, sym)
        return chosen[:k]
    seed_shift = rng.randrange(n)
    return [seed_shift, *_nearest_shifts(inst, sol, seed_shift, k - 1, [seed_shift], sym)]


def _route_dist(inst: Instance, sol: Solution, s: int, loc: int, sym: np.ndarray) -> float:
    route = sol.routes.get(s)
    locs = [inst.shifts[s].start_loc] + (
        [inst.orders[o].loc for o in route.orders] if route else []
    )
    return float(sym[loc, locs].min())


def _nearest_shifts(
    inst: Instance, sol: Solution, s: int, k: int, exclude: list[int], sym: np.ndarray
) -> list[int]:
    if k <= 0:
        return []
    route = sol.routes.get(s)
    locs = [inst.shifts[s].start_loc] + (
        [inst.orders[o].loc for o in route.orders] if route else []
    )
    others = [x for x in range(len(inst.shifts)) if x not in exclude]
    others.sort(
        key=lambda x: (
            _route_dist(inst, sol, x, locs[0], sym)
            if len(locs) == 1
            else min(_route_dist(inst, sol, x, loc, sym) for loc in locs[:5]),
            x,
        )
    )
    return others[:k]
