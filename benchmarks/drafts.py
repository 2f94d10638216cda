"""The draft of a generated day (`benchmarks.generator`): technicians and orders before they are
written as contract JSON, where they are, and how they are drawn and designated so that every
order is servable by someone."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from benchmarks.catalog import (
    APPOINTMENT_SLOTS,
    DEPOT_ONLY_EQUIPMENT,
    EARLY,
    FAMILY_NAMES,
    FIRST_NAMES,
    HORIZON,
    JOBS,
    KM_PER_DEGREE_LAT,
    LATE,
    SLA_HOURS,
    TRADE_SEQUENCE,
    TRADE_WEIGHTS,
    TRADES,
    Job,
)


@dataclass
class TechDraft:
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
class OrderDraft:
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
    crew: list[TechDraft] = field(default_factory=list)
    mandatory: bool = False
    pinned: tuple[str, int] | None = None
    linked: str | None = None  # starts together with this order


def lunch_start(t: TechDraft) -> int:
    """When the 2-hour window of a technician's 30-minute break opens: lunch for the day
    shifts, a meal four and a half hours into a late shift."""
    return {EARLY: 11 * 60 + 30, LATE: 12 * 60 + 30}.get(t.shift, t.shift[0] + 270)


# --------------------------------------------------------------------------- geography


def _offset(center: tuple[float, float], north_km: float, east_km: float) -> tuple[float, float]:
    lat, lon = center
    dlat = north_km / KM_PER_DEGREE_LAT
    dlon = east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def scatter(
    rng: random.Random, center: tuple[float, float], sd_km: float, max_km: float
) -> tuple[float, float]:
    """A point around a centre: normal in each direction, at most `max_km` away."""
    north, east = rng.gauss(0, sd_km), rng.gauss(0, sd_km)
    norm = math.hypot(north, east)
    if norm > max_km:
        north, east = north * max_km / norm, east * max_km / norm
    return _offset(center, north, east)


def region_centres(
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


def depot_location(rng: random.Random, centre: tuple[float, float]) -> tuple[float, float]:
    return scatter(rng, centre, 1.5, 3.0)


# --------------------------------------------------------------------------- technicians


def draw_technician(
    rng: random.Random,
    i: int,
    centres: list[tuple[float, float]],
    depots: list[tuple[float, float]],
) -> TechDraft:
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
    home = depots[region] if rng.random() < 0.25 else scatter(rng, centres[region], 5.0, 10.0)
    shift = EARLY if rng.random() < 0.7 else LATE
    max_overtime = rng.choice((0, 0, 30, 30, 60))
    name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(FIRST_NAMES)}"
    parts = {p: rng.randint(lo, hi) for p, (lo, hi) in trade.parts.items()}
    return TechDraft(
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


def draw_orders(
    rng: random.Random, num_orders: int, centres: list[tuple[float, float]], techs: list[TechDraft]
) -> list[OrderDraft]:
    prefix = {"installation": "INS", "repair": "REP", "maintenance": "MNT", "emergency": "EMG"}
    out = []
    crew_of_two_done = False
    for n, kind in enumerate(_kind_counts(rng, num_orders), start=1):
        job = _pick_job(rng, kind)
        if kind == "emergency" and not crew_of_two_done and len(techs) >= 2:
            # Every day with emergencies has at least one that needs a crew of two.
            job = next(j for j, _ in JOBS["emergency"] if j.crew_of_two > 0)
        region = rng.randrange(len(centres))
        order = draw_order(rng, f"{prefix[kind]}-{n:04d}", job, region, centres[region])
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


def draw_order(
    rng: random.Random,
    order_id: str,
    job: Job,
    region: int,
    around: tuple[float, float],
    sd_km: float = 4.0,
    max_km: float = 9.0,
) -> OrderDraft:
    """An order of a job near a point: duration, location, skill levels and parts drawn."""
    minutes = 5 * round(rng.randint(*job.minutes) / 5)
    return OrderDraft(
        id=order_id,
        job=job,
        region=region,
        location=scatter(rng, around, sd_km, max_km),
        minutes=minutes,
        skills={s: rng.randint(lo, hi) for s, (lo, hi) in job.skills.items()},
        equipment=list(job.equipment),
        parts={p: rng.randint(lo, hi) for p, (lo, hi) in job.parts.items()},
        priority=3,
    )


def _start_range(order: OrderDraft, tech: TechDraft) -> tuple[int, int] | None:
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


def _qualified(order: OrderDraft, tech: TechDraft) -> bool:
    return all(tech.skills.get(s, 0) >= lvl for s, lvl in order.skills.items())


def designate(
    rng: random.Random,
    order: OrderDraft,
    techs: list[TechDraft],
    exclude: tuple[TechDraft, ...] = (),
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

    def rank(t: TechDraft) -> tuple[bool, bool, int, float]:
        # Technicians with room left first, then the qualified, then the closest match.
        capacity = t.shift[1] + t.max_overtime - t.shift[0] - 60
        full = t.load + order.minutes + 20 > capacity
        matched = sum(min(t.skills.get(s, 0), lvl) for s, lvl in order.skills.items())
        return (full, not _qualified(order, t), -matched, t.load + rng.random())

    assign(order, sorted(fits, key=rank)[: order.crew_size])


def assign(order: OrderDraft, crew: list[TechDraft]) -> None:
    """Make `crew` the order's designated technicians, qualified for it."""
    for tech in crew:
        for skill, level in order.skills.items():
            if tech.skills.get(skill, 0) < level:
                tech.skills[skill] = level  # trained for it: keeps the day servable
        tech.load += order.minutes + 20
    order.crew = crew


def add_dependencies(rng: random.Random, orders: list[OrderDraft]) -> None:
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


def add_preferences(rng: random.Random, orders: list[OrderDraft]) -> None:
    """Some customers ask for the technician who came last time."""
    for order in orders:
        if order.job.kind in ("installation", "maintenance") and rng.random() < 0.12:
            order.preferred = [order.crew[0].id]


def stock_vans(
    rng: random.Random, orders: list[OrderDraft], techs: list[TechDraft], vans_cover_orders: bool
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
