"""The CP-SAT roster model: variables, every constraint family of the registry, the objective."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.roster.constraints import CONSTRAINTS, REDUNDANT
from optimizer.roster.instance import OFF, RosterInstance
from optimizer.roster.objective import Terms, add_terms
from optimizer.roster.variables import RosterVars


@dataclass
class RosterModel:
    """A built model with its variables and named objective terms."""

    model: cp_model.CpModel
    inst: RosterInstance
    vars: RosterVars
    terms: Terms

    def hint(self, assignment: list[list[int]]) -> None:
        """Hint every x and works variable with a dense assignment (warm start)."""
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for e, row in enumerate(assignment):
            for d, s_on in enumerate(row):
                for s, var in enumerate(self.vars.x[e][d]):
                    if var is not None:
                        self.model.add_hint(var, s == s_on)
                self.model.add_hint(self.vars.works[e][d], s_on != OFF)

    def assignment(
        self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback
    ) -> list[list[int]]:
        """The dense assignment of the solver's (or callback's) current solution."""
        out = []
        for xe in self.vars.x:
            row = []
            for xed in xe:
                on = [
                    s for s, var in enumerate(xed) if var is not None and solver.boolean_value(var)
                ]
                row.append(on[0] if on else OFF)
            out.append(row)
        return out


def build_model(
    inst: RosterInstance,
    families: list[str] | None = None,
    prune: bool = True,
    redundant: tuple[str, ...] = (),
) -> RosterModel:
    """Build the model with every constraint family (or only the named ones, for tests) and
    the `redundant` families named."""
    model = cp_model.CpModel()
    v = RosterVars.build(model, inst, prune=prune)
    chosen = [f for name, f in CONSTRAINTS if families is None or name in families]
    chosen += [f for name, f in REDUNDANT if name in redundant]
    for family in chosen:
        family(model, inst, v)
    terms = add_terms(model, inst, v)
    model.minimize(terms.total())
    return RosterModel(model, inst, v, terms)
