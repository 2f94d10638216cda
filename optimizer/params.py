"""Solve parameters: small validated objects, loadable from TOML presets.

The top level says how long and with what seed and workers; the tuning of each part of the
search is a nested section (PyVRP `SolveParams`, PyJobShop `configs/`). The defaults are the
measured settings (`docs/algorithm.md`); `optimizer/presets/default.toml` spells them out and a
test holds the two equal.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from models.problem import Problem
from optimizer.budget import Stage

PRESETS = Path(__file__).parent / "presets"


class Section(BaseModel):
    """A group of tuning constants; unknown names are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchParams(Section):
    """How the search shares its time between construction, ruin and recreate and CP-SAT."""

    full_model_arcs: int = Field(
        default=4000,
        ge=0,
        description="A problem whose pruned arcs number at most this is solved as one model.",
    )
    construct_share: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Most of the search's time the first plan may take; orders it has not "
        "placed by then are left to the search.",
    )
    construct_floor: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Least share of the search's limit the first plan gets, however late the "
        "search starts (a late plan is better than an empty one).",
    )
    construct_tries: int = Field(
        default=1,
        ge=1,
        description="First plans built on a day with crew or linked orders, each offering the "
        "orders in another order within their value classes; the cheapest is kept (6 made "
        "hhcrsp D and E first plans 25% cheaper but not the plans 300 moves later).",
    )
    construct_tries_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the search's time after which no further first plan is tried "
        "(the first is always built).",
    )
    construct_tries_orders: int = Field(
        default=500,
        ge=0,
        description="Days of more orders than this build one first plan only.",
    )
    urgent_share: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of the time for CP-SAT neighbourhoods around the unserved crew "
        "orders before ruin and recreate, on a day too large for one model.",
    )
    small_rr_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Share of the time that ruin and recreate has before the exact model of a "
        "small day.",
    )
    small_rr_share_synced: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="The same on a small day with crew or linked orders, where ruin and "
        "recreate moves whole groups and the exact model is slow to improve (the example day "
        "at 10 s: 597-604 against 620; hhcrsp B5: 374-381 against 417).",
    )
    small_lns_share_synced: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of the exact model's time on a small day with crew or linked "
        "orders that CP-SAT neighbourhoods take first: at 30 s on hhcrsp B3 they improved "
        "ruin and recreate's 425.7 to 404.4 where the one model found nothing, on B4 the one "
        "model 435.7 to 411.3 where they found nothing.",
    )
    large_day_orders: int = Field(
        default=400,
        ge=0,
        description="A day too large for one model with more orders than this gives ruin and "
        "recreate the CP-SAT neighbourhoods' time (before it, around unserved crew orders, and "
        "after it; the repair of the first plan stays): on 1,000-order bad days they improved "
        "almost nothing in it, where the moves serve more (10 CPU seconds, one worker, seeds "
        "1-3: 0.19-0.47% lower objectives; 500 orders, seed 1: 0.48%).",
    )
    rr_share: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="Share of the time that ruin and recreate has on a large day with crew "
        "orders or `after` relations (CP-SAT neighbourhoods after); other days give it all.",
    )


class LnsParams(Section):
    """CP-SAT neighbourhoods (Shaw 1998): a few related routes re-decided at a time."""

    routes: int = Field(default=3, ge=1, description="Routes re-optimized per LNS step.")
    step_time: float = Field(default=0.5, gt=0, description="Seconds per LNS sub-solve.")
    max_free_orders: int = Field(
        default=20,
        ge=1,
        description="Most orders a neighbourhood frees (route orders plus candidates).",
    )
    min_step_charge: float = Field(
        default=0.01,
        gt=0,
        description="Least deterministic seconds a neighbourhood counts for under a "
        "deterministic limit (a tiny one takes almost none: the budget must still end it).",
    )


