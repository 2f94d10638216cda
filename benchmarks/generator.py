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
import random
import sys
from pathlib import Path
from typing import Any

from benchmarks.bad_day import (
    AUTO,
    BAD_DAY_FLAGS,
    BadDay,
    add_bad_day_arguments,
    bad_day_from_arguments,
    bad_day_orders,
    change_shifts,
)
from benchmarks.catalog import HORIZON
from benchmarks.day_json import depot_json, dump_day, instant, order_json, technician_json
from benchmarks.drafts import (
    add_dependencies,
    add_preferences,
    depot_location,
    designate,
    draw_orders,
    draw_technician,
    region_centres,
    stock_vans,
)

__all__ = [
    "AUTO",
    "BAD_DAY_FLAGS",
    "BadDay",
    "add_bad_day_arguments",
    "bad_day_from_arguments",
    "dump_day",
    "generate_day",
    "main",
]


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
    centres = region_centres(rng, center, regions)
    depots = [depot_location(rng, c) for c in centres]
    techs = [draw_technician(rng, i, centres, depots) for i in range(num_technicians)]
    change_shifts(extra, techs, bad)
    orders = draw_orders(rng, num_orders - num_extra, centres, techs)
    add_dependencies(rng, orders)
    for order in orders:
        designate(rng, order, techs)
    if bad:
        orders += bad_day_orders(extra, bad, chain_lengths, centres, techs)
    horizon = HORIZON
    if bad.on_call:
        horizon = (0, HORIZON[1])
        for order in orders:  # no one serves an emergency before it is reported
            urgent = order.job.kind == "emergency" or order.priority == 1
            if urgent and not order.windows and order.created_at is not None:
                order.windows = [(order.created_at, HORIZON[1])]
    add_preferences(rng, orders)
    stock_vans(rng, orders, techs, vans_cover_orders)

    def at(minute: int) -> str:
        return instant(date, utc_offset, minute)

    return {
        "id": f"{city}-{date}-s{seed}",
        "horizon": {"start": at(horizon[0]), "end": at(horizon[1])},
        "technicians": [technician_json(t, at) for t in techs],
        "orders": [order_json(o, at) for o in orders],
        "depots": [depot_json(d, i, orders, techs, at) for i, d in enumerate(depots)],
        "travel": {"model": "haversine", "speed_kmh": 30.0, "detour_factor": 1.35},
        "options": {"time_limit": time_limit, "seed": 0, "workers": 2},
    }


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
