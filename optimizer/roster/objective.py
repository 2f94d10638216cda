"""The objective of the roster model as named weighted terms (requests, cover under/over)."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.roster.instance import RosterInstance
from optimizer.roster.variables import RosterVars


@dataclass
class Terms:
    """Each soft term as a linear expression (a constant part included)."""

    requests: cp_model.LinearExpr
    cover_under: cp_model.LinearExpr
    cover_over: cp_model.LinearExpr

    def named(self) -> dict[str, cp_model.LinearExpr]:
        """The terms by name, in the contract's order."""
        return {
            "requests": self.requests,
            "cover_under": self.cover_under,
            "cover_over": self.cover_over,
        }

    def total(self) -> cp_model.LinearExpr:
        """The objective: the sum of the terms."""
        return self.requests + self.cover_under + self.cover_over


def request_term(inst: RosterInstance, v: RosterVars) -> cp_model.LinearExpr:
    """`on` costs its weight unless the shift is worked; `on: false` costs it if it is."""
    variables: list[cp_model.IntVar] = []
    coefficients: list[int] = []
    constant = 0
    for r in inst.requests:
        var = v.x[r.staff][r.day][r.shift]
        if r.on:
            constant += r.weight  # w (1 - x): the weight, less w when worked
        if var is not None:
            variables.append(var)
            coefficients.append(-r.weight if r.on else r.weight)
    return cp_model.LinearExpr.weighted_sum(variables, coefficients) + constant


def add_terms(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> Terms:
    """The named terms. Cover short and over are linear in the head count where a row can
    only be short (required >= the people who may work it) or only over (required <= 0, as
    in a neighbourhood whose fixed part already covers it), and a constant where nobody may
    work it; elsewhere they are integer variables tied to the head count."""
    under: tuple[list[cp_model.IntVar], list[int]] = ([], [])
    over: tuple[list[cp_model.IntVar], list[int]] = ([], [])
    under_fixed = over_fixed = 0
    for k, c in enumerate(inst.cover):
        xs = [var for e in c.staff if (var := v.x[e][c.day][c.shift]) is not None]
        if c.required >= len(xs):  # short by required - head count, never over
            under_fixed += c.weight_under * c.required
            under[0].extend(xs)
            under[1].extend([-c.weight_under] * len(xs))
            continue
        if c.required <= 0:  # over by head count - required, never short
            over_fixed -= c.weight_over * c.required
            over[0].extend(xs)
            over[1].extend([c.weight_over] * len(xs))
            continue
        short = model.new_int_var(0, c.required, f"under[{k}]")
        extra = model.new_int_var(0, len(xs) - c.required, f"over[{k}]")
        # both slacks may be positive in a solution that is not optimal (its objective then
        # overstates the roster's value, which the search re-scores with the evaluator);
        # tying them with a max equality slowed the search (Instance3 at 60 s: 1109, not 1005)
        model.add(cp_model.LinearExpr.sum(xs) + short - extra == c.required)
        under[0].append(short)
        under[1].append(c.weight_under)
        over[0].append(extra)
        over[1].append(c.weight_over)
    return Terms(
        request_term(inst, v),
        cp_model.LinearExpr.weighted_sum(*under) + under_fixed,
        cp_model.LinearExpr.weighted_sum(*over) + over_fixed,
    )
