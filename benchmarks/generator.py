"""Seeded generator of realistic telecom field-service days in the contract format.

A day has technicians on early (08:00-17:00) and late (10:00-19:00) shifts with a lunch break
and sometimes overtime, each with a trade (fiber splicing, FTTH installation, copper, radio,
power, core transport) at levels, a van with equipment and parts; depots with special equipment
(OTDR, fusion splicer, bucket truck, generator) and stock; and an order mix of installations
with 4-hour appointment windows, repairs with SLA deadlines, maintenance with wide windows,
emergencies (priority 1, due within 2-4 hours, some for a crew of two), a few dependencies and
preferred technicians.

Every order is given a designated technician (two for a crew) who has the skills and a shift
that fits it, so each order is servable by someone; with `vans_cover_orders` that technician's
van also holds the equipment and parts, so no depot trip is needed. The same arguments always
give the same day.

    python -m benchmarks.generator 30 8 --seed 11 --vans-cover-orders -o day.json

Bad days (`BadDay`, each part behind its own flag, `--bad-day` for a realistic mix of all but
on-call): mandatory outages at dawn for crews of two (`--outages`), two-ended line tests as
linked orders (`--linked-tests`), long `after` chains (`--after-chains`), pinned visits
(`--pinned`), technicians on late shifts (`--late-shifts`) and on-call night shifts
(`--on-call`, which moves the horizon start to midnight). A flag without a number takes the
realistic amount for the day's size. Without any, the day is exactly as before.

    python -m benchmarks.generator 200 30 --seed 3 --bad-day -o bad.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

SKILLS = ("fiber", "copper", "radio", "power", "cpe", "core")
DEPOT_ONLY_EQUIPMENT = ("otdr", "fusion-splicer", "bucket-truck", "generator")

# fmt: off
FIRST_NAMES = (
    "Wei", "Fang", "Lei", "Jing", "Rui", "Min", "Tao", "Yan", "Hao", "Li", "Jun", "Xin",
    "Bo", "Ling", "Peng", "Qing", "Yu", "Hui", "Kai", "Na",
)
FAMILY_NAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun",
    "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao",
)


@dataclass(frozen=True)
class Trade:
    """A technician profile: main skill, side skills, van equipment and van parts."""

    main: str
    side: tuple[str, ...]
    equipment: tuple[str, ...]
    parts: dict[str, tuple[int, int]]


TRADES: dict[str, Trade] = {
    "installer": Trade("cpe", ("fiber", "copper"), ("ladder", "toolkit", "optical-power-meter"),
                       {"ont": (2, 4), "drop-cable": (1, 3), "sc-apc-connector": (4, 8)}),
    "fiber": Trade("fiber", ("cpe", "core"), ("ladder", "toolkit", "optical-power-meter"),
                   {"sc-apc-connector": (8, 16), "splice-protector": (6, 12)}),
    "copper": Trade("copper", ("cpe", "power"), ("ladder", "toolkit", "line-tester"),
                    {"dsl-splitter": (2, 4), "copper-jumper": (4, 8)}),
    "radio": Trade("radio", ("power", "fiber"), ("toolkit", "climbing-kit", "multimeter"),
                   {"sfp-1g": (1, 3), "rf-connector": (2, 6)}),
    "power": Trade("power", ("radio", "copper"), ("toolkit", "multimeter", "ladder"),
                   {"battery-48v": (1, 3), "fuse-63a": (2, 4)}),
    "core": Trade("core", ("fiber", "radio"), ("toolkit", "optical-power-meter", "console-laptop"),
                  {"sfp-10g": (2, 3), "sfp-1g": (1, 2)}),
}
# The first technicians cover every trade; more come in proportion to the usual demand.
TRADE_SEQUENCE = ("installer", "fiber", "copper", "installer", "radio", "fiber", "core", "power")
TRADE_WEIGHTS = {"installer": 4, "fiber": 3, "copper": 2, "radio": 1, "power": 1, "core": 1}


@dataclass(frozen=True)
class Job:
    """An order template: skills as (min, max) level, equipment, parts as (min, max)."""

    name: str
    kind: str
    skills: dict[str, tuple[int, int]]
    equipment: tuple[str, ...]
    parts: dict[str, tuple[int, int]]
    minutes: tuple[int, int]
    crew_of_two: float = 0.0


JOBS: dict[str, list[tuple[Job, int]]] = {
    "installation": [
        (Job("ftth", "installation", {"cpe": (1, 2), "fiber": (1, 1)}, ("ladder",),
             {"ont": (1, 1), "drop-cable": (1, 1), "sc-apc-connector": (2, 2)}, (45, 100)), 6),
        (Job("business-fiber", "installation", {"cpe": (2, 3), "fiber": (2, 2)},
             ("ladder", "optical-power-meter"), {"ont": (1, 1), "sfp-1g": (1, 2)}, (60, 120)), 2),
        (Job("dsl", "installation", {"copper": (1, 2)}, ("toolkit",),
             {"dsl-splitter": (1, 1)}, (40, 75)), 2),
    ],
    "repair": [
        (Job("fiber-fault", "repair", {"fiber": (2, 3)}, ("optical-power-meter", "otdr"),
             {"sc-apc-connector": (2, 4)}, (45, 120)), 4),
        (Job("copper-fault", "repair", {"copper": (1, 3)}, ("toolkit", "line-tester"),
             {"copper-jumper": (1, 2)}, (30, 90)), 3),
        (Job("cpe-swap", "repair", {"cpe": (1, 2)}, ("toolkit",), {"ont": (1, 1)}, (30, 60)), 3),
        (Job("radio-link", "repair", {"radio": (2, 3)}, ("climbing-kit",), {"sfp-1g": (1, 1)},
             (60, 120)), 1),
        (Job("power-alarm", "repair", {"power": (2, 3)}, ("multimeter",),
             {"battery-48v": (1, 2)}, (45, 90)), 1),
    ],
    "maintenance": [
        (Job("cabinet-inspection", "maintenance", {"fiber": (1, 2)}, ("toolkit",),
             {"sc-apc-connector": (2, 2)}, (60, 150)), 3),
        (Job("battery-check", "maintenance", {"power": (2, 2)}, ("multimeter",), {},
             (60, 120)), 1),
        (Job("mast-inspection", "maintenance", {"radio": (2, 2)}, ("climbing-kit", "bucket-truck"),
             {}, (90, 180)), 1),
        (Job("core-upgrade", "maintenance", {"core": (2, 3)}, ("console-laptop",),
             {"sfp-10g": (1, 2)}, (60, 120)), 1),
    ],
    "emergency": [
        (Job("fiber-cut", "emergency", {"fiber": (3, 3)},
             ("optical-power-meter", "otdr", "fusion-splicer"),
             {"sc-apc-connector": (4, 4), "splice-protector": (6, 6)}, (90, 150), 1.0), 2),
        (Job("site-down", "emergency", {"power": (3, 3)}, ("multimeter", "generator"),
             {"battery-48v": (2, 2)}, (60, 120), 0.5), 1),
        (Job("core-outage", "emergency", {"core": (3, 3)}, ("optical-power-meter",),
             {"sfp-10g": (1, 1)}, (45, 90)), 1),
    ],
}

# fmt: on
EARLY = (8 * 60, 17 * 60)
LATE = (10 * 60, 19 * 60)
HORIZON = (6 * 60, 22 * 60)
APPOINTMENT_SLOTS = ((8 * 60, 12 * 60), (12 * 60, 16 * 60), (14 * 60, 18 * 60))
SLA_HOURS = {2: (4, 6), 3: (6, 8), 4: (8, 10)}
KM_PER_DEGREE_LAT = 111.32


@dataclass
class _Tech:
    id: str
    name: str
    trade: str
    region: int
    skills: dict[str, int]
    shift: tuple[int, int]
    max_overtime: int
    home: tuple[float, float]
    equipment: list[str]
    parts: dict[str, int]
    load: int = 0
    on_call: bool = False


@dataclass
class _Order:
    id: str
    job: Job
    region: int
    location: tuple[float, float]
    minutes: int
    skills: dict[str, int]
    equipment: list[str]
    parts: dict[str, int]
    priority: int
    windows: list[tuple[int, int]] = field(default_factory=list)
    created_at: int | None = None
    due: int | None = None
    crew_size: int = 1
    after: list[str] = field(default_factory=list)
    preferred: list[str] = field(default_factory=list)
    crew: list[_Tech] = field(default_factory=list)
    mandatory: bool = False
    pinned: tuple[str, int] | None = None
    linked: str | None = None  # starts together with this order


AUTO = -1
"""A `BadDay` count that takes the realistic amount for the day's size."""
NIGHT = (0, 8 * 60)
LATE_SHIFTS = ((12 * 60, 21 * 60), (13 * 60, 22 * 60))
CHAIN_STEPS = (
    Job("cabinet-power-down", "maintenance", {"power": (2, 2)}, ("multimeter",), {}, (30, 45)),
    Job(
        "cabinet-splice",
        "maintenance",
        {"fiber": (2, 3)},
        ("optical-power-meter",),
        {"splice-protector": (2, 4)},
        (30, 60),
    ),
    Job("cabinet-patch", "maintenance", {"core": (2, 2)}, ("console-laptop",), {}, (30, 45)),
    Job("cabinet-test", "maintenance", {"fiber": (1, 2)}, ("optical-power-meter",), {}, (30, 45)),
)
LINE_TEST = (
    Job("line-test-exchange", "repair", {"core": (2, 2)}, ("optical-power-meter",), {}, (30, 45)),
    Job("line-test-customer", "repair", {"cpe": (2, 2)}, ("optical-power-meter",), {}, (30, 45)),
)
OUTAGES = [job for job, _ in JOBS["emergency"] if job.crew_of_two > 0]


