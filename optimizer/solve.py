"""The one entry point: `solve(problem, params) -> Result`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from models.common import format_duration
from models.plan import Objective, Plan, Reason, SolveStatus, Unassigned
from models.problem import Problem
from optimizer.budget import Budget
from optimizer.construct import construct
from optimizer.context import Context
from optimizer.cp.build import CpStatus, add_hint, build, eligible_shifts, make_scope, run
from optimizer.cp.objective import solution_cost, unassigned_cost
from optimizer.instance import Instance, compile_problem
from optimizer.params import SolveParams
from optimizer.plan_builder import build_routes
from optimizer.reasons import static_reasons
from optimizer.repair import must_serve, repair
from optimizer.search import SearchStats, search
from optimizer.solution import Solution


@dataclass
class Result:
    """A solve's outcome: the plan (always), and what the search did."""

    plan: Plan
    stats: SearchStats
    instance: Instance = field(repr=False)
    solution: Solution = field(repr=False)

    @property
    def status(self) -> str:
        """The plan's status."""
        return self.plan.status


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    initial: Plan | None = None,
    context: Context | None = None,
    *,
    budget: Budget | None = None,
) -> Result:
    """Plan the problem within its time budget; always returns a plan with a status.

    `initial` is a plan of this problem to start from (what of it still fits is kept). A
    re-plan passes its `context` (previous plan, frozen part, travel matrix; `replan` builds
    it) and a residual problem: the search then starts from the fast path. The budget
    defaults to the parameters' limits counted from this call; a caller that already spent
    time (reading input) or needs time after (writing the plan) passes its own.
    Raises only for invalid input (`models.InvalidInput`).
    """
    params = (params or SolveParams()).resolved(problem)
    if budget is None:
        budget = Budget.start(params.time_limit, params.deterministic_limit)
    solver = Solver(problem, params, context)
    start = solver.warm_start(initial) if initial is not None else None
    return solver.run(budget.keep_work(solver.plan_seconds), start)