class RuinRecreateParams(Section):
    """Ruin and recreate chains and the pool of routes they combine."""

    max_chains: int = Field(default=4, ge=1, description="Most parallel chains (one per worker).")
    moves_per_det_second: int = Field(
        default=100,
        ge=1,
        description="Moves per deterministic second when the limit is deterministic.",
    )
    pool_share: float = Field(
        default=0.15,
        ge=0,
        lt=1,
        description="Share of ruin and recreate's time kept for combining the routes it "
        "pooled (split between the rounds).",
    )
    pool_rounds: int = Field(
        default=2,
        ge=1,
        description="Rounds on a day whose routes are pooled, each ending with a combination "
        "of the pool.",
    )
    pool_deterministic: float = Field(
        default=1.0,
        gt=0,
        description="Deterministic seconds of the set-partitioning solve under a "
        "deterministic limit.",
    )
    random_order: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Share of recreates that offer the removed orders back in random order "
        "(the others by one of three keys: farthest first, earliest closing, tightest window).",
    )
    max_ruin: int = Field(default=25, ge=2, description="Most orders one ruin removes.")
    large_day_orders: int = Field(
        default=400,
        ge=1,
        description="Days with more orders than this ruin at most `large_day_ruin` orders a "
        "move: each re-insertion costs more there, and smaller moves let the acceptance judge "
        "more of them (1,000-order bad days: better plans at equal CPU time).",
    )
    large_day_ruin: int = Field(
        default=8,
        ge=2,
        description="Most orders one ruin removes on a large day (1,000-order bad days: 8 made "
        "about 1.2 times the moves of 12 per CPU second and ended lower at equal CPU time; 6 "
        "ended far higher on one of two days).",
    )
    exchange_floor: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Least chance that a move ends with route-end exchanges, however rarely "
        "they found something so far.",
    )
    urgent_tries: int = Field(
        default=8,
        ge=0,
        description="Most unserved must-serve and priority-1 orders offered back on each move "
        "(besides those it took out): all of them when few; a sample where many fit nowhere.",
    )
    urgent_rest: int = Field(
        default=16,
        ge=1,
        description="Most moves an unserved must-serve or priority-1 crew or linked order "
        "rests (is not among the urgent orders offered back) after failing to fit in a row: "
        "1 move after one failure, twice as many after each further one.",
    )
    eject_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the moves in which the first must-serve or priority-1 order "
        "offered back that still fits nowhere gets an ejection chain (`optimizer.eject`).",
    )
    threshold: float = Field(
        default=0.1,
        ge=0,
        description="Starting acceptance threshold per removed order, as a share of the "
        "routing cost per served order (it falls to 0).",
    )
    threshold_power: float = Field(
        default=1.0,
        gt=0,
        description="Shape of the threshold's fall: after a share u of the budget it is "
        "(1 - u) ** threshold_power of its start (1: linear; more: sooner low).",
    )
    late_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of the related removals that take late orders instead (the latest "
        "most likely, each with the visits that hold it back) on a day whose lateness "
        "is priced, once every order that can be is served; the starting share when "
        "`late_adaptive` (see docs/algorithm.md).",
    )
    late_causes: bool = Field(
        default=True,
        description="Late removals follow each late order's chain of waiting (the visits "
        "before it in its routes that reach it without waiting, the linked visits whose gap "
        "binds it, and so on) instead of taking up to two visits before it in its route.",
    )
    late_adaptive: bool = Field(
        default=True,
        description="The share of late removals adapts (adaptive large neighbourhood search, "
        "Ropke and Pisinger 2006): late and related removals start weighted `late_share` to "
        "the rest, and each kind's weight follows the scores of its moves (new best 33, "
        "better 9, accepted worse 13, rejected or equal 0); at `late_share` 0 there are no "
        "late removals.",
    )
    late_reaction: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="How far one move's score moves its removal kind's weight (adaptive late "
        "removals).",
    )
    partner_strings: bool = Field(
        default=False,
        description="A string removal that takes a crew or linked visit also takes a string "
        "around its partner in the partner's route (both routes of the pair, SISR-style): "
        "the pair is placed again with room on both sides.",
    )
    failed_keys: int = Field(
        default=16,
        ge=1,
        description="Route states remembered per order in which its insertion failed (it is "
        "not offered back in those).",
    )


