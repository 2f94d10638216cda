"""Roster solve parameters and the one clock a solve hands down."""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.roster import RosterProblem

PRESETS = Path(__file__).parent / "presets"


class RosterParams(BaseModel):
    """How long and how to search. Unset fields fall back to the problem's `options`."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(default=None, ge=0, description="Wall-clock seconds.")
    seed: int | None = Field(default=None, ge=0, description="Random seed.")
    workers: int | None = Field(default=None, ge=1, le=64, description="CP-SAT search workers.")
    deterministic_limit: float | None = Field(
        default=None,
        gt=0,
        description="Budget in CP-SAT deterministic seconds (reproducible with one worker).",
    )
    lns: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Large neighbourhood search after the first solution: auto = on large "
        "instances (more than `lns_min_vars` shift variables).",
    )
    lns_min_vars: int = Field(default=300, ge=0, description="Size where `auto` turns LNS on.")
    lns_first_share: float = Field(
        default=0.3, gt=0, le=1, description="Share of the budget for the whole-model solve."
    )
    lns_last_share: float = Field(
        default=0.3,
        ge=0,
        lt=1,
        description="Share of the budget left after the first whole-model solve that is kept "
        "for a last one, hinted with the LNS incumbent (whose bound can then prove it).",
    )
    lns_first_only_vars: int = Field(
        default=6000,
        ge=0,
        description="Above this many shift variables, LNS starts from the first solution.",
    )
    lns_step_time: float = Field(default=2.0, gt=0, description="Seconds per LNS sub-solve.")
    lns_days: int = Field(default=7, ge=1, description="Initial window of days re-optimised.")
    lns_staff: int = Field(default=3, ge=1, description="Initial group of people re-optimised.")
    lns_grow: float = Field(
        default=1.15,
        ge=1,
        description="Neighbourhood size factor after a sub-solve proved optimal.",
    )
    lns_shrink: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="Neighbourhood size factor after a sub-solve ran out of time.",
    )
    lns_day_counts: int = Field(
        default=8,
        ge=1,
        description="Numbers of days worked a first row tries (the best pattern of days and "
        "others spread over the counts the minutes allow), the cheapest row kept.",
    )
    lns_day_rounds: int = Field(
        default=8,
        ge=1,
        description="Rounds of prices on the shift types (caps, minutes) of a first row with "
        "another number of days than the best one (the best gets 24).",
    )
    lns_cover: bool = Field(
        default=False,
        description="Add the cover neighbourhood (the people who could fill a short cover row, "
        "over a window of days) to LNS by parts; off by default: at a deterministic 30 s, one "
        "worker, Instance13 9149 with it against 7058 without, 15 6455/6476, 19 5796/5306.",
    )
    lns_adaptive: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Choose each LNS step's kind of neighbourhood by its recent improvement "
        "per second (CPU seconds; deterministic ones under a deterministic budget), each kind at "
        "least `lns_adaptive_floor` of the best; off: in turn; auto: on for instances solved by "
        "parts (at a deterministic 20 s, one worker: Instance13 7669 against 9056 in turn, "
        "Instance19 7223 against 7879; with floor 0.1 and decay 0.8 it was worse there, 10699 "
        "and 8961, and better at 300 s, 2 workers, loaded: Instance13 5470 against 5967, "
        "Instance24 922,059 against 1,082,132).",
    )
    lns_adaptive_floor: float = Field(
        default=0.3, ge=0, le=1, description="Least weight of a kind, a share of the best's."
    )
    lns_adaptive_decay: float = Field(
        default=0.5,
        ge=0,
        lt=1,
        description="Weight of a kind's past rate in its rate after one more step.",
    )
    lns_row_time: float = Field(
        default=0.5, gt=0, description="Wall seconds a one-person model gets at least."
    )
    lns_step_cost: float = Field(
        default=0.1,
        ge=0,
        description="Deterministic seconds each LNS step costs at least (its set-up is not "
        "counted by CP-SAT), so that a deterministic budget bounds the number of steps.",
    )
    run_patterns: bool = Field(
        default=False,
        description="Add the redundant flow of run lengths (a tighter LP bound, a slower "
        "first solution).",
    )
    last_run_patterns: bool = Field(
        default=False,
        description="Add the redundant flow of run lengths to the last whole-model solve "
        "after LNS (a tighter bound; off by default: its arcs are not hinted, and on "
        "Instance8, 14 and 16 at 60-100 s the run then found no solution, its bound no better).",
    )
    colgen: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Column generation for the Dantzig-Wolfe lower bound (and a roster from "
        "its columns) after the first whole-model solve (or the first roster, on instances "
        "solved by parts): auto = on instances with LNS and at most `colgen_max_vars` shift "
        "variables, when that solve did not prove the optimum; on = always (also without "
        "LNS, and by parts).",
    )
    colgen_max_vars: int = Field(
        default=12000,
        ge=0,
        description="Largest instance (shift variables) where `auto` turns column generation "
        "on (see also `colgen_min_dp_share`), also on instances solved by parts (Instance12, "
        "10452 variables, all priced by the DP: its dive gave 4270 where LNS alone ended at "
        "4754 in 300 s).",
    )
    colgen_min_dp_share: float = Field(
        default=0.67,
        ge=0,
        le=1,
        description="`auto` runs column generation only where the dynamic programme prices "
        "at least this share of the people without CP-SAT (their whole state fits): "
        "Instance8 0.8, 9 1, 10 0.68, 11 1, 16 1 converge in 3-13 CPU s; 14 0.34, 17 0.66, "
        "18 0.18 did not in 13-21 CPU s (the CP-SAT pricing of the others is slow).",
    )
    colgen_rosters_max_vars: int = Field(
        default=1500,
        ge=0,
        description="Largest instance (shift variables) where column generation's dive is "
        "followed by the best roster of the columns and branch and price; above it, the dive "
        "alone (Instance8 at 60 s: the roster of the columns was far worse than LNS, 3726 "
        "against 1531, and branch and price solved 8 nodes in 8.6 s).",
    )
    colgen_branch_max_vars: int = Field(
        default=2500,
        ge=0,
        description="Largest instance (shift variables) where column generation is followed by "
        "branch and price (also above `colgen_rosters_max_vars`, from the dive's roster: on "
        "Instance8, 2158 variables, its depth-first tree below the dive's 1403 found 1304 in "
        "110 nodes, 10 deterministic s).",
    )
    colgen_share: float = Field(
        default=0.4,
        gt=0,
        le=1,
        description="Share of the budget left after the first whole-model solve that column "
        "generation may spend (it stops earlier when the bound can rise no more).",
    )
    colgen_dive_share: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of the budget left after column generation's own share for a "
        "roster by diving in its master (fix the people whose largest LP row is nearly "
        "whole, and a share of the others, price the rest, again), on every instance with "
        "column generation; 0: no dive.",
    )
    colgen_dive_rounds: int = Field(
        default=10,
        ge=0,
        description="Pricing rounds of the dive between two fixings, at most (Instance8 and "
        "11: with 2, the LP drifts away from the bound as people are fixed).",
    )
    colgen_dive_threshold: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="The dive fixes every person whose largest LP row has at least this value.",
    )
    colgen_dive_fix: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the people still free that the dive fixes at each step (those "
        "whose largest LP rows are the largest; one at least), besides those at the "
        "threshold: 0 fixes one at a time (Instance8 did not finish its dive in 60 s of a "
        "loaded machine; 0.1: 1403, 0.25: 1626).",
    )
    colgen_ip_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the budget left after column generation for the best roster "
        "made of its columns (price and branch).",
    )
    colgen_branch_share: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Share of the budget left after the roster of the columns for branch and "
        "price on the master (proves the optimum when its tree is searched to the end; again "
        "after LNS when it found a better roster); 0: none. Instance7 at a deterministic 20 s, "
        "one worker: 0.5 stopped the tree after 71 nodes at 1057, 0.8 found and proved 1056 in "
        "89 nodes.",
    )
    colgen_prove_share: float = Field(
        default=0.7,
        ge=0,
        lt=1,
        description="Share of the budget left after the first branch-and-price tree kept "
        "from LNS for going on with that tree, when it stopped on its budget after finding a "
        "better roster (else `lns_last_share` is kept, for the last whole-model solve).",
    )
    colgen_smoothing: float = Field(
        default=0.5,
        ge=0,
        lt=1,
        description="Dual smoothing of column generation: the weight of the best duals so far "
        "in the duals each pricing run uses (0: the master's own duals).",
    )
    colgen_pricing_time: float = Field(
        default=2.0, gt=0, description="Seconds (deterministic too) one pricing run gets at most."
    )
    colgen_pricing: Literal["dp", "cp_sat"] = Field(
        default="dp",
        description="How column generation prices a person's row: dp = dynamic programming "
        "over the days (CP-SAT where its state would be too large), cp_sat = a one-person "
        "CP-SAT model.",
    )
    colgen_cuts: bool = Field(
        default=True,
        description="Give the last whole-model solve the Lagrangian constraints of column "
        "generation's best duals (each person's reduced cost at least its proven minimum, the "
        "objective at least the bound they add up to), not only the rounded-up bound.",
    )
    colgen_restricted: bool = Field(
        default=True,
        description="Make the last whole-model solve (after LNS, on instances with column "
        "generation) the restricted model of `restricted.py`: cells fixed by reduced costs "
        "against the incumbent, each person's reduced cost bounded, the objective below the "
        "incumbent (infeasible: the incumbent is optimal).",
    )
    colgen_restricted_fixing_share: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="Share of the restricted phase's budget for reduced-cost fixing (a DP "
        "per person and cell: about 3 deterministic s on Instance8); the cells it has not "
        "examined by then stay free.",
    )
    lns_parts_step_time: float = Field(
        default=1.0,
        gt=0,
        description="Seconds (deterministic ones under a deterministic budget) per LNS "
        "sub-solve on instances solved by parts, in place of `lns_step_time`: at a "
        "deterministic 20 s from the first roster, one worker, Instance13 7465 against 9890 "
        "with 2 s, 15 6588 against 8605, 19 5197 against 7215 (0.5 s: 13 6581, 19 5948).",
    )
    log: bool = Field(default=False, description="Print CP-SAT progress on stderr.")
    colgen_floor_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of column generation's budget left, once its master converged "
        "with a fractional number of under-covered places, for the least such number over "
        "every roster (`colgen.under_floor`), which then joins the master as a row: "
        "Instance9's bound 406 -> 439, the optimum (its LP covers 3.67 places under, every "
        "roster 4 or more); 0: never.",
    )
    colgen_first_share: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="`lns_first_share` on instances where column generation's rosters (the "
        "dive, the roster of the columns, branch and price) follow the first whole-model "
        "solve (at most `colgen_rosters_max_vars` shift variables): their rosters replace its "
        "roster (Instance7: 1287 after 18 deterministic s, the dive 1064).",
    )

    def resolved(self, problem: RosterProblem) -> RosterParams:
        """These parameters with every unset field taken from the problem's options."""
        options = problem.options.model_dump()
        options["time_limit"] = problem.options.time_limit.total_seconds()
        unset = {
            k: options[k] for k in ("time_limit", "seed", "workers") if getattr(self, k) is None
        }
        return self.model_copy(update=unset)

    @classmethod
    def preset(cls, name: str) -> RosterParams:
        """Load parameters from `optimizer/roster/presets/<name>.toml`."""
        with (PRESETS / f"{name}.toml").open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))


