"""Neighbourhoods as sub-models: the sub-instance scores like the whole one, less the others'
requests; re-optimising a part keeps every rule; a first roster, then LNS, by parts."""

from __future__ import annotations

import random
from typing import Any

from benchmarks import curtois
from optimizer.roster import lns
from optimizer.roster.evaluate import evaluate_assignment, evaluate_roster
from optimizer.roster.instance import RosterInstance
from optimizer.roster.params import Budget, RosterParams
from optimizer.roster.solve import Search, solve_roster


def reference(name: str) -> tuple[RosterInstance, list[list[int]]]:
    """A Curtois-Qu instance and its first third-party reference roster, dense."""
    inst = RosterInstance.from_problem(curtois.load(name))
    roster = curtois.read_reference_rosters(name)[0].roster
    return inst, inst.from_roster(roster)


def by_parts(seed: int, deterministic_limit: float) -> RosterParams:
    """One worker, a deterministic budget, and every instance solved by parts (without
    column generation, which proves Instance2 and 3 on its own)."""
    return RosterParams(
        workers=1,
        seed=seed,
        time_limit=60.0,
        deterministic_limit=deterministic_limit,
        lns="on",
        lns_first_only_vars=0,
        lns_step_time=0.2,
        lns_parts_step_time=0.2,
        colgen="off",
    )


def test_subproblem_scores_as_the_whole_less_the_others_requests() -> None:
    """For random groups of people and windows of days, the sub-instance's value of their rows
    is the whole value less the request cost of the people left out."""
    inst, assignment = reference("Instance5")
    whole = evaluate_assignment(inst, assignment)
    rng = random.Random(3)
    for _ in range(5):
        people = sorted(rng.sample(range(inst.num_staff), 4))
        first = rng.randrange(inst.num_days - 7)
        days = set(range(first, first + 7)) if rng.random() < 0.5 else None
        sub = inst.subproblem(people, assignment, days)
        part = evaluate_assignment(sub, [assignment[e] for e in people])
        others = sum(
            r.weight
            for r in inst.requests
            if r.staff not in people and (assignment[r.staff][r.day] == r.shift) != r.on
        )
        assert part.feasible
        assert part.value == whole.value - others


def test_a_part_reoptimised_stays_feasible_and_no_worse() -> None:
    """Re-optimising three people over a window of days, then two over every day, keeps every
    hard rule and lowers (or keeps) the objective by the change it reports."""
    inst, assignment = reference("Instance4")
    params = RosterParams(workers=1, seed=0, time_limit=30.0)
    search = Search(inst, None, params, Budget(30.0, 10.0))
    search.assignment = [row[:] for row in assignment]
    value = evaluate_assignment(inst, assignment).value
    for people, days in (([0, 3, 5], set(range(7, 14))), ([1, 2], None)):
        before = [row[:] for row in search.assignment]
        outcome = lns.solve_part(search, people, days, 10.0, 2.0, 0)
        assert outcome is not None
        after = evaluate_assignment(inst, search.assignment)
        assert after.feasible
        assert after.value == value + outcome[0] <= value
        value = after.value
        fixed = set() if days is None else set(range(inst.num_days)) - days
        for e in people:
            assert all(search.assignment[e][d] == before[e][d] for d in fixed)
        others = set(range(inst.num_staff)) - set(people)
        assert all(search.assignment[e] == before[e] for e in others)


def test_first_roster_by_parts_then_lns() -> None:
    """Forced to work by parts on Instance2, the solve finds a first roster person by person,
    improves it with neighbourhoods, and the result is feasible and scored by the
    evaluator."""
    problem = curtois.load("Instance2")
    params = by_parts(seed=0, deterministic_limit=1.5)
    result = solve_roster(problem, params)
    ev = evaluate_roster(problem, result.roster)
    assert ev.feasible
    assert result.objective.value == ev.value
    assert result.solver["by_parts"] is True and result.solver["lns_steps"] > 0
    first_roster = result.solver["improvements"][0][1]
    assert ev.value <= first_roster


def test_by_parts_same_seed_one_worker_same_roster() -> None:
    """Forced to work by parts (first roster person by person, then LNS with best-row steps),
    one worker and a deterministic budget give the same roster twice."""
    problem = curtois.load("Instance3")
    params = by_parts(seed=3, deterministic_limit=1.5)
    first, second = solve_roster(problem, params), solve_roster(problem, params)
    assert first.solver["by_parts"] is True and first.solver["lns_steps"] > 0
    assert first.roster == second.roster
    assert evaluate_roster(problem, first.roster).feasible


