"""Command line: solve benchmark suites and report on runs.

python -m benchmarks run --suite trsp|solomon|solomon-hier|gh200|hhcrsp|curtois [--instances A,B]
    [--time-limit S] [--seed N] [--workers N] [--deterministic-limit D]
    [--max-customers N] [--solver ours|pyvrp|ortools] --out DIR
python -m benchmarks report DIR [--against DIR2 [--against DIR3 ...]]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from benchmarks.report import compare_tables, plot_gaps, single_tables
from benchmarks.run import failed_record, read_records, run_case, write_record
from benchmarks.suites import SUITES, expand_names, instance_names, load_case

SOLVERS = ("ours", "pyvrp", "ortools")
"""`--solver` values: our solver, or a peer from `benchmarks.peers` (imported when used)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Solve benchmark suites and report on runs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="solve the instances of a suite, one JSON record each")
    run.add_argument("--suite", required=True, choices=(*SUITES, "curtois"))
    run.add_argument("--instances", help="comma-separated names (default: the whole suite)")
    run.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--workers", type=int, default=8)
    run.add_argument(
        "--deterministic-limit",
        type=float,
        default=None,
        help="CP-SAT deterministic seconds (reproducible with --workers 1)",
    )
    run.add_argument(
        "--max-customers",
        type=int,
        default=None,
        help="keep only the first customers/requests (no best-known value then)",
    )
    run.add_argument(
        "--solver",
        choices=SOLVERS,
        default="ours",
        help="ours, or a peer on the VRPTW suites (pyvrp needs the peers extra)",
    )
    run.add_argument("--out", required=True, type=Path, help="folder for <instance>.json")
    report = sub.add_parser("report", help="tables and a gap plot of a run")
    report.add_argument("dir", type=Path)
    report.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        help="another run to show side by side (repeat for more)",
    )
    return parser


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """Solve each instance and write its record; print a one-line summary per instance."""
    from tqdm import tqdm

    from optimizer.params import SolveParams

    if args.suite == "curtois":
        return run_curtois(args)

    if args.solver != "ours":
        from benchmarks.peers import PeerUnavailable, check_available

        if args.suite in ("trsp", "hhcrsp"):
            print(
                f"error: no {args.solver} peer for {args.suite}; peers run on the VRPTW suites "
                "only (solomon, solomon-hier, gh200)",
                file=sys.stderr,
            )
            return 2
        try:
            check_available(args.solver)
        except PeerUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    names = (
        expand_names(args.suite, args.instances) if args.instances else instance_names(args.suite)
    )
    params = SolveParams(
        time_limit=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        deterministic_limit=args.deterministic_limit,
    )
    failures = 0
    bar = tqdm(names, desc=f"{args.suite} ({args.solver})", unit="inst", file=sys.stderr)
    for name in bar:
        bar.set_postfix_str(name)
        case = load_case(args.suite, name, args.max_customers)
        began = time.perf_counter()
        try:
            if args.solver == "ours":
                record = {"solver": "ours", **run_case(case, params)}
            else:
                from benchmarks.peers import run_peer

                record = run_peer(
                    case, args.solver, args.time_limit, seed=args.seed, workers=args.workers
                )
        except Exception as exc:  # one failing instance must not stop the sweep
            record = {
                "solver": args.solver,
                **failed_record(case, exc, time.perf_counter() - began),
            }
        write_record(args.out, case, record)
        failures += not record["feasible"]
        obj, gap = record["objective"], record["gap"]
        tqdm.write(
            f"{record['instance']}: {'feasible' if record['feasible'] else 'INFEASIBLE'} "
            f"obj={'-' if obj is None else f'{obj:.3f}'} routes={record['routes_used']} "
            f"gap={'-' if gap is None else f'{100 * gap:.2f}%'} {record['wall_time']:.1f}s",
            file=sys.stderr,
        )
    console.print(f"{len(names) - failures}/{len(names)} feasible; records in {args.out}")
    return 0 if failures == 0 else 1


def run_curtois(args: argparse.Namespace) -> int:
    """The roster suite (`benchmarks.curtois`): Curtois-Qu instances, one record each."""
    from benchmarks import curtois
    from optimizer.roster.params import RosterParams

    names = (
        [curtois.resolve_name(n.strip()) for n in args.instances.split(",") if n.strip()]
        if args.instances
        else curtois.instance_names()
    )
    params = RosterParams(
        time_limit=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        deterministic_limit=args.deterministic_limit,
    )
    return curtois.run_suite(names, params, args.out)


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """Print tables of a run (or several side by side) and write the gap plot into its folder."""
    records = read_records(args.dir)
    if not records:
        console.print(f"no run records in {args.dir}")
        return 2
    if not args.against:
        single_tables(records, console)
        path = plot_gaps(records, args.dir / "gaps.png")
    else:
        others = [read_records(folder) for folder in args.against]
        names = [folder.name or str(folder) for folder in (args.dir, *args.against)]
        compare_tables([records, *others], console, names)
        plot = args.dir / f"gaps_vs_{'_'.join(names[1:])}.png"
        path = plot_gaps(records, plot, others, names)
    console.print(f"plot: {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m benchmarks`."""
    args = _parser().parse_args(argv)
    console = Console()
    if args.command == "run":
        return cmd_run(args, console)
    return cmd_report(args, console)
