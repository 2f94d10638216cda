"""Branch and price on the master: it finds and proves the optimum of small instances and of
Instance1 in a solve, its bound never passes the optimum when stopped early, fixes are kept
by the pricing, and it is reproducible."""

from __future__ import annotations

from benchmarks import curtois
from benchmarks.roster_generator import generate_roster
from models.roster import load_roster_problem
from optimizer.roster import colgen
from optimizer.roster.branch import BranchAndPrice, Fix, branch_and_price
from optimizer.roster.colgen import PersonCosts
from optimizer.roster.evaluate import evaluate_assignment, evaluate_roster
from optimizer.roster.instance import OFF
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.solve import Search, solve_roster
from tests.test_roster_colgen import optimum, week


def test_branch_and_price_closes_the_gap_of_the_master() -> None:
    """Generated weeks of six people whose master's bound (rounded up) is below the
    optimum (206 of 207, 6 of 8): from column generation's columns and no incumbent, the
    tree searched to the end finds a roster of the optimum (CP-SAT's) and proves it."""
    for seed, root, best in ((7, 206, 207), (13, 6, 8)):
        inst = week(6, seed)
        cg = colgen.generate(inst, Budget(600.0, 20.0))
        assert cg.converged and cg.bound == root
        out = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound)
        assert out.complete and out.nodes > 1 and out.roster is not None
        ev = evaluate_assignment(inst, out.roster)
        assert ev.feasible and ev.value == out.value == out.bound == best == optimum(inst)


def test_branch_and_price_finds_the_optimum_where_the_master_is_whole() -> None:
    """Generated weeks whose master's bound is the optimum: the tree ends with a roster of
    that value."""
    for seed in (1, 2):
        inst = week(5, seed)
        cg = colgen.generate(inst, Budget(600.0, 20.0))
        out = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound)
        assert out.complete and out.roster is not None
        assert evaluate_assignment(inst, out.roster).value == out.bound == optimum(inst)


def test_a_tree_stopped_early_bounds_the_optimum_from_below() -> None:
    """With a small deterministic budget the tree of a week with a gap is not searched to
    the end; the bound it reports is at most the optimum, its roster (if any) at least."""
    inst = week(6, 13)
    cg = colgen.generate(inst, Budget(600.0, 20.0))
    out = branch_and_price(inst, cg.columns, Budget(600.0, 0.1), None, cg.bound)
    assert not out.complete
    assert out.bound is None or out.bound <= optimum(inst)
    assert out.value is None or out.value >= optimum(inst)


def test_the_pricing_keeps_the_fixes() -> None:
    """A person fixed to work a shift on one day and to rest on another gets rows that do,
    under any duals; fixing a day off as not off makes them work it."""
    inst = week(5, 1)
    bp = BranchAndPrice(inst, [], Budget(600.0))
    duals = [colgen.SCALE * (k % 3) for k in range(len(inst.cover))]
    e = 0
    s = next(s for s in range(inst.num_shifts) if inst.allowed[e][2][s])
    fixes = [Fix(e, 2, s, True), Fix(e, 4, OFF, True)]
    _, column = bp.price(e, duals, fixes)
    assert column is not None and column.row[2] == s and column.row[4] == OFF
    _, column = bp.price(e, duals, [Fix(e, 5, OFF, False)])
    assert column is None or column.row[5] != OFF


def test_a_day_worked_or_not_is_branched_on_before_a_shift() -> None:
    """Person 0 half on a row working shift 0 on days 0 and 1, half on one working shift 1
    on day 0 and resting day 1 (every other person whole): cells (0, 0, 0), (0, 0, 1) and
    (0, 1, 0) are as fractional as the day off (0, 1), which is branched on, rest first."""
    inst = week(5, 1)
    rest = [OFF] * inst.num_days
    rows = {0: [[0, 0, *rest[2:]], [1, *rest[1:]]]} | {e: [rest] for e in range(1, 5)}
    columns = [PersonCosts(inst, e).column(row) for e in range(5) for row in rows[e]]
    bp = BranchAndPrice(inst, columns, Budget(600.0))
    fix, roster = bp.fractional([0.5, 0.5, 1.0, 1.0, 1.0, 1.0])
    assert roster is None and fix == Fix(0, 1, OFF, True)


def test_threads_do_not_change_the_tree() -> None:
    """Pricing on two threads gives the same nodes, bound and roster as on one."""
    inst = week(6, 13)
    cg = colgen.generate(inst, Budget(600.0, 20.0))
    one = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound, workers=1)
    two = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound, workers=2)
    assert one.complete and one.stats() == two.stats() and one.roster == two.roster


def stopped_tree(budget: float) -> tuple[Search, int]:
    """A week whose master is 2 short of the optimum, its first tree below a roster 5 worse
    than the optimum stopped on a small deterministic budget; and the optimum."""
    inst = week(6, 13)
    cg = colgen.generate(inst, Budget(600.0, 20.0))
    params = RosterParams(workers=1, seed=0, time_limit=600.0, deterministic_limit=30.0)
    best = optimum(inst)
    search = Search(inst, None, params, Budget(600.0, budget), value=best + 5, bound=cg.bound)
    search.lagrangian = cg
    colgen.branch(search, cg)
    return search, best


def test_a_tree_stopped_on_its_budget_goes_on_after_lns() -> None:
    """The proof after LNS goes on with the first tree where it stopped (though LNS found
    nothing better) and proves the optimum; a tree searched to the end is not kept."""
    search, best = stopped_tree(0.15)
    cg = search.lagrangian
    assert cg is not None and cg.tree is not None
    assert not search.stats["branch"]["complete"] and not search.proven
    search.budget = Budget(600.0, 30.0)
    colgen.prove(search)
    assert search.proven and search.value == search.bound == best
    assert search.stats["branch_after_lns"]["complete"] and cg.tree is None