class Solver:
    """One compiled problem, searched in stages that each continue from a solution (the
    service's staged solves): compiled once, immutable; each `run` searches within its own
    budget and returns a scored plan. `solve` is one `run` of a new solver."""

    def __init__(
        self, problem: Problem, params: SolveParams | None = None, context: Context | None = None
    ) -> None:
        self.params = (params or SolveParams()).resolved(problem)
        self.context = context
        self.instance = compile_problem(problem, context=context)

    @property
    def plan_seconds(self) -> float:
        """Seconds to keep after a stage for building and scoring its plan (it grows with
        the orders; a re-plan's plan is built, then merged with the frozen part and scored
        against the previous plan over the whole day)."""
        per_order = self.params.timing.plan_seconds_per_order
        if self.context is None:
            return per_order * len(self.instance.orders)
        frozen = self.context.frozen.values()
        done = {it.order for f in frozen for it in f.items if it.type == "visit"}
        return 2 * per_order * (len(self.instance.orders) + len(done))

    @cached_property
    def eligible(self) -> dict[int, list[int]]:
        """The shifts that may serve each order, found once for the repair and the probes."""
        return eligible_shifts(self.instance)

    @cached_property
    def static_reasons(self) -> dict[int, list[Reason]]:
        """Orders no plan can serve, with their reasons: found once, before the first search
        (inside its budget: after it, the time is the plan's)."""
        return static_reasons(self.instance)

    def warm_start(self, plan: Plan) -> Solution:
        """A plan of this problem as a solution of the instance: its routes in order, at their
        starts where they still fit; what no longer fits is left for the search to insert."""
        from optimizer.replan.residual import previous_solution  # replan imports this module

        return previous_solution(self.instance, plan, {})

    def run(self, budget: Budget, start: Solution | None = None) -> Result:
        """Search within `budget` from `start` (a re-plan: from its fast path), give reasons
        for what is left out, and build the plan (scored by the evaluator, except a re-plan's:
        `replan` scores the merged day). The instance is not changed."""
        inst, params, timing = self.instance, self.params, self.params.timing
        score = self.context is None
        eligible: dict[int, list[int]] | None = None
        static: dict[int, list[Reason]] | None = None
        searching = budget.until(timing.search())
        if self.context is None:
            static = self.static_reasons
            sol, stats = search(inst, params, searching, start)
        else:
            from optimizer.replan.fast import fast_path  # replan imports this module

            # No search when its stage is already over (no time, or a loaded machine that
            # spent it starting up): the fast path's plan stands, and it finds the eligible
            # shifts of the few orders it looks at only.
            searching = budget.until(timing.replan_search())
            will_search = budget.limit > 0 and searching.remaining() > 0
            eligible, fast = fast_path(
                inst, self.context, lazy=not will_search, moves=self.params.moves
            )
            sol, stats = fast, SearchStats(mode="fast-path")
            if will_search and searching.remaining() > 0:
                sol, stats = search(inst, params, searching, fast)
                if (sol.cost or 0) > (fast.cost or 0):
                    sol = fast
        cut = searching.expired()  # before the probes: their own stage ends later
        if self.context is None:
            sol = _repaired(inst, params, budget, sol, stats, self.eligible)
        if stats.mode != "fast-path":
            sol = self._search_on(sol, stats, budget, static)
        if eligible is None and self.context is None:
            eligible = self.eligible
        plan = self._plan(sol, stats, budget, eligible, static)
        cut = cut or time.monotonic() >= budget.end_of(timing.reasons())
        if budget.deterministic is not None and cut:
            # The wall-clock limit (the safety stop) bound before the deterministic one: the
            # plan may differ from a run of the same input on a faster machine.
            plan.solver["wall_limit_bound"] = True
        rejected = score and "evaluator_violations" in plan.solver
        if rejected and plan.status != SolveStatus.no_solution:
            # A safety net, not a path the tests expect: should the search ever hand back a
            # plan the evaluator rejects, answer with the greedy construction (feasible by
            # design).
            violations = plan.solver["evaluator_violations"]
            sol = construct(inst, eligible_shifts(inst), moves=self.params.moves)
            plan = self._plan(sol, stats, budget.ending(0.0), None, static)
            plan.solver["rejected_by_evaluator"] = violations
        return Result(plan=plan, stats=stats, instance=inst, solution=sol)

    def _search_on(
        self,
        sol: Solution,
        stats: SearchStats,
        budget: Budget,
        static: dict[int, list[Reason]] | None,
    ) -> Solution:
        """The search's solution, or a better one: when it leaves no order for the probes
        (each is served, or out for a static reason) and it did not prove its solution
        optimal, the probes' stage is the search's too: it goes on from its solution until
        that stage ends. Not under a deterministic limit, where work, not the clock, ends
        each stage (the plan must not depend on the machine)."""
        inst, timing = self.instance, self.params.timing
        if budget.deterministic is not None or stats.proven_optimal:
            return sol
        served = sol.shifts_of()
        static = static or {}
        if any(o not in served and o not in static for o in range(len(inst.orders))):
            return sol
        rest = budget.until(timing.reasons())
        if rest.remaining() < timing.search_on_seconds:
            return sol
        more, more_stats = search(inst, self.params, rest, sol)
        stats.iterations += more_stats.iterations
        stats.moves += more_stats.moves
        stats.improvements += more_stats.improvements
        stats.deterministic_time += more_stats.deterministic_time
        stats.chains = max(stats.chains, more_stats.chains)
        return more if more.objective() < sol.objective() else sol

    def _plan(
        self,
        sol: Solution,
        stats: SearchStats,
        budget: Budget,
        eligible: dict[int, list[int]] | None,
        static: dict[int, list[Reason]] | None,
    ) -> Plan:
        """The plan of a solution, with reasons for the orders it leaves out (probes may
        still insert some until the reasons' stage ends); `static`: the static reasons found
        before the search, if they were."""
        inst, params = self.instance, self.params
        if static is None:  # only wanted for the orders left out (and what those wait for)
            served = sol.shifts_of()
            static = static_reasons(inst, [o for o in range(len(inst.orders)) if o not in served])
        reasons = post_reasons(
            inst,
            sol,
            static,
            deadline=budget.end_of(params.timing.reasons()),
            params=params,
            eligible=eligible,
        )
        score = self.context is None  # a re-plan scores the merged day
        return to_plan(inst, sol, stats, reasons, static, params, budget.started, score=score)


