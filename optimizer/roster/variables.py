"""The decision variables of the roster model: one Boolean per person, day and shift type."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.roster.instance import RosterInstance


@dataclass
class RosterVars:
    """x[e][d][s] (None where pruned), works[e][d] = sum_s x[e][d][s], and weekend[e][w]."""

    x: list[list[list[cp_model.IntVar | None]]]
    works: list[list[cp_model.IntVar]]
    weekend: list[list[cp_model.IntVar]]

    @classmethod
    def build(
        cls, model: cp_model.CpModel, inst: RosterInstance, prune: bool = True
    ) -> RosterVars:
        """Create the variables; with `prune`, none for days off and types capped at 0 (the
        day-off and max-shifts families then hold by construction). A neighbourhood's fixed
        working days (`must_work`) are worked."""
        x: list[list[list[cp_model.IntVar | None]]] = []
        works = []
        for e in range(inst.num_staff):
            xe, we = [], []
            for d in range(inst.num_days):
                xed = [
                    model.new_bool_var(f"x[{e},{d},{s}]")
                    if not prune or inst.allowed[e][d][s]
                    else None
                    for s in range(inst.num_shifts)
                ]
                w = model.new_bool_var(f"works[{e},{d}]")
                model.add(w == cp_model.LinearExpr.sum([v for v in xed if v is not None]))
                if inst.must_work and d in inst.must_work[e]:
                    model.add(w == 1)
                xe.append(xed)
                we.append(w)
            x.append(xe)
            works.append(we)
        weekend = [
            [model.new_bool_var(f"weekend[{e},{w}]") for w in range(inst.num_weekends)]
            for e in range(inst.num_staff)
        ]
        return cls(x, works, weekend)

    def shift_vars(self, e: int, s: int) -> list[cp_model.IntVar]:
        """Every existing x[e][d][s] over the days."""
        return [v for xed in self.x[e] if (v := xed[s]) is not None]
