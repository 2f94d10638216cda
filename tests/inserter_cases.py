"""Benchmark days the insertion tests share: a constructed solution with orders taken out
again, for the inserter's pricing, removal and route segments."""

from __future__ import annotations

import random

from benchmarks.suites import load_case
from optimizer.construct import construct
from optimizer.cp.build import eligible_shifts
from optimizer.inserter import Inserter
from optimizer.instance import compile_problem

CASES = [
    ("trsp", "R101.100_25-5-5-5"),  # tight windows, skills, depot stops for parts and tools
    ("trsp", "RC205.100_25-5-5-5"),  # wide windows
    ("solomon", "R211"),  # distance only, long routes
]


def ruined(suite: str, name: str, seed: int = 1):
    """A constructed solution with 30 orders taken out again."""
    inst = compile_problem(load_case(suite, name, None).problem)
    eligible = eligible_shifts(inst)
    sol = construct(inst, eligible)
    ins = Inserter(inst, sol, eligible)
    for o in random.Random(seed).sample(sorted(sol.provider), 30):
        ins.remove(o)
    return inst, eligible, sol, ins