@dataclass(frozen=True)
class BadDay:
    """What a bad day adds to a generated day; each count 0 (off), a number, or `AUTO`.

    outages
        Mandatory emergencies (priority 1) for a crew of two, reported 06:45-07:45 in one
        area, due 60-120 minutes after they are reported.
    linked_tests
        Two-ended line tests: an order at the exchange (core) and one at the customer (cpe),
        linked to start together (gap 0), each with its own technician.
    after_chains
        Cabinet migrations of 4-6 steps (power down, splice, patch, test) in one area, each
        step `after` the one before.
    pinned
        Visits booked with a named technician at a fixed start.
    late_shifts
        Technicians whose shift starts at 12:00 or 13:00.
    on_call
        Technicians on an on-call night shift (00:00-08:00, emergencies and priority 1 only);
        the horizon then starts at midnight and emergencies wait for their report.
    """

    outages: int = 0
    linked_tests: int = 0
    after_chains: int = 0
    pinned: int = 0
    late_shifts: int = 0
    on_call: int = 0

    @classmethod
    def realistic(cls, on_call: bool = False) -> BadDay:
        """Every part at its realistic amount (on-call only when asked)."""
        return cls(AUTO, AUTO, AUTO, AUTO, AUTO, AUTO if on_call else 0)

    def resolved(self, num_orders: int, num_technicians: int) -> BadDay:
        """The counts for a day of this size, `AUTO` replaced by the realistic amount."""
        auto = {
            "outages": min(max(2, round(0.03 * num_orders)), num_technicians // 3),
            "linked_tests": min(max(1, round(0.02 * num_orders)), num_technicians // 3),
            "after_chains": max(1, round(num_orders / 60)),
            "pinned": min(max(1, round(0.03 * num_orders)), num_technicians // 2),
            "late_shifts": max(1, round(0.15 * num_technicians)),
            "on_call": max(1, round(0.08 * num_technicians)),
        }
        return BadDay(
            **{
                f.name: auto[f.name] if getattr(self, f.name) == AUTO else getattr(self, f.name)
                for f in fields(self)
            }
        )

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def generate_day(
    num_orders: int,
    num_technicians: int,
    seed: int,
    *,
    regions: int = 1,
    city: str = "hefei",
    center: tuple[float, float] = (31.8206, 117.2272),
    date: str = "2026-12-01",
    utc_offset: str = "+08:00",
    vans_cover_orders: bool = False,
    time_limit: str = "PT10S",
    bad_day: BadDay | None = None,
) -> dict[str, Any]:
    """A realistic telecom field-service day as a JSON-ready contract problem.

    Parameters
    ----------
    num_orders, num_technicians
        Size of the day (at least 1 technician).
    seed
        Everything random comes from `random.Random(seed)`: same arguments, same day.
    regions
        Service areas around the city, each with a depot and its own technicians and orders.
    city, center, date, utc_offset
        Where and when: the problem id, the city centre (lat, lon), the day and its offset.
    vans_cover_orders
        Put every order's equipment and parts in its designated technician's van, so each
        order is servable without a depot trip; otherwise special equipment (OTDR, fusion
        splicer, bucket truck, generator) and some parts must be fetched from a depot.
    time_limit
        The problem's `options.time_limit` (ISO 8601).
    bad_day
        What a bad day adds (see `BadDay`); its orders are part of `num_orders` and its
        random choices come from their own generator, so the rest of the day is drawn as usual.
    """
    if num_technicians < 1:
        raise ValueError("a day needs at least one technician")
    if num_orders < 0 or regions < 1:
        raise ValueError("num_orders must be >= 0 and regions >= 1")
    bad = (bad_day or BadDay()).resolved(num_orders, num_technicians)
    extra = random.Random(f"bad-day-{seed}")
    chain_lengths = [extra.randint(4, 6) for _ in range(bad.after_chains)]
    num_extra = bad.outages + 2 * bad.linked_tests + sum(chain_lengths) + bad.pinned
    if num_extra > num_orders:
        raise ValueError(f"{num_orders} orders leave no room for the bad day's {num_extra}")
    if bad.late_shifts + bad.on_call > num_technicians:
        raise ValueError("more late and on-call shifts than technicians")
    rng = random.Random(seed)
    centres = _region_centres(rng, center, regions)
    depots = [_depot_location(rng, c) for c in centres]
    techs = [_technician(rng, i, centres, depots) for i in range(num_technicians)]
    _change_shifts(extra, techs, bad)
    orders = _orders(rng, num_orders - num_extra, centres, techs)
    _add_dependencies(rng, orders)
    for order in orders:
        _designate(rng, order, techs)
    if bad:
        orders += _bad_day_orders(extra, bad, chain_lengths, centres, techs)
    horizon = HORIZON
    if bad.on_call:
        horizon = (0, HORIZON[1])
        for order in orders:  # no one serves an emergency before it is reported
            urgent = order.job.kind == "emergency" or order.priority == 1
            if urgent and not order.windows and order.created_at is not None:
                order.windows = [(order.created_at, HORIZON[1])]
    _add_preferences(rng, orders)
    _stock_vans(rng, orders, techs, vans_cover_orders)

    def at(minute: int) -> str:
        return _instant(date, utc_offset, minute)

    return {
        "id": f"{city}-{date}-s{seed}",
        "horizon": {"start": at(horizon[0]), "end": at(horizon[1])},
        "technicians": [_technician_json(t, at) for t in techs],
        "orders": [_order_json(o, at) for o in orders],
        "depots": [_depot_json(d, i, orders, techs, at) for i, d in enumerate(depots)],
        "travel": {"model": "haversine", "speed_kmh": 30.0, "detour_factor": 1.35},
        "options": {"time_limit": time_limit, "seed": 0, "workers": 2},
    }


# --------------------------------------------------------------------------- geography


def _offset(center: tuple[float, float], north_km: float, east_km: float) -> tuple[float, float]:
    lat, lon = center
    dlat = north_km / KM_PER_DEGREE_LAT
    dlon = east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _scatter(
    rng: random.Random, center: tuple[float, float], sd_km: float, max_km: float
) -> tuple[float, float]:
    """A point around a centre: normal in each direction, at most `max_km` away."""
    north, east = rng.gauss(0, sd_km), rng.gauss(0, sd_km)
    norm = math.hypot(north, east)
    if norm > max_km:
        north, east = north * max_km / norm, east * max_km / norm
    return _offset(center, north, east)


def _region_centres(
    rng: random.Random, center: tuple[float, float], regions: int
) -> list[tuple[float, float]]:
    if regions == 1:
        return [center]
    turn = rng.uniform(0, 2 * math.pi)
    out = []
    for r in range(regions):
        angle = turn + 2 * math.pi * r / regions
        dist = rng.uniform(16, 24)
        out.append(_offset(center, dist * math.sin(angle), dist * math.cos(angle)))
    return out


def _depot_location(rng: random.Random, centre: tuple[float, float]) -> tuple[float, float]:
    return _scatter(rng, centre, 1.5, 3.0)


# --------------------------------------------------------------------------- technicians


def _technician(
    rng: random.Random,
    i: int,
    centres: list[tuple[float, float]],
    depots: list[tuple[float, float]],
) -> _Tech:
    if i < len(TRADE_SEQUENCE):
        trade_name = TRADE_SEQUENCE[i]
    else:
        trade_name = rng.choices(list(TRADE_WEIGHTS), weights=list(TRADE_WEIGHTS.values()))[0]
    trade = TRADES[trade_name]
    skills = {trade.main: rng.choice((3, 3, 4, 4, 5))}
    for side in rng.sample(trade.side, rng.choice((1, 1, 2))):
        skills[side] = rng.choice((1, 2, 2, 3))
    region = i % len(centres)
    # Some technicians start from the depot, most from home.
    home = depots[region] if rng.random() < 0.25 else _scatter(rng, centres[region], 5.0, 10.0)
    shift = EARLY if rng.random() < 0.7 else LATE
    max_overtime = rng.choice((0, 0, 30, 30, 60))
    name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(FIRST_NAMES)}"
    parts = {p: rng.randint(lo, hi) for p, (lo, hi) in trade.parts.items()}
    return _Tech(
        f"T{i + 1:02d}",
        name,
        trade_name,
        region,
        skills,
        shift,
        max_overtime,
        home,
        list(trade.equipment),
        parts,
    )


# --------------------------------------------------------------------------- orders


def _kind_counts(rng: random.Random, num_orders: int) -> list[str]:
    """The kinds of the day's orders: about 40% installations, 35% repairs, 15% maintenance,
    and a few emergencies."""
    num_emergency = 0 if num_orders < 4 else max(1, round(0.07 * num_orders))
    rest = num_orders - num_emergency
    num_install = round(0.45 * rest)
    num_repair = round(0.38 * rest)
    num_maint = rest - num_install - num_repair
    kinds = (
        ["installation"] * num_install
        + ["repair"] * num_repair
        + ["maintenance"] * num_maint
        + ["emergency"] * num_emergency
    )
    rng.shuffle(kinds)
    return kinds


def _pick_job(rng: random.Random, kind: str) -> Job:
    jobs = [job for job, _ in JOBS[kind]]
    return rng.choices(jobs, weights=[weight for _, weight in JOBS[kind]])[0]


def _orders(
    rng: random.Random, num_orders: int, centres: list[tuple[float, float]], techs: list[_Tech]
) -> list[_Order]:
    prefix = {"installation": "INS", "repair": "REP", "maintenance": "MNT", "emergency": "EMG"}
    out = []
    crew_of_two_done = False
    for n, kind in enumerate(_kind_counts(rng, num_orders), start=1):
        job = _pick_job(rng, kind)
        if kind == "emergency" and not crew_of_two_done and len(techs) >= 2:
            # Every day with emergencies has at least one that needs a crew of two.
            job = next(j for j, _ in JOBS["emergency"] if j.crew_of_two > 0)
        region = rng.randrange(len(centres))
        order = _draw_order(rng, f"{prefix[kind]}-{n:04d}", job, region, centres[region])
        if kind == "installation":
            order.priority = rng.choice((3, 3, 3, 4))
            order.windows = [rng.choice(APPOINTMENT_SLOTS)]
            order.created_at = -rng.randint(1, 10) * 1440 + rng.randint(8 * 60, 20 * 60)
        elif kind == "repair":
            order.priority = rng.choice((2, 3, 3, 4))
            order.created_at = rng.randint(-8 * 60, 11 * 60)  # since last evening
            lo, hi = SLA_HOURS[order.priority]
            # The SLA clock runs in business hours: overnight faults count from 08:00.
            clock = max(order.created_at, 8 * 60)
            order.due = min(clock + 60 * rng.randint(lo, hi), 18 * 60)
            if rng.random() < 0.3:  # the customer is only home part of the day
                order.windows = [(9 * 60, 17 * 60)]
        elif kind == "maintenance":
            order.priority = rng.choice((4, 4, 5))
            order.created_at = -rng.randint(7, 30) * 1440 + 10 * 60
            if rng.random() < 0.3:
                order.windows = [(8 * 60, 11 * 60 + 30), (13 * 60 + 30, 17 * 60)]
            else:
                order.windows = [(8 * 60, 17 * 60)]
        else:
            order.priority = 1
            order.created_at = rng.randint(6 * 60 + 30, 9 * 60)
            order.due = order.created_at + 60 * rng.randint(2, 4)
            wants_crew = not crew_of_two_done or rng.random() < job.crew_of_two
            if wants_crew and job.crew_of_two > 0 and len(techs) >= 2:
                order.crew_size = 2
                crew_of_two_done = True
        out.append(order)
    return out


def _draw_order(
    rng: random.Random,
    order_id: str,
    job: Job,
    region: int,
    around: tuple[float, float],
    sd_km: float = 4.0,
    max_km: float = 9.0,
) -> _Order:
    """An order of a job near a point: duration, location, skill levels and parts drawn."""
    minutes = 5 * round(rng.randint(*job.minutes) / 5)
    return _Order(
        id=order_id,
        job=job,
        region=region,
        location=_scatter(rng, around, sd_km, max_km),
        minutes=minutes,
        skills={s: rng.randint(lo, hi) for s, (lo, hi) in job.skills.items()},
        equipment=list(job.equipment),
        parts={p: rng.randint(lo, hi) for p, (lo, hi) in job.parts.items()},
        priority=3,
    )


def _start_range(order: _Order, tech: _Tech) -> tuple[int, int] | None:
    """Earliest and latest service start for this technician (30 minutes of travel), or None."""
    lo = tech.shift[0] + 30
    hi = tech.shift[1] + tech.max_overtime - 30 - order.minutes
    windows = order.windows or [HORIZON]
    best = None
    for w_lo, w_hi in windows:
        a, b = max(lo, w_lo), min(hi, w_hi)
        if order.due is not None:
            b = min(b, order.due)
        if a <= b:
            best = (a, b) if best is None else (min(best[0], a), max(best[1], b))
    return best


def _qualified(order: _Order, tech: _Tech) -> bool:
    return all(tech.skills.get(s, 0) >= lvl for s, lvl in order.skills.items())


def _designate(
    rng: random.Random, order: _Order, techs: list[_Tech], exclude: tuple[_Tech, ...] = ()
) -> None:
    """Choose who could serve the order (fitting technicians with room left, qualified ones
    first) and make sure they are qualified, so every order is servable by someone.

    On-call technicians are chosen only for emergencies and priority 1, `exclude`d ones never.
    """
    urgent = order.job.kind == "emergency" or order.priority == 1
    eligible = [t for t in techs if (urgent or not t.on_call) and all(t is not x for x in exclude)]
    fits = [t for t in eligible if _start_range(order, t) is not None]
    if len(fits) < order.crew_size:
        fits = list(eligible)
        if not order.mandatory:
            # No shift fits the window or SLA: open the order to the whole day. A mandatory
            # outage keeps its SLA: served late, it is still served.
            order.windows, order.due = [], None

    def rank(t: _Tech) -> tuple[bool, bool, int, float]:
        # Technicians with room left first, then the qualified, then the closest match.
        capacity = t.shift[1] + t.max_overtime - t.shift[0] - 60
        full = t.load + order.minutes + 20 > capacity
        matched = sum(min(t.skills.get(s, 0), lvl) for s, lvl in order.skills.items())
        return (full, not _qualified(order, t), -matched, t.load + rng.random())

    _assign(order, sorted(fits, key=rank)[: order.crew_size])


def _assign(order: _Order, crew: list[_Tech]) -> None:
    """Make `crew` the order's designated technicians, qualified for it."""
    for tech in crew:
        for skill, level in order.skills.items():
            if tech.skills.get(skill, 0) < level:
                tech.skills[skill] = level  # trained for it: keeps the day servable
        tech.load += order.minutes + 20
    order.crew = crew


def _add_dependencies(rng: random.Random, orders: list[_Order]) -> None:
    """A few follow-ups: an installation that needs a morning fiber job in its area done first."""
    wanted = max(0, round(0.05 * len(orders)))
    firsts = [o for o in orders if o.job.kind in ("repair", "maintenance") and "fiber" in o.skills]
    thens = [
        o
        for o in orders
        if o.job.kind == "installation" and o.windows and o.windows[0][0] >= 12 * 60
    ]
    rng.shuffle(firsts)
    rng.shuffle(thens)
    for first, then in zip(firsts, thens, strict=False):
        if wanted == 0:
            break
        if first.region != then.region or first.after:
            continue
        first.windows = [(8 * 60, 11 * 60)]
        first.due = None if first.due is None else max(first.due, 11 * 60)
        then.after.append(first.id)
        wanted -= 1


def _add_preferences(rng: random.Random, orders: list[_Order]) -> None:
    """Some customers ask for the technician who came last time."""
    for order in orders:
        if order.job.kind in ("installation", "maintenance") and rng.random() < 0.12:
            order.preferred = [order.crew[0].id]


def _stock_vans(
    rng: random.Random, orders: list[_Order], techs: list[_Tech], vans_cover_orders: bool
) -> None:
    """Put each order's equipment and parts in its first crew member's van: always the van
    tools, and with `vans_cover_orders` also depot equipment and every part needed."""
    need: dict[str, dict[str, int]] = {t.id: {} for t in techs}
    for order in orders:
        provider = order.crew[0]
        for item in order.equipment:
            if item in provider.equipment:
                continue
            if vans_cover_orders or item not in DEPOT_ONLY_EQUIPMENT:
                provider.equipment.append(item)
        for part, qty in order.parts.items():
            need[provider.id][part] = need[provider.id].get(part, 0) + qty
    for tech in techs:
        for part, qty in need[tech.id].items():
            have = tech.parts.get(part, 0)
            # Without full cover, some technicians leave the morning short and must restock.
            if vans_cover_orders or rng.random() < 0.6:
                tech.parts[part] = max(have, qty + rng.randint(0, 1))
            else:
                tech.parts[part] = min(have, max(qty - 1, 0))
        tech.parts = {p: q for p, q in tech.parts.items() if q > 0}


# --------------------------------------------------------------------------- bad days


def _change_shifts(rng: random.Random, techs: list[_Tech], bad: BadDay) -> None:
    """Put some technicians on on-call night shifts and some on late shifts."""
    chosen = rng.sample(techs, bad.on_call + bad.late_shifts)
    for tech in chosen[: bad.on_call]:
        tech.shift, tech.max_overtime, tech.on_call = NIGHT, 120, True
    for tech in chosen[bad.on_call :]:
        tech.shift = rng.choice(LATE_SHIFTS)
        # Overtime cannot run past the horizon's end.
        tech.max_overtime = 0 if tech.shift[1] >= HORIZON[1] else rng.choice((0, 30, 60))


def _bad_day_orders(
    rng: random.Random,
    bad: BadDay,
    chain_lengths: list[int],
    centres: list[tuple[float, float]],
    techs: list[_Tech],
) -> list[_Order]:
    """The outages, line tests, cabinet chains and pinned visits of a bad day, designated."""
    out: list[_Order] = []
    if bad.outages:
        region = rng.randrange(len(centres))
        storm = _scatter(rng, centres[region], 3.0, 6.0)
        for n in range(1, bad.outages + 1):
            order = _draw_order(rng, f"OUT-{n:03d}", rng.choice(OUTAGES), region, storm, 1.0, 2.5)
            order.created_at = rng.randint(6 * 60 + 45, 7 * 60 + 45)
            order.due = order.created_at + rng.randint(60, 120)
            order.windows = [(order.created_at, HORIZON[1])]
            order.priority, order.crew_size, order.mandatory = 1, 2, True
            _designate(rng, order, techs)
            out.append(order)
    for n in range(1, bad.linked_tests + 1):
        region = rng.randrange(len(centres))
        exchange = _draw_order(
            rng, f"LNK-{n:03d}-X", LINE_TEST[0], region, centres[region], 1.0, 2.0
        )
        customer = _draw_order(rng, f"LNK-{n:03d}-C", LINE_TEST[1], region, centres[region])
        created = rng.randint(-12 * 60, 8 * 60)
        for order in (exchange, customer):
            order.priority, order.windows, order.created_at = 2, [(9 * 60, 16 * 60)], created
        customer.minutes, customer.linked = exchange.minutes, exchange.id
        _designate(rng, exchange, techs)
        _designate(rng, customer, techs, exclude=tuple(exchange.crew))
        out += [exchange, customer]
    for c, length in enumerate(chain_lengths, start=1):
        region = rng.randrange(len(centres))
        site = _scatter(rng, centres[region], 4.0, 9.0)
        power, splice, patch, test = CHAIN_STEPS
        steps = [power, *[splice] * (length - 3), patch, test]
        created = -rng.randint(3, 14) * 1440 + 10 * 60
        before: _Order | None = None
        for k, job in enumerate(steps, start=1):
            order = _draw_order(rng, f"CHN-{c:02d}-{k}", job, region, site, 0.5, 1.0)
            order.windows, order.created_at = [(8 * 60, 18 * 60)], created
            order.after = [before.id] if before else []
            _designate(rng, order, techs)
            out.append(order)
            before = order
    crews = {t.id for o in out if o.mandatory for t in o.crew}
    free = [t for t in techs if not t.on_call and t.id not in crews]
    for n, tech in enumerate(rng.sample(free, min(bad.pinned, len(free))), start=1):
        order = _draw_order(
            rng, f"PIN-{n:03d}", JOBS["installation"][0][0], tech.region, tech.home
        )
        # 1.5-3 hours into the shift, over in time for the break to follow it.
        latest = _lunch_start(tech) + 120 - 30 - order.minutes
        start = tech.shift[0] + 15 * rng.randint(6, 12)
        start = min(start, max(tech.shift[0] + 90, latest - latest % 15))
        order.priority, order.windows = 2, [(start - 60, start + 60)]
        order.created_at = -rng.randint(2, 10) * 1440 + 10 * 60
        order.pinned = (tech.id, start)
        _assign(order, [tech])
        out.append(order)
    return out


# --------------------------------------------------------------------------- JSON


def _instant(date: str, utc_offset: str, minute: int) -> str:
    """`date` plus `minute` minutes (negative = days before) as an ISO 8601 instant."""
    from datetime import date as date_type
    from datetime import timedelta

    day = date_type.fromisoformat(date) + timedelta(days=minute // 1440)
    minute %= 1440
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{utc_offset}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def _latlon(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1]}


def _lunch_start(t: _Tech) -> int:
    """When the 2-hour window of a technician's 30-minute break opens: lunch for the day
    shifts, a meal four and a half hours into a late shift."""
    return {EARLY: 11 * 60 + 30, LATE: 12 * 60 + 30}.get(t.shift, t.shift[0] + 270)


def _technician_json(t: _Tech, at: Any) -> dict[str, Any]:
    lunch = _lunch_start(t)
    shift: dict[str, Any] = {
        "id": f"{t.id}-1",
        "start": at(t.shift[0]),
        "end": at(t.shift[1]),
        "start_location": _latlon(t.home),
        "max_overtime": _duration(t.max_overtime) if t.max_overtime else "PT0S",
        "breaks": [
            {"earliest_start": at(lunch), "latest_end": at(lunch + 120), "duration": "PT30M"}
        ],
    }
    if t.on_call:
        shift["breaks"], shift["on_call"] = [], True
    return {
        "id": t.id,
        "name": t.name,
        "skills": t.skills,
        "shifts": [shift],
        "equipment": t.equipment,
        "parts": dict(sorted(t.parts.items())),
    }


def _order_json(o: _Order, at: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": o.id,
        "kind": o.job.kind,
        "location": _latlon(o.location),
        "duration": _duration(o.minutes),
        "required_skills": o.skills,
    }
    if o.equipment:
        out["required_equipment"] = o.equipment
    if o.parts:
        out["required_parts"] = o.parts
    if o.windows:
        out["time_windows"] = [{"start": at(a), "end": at(b)} for a, b in o.windows]
    out["priority"] = o.priority
    if o.created_at is not None:
        out["created_at"] = at(o.created_at)
    if o.due is not None:
        out["due"] = at(o.due)
    if o.crew_size > 1:
        out["crew_size"] = o.crew_size
    if o.after:
        out["after"] = o.after
    if o.preferred:
        out["preferred_technicians"] = o.preferred
    if o.mandatory:
        out["mandatory"] = True
    if o.pinned is not None:
        out["pinned"] = {"technician": o.pinned[0], "start": at(o.pinned[1])}
    if o.linked is not None:
        out["linked"] = [{"order": o.linked, "min_gap": "PT0S", "max_gap": "PT0S"}]
    return out


def _depot_json(
    location: tuple[float, float], i: int, orders: list[_Order], techs: list[_Tech], at: Any
) -> dict[str, Any]:
    """A depot with enough special equipment and parts for its region's day, and some slack."""
    region_orders = [o for o in orders if o.region == i]
    equipment: dict[str, int | None] = {}
    for item in DEPOT_ONLY_EQUIPMENT:
        used = sum(item in o.equipment for o in region_orders)
        equipment[item] = max(1, min(used, 3)) + (1 if item in ("otdr", "fusion-splicer") else 0)
    equipment["optical-power-meter"] = 2
    equipment["climbing-kit"] = None
    parts: dict[str, int | None] = {}
    for o in region_orders:
        for part, qty in o.parts.items():
            parts[part] = (parts.get(part) or 0) + qty
    parts = {p: q + 4 if q is not None else None for p, q in sorted(parts.items())}
    parts["sc-apc-connector"] = None  # bulk stock
    return {
        "id": f"DEP-{i + 1}",
        "location": _latlon(location),
        "opening": {"start": at(7 * 60), "end": at(19 * 60)},
        "visit_duration": "PT10M",
        "equipment": equipment,
        "parts": parts,
    }


def dump_day(day: dict[str, Any]) -> str:
    """The JSON text of a generated day, as committed in `examples/` (stable formatting)."""
    return json.dumps(day, indent=2, ensure_ascii=False) + "\n"


BAD_DAY_FLAGS = {
    "outages": "mandatory dawn outages for crews of two",
    "linked_tests": "two-ended line tests (linked orders, gap 0)",
    "after_chains": "cabinet migrations of 4-6 steps, each after the one before",
    "pinned": "visits pinned to a technician and a start",
    "late_shifts": "technicians whose shift starts at 12:00 or 13:00",
    "on_call": "technicians on on-call night shifts (the horizon starts at midnight)",
}


def add_bad_day_arguments(parser: argparse.ArgumentParser) -> None:
    """`--outages [N]` .. `--on-call [N]` and `--bad-day`: a flag alone takes the realistic
    amount."""
    for name, help_text in BAD_DAY_FLAGS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            nargs="?",
            const=AUTO,
            default=None,
            metavar="N",
            help=f"{help_text} (default: none)",
        )
    parser.add_argument(
        "--bad-day", action="store_true", help="a realistic mix of all of them but on-call shifts"
    )


def bad_day_from_arguments(args: argparse.Namespace) -> BadDay | None:
    """The `BadDay` the flags ask for, or None when there is none."""
    base = BadDay.realistic() if args.bad_day else BadDay()
    given = {
        name: getattr(args, name) for name in BAD_DAY_FLAGS if getattr(args, name) is not None
    }
    bad = BadDay(**{**{f.name: getattr(base, f.name) for f in fields(base)}, **given})
    return bad if bad else None


def main(argv: list[str] | None = None) -> None:
    """Command line: write a generated day to a file or stdout."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["roster"]:  # roster mode: a month of 7x24 cover (benchmarks.roster_generator)
        from benchmarks.roster_generator import main as roster_main

        return roster_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("num_orders", type=int)
    parser.add_argument("num_technicians", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regions", type=int, default=1)
    parser.add_argument("--vans-cover-orders", action="store_true")
    add_bad_day_arguments(parser)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    text = dump_day(
        generate_day(
            args.num_orders,
            args.num_technicians,
            args.seed,
            regions=args.regions,
            vans_cover_orders=args.vans_cover_orders,
            bad_day=bad_day_from_arguments(args),
        )
    )
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