def post_reasons(
    inst: Instance,
    sol: Solution,
    static: dict[int, list[Reason]],
    *,
    deadline: float,
    params: SolveParams,
    eligible: dict[int, list[int]] | None = None,
) -> dict[int, list[Reason]]:
    """Reasons for every unserved order; probes may still insert an order the search missed
    (the solution is updated in place then)."""
    eligible = eligible if eligible is not None else eligible_shifts(inst)
    out = {o: list(r) for o, r in static.items()}
    served = sol.shifts_of()
    pending = [o for o in range(len(inst.orders)) if o not in served and o not in out]
    pending.sort(key=lambda o: -unassigned_cost(inst, o))
    for o in pending:
        if o in served:
            continue
        blocked = [inst.orders[p].id for p in inst.orders[o].after if p not in served]
        if blocked:
            out[o] = [
                Reason(
                    code="dependency",
                    detail=f"It must follow {', '.join(blocked)}, which is not served.",
                )
            ]
            continue
        reason = _probe(inst, sol, o, eligible, deadline, params)
        if reason is None:  # the probe found room: the order is served now
            served = sol.shifts_of()
        else:
            out[o] = [reason]
    return {o: r for o, r in out.items() if o not in served}


def _probe(
    inst: Instance,
    sol: Solution,
    o: int,
    eligible: dict[int, list[int]],
    deadline: float,
    params: SolveParams,
) -> Reason | None:
    """Try to fit order o into its nearest routes without dropping anything served: None
    when it fits better than leaving it out (the solution takes it), else the reason."""
    timing = params.timing
    remaining = deadline - time.monotonic()
    if remaining < 0.02:
        return Reason(
            code="capacity",
            detail="No route had room for it without dropping more valuable work "
            "in the time given.",
        )
    loc = inst.orders[o].loc
    sym = inst.travel.seconds
    shifts = sorted(
        eligible[o],
        key=lambda s: min(
            [sym[inst.shifts[s].start_loc, loc]]
            + [sym[inst.orders[x].loc, loc] for x in _route_orders(sol, s)]
        ),
    )[: max(3, inst.orders[o].crew + 1)]
    scope = make_scope(inst, sol, shifts, [o], eligible)
    model = build(inst, scope)
    for x in scope.orders:
        model.cp.add(model.orders[x].served == 1)
    add_hint(model, sol)
    out = run(
        model,
        sol,
        time_limit=(
            remaining if params.deterministic_limit else min(timing.probe_seconds, remaining)
        ),
        workers=params.workers or 1,
        seed=params.seed or 0,
        # Reproducible runs probe by work, not by the clock.
        deterministic_limit=timing.probe_deterministic if params.deterministic_limit else None,
        light_presolve=True,
    )
    if out.solution is None:
        detail = (
            "No nearby route can take it without dropping work already planned."
            if out.status == CpStatus.infeasible
            else "No route had room for it without dropping more valuable work in the time given."
        )
        return Reason(code="capacity", detail=detail)
    before = solution_cost(inst, sol)
    after = solution_cost(inst, out.solution)
    if after < before:
        sol.routes, sol.start, sol.provider = (
            out.solution.routes,
            out.solution.start,
            out.solution.provider,
        )
        sol.cost = after
        return None
    extra = (after - before + unassigned_cost(inst, o)) / (60 * 100)
    weight = unassigned_cost(inst, o) / (60 * 100)
    return Reason(
        code="not_worth_it",
        detail=f"Serving it would cost about {extra:.0f}, more than its weight of {weight:.0f}.",
    )


