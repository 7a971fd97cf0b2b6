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

and only that second part goes to CP-SAT. GPs with the same list of periods there are
interchangeable for the count, so they become one class (a sum <= class size) instead of one
at-most-one per GP. CP-SAT picks the periods of C to fill; the final assignment is then the
maximum flow with minimum cost (GP preference, then priority) with the other periods of C
closed, so it places at least as many and the tie-break is exact for that choice.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .cpsat import Settings
from .flow import PairArrays, max_flow_min_cost, min_cost_assign
from .market import Market

PAIR_COST_S = 200e-6  # model building, presolve and LP per pair, measured on this machine


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
    CP-SAT found nothing in it)."""
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
        return None  # presolve alone would not finish in the budget (10k x 4k: 234k pairs)
    hinted = _hint(market, lists, in_c, hint) if hint is not None else None
    model = cp_model.CpModel()
    by_period: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for mine, size in sorted(classes.items()):
        lits = []
        for p in mine:
            lit = model.new_bool_var("")
            if hinted is not None:
                model.add_hint(lit, hinted.get(p) == mine)
            by_period[p].append(lit)
            lits.append(lit)
        if size < len(lits):
            model.add(cp_model.LinearExpr.sum(lits) <= size)
    filled: dict[int, cp_model.LinearExprT] = {}
    for p in sorted(by_period):
        lits = by_period[p]
        if len(lits) > 1:
            model.add_at_most_one(lits)
        filled[p] = lits[0] if len(lits) == 1 else cp_model.LinearExpr.sum(lits)
    cap = market.capacity
    cover: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in filled:
        if in_c[p]:
            d, lo, hi = span[ids[p]]
            for s in range(lo, hi):
                cover[(d, s)].append(p)
    for (d, s), ps in sorted(cover.items()):
        room = cap.cap[d] - cap.counts[d][s]
        if len(ps) > room:
            model.add(cp_model.LinearExpr.sum([filled[p] for p in ps]) <= room)
    count = cp_model.LinearExpr.sum(list(filled.values()))
    # `most` (a proven bound) is deliberately not added as a constraint: measured, it slows
    # the proof down (0.4 s -> 3.7 s at 2k x 800); it only caps the reported bound.
    model.maximize(count)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.1, settings.time_limit_s)
    params.max_deterministic_time = max(0.05, settings.time_limit_s / 6)
    params.num_workers = settings.num_workers
    params.interleave_search = settings.num_workers > 1
    params.linearization_level = 2
    params.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = {p for p, expr in filled.items() if in_c[p] and solver.value(expr) > 0}
    found = base + int(round(solver.objective_value))
    bound = base + int(solver.best_objective_bound + 1e-6)
    if most is not None:
        bound = min(bound, most)
    return CountSolution(chosen, found, max(bound, found), status == cp_model.OPTIMAL, pairs)


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
