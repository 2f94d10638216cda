"""Seeded generator of a month of 7x24 shifts for one region, as a roster problem.

Technicians of the region (fiber, copper and radio trades at levels 1-5, living around the
region's centre) are rostered on day (08:00-17:00), late (13:00-22:00) and night on-call
(22:00-08:00, `on_call`) shifts. Cover rows ask, per day and shift, for at least N technicians
of a skill level: day shifts want fiber and copper people, the late shift anyone, and the night
on-call shift one senior fiber technician (level 3 or more). Weekends want fewer. Labour rules
follow a 40-hour week; a few days off and shift requests make each person different. The same
arguments always give the same month.

    python -m benchmarks.generator roster 16 --seed 3 -o month.json
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.catalog import FAMILY_NAMES, FIRST_NAMES
from benchmarks.drafts import scatter

SHIFT_TYPES: list[dict[str, Any]] = [
    {"id": "D", "start": "08:00", "duration": "PT9H", "cannot_follow": []},
    {"id": "L", "start": "13:00", "duration": "PT9H", "cannot_follow": ["D"]},
    {
        "id": "C",
        "start": "22:00",
        "duration": "PT10H",
        "cannot_follow": ["D", "L"],
        "on_call": True,
    },
]
"""Day, late, and night on-call; a late or on-call shift is not followed by an early start."""

TRADES = {"fiber": ("cpe", "core"), "copper": ("cpe", "power"), "radio": ("power", "fiber")}


def generate_roster(
    num_technicians: int,
    seed: int,
    *,
    days: int = 28,
    region: str = "east",
    center: tuple[float, float] = (31.8206, 117.2272),
    start_date: str = "2027-01-04",
    utc_offset: str = "+08:00",
    time_limit: str = "PT30S",
) -> dict[str, Any]:
    """A month (or `days`, a multiple of 7) of cover for one region as a roster problem.

    Parameters
    ----------
    num_technicians
        People in the region (at least 4: the night needs senior fiber cover).
    seed
        Everything random comes from `random.Random(seed)`.
    days, region, center, start_date, utc_offset
        The horizon, the region's name and centre (lat, lon), day 0 (a Monday), the offset.
    time_limit
        The problem's `options.time_limit` (ISO 8601).
    """
    if num_technicians < 4 or days % 7 or days <= 0:
        raise ValueError("at least 4 technicians, and days a positive multiple of 7")
    if date.fromisoformat(start_date).weekday() != 0:
        raise ValueError("start_date must be a Monday")
    rng = random.Random(seed)
    staff = [_person(rng, i, days, region, center) for i in range(num_technicians)]
    # At least a third are senior fiber technicians, so the night can always be covered.
    for person in staff[: max(2, num_technicians // 3)]:
        person["skills"]["fiber"] = max(3, person["skills"].get("fiber", 0))
    scale = num_technicians / 16
    cover = []
    for d in range(days):
        weekend = d % 7 >= 5
        want = {
            ("D", "fiber", 2): 2 if weekend else 3,
            ("D", "copper", 2): 1 if weekend else 2,
            ("L", None, 1): 1 if weekend else 2,
        }
        for (shift, skill, level), n in want.items():
            cover.append(_cover(d, shift, skill, level, region, max(1, round(n * scale))))
        cover.append(_cover(d, "C", "fiber", 3, region, 1, weight_under=200))
    return {
        "id": f"{region}-{start_date}-s{seed}",
        "start_date": start_date,
        "days": days,
        "timezone": utc_offset,
        "shift_types": SHIFT_TYPES,
        "staff": staff,
        "cover": cover,
        "options": {"time_limit": time_limit, "seed": 0, "workers": 2},
    }


def _cover(
    day: int,
    shift: str,
    skill: str | None,
    level: int,
    region: str,
    required: int,
    weight_under: int = 100,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "day": day,
        "shift": shift,
        "required": required,
        "region": region,
        "weight_under": weight_under,
        "weight_over": 1,
    }
    if skill is not None:
        row |= {"skill": skill, "min_level": level}
    return row


def _person(
    rng: random.Random, i: int, days: int, region: str, center: tuple[float, float]
) -> dict[str, Any]:
    trade = rng.choice(list(TRADES))
    skills = {trade: rng.choice((2, 3, 3, 4, 5))}
    for side in rng.sample(TRADES[trade], rng.choice((1, 2))):
        skills[side] = rng.choice((1, 2, 2, 3))
    weeks = days // 7
    lat, lon = scatter(rng, center, 5.0, 10.0)
    off_start = rng.randrange(days)
    days_off = sorted({off_start, min(days - 1, off_start + 1)}) if rng.random() < 0.4 else []
    requests = []
    for _ in range(rng.randint(0, 3)):
        day = rng.randrange(days)
        if day not in days_off:
            on = rng.random() < 0.4
            requests.append(
                {
                    "day": day,
                    "shift": rng.choice(("D", "L")) if on else "C",
                    "on": on,
                    "weight": rng.choice((1, 2, 3)),
                }
            )
    return {
        "id": f"T{i + 1:02d}",
        "name": f"{rng.choice(FAMILY_NAMES)} {rng.choice(FIRST_NAMES)}",
        "skills": skills,
        "region": region,
        "home": {"lat": lat, "lon": lon},
        "max_shifts": {"C": 2 * weeks},
        "min_minutes": 24 * 60 * weeks,
        "max_minutes": 40 * 60 * weeks,
        "min_consecutive_shifts": 2,
        "max_consecutive_shifts": 5,
        "min_consecutive_days_off": 2,
        "max_weekends": max(1, weeks // 2),
        "days_off": days_off,
        "requests": sorted(requests, key=lambda r: r["day"]),
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: write a generated roster month to a file or stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generator roster", description=__doc__.splitlines()[0]
    )
    parser.add_argument("num_technicians", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--region", default="east")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    month = generate_roster(args.num_technicians, args.seed, days=args.days, region=args.region)
    text = json.dumps(month, indent=1, ensure_ascii=False) + "\n"
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text, encoding="utf-8")