def _repaired(
    inst: Instance,
    params: SolveParams,
    budget: Budget,
    sol: Solution,
    stats: SearchStats,
    eligible: dict[int, list[int]],
) -> Solution:
    """The search's solution with its urgent orders repaired (`optimizer.repair`), in the
    probes' stage (the probes have what it leaves) and, under a deterministic limit, within
    the repair's share of it in deterministic seconds, on top of the search's (as the probes'
    are); as it was when the search proved it optimal."""
    share = params.repair.share
    if stats.proven_optimal or share == 0:
        return sol
    det = budget.deterministic
    out, done = repair(
        inst,
        sol,
        params,
        eligible,
        deadline=budget.end_of(params.timing.reasons()),
        deterministic=None if det is None else share * det,
    )
    stats.iterations += done.solves
    stats.improvements += done.repaired
    stats.deterministic_time += done.deterministic_time
    return out


def _no_room() -> Reason:
    return Reason(
        code="capacity",
        detail="No route had room for it without dropping more valuable work in the time given.",
    )


def _route_orders(sol: Solution, s: int) -> list[int]:
    route = sol.routes.get(s)
    return route.orders if route else []


def to_plan(
    inst: Instance,
    sol: Solution,
    stats: SearchStats,
    reasons: dict[int, list[Reason]],
    static: dict[int, list[Reason]],
    params: SolveParams,
    began: float,
    *,
    score: bool = True,
) -> Plan:
    """The contract plan of a solution, scored by the evaluator (unless `score` is False:
    a caller that scores a larger plan made of this one, such as a re-plan)."""
    from optimizer.evaluate import evaluate  # the specification scores every plan

    served = sol.shifts_of()
    must = {o for o in range(len(inst.orders)) if must_serve(inst, o) and o not in served}
    # A mandatory or pinned order that does not fit makes the plan infeasible, but the plan
    # still holds the best routes for everything else: a dispatcher never gets an empty day.
    status = (
        SolveStatus.infeasible
        if must
        else SolveStatus.optimal
        if stats.proven_optimal
        else SolveStatus.feasible
    )
    routes = build_routes(inst, sol)
    unassigned = [
        Unassigned(
            order=inst.orders[o].id,
            reasons=reasons.get(o) or [_no_room()],
            mandatory=True if o in must else None,
        )
        for o in range(len(inst.orders))
        if o not in served
    ]
    plan = Plan(
        status=status,
        objective=Objective(value=0.0),
        routes=routes,
        unassigned=unassigned,
    )
    if not score:
        plan.solver = _solver_record(params, stats, began)
        return plan
    ev = evaluate(inst.problem, plan, inst.travel)
    bound = None
    if stats.bound is not None and stats.mode == "full":
        bound = float(stats.bound) / (60 * 100)
    plan.objective = Objective(value=ev.objective.value, bound=bound, terms=ev.objective.terms)
    plan.kpis = ev.kpis
    solver = _solver_record(params, stats, began)
    if not ev.valid:
        broken = [v for v in ev.violations if v.code != "mandatory"] or ev.violations
        solver["evaluator_violations"] = [f"{v.where}: {v.message}" for v in broken[:20]]
    plan.solver = solver
    return plan


def _solver_record(params: SolveParams, stats: SearchStats, began: float) -> dict[str, Any]:
    """The plan's `solver` record: parameters and what the search did."""
    solver: dict[str, Any] = {
        "wall_time": format_duration(timedelta(seconds=time.monotonic() - began)),
        "seed": params.seed,
        "workers": params.workers,
        "time_limit": params.time_limit,
        "search": stats.mode,
        "iterations": stats.iterations,
        "moves": stats.moves,
        "chains": stats.chains,
        "improvements": stats.improvements,
        "deterministic_time": round(stats.deterministic_time, 3),
        "engine": "ortools-cp-sat",
    }
    if stats.parts > 1:
        solver["parts"] = stats.parts
    return solver