@dataclass
class Budget:
    """What is left of a solve's wall-clock and deterministic budgets, less what is reserved
    for a later phase (`reserve`)."""

    wall: float
    deterministic: float | None = None
    began: float = field(default_factory=time.perf_counter)
    spent_deterministic: float = 0.0
    reserved_wall: float = 0.0
    reserved_deterministic: float = 0.0

    def reserve(self, share: float) -> None:
        """Keep `share` of what is left now for a later phase (0 releases the reserve)."""
        self.reserved_wall = self.reserved_deterministic = 0.0
        self.reserved_wall = share * self.wall_left()
        det = self.deterministic_left()
        self.reserved_deterministic = 0.0 if det is None else share * det

    def elapsed(self) -> float:
        """Wall seconds since the solve began."""
        return time.perf_counter() - self.began

    def wall_left(self) -> float:
        """Wall seconds left (never negative)."""
        return max(0.0, self.wall - self.elapsed() - self.reserved_wall)

    def deterministic_left(self) -> float | None:
        """Deterministic seconds left, or None without a deterministic budget."""
        if self.deterministic is None:
            return None
        spent = self.spent_deterministic + self.reserved_deterministic
        return max(0.0, self.deterministic - spent)

    def exhausted(self) -> bool:
        """True when either budget is spent."""
        det = self.deterministic_left()
        return self.wall_left() <= 0.01 or (det is not None and det <= 1e-3)
