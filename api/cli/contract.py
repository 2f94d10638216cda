"""`dispatch solve`, `validate`, `evaluate` and `schema`: the commands on contract documents.

OR-Tools is imported inside `solve` and `evaluate`, so `validate` and `schema` start fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.text import Text

from api.cli.inputs import (
    DeterministicLimit,
    ProblemArg,
    fail,
    fail_errors,
    fail_options,
    load_plan_file,
    load_problem_file,
    stderr_console,
)
from api.cli.output import (
    kpi_table,
    new_table,
    objective_table,
    plan_json,
    print_plan_summary,
    write_atomic,
)
from api.cli.root import EXIT_NOT_FEASIBLE, app
from api.cli.timing import command_budget
from models import Event, InvalidInput, Plan, Problem

if TYPE_CHECKING:
    from optimizer.params import SolveParams


class SchemaName(StrEnum):
    """Contract documents that have a JSON Schema."""

    problem = "problem"
    plan = "plan"
    event = "event"


@app.command()
def solve(
    problem_path: ProblemArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PLAN.json",
            help="Write the plan here (atomically); default stdout.",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0,
            metavar="S",
            help="Wall-clock seconds; default the problem's options.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Random seed; default the problem's options.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="CP-SAT workers; default the problem's options."),
    ] = None,
    deterministic_limit: DeterministicLimit = None,
    preset: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Parameters from optimizer/presets/NAME.toml; the options above override it.",
        ),
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="Show CP-SAT progress on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Solve a problem and write the plan JSON; print a summary on stderr.

    Exits 1 when no feasible plan was found (the plan is still written), 2 on bad input.
    """
    problem = load_problem_file(problem_path)
    params = _solve_params(time_limit, seed, workers, deterministic_limit, preset, log)
    from optimizer.solve import solve as run_solver  # lazy: OR-Tools loads only here

    limits = params.resolved(problem)
    budget = command_budget(
        problem, limits.time_limit, limits.deterministic_limit, summary=not quiet
    )
    try:
        result = run_solver(problem, params, budget=budget)
    except InvalidInput as exc:
        fail_errors(str(problem_path), exc.errors)
    plan: Plan = result.plan
    text = plan_json(plan)
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            write_atomic(output, text)
        except OSError as exc:
            fail([f"{output}: cannot write ({exc.strerror or exc})"])
    if not quiet:
        print_plan_summary(problem, plan, stderr_console())
    if not plan.status.is_feasible:
        raise typer.Exit(EXIT_NOT_FEASIBLE)


def _solve_params(
    time_limit: float | None,
    seed: int | None,
    workers: int | None,
    deterministic_limit: float | None,
    preset: str | None,
    log: bool,
) -> SolveParams:
    """Solve parameters from a preset and the command-line options (exit 2 when invalid)."""
    from optimizer.params import PRESETS, SolveParams

    given: dict[str, Any] = {
        "time_limit": time_limit,
        "seed": seed,
        "workers": workers,
        "deterministic_limit": deterministic_limit,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    if log:
        overrides["log"] = True
    try:
        if preset is not None:
            if not (PRESETS / f"{preset}.toml").is_file():
                known = ", ".join(sorted(p.stem for p in PRESETS.glob("*.toml")))
                fail([f"--preset: unknown preset '{preset}' (known: {known})"])
            base = SolveParams.preset(preset)
            return SolveParams.model_validate({**base.model_dump(exclude_unset=True), **overrides})
        return SolveParams.model_validate(overrides)
    except ValidationError as exc:
        fail_options(exc)


@app.command()
def validate(problem_path: ProblemArg) -> None:
    """Check a problem against the contract: print OK and counts, or every error (exit 2)."""
    problem = load_problem_file(problem_path)
    num_shifts = sum(len(t.shifts) for t in problem.technicians)
    kinds: dict[str, int] = {}
    for order in problem.orders:
        kinds[order.kind] = kinds.get(order.kind, 0) + 1
    mix = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    name = f" '{problem.id}'" if problem.id else ""
    typer.echo(
        f"OK: problem{name}: {len(problem.technicians)} technicians, {num_shifts} shifts, "
        f"{len(problem.orders)} orders"
        + (f" ({mix})" if mix else "")
        + f", {len(problem.depots)} depots, travel model {problem.travel.model}"
    )


@app.command()
def evaluate(
    problem_path: ProblemArg,
    plan_path: Annotated[
        Path, typer.Argument(metavar="PLAN.json", help="Plan in the contract format.")
    ],
) -> None:
    """Check a plan against its problem: feasibility, violations, objective terms and KPIs.

    Exits 1 when the plan is infeasible, 2 on bad input.
    """
    problem = load_problem_file(problem_path)
    plan = load_plan_file(plan_path)
    from optimizer.evaluate import evaluate as run_evaluator

    try:
        evaluation = run_evaluator(problem, plan)
    except InvalidInput as exc:
        fail_errors(str(plan_path), exc.errors)
    console = Console(highlight=False)
    feasible = bool(evaluation.feasible)
    console.print(f"feasible: [bold]{'yes' if feasible else 'no'}[/bold]")
    violations = list(evaluation.violations)
    if violations:
        table = new_table(f"Violations ({len(violations)})", "code", "where", "message")
        for v in violations:
            table.add_row(Text(str(v.code)), Text(str(v.where)), Text(str(v.message)))
        console.print(table)
    objective = evaluation.objective
    console.print(objective_table(objective.value, objective.bound, dict(objective.terms)))
    console.print(kpi_table(dict(evaluation.kpis)))
    if not feasible:
        raise typer.Exit(EXIT_NOT_FEASIBLE)


@app.command()
def schema(
    name: Annotated[SchemaName, typer.Argument(help="Which document: problem, plan or event.")],
) -> None:
    """Print the JSON Schema of a contract document."""
    if name is SchemaName.problem:
        document = Problem.model_json_schema()
    elif name is SchemaName.plan:
        document = Plan.model_json_schema()
    else:
        document = TypeAdapter(Event).json_schema()
    typer.echo(json.dumps(document, indent=2))