class MoveParams(Section):
    """How far insertion, exchanges and crew placement look (granular neighbourhoods)."""

    near: int = Field(
        default=50,
        ge=1,
        description="Nearest orders looked at to find the routes that pass nearest to an order.",
    )
    idle_routes: int = Field(
        default=2,
        ge=0,
        description="Empty routes offered to each insertion besides the nearest busy ones.",
    )
    exchanges: int = Field(
        default=20, ge=0, description="Most route-end exchanges (2-opt*) one call makes."
    )
    exchange_near: int = Field(
        default=10,
        ge=1,
        description="Nearest orders whose routes an order's route tries to exchange ends with.",
    )
    crew_routes: int = Field(
        default=10,
        ge=1,
        description="Routes tried for each member of a group (the nearest eligible ones, idle "
        "ones included).",
    )
    crew_starts: int = Field(
        default=12,
        ge=1,
        description="Anchor starts tried for a group (the earliest a member could start, in "
        "order).",
    )
    pushed_starts: int = Field(
        default=6,
        ge=0,
        description="Anchor starts at which a group is also tried with the tied visits after "
        "it delayed.",
    )
    max_retimes: int = Field(
        default=60,
        ge=1,
        description="Most route timings one push or compaction may take before it gives up.",
    )
    push_tries: int = Field(
        default=6,
        ge=0,
        description="Most pushed insertions priced in full (across routes) per order.",
    )
    room_routes: int = Field(
        default=4,
        ge=1,
        description="Nearest candidate routes from which room is made for an urgent order.",
    )
    room_margin: int = Field(
        default=3600,
        ge=0,
        description="Seconds around an urgent order's reachable interval whose visits are "
        "moved aside.",
    )
    slot_crew_starts: int = Field(
        default=12,
        ge=1,
        description="Common starts tried for a crew order in one appointment window, earliest "
        "first.",
    )
    eject_depth: int = Field(
        default=3,
        ge=0,
        description="Most steps of an ejection chain for an urgent order that fits nowhere "
        "(0: no ejection).",
    )
    eject_trials: int = Field(
        default=80,
        ge=1,
        description="Most sets of visits one ejection chain tries to eject, over all its steps.",
    )
    eject_beam: int = Field(
        default=3,
        ge=1,
        description="Cheapest ejections of each chain step whose visits are offered back.",
    )
    eject_routes: int = Field(
        default=4,
        ge=1,
        description="Nearest candidate routes of each member an ejection chain ejects from.",
    )
    kernel: bool = Field(
        default=True,
        description="Insertion prices routes with breaks and SLA lateness by the cost kernel "
        "(optimizer/kernel.py) rather than by bounded re-timing.",
    )


class PoolParams(Section):
    """The pool of routes that ruin and recreate fills and set partitioning combines."""

    limit: int = Field(default=20000, ge=1, description="Most routes kept in the pool.")
    keep: int = Field(
        default=1000,
        ge=1,
        description="Routes of least reduced cost a combination starts from (doubled while "
        "time is left).",
    )
    cover: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Share of a combination's time for a set cover, on a day of long routes.",
    )
    roomy: float = Field(
        default=25.0,
        ge=0,
        description="Orders a shift could hold (its length over an order's service and a leg "
        "to a near order) from which routes are long and a set cover pays: TRSP and Solomon "
        "type 2 hold 35 to 57, type 1 13 to 14.",
    )


class DecomposeParams(Section):
    """Very large days, region by region (`optimizer.decompose`)."""

    above: int = Field(
        default=1500,
        ge=0,
        description="A day with more orders than this is decomposed (a fresh solve, not a "
        "re-plan).",
    )
    part_orders: int = Field(default=1000, ge=1, description="Orders per part, about.")


class RepairParams(Section):
    """CP-SAT repair of urgent work after the search (`optimizer.repair`)."""

    share: float = Field(
        default=0.25,
        ge=0,
        description="Deterministic seconds for repairing urgent orders after the search, as a "
        "share of the search's deterministic limit (on top of it, as the probes' are); under a "
        "wall-clock limit the repair has the probes' stage, and 0 turns it off.",
    )
    first_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the search's time (of its deterministic limit, when set) for "
        "repairing the first plan's unserved mandatory and priority-1 crew orders on a day too "
        "large for one model; 0 turns it off.",
    )
    routes: int = Field(
        default=4, ge=1, description="Routes a repair re-decides (at least the crew plus one)."
    )
    step_time: float = Field(default=1.0, gt=0, description="Most seconds per repair solve.")
    step_deterministic: float = Field(
        default=0.25,
        gt=0,
        description="Most deterministic seconds per repair solve under a deterministic limit.",
    )
    least_seconds: float = Field(
        default=0.05, gt=0, description="Least seconds left for another repair solve."
    )