def test_a_first_row_tries_fewer_days_for_longer_shifts() -> None:
    """One person, a week, exactly 2880 minutes: six 480-minute shifts, whose cover is full,
    or four 720-minute ones, whose cover is short every day. The programme counts days, so its
    best pattern has six (all short shifts: 6 over + 7 short x 100 = 706); with other counts
    tried, the row is four long shifts (3 short x 100 = 300)."""
    from optimizer.roster.instance import OFF, CoverIdx, Rule

    rule = Rule((7, 7), 2880, 2880, 1, 7, 1, 1, frozenset())
    cover = [CoverIdx(d, s, (0,), s, 100, 1) for d in range(7) for s in (0, 1)]
    allowed = [[[True, True]] * 7]
    inst = RosterInstance(
        7, ["S", "L"], ["A"], [480, 720], [[False] * 2] * 2, [rule], [], cover, allowed, []
    )
    inst = inst.subproblem([0], [[OFF] * 7])
    search = Search(inst, None, RosterParams(workers=1, seed=0), Budget(10.0, 5.0))
    values = {}
    for counts in (1, 8):
        search.params = RosterParams(workers=1, seed=0, lns_day_counts=counts)
        row = lns.person_row(search, inst, 1.0, 1.0, 0)
        assert row is not None
        values[counts] = evaluate_assignment(inst, [row]).value
    assert values == {1: 706, 8: 300}


def test_a_cover_neighbourhood_frees_who_could_fill_the_short_row() -> None:
    """Day 3 asks for two on A and has one (person 0): the only short row. Person 1 is on B,
    which is over, person 3 is off, person 2 is on C, which is exactly covered: a group of two
    is persons 1 and 3 (person 0 already works A), over four days around day 3."""
    from optimizer.roster.instance import OFF, CoverIdx, Rule

    h, staff = 7, (0, 1, 2, 3)
    rule = Rule((h,) * 3, 0, 10_000, 1, h, 1, 1, frozenset())
    want = {(3, 0): 2, (3, 1): 0, (3, 2): 1}
    cover = [
        CoverIdx(d, s, staff, want.get((d, s), 0), 100, 1) for d in range(h) for s in range(3)
    ]
    allowed = [[[True] * 3] * h] * 4
    inst = RosterInstance(
        h, ["A", "B", "C"], ["p0", "p1", "p2", "p3"], [480] * 3, [[False] * 3] * 3,
        [rule] * 4, [], cover, allowed, [frozenset()] * 4,
    )  # fmt: skip
    assignment = [[OFF] * h for _ in staff]
    assignment[0][3], assignment[1][3], assignment[2][3] = 0, 1, 2
    for seed in range(5):
        people, days = lns.cover_part(inst, assignment, 2, 4, random.Random(seed))
        assert people == [1, 3]
        assert days == {1, 2, 3, 4}
    people, _ = lns.cover_part(inst, assignment, 3, 4, random.Random(0))
    assert people == [1, 2, 3]


def test_by_parts_with_the_cover_neighbourhood_stays_feasible() -> None:
    """With the cover neighbourhood in the rotation (`lns_cover`), LNS by parts on Instance1
    takes its steps and ends feasible, no worse than its first roster."""
    problem = curtois.load("Instance1")
    params = by_parts(seed=0, deterministic_limit=0.8).model_copy(update={"lns_cover": True})
    result = solve_roster(problem, params)
    ev = evaluate_roster(problem, result.roster)
    assert ev.feasible and result.objective.value == ev.value
    assert result.solver["lns_steps"] >= 4
    assert ev.value <= result.solver["improvements"][0][1]


def test_row_costs_score_as_the_evaluator() -> None:
    """The vectorised cost of a person's row in a one-person sub-instance equals the
    evaluator's value of that sub-instance, for several people and rows (theirs, a day
    moved, all off)."""
    from optimizer.roster import first_row
    from optimizer.roster.instance import OFF

    inst, assignment = reference("Instance5")
    for e in (0, 7, 15):
        sub = inst.subproblem([e], assignment)
        moved = assignment[e][1:] + assignment[e][:1]
        rows = [assignment[e], moved, [OFF] * inst.num_days]
        expected = [evaluate_assignment(sub, [row]).value for row in rows]
        assert first_row.row_costs(sub, rows) == expected
        assert len(set(expected)) > 1


