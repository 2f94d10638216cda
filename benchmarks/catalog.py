"""What the generated days are made of (`benchmarks.generator`): trades and their vans, order
templates (jobs) and how often each is drawn, shift times, and the bad day's extra jobs."""

from __future__ import annotations

from dataclasses import dataclass

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