class TimingParams(Section):
    """Where the stages of a solve end within its time budget."""

    search_share: float = Field(
        default=0.93,
        gt=0,
        le=1,
        description="Share of the limit at which a solve's search ends; probing why orders "
        "stay out has the rest.",
    )
    replan_search_share: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="The same for a re-plan, whose merge and evaluation come after.",
    )
    reserve: float = Field(
        default=0.15,
        ge=0,
        description="Seconds kept back from the limit for reasons, plan building and evaluation.",
    )
    plan_seconds_per_order: float = Field(
        default=0.0002,
        ge=0,
        description="Seconds kept back per order for building and evaluating the plan (0.8 s "
        "measured at 5,000 orders).",
    )
    search_on_seconds: float = Field(
        default=0.3,
        ge=0,
        description="Least time left in the probes' stage for the search to go on in it when "
        "it left no order to probe.",
    )
    probe_seconds: float = Field(
        default=0.5, gt=0, description="Most wall-clock seconds per unassigned-order probe."
    )
    probe_deterministic: float = Field(
        default=0.1,
        gt=0,
        description="Deterministic seconds per unassigned-order probe in reproducible runs.",
    )

    def search(self) -> Stage:
        """The stage at which a solve's search ends."""
        return Stage("search", share=self.search_share, keep=self.reserve)

    def replan_search(self) -> Stage:
        """The stage at which a re-plan's search ends."""
        return Stage("search", share=self.replan_search_share, keep=self.reserve)

    def reasons(self) -> Stage:
        """The stage at which the probes for reasons end; building the plan comes after."""
        return Stage("reasons", share=1.0, keep=self.reserve / 3)


class SolveParams(BaseModel):
    """How long and how to search. Unset limits fall back to the problem's `options`."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(
        default=None, ge=0, description="Wall-clock seconds for the whole solve, I/O excluded."
    )
    seed: int | None = Field(default=None, ge=0, description="Random seed.")
    workers: int | None = Field(default=None, ge=1, le=64, description="CP-SAT search workers.")
    deterministic_limit: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Budget in CP-SAT deterministic seconds; with one worker and a seed the plan is "
            "reproducible. The wall-clock limit still applies."
        ),
    )
    log: bool = Field(default=False, description="Print CP-SAT progress on stderr.")
    search: SearchParams = Field(default_factory=SearchParams, description="Time shares.")
    lns: LnsParams = Field(default_factory=LnsParams, description="CP-SAT neighbourhoods.")
    ruin_recreate: RuinRecreateParams = Field(
        default_factory=RuinRecreateParams, description="Ruin and recreate."
    )
    moves: MoveParams = Field(default_factory=MoveParams, description="Neighbourhoods.")
    pool: PoolParams = Field(default_factory=PoolParams, description="Route pool.")
    decompose: DecomposeParams = Field(
        default_factory=DecomposeParams, description="Very large days."
    )
    timing: TimingParams = Field(default_factory=TimingParams, description="Budget stages.")
    repair: RepairParams = Field(
        default_factory=RepairParams, description="Repair of urgent work."
    )

    def resolved(self, problem: Problem) -> SolveParams:
        """These parameters with every unset field taken from the problem's options."""
        opts = problem.options
        return self.model_copy(
            update={
                "time_limit": (
                    self.time_limit
                    if self.time_limit is not None
                    else opts.time_limit.total_seconds()
                ),
                "seed": self.seed if self.seed is not None else opts.seed,
                "workers": self.workers if self.workers is not None else opts.workers,
            }
        )

    @classmethod
    def preset(cls, name: str) -> SolveParams:
        """Load parameters from `optimizer/presets/<name>.toml`."""
        with (PRESETS / f"{name}.toml").open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))
