"""What a bad day adds to a generated day (`BadDay`): dawn outages for crews, linked line
tests, `after` chains, pinned visits, late and on-call shifts; and their command-line flags."""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, fields

from benchmarks.catalog import CHAIN_STEPS, HORIZON, JOBS, LATE_SHIFTS, LINE_TEST, NIGHT, OUTAGES
from benchmarks.drafts import (
    OrderDraft,
    TechDraft,
    assign,
    designate,
    draw_order,
    lunch_start,
    scatter,
)

AUTO = -1
"""A `BadDay` count that takes the realistic amount for the day's size."""


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


def change_shifts(rng: random.Random, techs: list[TechDraft], bad: BadDay) -> None:
    """Put some technicians on on-call night shifts and some on late shifts."""
    chosen = rng.sample(techs, bad.on_call + bad.late_shifts)
    for tech in chosen[: bad.on_call]:
        tech.shift, tech.max_overtime, tech.on_call = NIGHT, 120, True
    for tech in chosen[bad.on_call :]:
        tech.shift = rng.choice(LATE_SHIFTS)
        # Overtime cannot run past the horizon's end.
        tech.max_overtime = 0 if tech.shift[1] >= HORIZON[1] else rng.choice((0, 30, 60))


def bad_day_orders(
    rng: random.Random,
    bad: BadDay,
    chain_lengths: list[int],
    centres: list[tuple[float, float]],
    techs: list[TechDraft],
) -> list[OrderDraft]:
    """The outages, line tests, cabinet chains and pinned visits of a bad day, designated."""
    out: list[OrderDraft] = []
    if bad.outages:
        region = rng.randrange(len(centres))
        storm = scatter(rng, centres[region], 3.0, 6.0)
        for n in range(1, bad.outages + 1):
            order = draw_order(rng, f"OUT-{n:03d}", rng.choice(OUTAGES), region, storm, 1.0, 2.5)
            order.created_at = rng.randint(6 * 60 + 45, 7 * 60 + 45)
            order.due = order.created_at + rng.randint(60, 120)
            order.windows = [(order.created_at, HORIZON[1])]
            order.priority, order.crew_size, order.mandatory = 1, 2, True
            designate(rng, order, techs)
            out.append(order)
    for n in range(1, bad.linked_tests + 1):
        region = rng.randrange(len(centres))
        exchange = draw_order(
            rng, f"LNK-{n:03d}-X", LINE_TEST[0], region, centres[region], 1.0, 2.0
        )
        customer = draw_order(rng, f"LNK-{n:03d}-C", LINE_TEST[1], region, centres[region])
        created = rng.randint(-12 * 60, 8 * 60)
        for order in (exchange, customer):
            order.priority, order.windows, order.created_at = 2, [(9 * 60, 16 * 60)], created
        customer.minutes, customer.linked = exchange.minutes, exchange.id
        designate(rng, exchange, techs)
        designate(rng, customer, techs, exclude=tuple(exchange.crew))
        out += [exchange, customer]
    for c, length in enumerate(chain_lengths, start=1):
        region = rng.randrange(len(centres))
        site = scatter(rng, centres[region], 4.0, 9.0)
        power, splice, patch, test = CHAIN_STEPS
        steps = [power, *[splice] * (length - 3), patch, test]
        created = -rng.randint(3, 14) * 1440 + 10 * 60
        before: OrderDraft | None = None
        for k, job in enumerate(steps, start=1):
            order = draw_order(rng, f"CHN-{c:02d}-{k}", job, region, site, 0.5, 1.0)
            order.windows, order.created_at = [(8 * 60, 18 * 60)], created
            order.after = [before.id] if before else []
            designate(rng, order, techs)
            out.append(order)
            before = order
    crews = {t.id for o in out if o.mandatory for t in o.crew}
    free = [t for t in techs if not t.on_call and t.id not in crews]
    for n, tech in enumerate(rng.sample(free, min(bad.pinned, len(free))), start=1):
        order = draw_order(rng, f"PIN-{n:03d}", JOBS["installation"][0][0], tech.region, tech.home)
        # 1.5-3 hours into the shift, over in time for the break to follow it.
        latest = lunch_start(tech) + 120 - 30 - order.minutes
        start = tech.shift[0] + 15 * rng.randint(6, 12)
        start = min(start, max(tech.shift[0] + 90, latest - latest % 15))
        order.priority, order.windows = 2, [(start - 60, start + 60)]
        order.created_at = -rng.randint(2, 10) * 1440 + 10 * 60
        order.pinned = (tech.id, start)
        assign(order, [tech])
        out.append(order)
    return out


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
