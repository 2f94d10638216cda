"""Tables and a gap plot of benchmark runs, alone or against another run."""

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
    if r is None:
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


def _pair(x: str, y: str) -> str:
    return f"{x} | {y}"


def compare_tables(
    a: Sequence[Record], b: Sequence[Record], console: Console, names: tuple[str, str] = ("A", "B")
) -> None:
    """Print two runs side by side, per instance and per class."""
    na, nb = names
    by_b = {_key(r): r for r in b}
    suites = {r["suite"] for r in [*a, *b]}
    table = Table(title=f"{', '.join(sorted(suites))}: {na} | {nb}")
    cols = ("instance", "objective", f"gap {na}", f"gap {nb}", "Δgap", "routes", "time (s)")
    for col in cols:
        table.add_column(col, justify="left" if col == "instance" else "right")
    for ra in _sorted(a):
        rb = by_b.get(_key(ra))
        ga, gb = ra["gap"], rb["gap"] if rb else None
        delta = ga - gb if ga is not None and gb is not None else None
        style = ""
        if delta is not None and abs(delta) > 1e-9:
            style = "green" if delta < 0 else "red"
        table.add_row(
            _label(ra, suites),
            _pair(_num(ra["objective"]), _num(rb["objective"] if rb else None)),
            _pct(ga),
            _pct(gb),
            f"[{style}]{_pct(delta)}[/{style}]" if style else _pct(delta),
            _pair(_routes(ra), _routes(rb)),
            _pair(_num(ra.get("wall_time"), 1), _num(rb.get("wall_time") if rb else None, 1)),
        )
    console.print(table)
    summary = Table(title="Classes")
    for col in ("class", f"gap {na}", f"gap {nb}", "feasible", "time (s)"):
        summary.add_column(col, justify="left" if col == "class" else "right")
    sa = {(s["suite"], s["class"]): s for s in class_summary(a)}
    sb = {(s["suite"], s["class"]): s for s in class_summary(b)}
    for key in sorted(set(sa) | set(sb), key=lambda k: (k[0], sort_key(k[1] + "01"))):
        x, y = sa.get(key), sb.get(key)
        summary.add_row(
            key[1] if len(suites) == 1 else f"{key[0]}:{key[1]}",
            _pct(x["gap"] if x else None),
            _pct(y["gap"] if y else None),
            _pair(
                f"{x['feasible']}/{x['n']}" if x else "-",
                f"{y['feasible']}/{y['n']}" if y else "-",
            ),
            _pair(
                _num((x["wall_time"] if x else None), 1), _num((y["wall_time"] if y else None), 1)
            ),
        )
    console.print(summary)
    console.print(
        f"mean gap {na} {_pct(_mean([r['gap'] for r in a]))}, "
        f"{nb} {_pct(_mean([r['gap'] for r in b]))}"
    )


def plot_gaps(
    records: Sequence[Record],
    path: Path,
    other: Sequence[Record] | None = None,
    names: tuple[str, str] = ("A", "B"),
) -> Path:
    """Bar chart of the gap per instance (two bars per instance with `other`) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _sorted(records)
    labels = [short_name(r["instance"]) for r in rows]
    ga = [100 * r["gap"] if r["gap"] is not None else float("nan") for r in rows]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.22 * len(rows) + 2), 4))
    xs = list(range(len(rows)))
    if other is None:
        colors = ["tab:blue" if r["feasible"] else "tab:red" for r in rows]
        ax.bar(xs, ga, color=colors)
    else:
        by_b = {_key(r): r for r in other}
        gb = [
            100 * by_b[_key(r)]["gap"]
            if _key(r) in by_b and by_b[_key(r)]["gap"] is not None
            else float("nan")
            for r in rows
        ]
        ax.bar([x - 0.2 for x in xs], ga, width=0.4, label=names[0])
        ax.bar([x + 0.2 for x in xs], gb, width=0.4, label=names[1])
        ax.legend()
    failed = [x for x, r in zip(xs, rows, strict=True) if not r["feasible"]]
    if failed:
        ax.scatter(failed, [0] * len(failed), marker="x", color="tab:red", label="infeasible")
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
