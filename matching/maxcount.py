"""max_placements with binding capacity: the most placements, exactly, on a reduced model.

Let C be the periods of departments whose capacity can bind, and M1 a maximum matching of the
market without C. Every feasible result places at most |M1| + (the most vertex-disjoint
M1-alternating paths from a GP M1 leaves free to distinct periods of C that fit the
departments together), and M1 with such paths applied is feasible (paths keep every period M1
fills filled and add only periods of C). The GPs on such paths are exactly the GPs reachable
from a free GP along alternating paths that can go on to a GP with a period of C in its list
("relevant"); all other GPs keep their M1 period. So the count is

    |M1 restricted to irrelevant GPs| + (the most placements of the relevant GPs on C and on
    the periods M1 gives relevant GPs, under capacity)

and only that second part goes to a MIP (HiGHS, through OR-Tools' MathOpt). GPs with the same
list of periods there are interchangeable for the count, so they become one class (a sum <=
class size) instead of one at-most-one per GP. The model is a bipartite matching with interval
capacity rows; its LP relaxation was integral on every generated instance measured, so HiGHS
usually proves the count at the root LP (presolve off: it cost more than the LP here), and
branches where it is not. The MIP picks the periods of C to fill; the final assignment is then
the maximum flow with minimum cost (GP preference, then priority) with the other periods of C
closed, so it places at least as many and the tie-break is exact for that choice.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np

from .cpsat import Settings
from .flow import PairArrays, max_flow_min_cost, min_cost_assign
from .market import Market
from .mip import INF, Rows

# Building the model and solving its LP, per pair: 2.6 s for the 234k pairs at 10k x 4k on
# this machine (11 us a pair), with a margin for slower days.
PAIR_COST_S = 15e-6


@dataclass(frozen=True)
class CountSolution:
    open_periods: set[int]  # periods of C that the count solution fills
    placements: int  # placements of that solution (whole market)
    bound: int  # proven upper bound on placements (whole market)
    optimal: bool
    model_pairs: int


def _relevant(market: Market, arrays: PairArrays, in_c: list[bool]) -> tuple[list[int], set[int]]:
    """M1 (period per GP, -1 free, maximum matching without C, GPs without C in their list
    preferred) and the relevant GPs."""
    n_p = len(market.period_ids)
    has_c = [any(in_c[p] for p in mine) for mine in market.prefs]
    outside = [[p for p in mine if not in_c[p]] for mine in market.prefs]
    c_mask = np.asarray(in_c, dtype=bool)
    m1 = min_cost_assign(arrays, ~c_mask[arrays.p], np.asarray(has_c, dtype=np.int64))
    owner = [-1] * n_p
    for g, p in enumerate(m1):
        if p >= 0:
            owner[p] = g
    free = [g for g, p in enumerate(m1) if p < 0 and market.prefs[g]]
    reached = set(free)
    queue = deque(free)
    while queue:
        g = queue.popleft()
        for p in outside[g]:
            h = owner[p]
            if h >= 0 and h not in reached:
                reached.add(h)
                queue.append(h)
    before: dict[int, list[int]] = defaultdict(list)  # h -> GPs that can take M1(h)
    for g in reached:
        for p in outside[g]:
            h = owner[p]
            if h >= 0:
                before[h].append(g)
    relevant = {g for g in reached if has_c[g]}
    queue = deque(sorted(relevant))
    while queue:
        h = queue.popleft()
        for g in before.get(h, ()):
            if g not in relevant:
                relevant.add(g)
                queue.append(g)
    return m1, relevant


def most_placements(
    market: Market,
    arrays: PairArrays,
    settings: Settings,
    most: int | None = None,
    hint: list[int] | None = None,
) -> CountSolution | None:
    """The most placements under capacity (None if the model is too large for the budget or
    HiGHS found nothing in it)."""
    started = time.perf_counter()
    ids = market.period_ids
    span = market.capacity.span
    in_c = [pid in span for pid in ids]
    m1, relevant = _relevant(market, arrays, in_c)
    owner = {p: g for g, p in enumerate(m1) if p >= 0}
    base = sum(1 for g, p in enumerate(m1) if p >= 0 and g not in relevant)
    classes: dict[tuple[int, ...], int] = defaultdict(int)
    lists: dict[int, tuple[int, ...]] = {}
    for g in sorted(relevant):
        mine = tuple(p for p in market.prefs[g] if in_c[p] or owner.get(p, -1) in relevant)
        if mine:
            classes[mine] += 1
            lists[g] = mine
    pairs = sum(len(mine) for mine in classes)
    if pairs * PAIR_COST_S > 0.7 * settings.time_limit_s:
        return None  # not even the LP would be solved in the budget
    hinted = _hint(market, lists, in_c, hint) if hint is not None else None
    mip = Rows()
    by_period: dict[int, list[int]] = defaultdict(list)
    start: list[float] = []
    for mine, size in sorted(classes.items()):
        cols = []
        for p in mine:
            k = mip.var()
            by_period[p].append(k)
            cols.append(k)
            start.append(float(hinted is not None and hinted.get(p) == mine))
        if size < len(cols):
            mip.row(-INF, size, cols)
    for p in sorted(by_period):
        if len(by_period[p]) > 1:
            mip.row(-INF, 1, by_period[p])
    cap = market.capacity
    cover: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in by_period:
        if in_c[p]:
            d, lo, hi = span[ids[p]]
            for s in range(lo, hi):
                cover[(d, s)].append(p)
    written: set[tuple[tuple[int, ...], int]] = set()
    for (d, s), ps in sorted(cover.items()):
        room = cap.cap[d] - cap.counts[d][s]
        key = (tuple(ps), room)
        if len(ps) > room and key not in written:  # segments with the same periods: one row
            written.add(key)
            mip.row(-INF, room, [k for p in ps for k in by_period[p]])
    # `most` (a proven bound) only caps the reported bound; it is not a row (with CP-SAT, the
    # count's solver before HiGHS, it slowed the proof from 0.4 to 3.7 s at 2k x 800, and
    # HiGHS's LP proves the count without it). HiGHS's presolve is off: on this model it took
    # 8.8 of the 10.5 s at 10k x 4k, and the LP alone solves it there.
    count = mip.solve_count(
        "max_placements count",
        list(range(len(mip.lower))),
        settings.time_limit_s - (time.perf_counter() - started),
        start if hinted is not None else None,
        presolve=False,
    )
    if count is None:
        return None
    chosen = {p for p in by_period if in_c[p] and sum(count.values[k] for k in by_period[p]) > 0.5}
    found = base + sum(v > 0.5 for v in count.values)
    bound = base + count.bound if count.bound is not None else len(market.gp_ids)
    if most is not None:
        bound = min(bound, most)
    return CountSolution(chosen, found, max(bound, found), count.optimal, pairs)


def _hint(
    market: Market, lists: dict[int, tuple[int, ...]], in_c: list[bool], heuristic: list[int]
) -> dict[int, tuple[int, ...]]:
    """A complete hint from a feasible result: the most placements of the relevant GPs with
    only the periods of C that the result fills open (at least as many as the result places
    there, by the argument above); period -> the list (class) of the GP that takes it."""
    open_c = {p for p in heuristic if p >= 0 and in_c[p]}
    gps = sorted(lists)
    local = {p: k for k, p in enumerate(sorted({p for mine in lists.values() for p in mine}))}
    prefs = [[local[p] for p in lists[g] if not in_c[p] or p in open_c] for g in gps]
    rank: list[dict[int, int]] = [{} for _ in local]
    for k, mine in enumerate(prefs):
        for p in mine:
            rank[p][k] = 0
    got = max_flow_min_cost(prefs, rank, len(local), gp_cost=[0] * len(gps))
    back = {k: p for p, k in local.items()}
    return {back[p]: lists[gps[k]] for k, p in enumerate(got) if p >= 0}


def assign(market: Market, arrays: PairArrays, open_periods: set[int]) -> list[int]:
    """Maximum flow with minimum cost with the periods of C outside `open_periods` closed."""
    span = market.capacity.span
    shut = np.zeros(len(market.period_ids), dtype=bool)
    for p, pid in enumerate(market.period_ids):
        shut[p] = pid in span and p not in open_periods
    return min_cost_assign(arrays, ~shut[arrays.p])
