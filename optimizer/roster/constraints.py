"""The labour rules of the roster model, one function per constraint family.

Each family takes the model, the instance and the variables and adds its constraints; they are
independent of each other and listed in `CONSTRAINTS`, which the model builds in order (the
order does not matter for correctness; cheap families come first to read the model easily).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import Literal

from optimizer.roster.instance import RosterInstance
from optimizer.roster.variables import RosterVars

Family = Callable[[cp_model.CpModel, RosterInstance, RosterVars], None]


def days_off(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """`days_off` are never worked."""
    for e, rule in enumerate(inst.rules):
        for d in rule.days_off:
            model.add(v.works[e][d] == 0)


def shift_rotation(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """A type in a's `cannot_follow` is not worked the day after a (one row per a: the next
    day holds at most one shift, so the row is as tight as the pairwise clauses)."""
    after = [
        [b for b in range(inst.num_shifts) if inst.forbidden_next[a][b]]
        for a in range(inst.num_shifts)
    ]
    for e in range(inst.num_staff):
        for d in range(inst.num_days - 1):
            today, tomorrow = v.x[e][d], v.x[e][d + 1]
            for a, first in enumerate(today):
                if first is None or not after[a]:
                    continue
                nxt = [b_var for b in after[a] if (b_var := tomorrow[b]) is not None]
                if nxt:
                    model.add(cp_model.LinearExpr.sum([first, *nxt]) <= 1)


def max_shifts(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """At most `max_shifts[s]` shifts of each type over the horizon."""
    for e, rule in enumerate(inst.rules):
        for s, cap in enumerate(rule.max_shifts):
            xs = v.shift_vars(e, s)
            if cap < len(xs):
                model.add(sum(xs) <= cap)


def total_minutes(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """Worked minutes lie in [min_minutes, max_minutes]."""
    for e, rule in enumerate(inst.rules):
        minutes = sum(
            inst.minutes[s] * var for xed in v.x[e] for s, var in enumerate(xed) if var is not None
        )
        model.add_linear_constraint(minutes, rule.min_minutes, rule.max_minutes)


def max_consecutive_shifts(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """No run of more than `max_consecutive_shifts` worked days: every window of one day more
    holds a day off."""
    h = inst.num_days
    for e, rule in enumerate(inst.rules):
        m = rule.max_consecutive_shifts
        for d in range(h - m):
            model.add(sum(v.works[e][d : d + m + 1]) <= m)


def _forbid_short_runs(
    model: cp_model.CpModel, seq: Sequence[cp_model.IntVar | Literal], shortest: int
) -> None:
    """No run of true values shorter than `shortest` that touches neither end: a run that
    starts on day d > 0 (false before, true on d) is still true on d+1 .. d+shortest-1, for
    the days that lie before the last day (a run reaching the last day is exempt).

    One three-literal clause per (d, j); their LP relaxation is tighter than one clause per
    short run pattern."""
    h = len(seq)
    for d in range(1, h - 1):
        for j in range(1, min(shortest, h - d)):
            model.add_bool_or([seq[d - 1], seq[d].Not(), seq[d + j]])


def min_consecutive_shifts(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """Runs of worked days are at least `min_consecutive_shifts` long, except at the ends."""
    for e, rule in enumerate(inst.rules):
        _forbid_short_runs(model, v.works[e], rule.min_consecutive_shifts)


def min_consecutive_days_off(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """Runs of days off are at least `min_consecutive_days_off` long, except at the ends."""
    for e, rule in enumerate(inst.rules):
        off = [w.Not() for w in v.works[e]]
        _forbid_short_runs(model, off, rule.min_consecutive_days_off)


def max_weekends(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """At most `max_weekends` weekends with a shift on Saturday or Sunday."""
    for e, rule in enumerate(inst.rules):
        for w, wk in enumerate(v.weekend[e]):
            sat, sun = v.works[e][7 * w + 5], v.works[e][7 * w + 6]
            model.add_implication(sat, wk)
            model.add_implication(sun, wk)
            model.add_bool_or([sat, sun, wk.Not()])
        if rule.max_weekends < inst.num_weekends:
            model.add(sum(v.weekend[e]) <= rule.max_weekends)
            # Redundant: at most as many Saturdays (Sundays); linear sums that stay in the LP
            # relaxation whatever the linearisation level, where they carry most of the bound.
            for day in (5, 6):
                model.add(
                    sum(v.works[e][7 * w + day] for w in range(inst.num_weekends))
                    <= rule.max_weekends
                )


def run_automaton(
    shortest_work: int, longest_work: int, shortest_off: int
) -> tuple[list[tuple[str, int]], list[int], list[tuple[int, int]]]:
    """The states of one person's runs, the states day 0 may take and the allowed moves from
    one day to the next (state indices).

    States are ("W", k): the k-th worked day of a run; ("X", k): the same for the run that
    starts on day 0 while it is still shorter than `shortest_work` (exempt); ("O", k): the
    k-th day off (k = `shortest_off` standing for "that many or more"); ("Y", 0): days off
    from day 0 (exempt). Every state may end the horizon (runs touching it are exempt)."""
    states: list[tuple[str, int]] = [("W", k) for k in range(1, longest_work + 1)]
    states += [("X", k) for k in range(1, min(shortest_work, longest_work + 1))]
    states += [("O", k) for k in range(1, shortest_off + 1)]
    states.append(("Y", 0))
    at = {s: i for i, s in enumerate(states)}
    moves: list[tuple[int, int]] = []
    for (kind, k), i in at.items():
        nxt: list[tuple[str, int]] = []
        if kind == "W":
            nxt += [("W", k + 1)] if k < longest_work else []
            nxt += [("O", 1)] if k >= shortest_work else []
        elif kind == "X":
            nxt += [("X", k + 1) if k + 1 < shortest_work else ("W", k + 1)]
            nxt.append(("O", 1))
        elif kind == "O":
            nxt.append(("O", min(k + 1, shortest_off)))
            nxt += [("W", 1)] if k >= shortest_off else []
        else:
            nxt += [("Y", 0), ("W", 1)]
        moves += [(i, at[s]) for s in nxt if s in at]
    first = [at[("X", 1)] if ("X", 1) in at else at[("W", 1)], at[("Y", 0)]]
    return states, first, moves


def run_patterns(model: cp_model.CpModel, inst: RosterInstance, v: RosterVars) -> None:
    """Redundant: each person's days as a path through the automaton of run lengths (a flow
    on a layered graph of days x states), linked to `works`. It repeats the three run-length
    families, but as a network flow its LP relaxation is exact for one person's sequence of
    worked days, where the clauses let the LP work five days in six."""
    h = inst.num_days
    for e, rule in enumerate(inst.rules):
        states, first, moves = run_automaton(
            rule.min_consecutive_shifts,
            min(rule.max_consecutive_shifts, h),
            rule.min_consecutive_days_off,
        )
        working = [kind in "WX" for kind, _ in states]
        # node[s]: the person is in state s on the current day
        node: list[cp_model.LinearExprT | None] = [None] * len(states)
        for s in first:
            node[s] = model.new_bool_var(f"run[{e},0,{s}]")
        starts = [node[s] for s in first if node[s] is not None]
        model.add(cp_model.LinearExpr.sum(starts) == 1)
        model.add(
            v.works[e][0]
            == cp_model.LinearExpr.sum(
                [n for s, n in enumerate(node) if n is not None and working[s]]
            )
        )
        for d in range(1, h):
            arcs_out: list[list[cp_model.IntVar]] = [[] for _ in states]
            arcs_in: list[list[cp_model.IntVar]] = [[] for _ in states]
            for a, b in moves:
                if node[a] is None:
                    continue
                arc = model.new_bool_var(f"run[{e},{d},{a}>{b}]")
                arcs_out[a].append(arc)
                arcs_in[b].append(arc)
            for s, n in enumerate(node):
                if n is not None:
                    model.add(cp_model.LinearExpr.sum(arcs_out[s]) == n)
            node = [
                cp_model.LinearExpr.sum(arcs_in[s]) if arcs_in[s] else None
                for s in range(len(states))
            ]
            model.add(
                v.works[e][d]
                == cp_model.LinearExpr.sum(
                    [n for s, n in enumerate(node) if n is not None and working[s]]
                )
            )


CONSTRAINTS: list[tuple[str, Family]] = [
    ("days_off", days_off),
    ("shift_rotation", shift_rotation),
    ("max_shifts", max_shifts),
    ("total_minutes", total_minutes),
    ("max_consecutive_shifts", max_consecutive_shifts),
    ("min_consecutive_shifts", min_consecutive_shifts),
    ("min_consecutive_days_off", min_consecutive_days_off),
    ("max_weekends", max_weekends),
]
"""Every labour rule, by name, in build order."""

REDUNDANT: list[tuple[str, Family]] = [
    ("run_patterns", run_patterns),
]
"""Redundant families, built only when asked: they tighten the LP bound, but the flow slows
the first solution (Instance10: 19 s instead of 1.4 s with two workers) and the search."""
