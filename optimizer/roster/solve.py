"""`solve_roster(problem, params, initial) -> RosterResult`: CP-SAT on the whole model, with
large neighbourhood search over windows of days and groups of people on large instances.

With LNS on an instance that has a whole model, the budget goes in three phases: the whole
model (`lns_first_share`), neighbourhoods, then the whole model again, hinted with the
incumbent (`lns_last_share` of what the first phase left), for a bound that can prove it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from models.roster import RosterObjective, RosterProblem, RosterResult, RosterStatus
from optimizer.roster.colgen import (
    ColumnGeneration,
    add_lagrangian_cuts,
    improve_bound,
    prove,
    reserve_for_proof,
    rosters_follow,
)
from optimizer.roster.evaluate import cover_counts, evaluate_assignment
from optimizer.roster.instance import RosterInstance
from optimizer.roster.model import RosterModel, build_model
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.pricing import dp_share


class _Progress(cp_model.CpSolverSolutionCallback):
    """Records the time and value of every improving solution."""

    def __init__(self, budget: Budget, log: list[tuple[float, int]], stop_at_first: bool):
        super().__init__()
        self.budget, self.log, self.stop_at_first = budget, log, stop_at_first

    def on_solution_callback(self) -> None:
        value = round(self.objective_value)
        if not self.log or value < self.log[-1][1]:
            self.log.append((round(self.budget.elapsed(), 3), value))
        if self.stop_at_first:
            self.stop_search()


@dataclass
class Search:
    """The state of a solve: incumbent, bound and the history of improvements. `rm` is the
    whole model, None on instances solved only through neighbourhoods."""

    rm_inst: RosterInstance
    rm: RosterModel | None
    params: RosterParams
    budget: Budget
    assignment: list[list[int]] | None = None
    value: int | None = None
    bound: int | None = None
    proven: bool = False
    infeasible: bool = False
    improvements: list[tuple[float, int]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    last_status: Any = None
    lagrangian: ColumnGeneration | None = None
    """Column generation's outcome, whose bound the last whole-model solve is given."""

    def parameters(
        self, solver: cp_model.CpSolver, wall: float, deterministic: float | None, seed: int
    ) -> None:
        """Set the solver parameters of one run."""
        p = solver.parameters
        p.num_workers = self.params.workers or 1
        # The labour rules are clauses; only the full linearisation puts them (and the
        # weekend implications) into the LP, whose bound then guides the search. With one
        # worker that is the worker's own setting, with two the full-problem subsolver.
        if p.num_workers == 1:
            p.linearization_level = 2
        elif p.num_workers == 2:
            p.subsolvers.append("max_lp")
        p.random_seed = seed
        p.max_time_in_seconds = max(0.01, wall)
        if deterministic is not None:
            p.max_deterministic_time = max(0.001, deterministic)
        p.log_search_progress = self.params.log

    def run_model(
        self,
        model: cp_model.CpModel,
        wall: float,
        deterministic: float | None,
        seed: int,
        stop_at_first: bool = False,
    ) -> tuple[cp_model.CpSolver, Any]:
        """One CP-SAT run of a (sub-)model, its deterministic time counted in the budget,
        stopped at its first solution if asked."""
        solver = cp_model.CpSolver()
        self.parameters(solver, wall, deterministic, seed)
        status = solver.solve(model, _Progress(self.budget, [], stop_at_first))
        self.budget.spent_deterministic += solver.deterministic_time
        return solver, status

    def run(
        self, wall: float, deterministic: float | None, seed: int, stop_at_first: bool = False
    ) -> cp_model.CpSolver:
        """One CP-SAT run of the whole model, stopped at its first solution if asked."""
        assert self.rm is not None
        solver = cp_model.CpSolver()
        self.parameters(solver, wall, deterministic, seed)
        progress = _Progress(self.budget, self.improvements, stop_at_first)
        status = solver.solve(self.rm.model, progress)
        self.budget.spent_deterministic += solver.deterministic_time
        self.last_status = status
        return solver

    def take(self, solver: cp_model.CpSolver) -> bool:
        """Adopt the whole model's solution when it is no worse than the incumbent."""
        assert self.rm is not None
        if self.last_status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        assignment = self.rm.assignment(solver)
        value = evaluate_assignment(self.rm_inst, assignment).value
        if self.value is not None and value > self.value:
            return False
        self.assignment, self.value = assignment, value
        if self.improvements and self.improvements[-1][1] > value:
            # the run logged the model's objective, which may overstate the roster's value
            self.improvements[-1] = (self.improvements[-1][0], value)
        return True

    def note_improvement(self) -> None:
        """Record the incumbent's value with the time it was reached."""
        if self.value is not None and (
            not self.improvements or self.value < self.improvements[-1][1]
        ):
            self.improvements.append((round(self.budget.elapsed(), 3), self.value))


