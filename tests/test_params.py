"""Solve parameters: nested sections, TOML presets, validation (`optimizer.params`)."""

from __future__ import annotations

import random
import tomllib

import pytest
from pydantic import ValidationError

from optimizer.cp.build import eligible_shifts
from optimizer.instance import compile_problem
from optimizer.params import PRESETS, DecomposeParams, Section, SolveParams
from optimizer.ruin import RuinRecreate
from optimizer.solution import Solution
from tests.factory import order, problem, solve_checked, tech


def test_the_default_preset_spells_out_the_defaults():
    """`default.toml` holds exactly the values `SolveParams()` has, so neither drifts."""
    assert SolveParams.preset("default") == SolveParams()
    assert SolveParams.preset("default").model_dump() == SolveParams().model_dump()


def test_the_default_preset_writes_every_tuning_field():
    """Every field of every tuning section is written out in `default.toml` (none left to the
    code's defaults alone)."""
    with (PRESETS / "default.toml").open("rb") as fh:
        written = tomllib.load(fh)
    sections = {
        name: field.annotation
        for name, field in SolveParams.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, Section)
    }
    assert set(sections) == {
        "search",
        "lns",
        "ruin_recreate",
        "moves",
        "pool",
        "decompose",
        "timing",
        "repair",
    }
    for name, section in sections.items():
        assert set(written[name]) == set(section.model_fields), name


@pytest.mark.parametrize("name", sorted(p.stem for p in PRESETS.glob("*.toml")))
def test_every_preset_loads(name: str):
    """Each shipped preset is valid and survives a round trip through its dump."""
    params = SolveParams.preset(name)
    assert isinstance(params, SolveParams)
    assert params.model_dump() == SolveParams.model_validate(params.model_dump()).model_dump()


def test_a_preset_section_overrides_only_its_own_fields():
    """`fast` shortens the LNS step and keeps the other LNS fields at their defaults."""
    fast = SolveParams.preset("fast")
    assert fast.lns.step_time < SolveParams().lns.step_time
    assert fast.lns.routes == SolveParams().lns.routes
    assert fast.search == SolveParams().search


def test_unknown_and_out_of_range_tuning_is_refused_with_its_path():
    """An unknown section field and a share above 1 are both reported, each with its path."""
    with pytest.raises(ValidationError) as info:
        SolveParams.model_validate({"search": {"rr_share": 1.5}, "lns": {"rutes": 3}})
    locs = {tuple(e["loc"]) for e in info.value.errors()}
    assert locs == {("search", "rr_share"), ("lns", "rutes")}


def test_sections_are_frozen():
    """A section cannot be changed in place (a copy with changes is the way)."""
    params = SolveParams()
    with pytest.raises(ValidationError):
        params.lns.routes = 5  # type: ignore[misc]
    assert params.lns.model_copy(update={"routes": 5}).routes == 5


def test_the_budget_stages_come_from_the_timing_section():
    """The search stage ends at the timing section's share, less its reserve."""
    timing = SolveParams.model_validate({"timing": {"search_share": 0.5, "reserve": 1.0}}).timing
    assert (timing.search().share, timing.search().keep) == (0.5, 1.0)
    assert timing.reasons().keep == pytest.approx(1.0 / 3)


def test_decompose_parameters_reach_the_search():
    """A day above `decompose.above` orders is solved in parts; below it, as one day."""
    techs = [tech("A"), tech("B", x=50)]
    orders = [order(f"O{i}", (i % 2) * 50, i * 5) for i in range(6)]
    p = problem(techs, orders)
    small = DecomposeParams(above=4, part_orders=3)
    parts, _ = solve_checked(p, time_limit=10, deterministic_limit=0.5, decompose=small)
    whole, _ = solve_checked(p, time_limit=10, deterministic_limit=0.5)
    assert parts.plan.solver["search"] == "decomposed"
    assert whole.plan.solver["search"] != "decomposed"


def test_move_tuning_reaches_the_search_state():
    """The `moves` section is what ruin and recreate's inserters look with: three nearest
    orders when `near` says three."""
    inst = compile_problem(problem([tech("T1")], [order(f"O{k}", k, 2 * k) for k in range(6)]))
    rr = RuinRecreate(
        inst, eligible_shifts(inst), random.Random(0), SolveParams(moves={"near": 3})
    )
    assert len(rr.inserter(Solution()).segments.near(0)) == 3
    assert len(RuinRecreate(inst, eligible_shifts(inst), random.Random(0)).segments.near(0)) == 6
