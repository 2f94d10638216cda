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
    """The named terms; cover short and over are integer variables tied to the head count (a
    constant for a row nobody can work, as in a neighbourhood's fixed part)."""
    unders: list[cp_model.IntVar] = []
    overs: list[cp_model.IntVar] = []
    under_weights: list[int] = []
    over_weights: list[int] = []
    under_fixed = over_fixed = 0
    for k, c in enumerate(inst.cover):
        xs = [var for e in c.staff if (var := v.x[e][c.day][c.shift]) is not None]
        if not xs:
            under_fixed += c.weight_under * max(0, c.required)
            over_fixed += c.weight_over * max(0, -c.required)
            continue
        under = model.new_int_var(0, max(0, c.required), f"under[{k}]")
        over = model.new_int_var(0, max(0, len(xs) - c.required), f"over[{k}]")
        model.add(cp_model.LinearExpr.sum(xs) + under - over == c.required)
        unders.append(under)
        overs.append(over)
        under_weights.append(c.weight_under)
        over_weights.append(c.weight_over)
    return Terms(
        request_term(inst, v),
        cp_model.LinearExpr.weighted_sum(unders, under_weights) + under_fixed,
        cp_model.LinearExpr.weighted_sum(overs, over_weights) + over_fixed,
    )
