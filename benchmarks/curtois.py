"""Curtois and Qu (2014) shift-scheduling instances 1-24 as roster problems.

The plain-text format (`../shared/instances/curtois_shift_scheduling/FORMAT.md`) maps onto the
roster contract field by field: each shift type with its length and the types that cannot
follow it, each employee with their rules, days off and on/off requests, one cover row per day
and shift type (no skills or regions). The instances carry no start date or start times; day 0
is the Monday 2014-01-06 of the `.ros` originals.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.paths import suite_dir
from models.roster import RosterProblem, load_roster_problem
from optimizer.roster.evaluate import evaluate_roster
from optimizer.roster.params import RosterParams
from optimizer.roster.solve import solve_roster

FOLDER = "curtois_shift_scheduling"
START_DATE = date(2014, 1, 6)


def folder() -> Path:
    """The staged suite folder."""
    return suite_dir(FOLDER)


def instance_names() -> list[str]:
    """`Instance1` ... `Instance24`, in number order."""
    names = [p.stem for p in (folder() / "instances").glob("Instance*.txt")]
    return sorted(names, key=lambda n: int(n.removeprefix("Instance")))


def resolve_name(name: str) -> str:
    """The canonical name for `Instance7`, `instance7` or `7`."""
    for full in instance_names():
        if name.lower() in (full.lower(), full.removeprefix("Instance")):
            return full
    raise ValueError(f"no instance {name!r} in suite 'curtois'")


def sections(text: str) -> dict[str, list[list[str]]]:
    """The data lines of each `SECTION_*`, split on commas (comments and blanks dropped)."""
    out: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SECTION_"):
            current = out.setdefault(line, [])
        elif line and not line.startswith("#") and current is not None:
            current.append([f.strip() for f in line.split(",")])
    return out


def parse(text: str, name: str | None = None) -> dict[str, Any]:
    """A Curtois-Qu instance text as a roster problem document (contract JSON)."""
    sec = sections(text)
    days = int(sec["SECTION_HORIZON"][0][0])
    shift_types = [
        {
            "id": sid,
            "duration": int(length) * 60,
            "cannot_follow": [s for s in follow.split("|") if s] if follow else [],
        }
        for sid, length, *rest in sec["SECTION_SHIFTS"]
        for follow in [rest[0] if rest else ""]
    ]
    days_off = {row[0]: [int(d) for d in row[1:] if d] for row in sec.get("SECTION_DAYS_OFF", [])}
    requests: dict[str, list[dict[str, Any]]] = {}
    for key, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
        for who, day, sid, weight in sec.get(key, []):
            requests.setdefault(who, []).append(
                {"day": int(day), "shift": sid, "on": on, "weight": int(weight)}
            )
    staff = []
    for who, caps, max_min, min_min, max_cons, min_cons, min_off, max_wk in sec["SECTION_STAFF"]:
        staff.append(
            {
                "id": who,
                "max_shifts": {k: int(v) for k, v in (c.split("=") for c in caps.split("|") if c)},
                "min_minutes": int(min_min),
                "max_minutes": int(max_min),
                "min_consecutive_shifts": int(min_cons),
                "max_consecutive_shifts": int(max_cons),
                "min_consecutive_days_off": int(min_off),
                "max_weekends": int(max_wk),
                "days_off": days_off.get(who, []),
                "requests": requests.get(who, []),
            }
        )
    cover = [
        {
            "day": int(day),
            "shift": sid,
            "required": int(req),
            "weight_under": int(under),
            "weight_over": int(over),
        }
        for day, sid, req, under, over in sec.get("SECTION_COVER", [])
    ]
    doc: dict[str, Any] = {
        "start_date": START_DATE.isoformat(),
        "days": days,
        "shift_types": shift_types,
        "staff": staff,
        "cover": cover,
    }
    if name is not None:
        doc["id"] = name
    return doc


def load(name: str) -> RosterProblem:
    """Read and validate an instance by name (`Instance1` ... `Instance24`)."""
    name = resolve_name(name)
    text = (folder() / "instances" / f"{name}.txt").read_text()
    return load_roster_problem(parse(text, name))


@dataclass(frozen=True)
class Bks:
    """Best-known value and lower bound of an instance (`bks.csv`)."""

    best_known: int
    lower_bound: int
    proven_optimal: bool


def read_bks() -> dict[str, Bks]:
    """Every row of `bks.csv` by instance name."""
    with (folder() / "bks.csv").open() as f:
        return {
            row["instance"]: Bks(
                int(row["best_known"]), int(row["lower_bound"]), row["proven_optimal"] == "yes"
            )
            for row in csv.DictReader(f)
        }


@dataclass(frozen=True)
class ReferenceRoster:
    """A third-party roster with the objective it claims (not best-known)."""

    roster: dict[str, list[str | None]]
    objective: int
    cover_cost: int
    request_cost: int


_GRID_ROW = re.compile(r"^\s*(\S+):\s?(.*)$")


def read_reference_rosters(name: str) -> list[ReferenceRoster]:
    """The monolith colgen rosters of an instance (1-10): two-character cells per day,
    ` .` a day off, `X=` shift X, `d1` shift d1."""
    path = folder() / "reference_rosters" / "monolith_colgen" / f"{resolve_name(name)}.txt.out"
    out: list[ReferenceRoster] = []
    roster: dict[str, list[str | None]] = {}
    cover = 0
    for line in path.read_text().splitlines():
        if m := re.match(r"Final solution.*:\s*(\d+)", line):
            objective = int(m.group(1))
        elif m := re.match(r"-- Cover costs\s*:\s*(\d+)", line):
            cover = int(m.group(1))
        elif m := re.match(r"-- Roster costs\s*:\s*(\d+)", line):
            out.append(ReferenceRoster(roster, objective, cover, int(m.group(1))))
            roster = {}
        elif m := _GRID_ROW.match(line):
            cells = [m.group(2)[k : k + 2] for k in range(0, len(m.group(2)), 2)]
            roster[m.group(1)] = [None if c.strip() == "." else c.rstrip("=") for c in cells]
    return out


def run_instance(name: str, params: RosterParams) -> dict[str, Any]:
    """Solve one instance and record it: objective re-scored by the evaluator, best-known
    value, lower bound, gaps to both, time to best, and the roster itself."""
    name = resolve_name(name)
    problem = load(name)
    began = time.perf_counter()
    result = solve_roster(problem, params)
    wall = time.perf_counter() - began
    evaluation = evaluate_roster(problem, result.roster) if result.roster else None
    feasible = evaluation is not None and evaluation.feasible
    objective = evaluation.value if evaluation is not None and feasible else None
    bks = read_bks().get(name)

    def gap(ref: int | None) -> float | None:
        return (objective - ref) / ref if objective is not None and ref else None

    return {
        "suite": "curtois",
        "instance": name,
        "solver": "ours",
        "feasible": feasible,
        "objective": objective,
        "bks": bks.best_known if bks else None,
        "lower_bound": bks.lower_bound if bks else None,
        "gap": gap(bks.best_known if bks else None),
        "gap_lower_bound": gap(bks.lower_bound if bks else None),
        "status": result.status,
        "bound": result.objective.bound,
        "terms": result.objective.terms.model_dump() if result.objective.terms else None,
        "wall_time": wall,
        "time_to_best": result.solver.get("time_to_best"),
        "params": params.model_dump(exclude_none=True),
        "solver_stats": {k: v for k, v in result.solver.items() if k != "improvements"},
        "violations": evaluation.violations[:20] if evaluation is not None else [],
        "roster": result.roster,
    }


def run_suite(names: list[str], params: RosterParams, out: Path) -> int:
    """Solve instances one after the other, write `<out>/<instance>.json` each, print a line
    per instance and the mean gaps; 0 when every roster is feasible."""
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for name in names:
        record = run_instance(name, params)
        (out / f"{record['instance']}.json").write_text(json.dumps(record, indent=1) + "\n")
        records.append(record)
        print(summary_line(record), file=sys.stderr, flush=True)
    gaps = [r["gap"] for r in records if r["gap"] is not None]
    lb_gaps = [r["gap_lower_bound"] for r in records if r["gap_lower_bound"] is not None]
    feasible = sum(r["feasible"] for r in records)
    print(f"{feasible}/{len(records)} feasible; records in {out}")
    if gaps:
        print(
            f"mean gap {100 * sum(gaps) / len(gaps):.2f}% to best known, "
            f"{100 * sum(lb_gaps) / len(lb_gaps):.2f}% to the lower bound"
        )
    return 0 if feasible == len(records) else 1


def summary_line(record: dict[str, Any]) -> str:
    """One line of a record: objective, best known, gap, status, time to best."""
    gap = record["gap"]
    return (
        f"{record['instance']}: {'feasible' if record['feasible'] else 'INFEASIBLE'} "
        f"obj={record['objective']} bks={record['bks']} "
        f"gap={'-' if gap is None else f'{100 * gap:.2f}%'} {record['status']} "
        f"best at {record['time_to_best']}s of {record['wall_time']:.1f}s"
    )
