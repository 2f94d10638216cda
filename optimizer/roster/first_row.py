"""One person's first row of shifts without a solver search over run lengths: the days worked
by dynamic programming over the run automaton, then the shift types of those days by CP-SAT.

Every labour rule binds one person, so a first roster is a row per person. CP-SAT alone finds
such a row slowly when the minutes leave little slack over a long horizon (Instance22: a year
with 232-234 worked days out of at most ~235, over 20 s for some people). The days worked are
a path through the automaton of run lengths (`constraints.run_automaton`) with the days off
and the weekends not worked as forced days off, and the number of days worked as the second
coordinate of the state: an exact dynamic programme over (day, run state, days worked).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optimizer.roster.constraints import run_automaton
from optimizer.roster.instance import OFF, RosterInstance

NEG = -1e18
"""The value of an unreachable state."""


def day_gains(sub: RosterInstance) -> np.ndarray:
    """gain[d, s]: what working shift s on day d is worth to person 0 of a one-person
    sub-instance: the under weight where its cover row is still short, less the over weight
    where it is not, plus the weight of an on-request met, less that of an off-request."""
    gain = np.zeros((sub.num_days, sub.num_shifts))
    for c in sub.cover:
        if c.staff:
            gain[c.day, c.shift] += c.weight_under if c.required > 0 else -c.weight_over
    for r in sub.requests:
        gain[r.day, r.shift] += r.weight if r.on else -r.weight
    return gain


def weekend_choices(sub: RosterInstance, gain: np.ndarray) -> list[set[int] | None]:
    """The sets of weekends person 0 is let work, in the order tried: the `max_weekends` most
    valuable ones (ties spread over the horizon), then every `k`-th one, then None: any
    `max_weekends` of them, counted exactly (a slower programme)."""
    rule, num = sub.rules[0], sub.num_weekends
    if rule.max_weekends >= num:
        return [set(range(num))]
    best = gain.max(axis=1)
    value = [max(best[7 * w + 5], best[7 * w + 6]) for w in range(num)]
    spread = sorted(range(num), key=lambda w: (w * rule.max_weekends) % num)
    order = {w: k for k, w in enumerate(spread)}
    ranked = sorted(range(num), key=lambda w: (-value[w], order[w]))
    even = (
        {round(k * num / rule.max_weekends) for k in range(rule.max_weekends)}
        if rule.max_weekends
        else set()
    )
    return [set(ranked[: rule.max_weekends]), even, None]


def worked_days(sub: RosterInstance, gain: np.ndarray) -> list[bool] | None:
    """The most valuable days-worked pattern of person 0 that keeps the run-length rules, the
    days off, the weekend cap and a number of days worked that the minutes allow; None when
    there is none."""
    options = worked_days_options(sub, gain, 1)
    return options[0] if options else None


def worked_days_options(sub: RosterInstance, gain: np.ndarray, limit: int) -> list[list[bool]]:
    """Up to `limit` days-worked patterns of person 0, each the most valuable one with its
    number of days worked, the best first, the others spread over the counts the minutes
    allow (empty when there is none). A pattern with fewer days leaves room for the longer
    shift types: the programme counts days, not minutes, so its best pattern alone would take
    as many short shifts as it can, leaving the long ones short for everyone."""
    rule, h = sub.rules[0], sub.num_days
    usable = [s for s in range(sub.num_shifts) if rule.max_shifts[s] > 0]
    if not usable:
        return [[False] * h] if rule.min_minutes == 0 else []
    # the k longest (shortest) shifts the caps allow bound the minutes of k days worked
    each = np.repeat(
        [sub.minutes[s] for s in usable], [min(h, rule.max_shifts[s]) for s in usable]
    )
    longest_first = np.concatenate(([0], np.cumsum(np.sort(each)[::-1])))
    shortest_first = np.concatenate(([0], np.cumsum(np.sort(each))))
    reach = np.flatnonzero(longest_first >= rule.min_minutes)
    if not len(reach):
        return []
    fewest = int(reach[0])
    most = min(h, int(np.flatnonzero(shortest_first <= rule.max_minutes)[-1]))
    if fewest > most:
        return []
    value = np.where(np.asarray(sub.allowed[0]), gain, NEG).max(axis=1)
    for weekends in weekend_choices(sub, gain):
        off = set(rule.days_off)
        if weekends is not None:
            off |= {
                7 * w + k for w in range(sub.num_weekends) if w not in weekends for k in (5, 6)
            }
        paths = best_paths(sub, value, off, fewest, most, weekends is None, limit)
        if paths:
            return [row for _, row in paths.values()]
    return []


def best_paths(
    sub: RosterInstance,
    value: np.ndarray,
    off: set[int],
    fewest: int,
    most: int,
    count_weekends: bool,
    limit: int,
) -> dict[int, tuple[float, list[bool]]]:
    """The dynamic programme over (day, run state, weekends worked, days worked), weekends
    counted only when asked (else the axis has one entry): the most valuable pattern for up
    to `limit` numbers of days worked from `fewest` to `most`, the best count first, then
    others spread over the range; count -> (its value, the pattern), empty when none."""
    rule, h = sub.rules[0], sub.num_days
    states, first, moves = run_automaton(
        rule.min_consecutive_shifts,
        min(rule.max_consecutive_shifts, h),
        rule.min_consecutive_days_off,
    )
    working = [kind in "WX" for kind, _ in states]
    n, k_max = len(states), (rule.max_weekends if count_weekends else 0)

    def step(d: int, a: int, b: int) -> int:
        """Weekends added by moving from state a (day d-1) to b (day d)."""
        if not count_weekends or not working[b] or d % 7 < 5:
            return 0
        return 1 if d % 7 == 5 or not working[a] else 0

    best = np.full((n, k_max + 1, h + 1), NEG)
    for s in first:
        if not working[s]:
            best[s, 0, 0] = 0.0
        elif 0 not in off:
            best[s, 0, 1] = value[0]
    back = np.zeros((h, n, k_max + 1, h + 1), dtype=np.int16)
    for d in range(1, h):
        nxt = np.full_like(best, NEG)
        for a, b in moves:
            if working[b] and d in off:
                continue
            cand = np.full((k_max + 1, h + 1), NEG)
            wk, worked = step(d, a, b), int(working[b])
            cand[wk:, worked:] = best[a, : k_max + 1 - wk, : h + 1 - worked]
            if worked:
                cand += value[d]
            better = cand > nxt[b]
            nxt[b][better] = cand[better]
            back[d, b][better] = a
        best = nxt
    top = best.max(axis=(0, 1))
    counts = [c for c in range(fewest, most + 1) if top[c] > NEG / 2]
    if not counts:
        return {}
    first_count = max(counts, key=lambda c: (top[c], -c))
    rest = [c for c in counts if c != first_count]
    if len(rest) > limit - 1:
        stride = len(rest) / max(1, limit - 1)
        rest = [rest[int(k * stride)] for k in range(limit - 1)]
    paths: dict[int, tuple[float, list[bool]]] = {}
    for count in [first_count, *rest]:
        column = best[:, :, count]
        state, wk = (int(i) for i in np.unravel_index(int(column.argmax()), column.shape))
        row, left = [False] * h, count
        for d in range(h - 1, 0, -1):
            row[d] = working[state]
            prev = int(back[d, state, wk, left])
            wk -= step(d, prev, state)
            left -= int(working[state])
            state = prev
        row[0] = working[state]
        paths[count] = (float(column.max()), row)
    return paths


def with_days_worked(sub: RosterInstance, row: list[bool]) -> RosterInstance:
    """The one-person sub-instance with its days worked fixed to `row` (shift types free)."""
    allowed = [
        list(types) if works else [False] * sub.num_shifts
        for types, works in zip(sub.allowed[0], row, strict=True)
    ]
    must = frozenset(d for d, works in enumerate(row) if works)
    return replace(sub, allowed=[allowed], must_work=[must])


def capped_types(
    sub: RosterInstance, days: list[bool], gain: np.ndarray, rounds: int = 24
) -> list[int]:
    """`best_types` with a price on each type worked more often than its cap (doubled while
    it still is) and a price per minute that moves the total into the person's window
    (doubled while on one side, halved when it crosses): a Lagrangian repair, `rounds` at
    most; the last row may still break a cap or the minutes."""
    rule = sub.rules[0]
    caps, minutes = np.asarray(rule.max_shifts), np.asarray(sub.minutes, dtype=float)
    price, step = np.zeros(sub.num_shifts), np.ones(sub.num_shifts)
    per_minute, minute_step, side = 0.0, 1 / 480, 0
    for _ in range(rounds):
        row = best_types(sub, days, gain - price - per_minute * minutes)
        counts = np.bincount([s for s in row if s != OFF], minlength=sub.num_shifts)
        over = counts > caps
        total = int(counts @ minutes)
        now = 1 if total > rule.max_minutes else -1 if total < rule.min_minutes else 0
        if not over.any() and now == 0:
            break
        price[over] += step[over]
        step[over] *= 2
        if now:
            minute_step = minute_step * 2 if now == side else minute_step / 2
            per_minute += now * minute_step
            side = now
    return row


def best_types(sub: RosterInstance, days: list[bool], gain: np.ndarray) -> list[int]:
    """The most valuable shift type of each day worked that keeps the rotation rule (a
    Viterbi pass over the days); the caps per type and the minutes are left to the caller.
    Assumes each run of days worked has such a sequence (else a day may get an illegal
    type, which the caller's check rejects)."""
    h, num = sub.num_days, sub.num_shifts
    allowed = np.asarray(sub.allowed[0])
    forbidden = np.asarray(sub.forbidden_next)
    own_all = np.where(allowed, gain, NEG)
    score = own_all[0] if days[0] else np.zeros(num)
    back = np.zeros((h, num), dtype=np.int64)
    top = np.zeros(h, dtype=np.int64)  # the best type of day d as the last of its run
    top[0] = int(score.argmax())
    for d in range(1, h):
        if not days[d]:
            score = np.full(num, score.max())
            continue
        own = own_all[d]
        if days[d - 1]:
            moves = np.where(forbidden, NEG, score[:, None])  # [previous, next]
            back[d] = moves.argmax(axis=0)
            score = moves.max(axis=0) + own
        else:
            score = np.full(num, score.max()) + own
        top[d] = int(score.argmax())
    row = [OFF] * h
    s = 0
    for d in range(h - 1, -1, -1):
        if not days[d]:
            continue
        if d == h - 1 or not days[d + 1]:
            s = int(top[d])
        row[d] = s
        s = int(back[d, s])
    return row


def row_costs(sub: RosterInstance, rows: list[list[int]]) -> list[int]:
    """The objective of the one-person sub-instance with person 0 on each of `rows`, as
    `evaluate_assignment` counts it (the rules aside), vectorised over the cover rows."""
    counted = [c for c in sub.cover if c.staff]
    fixed = sum(
        c.weight_under * max(0, c.required) + c.weight_over * max(0, -c.required)
        for c in sub.cover
        if not c.staff
    )
    day = np.fromiter((c.day for c in counted), dtype=np.int64, count=len(counted))
    shift = np.fromiter((c.shift for c in counted), dtype=np.int64, count=len(counted))
    required = np.fromiter((c.required for c in counted), dtype=np.int64, count=len(counted))
    under = np.fromiter((c.weight_under for c in counted), dtype=np.int64, count=len(counted))
    over = np.fromiter((c.weight_over for c in counted), dtype=np.int64, count=len(counted))
    out = []
    for row in rows:
        short = required - (np.asarray(row, dtype=np.int64)[day] == shift)
        cover = int(under @ np.maximum(short, 0) + over @ np.maximum(-short, 0))
        asked = sum(r.weight for r in sub.requests if (row[r.day] == r.shift) != r.on)
        out.append(fixed + cover + asked)
    return out