def search_redundant(params: RosterParams) -> tuple[str, ...]:
    """The redundant constraint families the parameters ask for."""
    return ("run_patterns",) if params.run_patterns else ()


def solve_roster(
    problem: RosterProblem,
    params: RosterParams | None = None,
    initial: dict[str, list[str | None]] | None = None,
) -> RosterResult:
    """Roster the staff over the horizon; always returns a result with a status.

    `initial` (staff id -> shift id or null per day) warm-starts the search as a hint.
    """
    from optimizer.roster import lns

    params = (params or RosterParams()).resolved(problem)
    assert params.time_limit is not None and params.seed is not None
    budget = Budget(params.time_limit, params.deterministic_limit)
    inst = RosterInstance.from_problem(problem)
    num_vars = sum(a for person in inst.allowed for day in person for a in day)
    use_lns = params.lns == "on" or (params.lns == "auto" and num_vars > params.lns_min_vars)
    # Large instances never build the whole model: a first roster person by person, then
    # neighbourhoods. Smaller ones get a share of the budget on the whole model first, where
    # CP-SAT often proves the optimum.
    by_parts = use_lns and num_vars > params.lns_first_only_vars
    use_colgen = params.colgen == "on" or (
        params.colgen == "auto"
        and use_lns
        and num_vars <= params.colgen_max_vars
        and (params.colgen_pricing == "cp_sat" or dp_share(inst) >= params.colgen_min_dp_share)
    )
    search = Search(
        inst,
        None if by_parts else build_model(inst, redundant=search_redundant(params)),
        params,
        budget,
    )
    if by_parts:
        if initial is not None:
            search.assignment = inst.from_roster(initial)
            ev = evaluate_assignment(inst, search.assignment)
            search.value = ev.value if ev.feasible else None
        if search.value is None:
            lns.construct(search)
        else:
            search.note_improvement()
    else:
        assert search.rm is not None
        if initial is not None:
            search.rm.hint(inst.from_roster(initial))
        # where column generation's rosters follow, the first solve is short (and its
        # fallback stops at its first roster)
        follow = rosters_follow(params, num_vars, use_colgen and use_lns)
        share = params.lns_first_share if use_lns or use_colgen else 1.0
        share = params.colgen_first_share if follow else share
        first_det = budget.deterministic_left()
        solver = search.run(
            budget.wall_left() * share,
            None if first_det is None else first_det * share,
            params.seed,
        )
        search.take(solver)
        status = search.last_status
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            search.bound = round(solver.best_objective_bound)
            search.proven = status == cp_model.OPTIMAL
        search.infeasible = status == cp_model.INFEASIBLE
        if search.assignment is None and not search.infeasible and not budget.exhausted():
            if use_lns:
                # the whole model found no roster in its share (Instance17 at a deterministic
                # 60 s, one worker, found none in all of it): the first roster person by person
                lns.construct(search)
            else:
                solver = search.run(
                    budget.wall_left(), budget.deterministic_left(), params.seed + 1, follow
                )
                search.take(solver)
                search.infeasible = search.last_status == cp_model.INFEASIBLE
    if (
        use_colgen
        and search.assignment is not None
        and not search.proven
        and not search.infeasible
        and not budget.exhausted()
    ):
        improve_bound(search)
    if (
        use_lns
        and search.assignment is not None
        and not search.proven
        and not search.infeasible
        and not budget.exhausted()
    ):
        budget.reserve(reserve_for_proof(search))
        lns.improve(search)
        budget.reserve(0.0)
        prove(search)
        if search.rm is not None:
            finish(search)
    elif use_colgen and search.rm is not None:
        finish(search)
    search.stats.update(
        num_shift_vars=num_vars,
        lns=use_lns,
        by_parts=by_parts,
        workers=params.workers,
        seed=params.seed,
        wall_time=round(budget.elapsed(), 3),
        deterministic_time=round(budget.spent_deterministic, 3),
        time_to_best=search.improvements[-1][0] if search.improvements else None,
        improvements=search.improvements[-50:],
    )
    return result_of(problem, inst, search)