def test_the_kind_chosen_follows_the_improvement_per_second() -> None:
    """Each kind is tried once first; then the kind that removed the most per second is
    drawn most often, and a kind at the floor is still drawn now and then."""
    records = {kind: lns.KindRecord() for kind in ("row", "staff", "block")}
    rng = random.Random(0)
    seen = []
    for gain, seconds in ((50, 1.0), (5, 1.0), (0, 2.0)):
        kind = lns.choose_kind(records, rng, 0.1)
        seen.append(kind)
        records[kind].add(gain, seconds, 0.8)
    assert seen == ["row", "staff", "block"]
    drawn = [lns.choose_kind(records, rng, 0.1) for _ in range(1000)]
    # weights 50, 5 (the floor, a tenth of 50) and 5: row about 5/6 of the draws
    assert 750 < drawn.count("row") < 920
    assert drawn.count("block") > 30
    records["row"].add(0, 1.0, 0.8)  # its rate decays to 0.8 * 50 = 40
    assert records["row"].rate == 40.0 and records["row"].improving == 1


def test_by_parts_steps_are_counted_by_kind() -> None:
    """LNS by parts on Instance1, kinds drawn by their rates (`lns_adaptive`), records each
    kind's steps (they add up to all the steps), the improving ones among them and the
    objective each kind removed, which adds up to the first roster's value less the result's."""
    problem = curtois.load("Instance1")
    params = by_parts(seed=1, deterministic_limit=0.8).model_copy(update={"lns_adaptive": "on"})
    result = solve_roster(problem, params)
    assert evaluate_roster(problem, result.roster).feasible
    kinds = result.solver["lns_kinds"]
    assert set(kinds) == set(lns.KINDS_BY_PARTS)
    assert sum(k["steps"] for k in kinds.values()) == result.solver["lns_steps"]
    assert sum(k["improving"] for k in kinds.values()) == result.solver["lns_improving_steps"]
    first = result.solver["improvements"][0][1]
    assert sum(k["gain"] for k in kinds.values()) == first - result.objective.value


def test_a_first_roster_behind_its_time_keeps_every_rule() -> None:
    """Without a deterministic budget and with almost no time, the first roster by parts
    falls behind its share and gives the rest of the people the best pattern of days alone:
    the roster still keeps every rule."""
    problem = curtois.load("Instance3")
    params = by_parts(seed=0, deterministic_limit=1.0).model_copy(
        update={"deterministic_limit": None, "time_limit": 0.05, "lns": "on"}
    )
    result = solve_roster(problem, params)
    ev = evaluate_roster(problem, result.roster)
    assert result.roster and ev.feasible and result.objective.value == ev.value


def test_steps_by_parts_take_their_own_time_limit(monkeypatch: Any) -> None:
    """LNS by parts limits each sub-solve to `lns_parts_step_time`, not `lns_step_time`."""
    limits: list[float | None] = []
    solve_part = lns.solve_part

    def spy(search: Search, people: list[int], days: set[int] | None, *rest: Any) -> Any:
        limits.append(rest[1])
        return solve_part(search, people, days, *rest)

    monkeypatch.setattr(lns, "solve_part", spy)
    params = by_parts(seed=0, deterministic_limit=0.6).model_copy(
        update={"lns_step_time": 5.0, "lns_parts_step_time": 0.05}
    )
    result = solve_roster(curtois.load("Instance1"), params)
    assert result.solver["by_parts"] and limits
    assert all(limit is not None and limit <= 0.05 for limit in limits)


def test_a_whole_model_without_a_roster_falls_back_to_the_first_roster() -> None:
    """When the whole model's first solve finds no roster in its share (Instance17, a
    deterministic 1.5 s), the solve goes on from the first roster person by person, then
    LNS, and returns a roster that keeps every rule."""
    problem = curtois.load("Instance17")
    params = RosterParams(
        workers=1, seed=0, time_limit=120.0, deterministic_limit=1.5, colgen="off"
    )
    result = solve_roster(problem, params)
    assert not result.solver["by_parts"] and result.solver["lns"]
    ev = evaluate_roster(problem, result.roster)
    assert result.roster and ev.feasible and result.objective.value == ev.value
