"""Each labour rule's constraint family on the model alone: a roster row that keeps the rule
is feasible, one that breaks it is not, and the evaluator agrees on both."""

from __future__ import annotations

from typing import Any

import pytest
from ortools.sat.python import cp_model

from models.roster import RosterProblem, load_roster_problem
from optimizer.roster.constraints import CONSTRAINTS, REDUNDANT
from optimizer.roster.evaluate import evaluate_roster
from optimizer.roster.instance import RosterInstance
from optimizer.roster.model import build_model


def one_person(days: int = 7, **rules: Any) -> RosterProblem:
    """One person with `rules`, shift types D and N (D cannot follow N), no cover."""
    return load_roster_problem(
        {
            "start_date": "2027-01-04",
            "days": days,
            "shift_types": [
                {"id": "D", "duration": "PT8H"},
                {"id": "N", "duration": "PT10H", "cannot_follow": ["D"]},
            ],
            "staff": [{"id": "A", **rules}],
        }
    )


def row(text: str) -> list[str | None]:
    """`DN.D` -> ["D", "N", None, "D"]."""
    return [None if c == "." else c for c in text]


def model_status(problem: RosterProblem, family: str, fixed: list[str | None]) -> int:
    """CP-SAT status of the model with only `family`, person A's row fixed to `fixed`."""
    inst = RosterInstance.from_problem(problem)
    rm = build_model(inst, families=[family], prune=False, redundant=(family,))
    for d, sid in enumerate(fixed):
        for s, var in enumerate(rm.vars.x[0][d]):
            assert var is not None
            rm.model.add(var == int(sid == inst.shift_ids[s]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.solve(rm.model)


RUNS = {"max_consecutive_shifts": 3, "min_consecutive_shifts": 2, "min_consecutive_days_off": 2}
CASES = [
    # family, rules, a row keeping the rule, a row breaking it
    ("days_off", {"days_off": [2]}, "DD.DD..", "DDDDD.."),
    ("shift_rotation", {}, "DDNN...", "NND...."),
    ("max_shifts", {"max_shifts": {"N": 2}}, "NN..D..", "NN..NN."),
    # D is 480 minutes, N 600
    ("total_minutes", {"min_minutes": 1600, "max_minutes": 1800}, "DNN....", "DD....."),
    ("total_minutes", {"min_minutes": 1600, "max_minutes": 1800}, "NNN....", "DDDN..."),
    ("max_consecutive_shifts", {"max_consecutive_shifts": 3}, "DDD.DDD", "DDDD..."),
    # runs touching either end are exempt: a lone shift on day 0 or day 6 is fine
    ("min_consecutive_shifts", {"min_consecutive_shifts": 2}, "D.DD..D", "..D.DD."),
    ("min_consecutive_days_off", {"min_consecutive_days_off": 2}, ".DD..D.", "DD.DDD."),
    ("max_weekends", {"max_weekends": 1}, ".....DD.......", ".....D......D."),
    # the flow of runs repeats the three run-length rules: runs at either end are exempt
    ("run_patterns", RUNS, "D..DDD.", "DDDD..."),
    ("run_patterns", RUNS, ".DD..DN", "DD.DDD."),
    ("run_patterns", RUNS, "D..DD..", "DD..D.."),
]


@pytest.mark.parametrize(("family", "rules", "good", "bad"), CASES)
def test_family_feasible_and_infeasible(
    family: str, rules: dict[str, Any], good: str, bad: str
) -> None:
    """The family accepts the good row and refuses the bad one, as the evaluator does."""
    problem = one_person(days=len(good), **rules)
    assert model_status(problem, family, row(good)) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert model_status(problem, family, row(bad)) == cp_model.INFEASIBLE
    assert evaluate_roster(problem, {"A": row(good)}).feasible
    assert not evaluate_roster(problem, {"A": row(bad)}).feasible


def test_registry_names_every_family_once() -> None:
    """Every family in the registries has a case above, and no name repeats."""
    names = [name for name, _ in CONSTRAINTS + REDUNDANT]
    assert len(names) == len(set(names))
    assert set(names) == {family for family, *_ in CASES}


def test_cover_and_requests_bind_at_the_derived_optimum() -> None:
    """Two people, one day, cover 1 on D; A asks for D (weight 3), B asks to be off D (2):
    A works D alone, cost 0. If B also must work (min_minutes 480), B on N costs nothing
    but B on D costs 1 over; the optimum puts B on N: 0."""
    problem = load_roster_problem(
        {
            "start_date": "2027-01-04",
            "days": 7,
            "shift_types": [{"id": "D", "duration": "PT8H"}, {"id": "N", "duration": "PT8H"}],
            "staff": [
                {"id": "A", "requests": [{"day": 0, "shift": "D", "weight": 3}]},
                {
                    "id": "B",
                    "min_minutes": 480,
                    "max_minutes": 480,
                    "days_off": [1, 2, 3, 4, 5, 6],
                    "requests": [{"day": 0, "shift": "D", "on": False, "weight": 2}],
                },
            ],
            "cover": [{"day": 0, "shift": "D", "required": 1}],
        }
    )
    inst = RosterInstance.from_problem(problem)
    rm = build_model(inst)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(rm.model) == cp_model.OPTIMAL
    assert solver.objective_value == 0
    roster = inst.to_roster(rm.assignment(solver))
    assert roster["A"][0] == "D" and roster["B"][0] == "N"
    # without the N shift type for B, the least cost is 1 over (B on D) + 2 (B's request)
    assert evaluate_roster(problem, {"A": row("D......"), "B": row("D......")}).value == 3