def finish(search: Search) -> None:
    """The last phase after LNS on an instance with a whole model: CP-SAT on the whole model
    again, hinted with the incumbent, for the rest of the budget. The neighbourhoods find good
    rosters but cannot prove one optimal; this run keeps improving from the incumbent and its
    bound (the larger of both runs' is kept) can prove it. After column generation (and with
    `colgen_restricted`), that run is the restricted model of `restricted.py` instead."""
    assert search.rm is not None and search.params.seed is not None
    budget = search.budget
    if search.assignment is None or search.proven or search.infeasible or budget.exhausted():
        return
    if search.lagrangian is not None and search.params.colgen_restricted:
        from optimizer.roster.restricted import improve_restricted

        ended = improve_restricted(search, budget.wall_left(), budget.deterministic_left())
        if ended != "skipped":
            return
    if search.params.last_run_patterns and not search.params.run_patterns:
        search.rm = build_model(search.rm_inst, redundant=("run_patterns",))
    search.rm.hint(search.assignment)
    if search.bound is not None:
        # a proven bound (column generation's) lets CP-SAT stop as soon as it meets it
        search.rm.model.add(search.rm.terms.total() >= search.bound)
    if search.lagrangian is not None and search.params.colgen_cuts:
        add_lagrangian_cuts(search.rm, search.lagrangian)
    solver = search.run(budget.wall_left(), budget.deterministic_left(), search.params.seed + 2)
    search.take(solver)
    search.stats["last_solve"] = {
        "status": solver.status_name(search.last_status),
        "bound": round(solver.best_objective_bound),
    }
    if search.last_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = round(solver.best_objective_bound)
        search.bound = bound if search.bound is None else max(search.bound, bound)
        search.proven = search.value is not None and search.bound >= search.value


def result_of(problem: RosterProblem, inst: RosterInstance, search: Search) -> RosterResult:
    """The contract result of a search, its terms and cover recomputed by the evaluator."""
    if search.assignment is None:
        return RosterResult(
            problem_id=problem.id,
            status=RosterStatus.infeasible if search.infeasible else RosterStatus.unknown,
            objective=RosterObjective(value=None, bound=search.bound),
            roster={},
            solver=search.stats,
        )
    ev = evaluate_assignment(inst, search.assignment)
    proven = search.proven or (search.bound is not None and search.bound >= ev.value)
    return RosterResult(
        problem_id=problem.id,
        status=RosterStatus.optimal if proven and ev.feasible else RosterStatus.feasible,
        objective=RosterObjective(value=ev.value, bound=search.bound, terms=ev.terms),
        roster=inst.to_roster(search.assignment),
        cover=cover_counts(problem, ev),
        solver=search.stats,
    )
