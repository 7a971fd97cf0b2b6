"""strict_priority with the engine's tie-break taken as the GPs' order: the fallback for
markets whose ties are too many for the exact model (matching/solver.py, EXACT_PAIRS).

Every result that is priority-respecting for the engine's total order (specialty, trust,
start, then end, department, id) is priority-respecting for the spec's weak order too: a
pair that blocks under ties blocks under any tie-break. So this path gives a valid result,
the best one for the total order (M0 band, core, narrowing, CP-SAT for small parts, the MIP
for the count of large ones, deferred acceptance for the rest: docs/matching.md), but its
count is only proven among results of that order, not under ties: the caller reports it
`feasible` with a bound that holds under ties, unless that bound is met.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..components import components, members
from ..cpsat import Part, PartSolution, Settings, Tally
from ..deferred import Outcome, deferred_acceptance
from ..exact import build, solve_part
from ..market import Market
from ..narrow import narrow
from ..packing import pack
from .closures import improve
from .strict_mip import LOCAL_SEARCH_SHARE, MIP_BUILD_S_PER_PAIR, most_placements_strict

Budget = Callable[[], Settings]  # what is left of the time limit, for the next part


def total_order(
    market: Market,
    m0: Outcome,
    budget: Budget,
    core_of: Callable[[Outcome, set[str]], Outcome],
    over_of: Callable[[Outcome], set[str]],
) -> tuple[list[int], bool, int, int, int]:
    """(period per GP, optimal for the total order, slack, parts solved, refusals), from M0:
    deferred acceptance with the engine's order and no capacity."""
    over = over_of(m0)
    if not over:
        return m0.gp_period, True, 0, 0, 0
    core = core_of(m0, over)
    band = _band(market, m0)
    labels, n_gp = components(market, band)
    wanted = {
        labels[n_gp + p]
        for p, pid in enumerate(market.period_ids)
        if market.problem.period_by_id[pid].department in over
    }
    tally = Tally(list(core.gp_period))
    gp_period = tally.gp_period
    groups = members(labels, n_gp, wanted)
    capacity_bound = {p for p, pid in enumerate(market.period_ids) if pid in market.capacity.span}
    for label in sorted(groups):
        gps, periods = groups[label]
        if _placed(core, gps) >= _bound(market, m0, band, gps):
            continue  # the packing bound proves this part
        part = Part(
            gps,
            periods,
            band,
            market.prefs,
            market.rank,
            market.period_ids,
            market.capacity,
            {p for p in periods if m0.period_gp[p] >= 0},
            weak=market.classes,
        )
        narrowed = narrow(part, capacity_bound)
        for g, p in narrowed.fixed.items():
            gp_period[g] = p
        for sub in narrowed.parts:
            bound = _bound(market, m0, sub.lists, sub.gps)
            if _placed(core, sub.gps) >= bound:
                continue
            sub = replace(sub, most=bound)
            sol = _solve(market, sub, core, capacity_bound, budget)
            tally.add(sub, sol, bound)
    return tally.result(len(core.capacity_refusals))


def _bound(market: Market, m0: Outcome, band: list[list[int]], gps: list[int]) -> int:
    """Placements no result of the total order can exceed in a part: its GPs placed in M0,
    and the most periods its departments can take at once among those the band reaches."""
    reachable = {p for g in gps for p in band[g]}
    ids = [market.period_ids[p] for p in sorted(reachable)]
    return min(sum(m0.gp_period[g] >= 0 for g in gps), len(pack(market.capacity, ids, str)))


def _band(market: Market, m0: Outcome) -> list[list[int]]:
    """Each GP's periods from its M0 period down, where it is at least as high as the M0
    holder: the only pairs a result of the total order can hold (docs/matching.md).
    Computed on the market's pair arrays (one pass over a million pairs at 20k x 8k)."""
    a = market.arrays
    assert a is not None  # built with the market
    at_m0 = a.p == np.asarray(m0.gp_period, dtype=np.int64)[a.g]
    # The M0 holder's rank at each period (everyone is ahead at an empty one), and the place
    # of each GP's M0 period in its list (past the end for a GP M0 leaves unplaced).
    held = np.full(a.n_periods, np.iinfo(np.int64).max, dtype=np.int64)
    held[a.p[at_m0]] = a.prio[at_m0]
    first = np.full(a.n_gp, np.iinfo(np.int64).max, dtype=np.int64)
    first[a.g[at_m0]] = a.k[at_m0]
    keep = (a.k >= first[a.g]) & (a.prio <= held[a.p])
    bounds = np.searchsorted(a.g[keep], np.arange(a.n_gp + 1)).tolist()
    flat = a.p[keep].tolist()
    return [flat[bounds[g] : bounds[g + 1]] for g in range(a.n_gp)]


def _placed(out: Outcome, gps: list[int]) -> int:
    return sum(out.gp_period[g] >= 0 for g in gps)


CPSAT_PAIRS = 300  # parts up to this size go to CP-SAT, larger ones to the MIP


def _solve(
    market: Market,
    part: Part,
    core: Outcome,
    capacity_bound: set[int],
    budget: Budget,
) -> PartSolution:
    """The most placements of one narrowed part: every key of the objective by CP-SAT for
    small parts (matching/exact.py, without ties); for large ones the count by the MIP
    (started from the core improved by a local search over which periods stay closed,
    matching/large/closures.py), then deferred acceptance with the periods it leaves empty closed.
    That start stands if the MIP finds nothing better in time."""
    hint = {g: core.gp_period[g] for g in part.gps if core.gp_period[g] >= 0}
    fallback = PartSolution(hint, False, part.most or len(part.gps))
    left = budget()
    pairs = sum(len(part.lists[g]) for g in part.gps)
    if pairs <= CPSAT_PAIRS:
        return solve_part(part, hint, left)
    if pairs * MIP_BUILD_S_PER_PAIR > 0.5 * left.time_limit_s:
        return fallback
    model = build(part)
    # A core the repair left owing a GP a move within its department (matching/giveback.py)
    # is no start: the MIP then starts from nothing.
    valid = model.satisfies(hint)
    if valid:
        better = improve(part, hint, time.perf_counter() + LOCAL_SEARCH_SHARE * left.time_limit_s)
        if better is not hint and model.satisfies(better):
            hint = better
        fallback = PartSolution(hint, False, fallback.placements_bound)
    sol = most_placements_strict(part, budget(), hint if valid else None, model=model)
    if sol is None:
        return fallback
    if valid and len(sol.assignment) <= len(hint):  # the start is as good; proven if bound says
        return PartSolution(hint, sol.placements_bound <= len(hint), sol.placements_bound)
    # The GP-optimal stable matching with the same periods closed: it fills the same periods
    # (rural hospitals theorem), so the same count and exemptions, and no GP does worse.
    shut = {p for p in part.periods if p in capacity_bound} - set(sol.assignment.values())
    prefs: list[list[int]] = [[] for _ in market.prefs]
    for g in part.gps:
        prefs[g] = part.lists[g]
    out = deferred_acceptance(prefs, market.rank, market.period_ids, None, part.gps, shut)
    best = {g: out.gp_period[g] for g in part.gps if out.gp_period[g] >= 0}
    if len(best) != len(sol.assignment) or not model.satisfies(best):
        # A GP better off there may be owed a move within its department, which the MIP's
        # own assignment rules out: keep that one.
        best = sol.assignment
    return PartSolution(best, sol.optimal, sol.placements_bound)
