"""The objective of the roster model as named weighted terms (requests, cover under/over)."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.roster.instance import RosterInstance
from optimizer.roster.variables import RosterVars


@dataclass
class Terms:
    """Each soft term as a linear expression (a constant part included)."""

    requests: cp_model.LinearExprT
    cover_under: cp_model.LinearExprT
    cover_over: cp_model.LinearExprT

    def named(self) -> dict[str, cp_model.LinearExprT]:
        """The terms by name, in the contract's order."""
        return {
            "requests": self.requests,
            "cover_under": self.cover_under,
            "cover_over": self.cover_over,
        }

    def total(self) -> cp_model.LinearExprT:
        """The objective: the sum of the terms."""
        return self.requests + self.cover_under + self.cover_over


def request_term(inst: RosterInstance, v: RosterVars) -> cp_model.LinearExprT:
    """`on` costs its weight unless the shift is worked; `on: false` costs it if it is."""
    cost: cp_model.LinearExprT = 0
    for r in inst.requests:
        var = v.x[r.staff][r.day][r.shift]
        if r.on:
            cost += r.weight if var is None else r.weight * (1 - var)
        elif var is not None:
            cost += r.weight * var
    return cost


def add_terms(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> Terms:
    """The named terms; cover short and over are integer variables tied to the head count."""
    under_cost: cp_model.LinearExprT = 0
    over_cost: cp_model.LinearExprT = 0
    for k, c in enumerate(inst.cover):
        xs = [var for e in c.staff if (var := v.x[e][c.day][c.shift]) is not None]
        under = model.new_int_var(0, c.required, f"under[{k}]")
        over = model.new_int_var(0, max(0, len(xs) - c.required), f"over[{k}]")
        model.add(sum(xs) + under - over == c.required)
        under_cost += c.weight_under * under
        over_cost += c.weight_over * over
    return Terms(request_term(inst, v), under_cost, over_cost)
