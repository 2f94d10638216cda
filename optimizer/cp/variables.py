"""Typed bundles of CP-SAT variables, one per entity."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model, cp_model_helper

from optimizer.instance import Instance
from optimizer.solution import Solution

IntVar = cp_model.IntVar
BoolLit = cp_model_helper.Literal  # a Boolean variable or its negation (`IntVar.Not()`)
LinearExpr = cp_model.LinearExpr | int  # an expression, or a constant (an empty sum is 0)


@dataclass
class FixedVisit:
    """An order kept where it is: its crew spans routes outside the sub-problem."""

    start: int
    shifts: list[int]  # the sub-problem's routes that keep visiting it
    provider: int | None  # provider shift if among `shifts`


@dataclass
class Scope:
    """What a (sub-)model decides: routes of `shifts`, orders in `orders`, the rest fixed."""

    shifts: list[int]
    orders: list[int]  # free: may be served by any of `shifts`, or not at all
    fixed: dict[int, FixedVisit]  # kept in place in the sub-problem's routes
    outside: Solution  # the incumbent, for everything outside the scope
    eligible: dict[int, list[int]]  # order -> shifts of the scope that may visit it (free)


@dataclass
class OrderVars:
    """Decision variables of one order."""

    served: IntVar
    start: IntVar
    visit: dict[int, IntVar] = field(default_factory=dict)  # shift -> literal
    provide: dict[int, IntVar] = field(default_factory=dict)  # shift -> literal
    late: IntVar | None = None


@dataclass
class BreakVars:
    """One break of a route: its start and the node it follows."""

    start: IntVar
    interval: cp_model.IntervalVar
    after: dict[int, IntVar] = field(default_factory=dict)  # node (0 = start, else order) -> lit


@dataclass
class RouteVars:
    """Decision variables of one shift's route; node 0 is the start/end, node k+1 an order."""

    used: IntVar
    depart: IntVar
    ret: IntVar
    overtime: IntVar
    nodes: list[int]  # order index of node k+1
    depots: list[int] = field(default_factory=list)  # depot index of node len(nodes)+1+j
    depot_visit: dict[int, IntVar] = field(default_factory=dict)  # depot -> literal
    depot_start: dict[int, IntVar] = field(default_factory=dict)  # depot -> start of the stop
    arcs: dict[tuple[int, int], BoolLit] = field(default_factory=dict)  # (node, node) -> lit
    leave: dict[int, LinearExpr] = field(default_factory=dict)  # node -> departure time
    breaks: list[BreakVars] = field(default_factory=list)
    travel: LinearExpr = 0

    def depot_node(self, j: int) -> int:
        """Circuit node of the route's j-th depot."""
        return len(self.nodes) + 1 + j


@dataclass
class Model:
    """A CP-SAT model of a scope, with its variables."""

    inst: Instance
    scope: Scope
    cp: cp_model.CpModel
    orders: dict[int, OrderVars] = field(default_factory=dict)
    routes: dict[int, RouteVars] = field(default_factory=dict)
    terms: dict[str, LinearExpr] = field(default_factory=dict)  # weight key -> cost expr
    max_late: IntVar | None = None  # the largest lateness, when max_lateness is weighed
    # (order, shift, depot) -> the order is served after that depot stop, supplied from it.
    after_stop: dict[tuple[int, int, int], IntVar] = field(default_factory=dict)
    # (shift, depot, equipment type) -> picked up there.
    pick: dict[tuple[int, int, str], IntVar] = field(default_factory=dict)
    # (shift, depot, part type) -> quantity picked up there.
    pick_parts: dict[tuple[int, int, str], IntVar] = field(default_factory=dict)
