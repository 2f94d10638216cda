"""Tables and a gap plot of benchmark runs, alone or side by side with others."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.suites import instance_class, sort_key

Record = dict[str, Any]


def _key(r: Record) -> tuple[str, str]:
    return (r["suite"], r["instance"])


def _sorted(records: Sequence[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r["suite"], sort_key(r["instance"]), r["instance"]))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _routes(r: Record | None) -> str:
    if r is None or "routes_used" not in r:  # none, or a roster
        return "-"
    if r.get("bks_routes") is not None and r["suite"] in ("solomon-hier", "gh200"):
        return f"{r['routes_used']}/{r['bks_routes']}"
    return str(r["routes_used"])


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return mean(known) if known else None


def class_summary(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Per suite and class: instances, feasible ones, mean objective, gap, routes and time."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for r in _sorted(records):
        groups.setdefault((r["suite"], instance_class(r["instance"])), []).append(r)
    rows = []
    for (suite, cls), rs in groups.items():
        rows.append(
            {
                "suite": suite,
                "class": cls,
                "n": len(rs),
                "feasible": sum(1 for r in rs if r["feasible"]),
                "objective": _mean([r["objective"] for r in rs]),
                "gap": _mean([r["gap"] for r in rs]),
                "routes_gap": _mean([r.get("routes_gap") for r in rs]),
                "wall_time": _mean([r.get("wall_time") for r in rs]),
            }
        )
    return rows


def single_tables(records: Sequence[Record], console: Console) -> None:
    """Print per-instance and per-class tables of one run."""
    suites = {r["suite"] for r in records}
    table = Table(title=", ".join(sorted(suites)))
    for col in ("instance", "ok", "routes", "objective", "bks", "gap", "time (s)"):
        table.add_column(col, justify="left" if col == "instance" else "right")
    for r in _sorted(records):
        table.add_row(
            _label(r, suites),
            "yes" if r["feasible"] else "[red]no[/red]",
            _routes(r),
            _num(r["objective"]),
            _num(r["bks"]),
            _pct(r["gap"]),
            _num(r.get("wall_time"), 1),
        )
    console.print(table)
    summary = Table(title="Classes (means)")
    for col in ("class", "n", "feasible", "objective", "gap", "routes gap", "time (s)"):
        summary.add_column(col, justify="left" if col == "class" else "right")
    for row in class_summary(records):
        summary.add_row(
            row["class"] if len(suites) == 1 else f"{row['suite']}:{row['class']}",
            str(row["n"]),
            str(row["feasible"]),
            _num(row["objective"]),
            _pct(row["gap"]),
            _num(row["routes_gap"]),
            _num(row["wall_time"], 1),
        )
    console.print(summary)
    gaps = [r["gap"] for r in records if r["gap"] is not None]
    feasible = sum(1 for r in records if r["feasible"])
    console.print(
        f"{feasible}/{len(records)} feasible; mean gap {_pct(_mean(gaps))} over {len(gaps)}"
    )


def short_name(instance: str) -> str:
    """An instance name without the TRSP suffix (`C101.100_25-5-5-5` -> `C101`)."""
    return re.sub(r"\.\d+_\d+(?:-\d+)+$", "", instance)


def _label(r: Record, suites: set[str]) -> str:
    name = short_name(r["instance"])
    return name if len(suites) == 1 else f"{r['suite']}:{name}"


def _joined(values: Sequence[str]) -> str:
    return " | ".join(values)


def compare_tables(
    runs: Sequence[Sequence[Record]], console: Console, names: Sequence[str] = ()
) -> None:
    """Print two or more runs side by side, per instance and per class.

    Per instance: the objective, gap, routes and time of each run (`a | b | c`), with the
    difference of gaps when there are two runs. Instances of any run are listed.
    """
    names = list(names) or [chr(ord("A") + i) for i in range(len(runs))]
    by_run = [{_key(r): r for r in run} for run in runs]
    rows = _sorted(list({_key(r): r for run in reversed(runs) for r in run}.values()))
    suites = {r["suite"] for r in rows}
    table = Table(title=f"{', '.join(sorted(suites))}: {_joined(names)}")
    cols = ["instance", "objective", *(f"gap {n}" for n in names)]
    if len(runs) == 2:
        cols.append("Δgap")
    cols += ["routes", "time (s)"]
    for col in cols:
        table.add_column(col, justify="left" if col == "instance" else "right")
    for row in rows:
        rs = [by.get(_key(row)) for by in by_run]
        gaps = [r["gap"] if r else None for r in rs]
        cells = [
            _label(row, suites),
            _joined([_num(r["objective"] if r else None) for r in rs]),
            *(_pct(g) for g in gaps),
        ]
        if len(runs) == 2:
            ga, gb = gaps
            delta = ga - gb if ga is not None and gb is not None else None
            style = ""
            if delta is not None and abs(delta) > 1e-9:
                style = "green" if delta < 0 else "red"
            cells.append(f"[{style}]{_pct(delta)}[/{style}]" if style else _pct(delta))
        cells += [
            _joined([_routes(r) for r in rs]),
            _joined([_num(r.get("wall_time") if r else None, 1) for r in rs]),
        ]
        table.add_row(*cells)
    console.print(table)
    summary = Table(title="Classes (means)")
    for col in ("class", "objective", *(f"gap {n}" for n in names), "feasible", "time (s)"):
        summary.add_column(col, justify="left" if col == "class" else "right")
    per_run = [{(s["suite"], s["class"]): s for s in class_summary(run)} for run in runs]
    keys = {key for summaries in per_run for key in summaries}
    for key in sorted(keys, key=lambda k: (k[0], sort_key(k[1] + "01"))):
        ss = [summaries.get(key) for summaries in per_run]
        summary.add_row(
            key[1] if len(suites) == 1 else f"{key[0]}:{key[1]}",
            _joined([_num(s["objective"] if s else None) for s in ss]),
            *(_pct(s["gap"] if s else None) for s in ss),
            _joined([f"{s['feasible']}/{s['n']}" if s else "-" for s in ss]),
            _joined([_num(s["wall_time"] if s else None, 1) for s in ss]),
        )
    console.print(summary)
    parts = []
    for name, run in zip(names, runs, strict=True):
        gaps = [r["gap"] for r in run if r["gap"] is not None]
        feasible = sum(1 for r in run if r["feasible"])
        parts.append(
            f"{name} {_pct(_mean(gaps))} over {len(gaps)} ({feasible}/{len(run)} feasible)"
        )
    console.print("mean gap " + ", ".join(parts))


def plot_gaps(
    records: Sequence[Record],
    path: Path,
    others: Sequence[Sequence[Record]] = (),
    names: Sequence[str] = (),
) -> Path:
    """Bar chart of the gap per instance as a PNG; one bar per run with `others`.

    Infeasible results are marked with a red x at zero, at their run's bar.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [records, *others]
    names = list(names) or [chr(ord("A") + i) for i in range(len(runs))]
    by_run = [{_key(r): r for r in run} for run in runs]
    rows = _sorted(list({_key(r): r for run in reversed(runs) for r in run}.values()))
    labels = [short_name(r["instance"]) for r in rows]
    width = max(6.0, 0.22 * len(rows) * max(1.0, len(runs) / 2) + 2)
    fig, ax = plt.subplots(figsize=(width, 4))
    xs = list(range(len(rows)))
    bar = 0.8 / len(runs)
    failed_x: list[float] = []
    for i, by in enumerate(by_run):
        offset = (i - (len(runs) - 1) / 2) * bar
        found = [by.get(_key(r)) for r in rows]
        gaps = [
            100 * r["gap"] if r is not None and r["gap"] is not None else float("nan")
            for r in found
        ]
        at = [x + offset for x in xs]
        if len(runs) == 1:
            colors = ["tab:blue" if r is not None and r["feasible"] else "tab:red" for r in found]
            ax.bar(at, gaps, width=bar, color=colors)
        else:
            ax.bar(at, gaps, width=bar, label=names[i])
        failed_x += [
            x for x, r in zip(at, found, strict=True) if r is not None and not r["feasible"]
        ]
    if failed_x:
        ax.scatter(failed_x, [0] * len(failed_x), marker="x", color="tab:red", label="infeasible")
    if len(runs) > 1 or failed_x:
        ax.legend()
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_ylabel("gap to best known (%)")
    suites = sorted({r["suite"] for r in rows})
    ax.set_title(", ".join(suites))
    ax.axhline(0, color="black", linewidth=0.5)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