def test_a_better_incumbent_after_lns_prunes_the_open_nodes() -> None:
    """When LNS brings the optimum, the resumed tree prunes the open nodes its bound reaches
    and proves it in fewer nodes than from the first tree's roster; with no tree kept (the
    first searched to the end), no second tree runs."""
    nodes = []
    for lns_found in (False, True):
        search, best = stopped_tree(0.15)
        if lns_found:
            search.value = best
        search.budget = Budget(600.0, 30.0)
        colgen.prove(search)
        assert search.proven and search.value == best
        nodes.append(search.stats["branch_after_lns"]["nodes"])
    assert nodes[1] < nodes[0]
    search, best = stopped_tree(30.0)
    assert search.proven and "branch_after_lns" not in search.stats
    search.proven, search.value = False, best - 1
    colgen.prove(search)
    assert "branch_after_lns" not in search.stats


def test_branch_and_price_is_reproducible() -> None:
    """The same columns and budget give the same nodes, bound and roster."""
    inst = week(6, 7)
    cg = colgen.generate(inst, Budget(600.0, 20.0))
    first = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound)
    second = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound)
    assert first.stats() == second.stats() and first.roster == second.roster


def test_a_solve_proves_instance1_by_branch_and_price() -> None:
    """Instance1, whose master is 49 units short (558 of the optimum 607), with the first
    whole-model solve too short to prove it and no floor on the under-cover: branch and
    price proves 607 before LNS."""
    problem = curtois.load("Instance1")
    params = RosterParams(
        lns="on",
        colgen_first_share=0.003,
        colgen_floor_share=0.0,
        deterministic_limit=30.0,
        workers=1,
        seed=0,
        time_limit=600.0,
    )
    result = solve_roster(problem, params)
    assert result.solver["colgen"]["bound"] == 558
    assert result.solver["branch"]["complete"] and "lns_steps" not in result.solver
    assert result.status == "optimal" and result.objective.value == result.objective.bound == 607
    assert evaluate_roster(problem, result.roster).value == 607


def test_a_node_stops_pricing_once_its_bound_meets_the_lp_value() -> None:
    """A week of six people with a gap of two: some nodes end their column generation as soon
    as their bound meets the restricted master's LP value rounded up, and the tree still
    finds and proves the optimum (8)."""
    inst = week(6, 13)
    cg = colgen.generate(inst, Budget(600.0, 20.0))
    out = branch_and_price(inst, cg.columns, Budget(600.0, 60.0), None, cg.bound)
    assert out.tailed > 0 and out.stats()["tailed"] == out.tailed
    assert out.complete and out.value == out.bound == optimum(inst) == 8


def test_branch_and_price_runs_above_the_size_of_the_roster_of_the_columns() -> None:
    """A week whose master is two short, on an instance above `colgen_rosters_max_vars` (no
    roster of the columns) but within `colgen_branch_max_vars`: the tree runs from the dive's
    roster and proves the optimum; with `colgen_branch_max_vars` below it, no tree runs."""
    problem = load_roster_problem(generate_roster(6, seed=13, days=7))
    base = dict(lns="off", colgen="on", lns_first_share=0.001, colgen_rosters_max_vars=0)
    for limit, tree in ((2500, True), (0, False)):
        params = RosterParams(
            **base,
            colgen_branch_max_vars=limit,
            deterministic_limit=3.0,
            workers=1,
            seed=0,
            time_limit=600.0,
        )
        result = solve_roster(problem, params)
        assert "integer_value" not in result.solver["colgen"]
        assert ("branch" in result.solver) == tree
        if tree:
            assert result.status == "optimal" and result.objective.value == 8


def test_a_plunge_that_ends_goes_on_at_the_open_node_of_least_lp_value() -> None:
    """A scripted tree (no pricing): the root (LP 5.0) branches on f, its child f (LP 5.6)
    on g, and f-and-g has no roster: the plunge ends there, and the open node not-f (its
    parent's LP 5.0) comes before f-and-not-g (5.6), which depth first would take first;
    both reach the incumbent and are pruned, so the tree is complete."""
    inst = week(5, 1)
    bp = BranchAndPrice(inst, [], Budget(600.0))
    f, g = Fix(0, 0, 0, True), Fix(1, 0, 0, True)
    not_f, not_g = Fix(0, 0, 0, False), Fix(1, 0, 0, False)
    script = {(): (5, 5.0, f), (f,): (5, 5.6, g), (f, g): None, (f, not_g): 9, (not_f,): 9}
    seen: list[tuple[Fix, ...]] = []

    def node(fixes: list[Fix], incumbent: int | None) -> tuple[int | None, list[float]]:
        seen.append(tuple(fixes))
        step = script[tuple(fixes)]
        if step is None or isinstance(step, int):
            return step, []
        bound, bp.lp_value, _ = step
        return bound, [0.5]

    def fractional(values: list[float]) -> tuple[Fix | None, None]:
        step = script[seen[-1]]
        assert isinstance(step, tuple)
        return step[2], None

    bp.node = node  # type: ignore[method-assign]
    bp.fractional = fractional  # type: ignore[method-assign]
    out = bp.search(9, 5)
    assert seen == [(), (f,), (f, g), (not_f,), (f, not_g)]
    assert out.complete and out.nodes == 5 and out.bound == 9
