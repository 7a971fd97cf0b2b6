"""solve(problem) -> result: deferred acceptance for the stable core, OR-Tools where capacity
binds."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from .capacity import Capacity
from .closures import improve
from .components import components, members
from .cpsat import Part, PartSolution, Settings, solve_strict
from .deferred import Outcome, deferred_acceptance, gp_optimal
from .explain import Explainer
from .flow import PairArrays, grouped_max_flow, min_cost_assign
from .market import MATCH, Market, build_market
from .maxcount import assign, most_placements
from .mip import most_placements_strict
from .model import STRICT, Problem
from .narrow import narrow
from .packing import pack
from .result import Metrics, Result, natural_key

DEFAULT_TIME_LIMIT_S = 60.0
MIP_BUILD_S_PER_PAIR = 25e-6  # building a part's MIP (model proto and hint), measured here
LOCAL_SEARCH_SHARE = 0.2  # of a large part's budget, at most, for the better start
CPSAT_PAIRS = 300  # strict parts up to this size go to CP-SAT (full tie-break), larger to the MIP


def _filled(market: Market, gp_period: list[int]) -> Capacity:
    occupancy = market.capacity.copy()
    for p in gp_period:
        if p >= 0:
            occupancy.add(market.period_ids[p])
    return occupancy


def _strict_core(market: Market, m0: Outcome, over: set[str]) -> Outcome:
    """A priority-respecting result: close the periods that do not fit a largest packing of
    the over-full departments, run deferred acceptance (refusing what does not fit), and
    reopen any closed period that ends up with room and someone who wants it."""
    ids = market.period_ids
    dept = market.problem.period_by_id
    wanted = [p for p in range(len(ids)) if dept[ids[p]].department in over and market.rank[p]]
    # Never give up a period M0 fills for one it leaves empty: pack those first.
    held = [ids[p] for p in wanted if m0.period_gp[p] >= 0]
    empty = [ids[p] for p in wanted if m0.period_gp[p] < 0]
    keep = pack(market.capacity, held, lambda pid: pid, then=empty)
    closed = {p for p in wanted if ids[p] not in keep}
    order = sorted(range(len(market.gp_ids)), key=lambda g: market.rules.tiebreak[market.gp_ids[g]])
    while True:
        out = deferred_acceptance(
            market.prefs, market.rank, ids, market.capacity.copy(), order, closed
        )
        occupancy = _filled(market, out.gp_period)
        reopen = {p for p in closed if occupancy.fits(ids[p]) and _wanted(market, out, p)}
        if not reopen:
            return out
        closed -= reopen


def _wanted(market: Market, out: Outcome, p: int) -> bool:
    """Someone eligible for p is unplaced or prefers p to their period."""
    for g in market.rank[p]:
        q = out.gp_period[g]
        if q < 0:
            return True
        mine = market.prefs[g]
        if mine.index(p) < mine.index(q):
            return True
    return False


def _strict_bound(market: Market, m0: Outcome, band: list[list[int]], gps: list[int]) -> int:
    """Placements no priority-respecting result can exceed in a part: its GPs placed in M0,
    and the most periods its departments can take at once among those the band reaches."""
    reachable = {p for g in gps for p in band[g]}
    ids = [market.period_ids[p] for p in sorted(reachable)]
    return min(sum(m0.gp_period[g] >= 0 for g in gps), len(pack(market.capacity, ids, str)))


def _strict(
    market: Market, settings: Settings, started: float
) -> tuple[list[int], bool, int, int, int]:
    """Stable core by deferred acceptance; CP-SAT or the MIP only where capacity breaks it
    and the packing bound does not already prove the count.

    M0, the capacity-blind GP-optimal stable matching, bounds every priority-respecting
    result: no GP does better than in M0 and no period still open does worse (comparative
    statics), so the solvers need only the pairs in that band (docs/matching.md).
    """
    arrays = market.arrays
    assert arrays is not None  # built with the market
    m0 = gp_optimal(arrays)
    over = {dept for dept, _ in _filled(market, m0.gp_period).overfull()}
    if not over:
        return m0.gp_period, True, 0, 0, 0
    core = _strict_core(market, m0, over)
    band = _band(market, m0)
    labels, n_gp = components(market, band)
    wanted = {
        labels[n_gp + p]
        for p, pid in enumerate(market.period_ids)
        if market.problem.period_by_id[pid].department in over
    }
    gp_period = list(core.gp_period)
    optimal, slack, solved = True, 0, 0
    groups = members(labels, n_gp, wanted)
    capacity_bound = {p for p, pid in enumerate(market.period_ids) if pid in market.capacity.span}
    for label in sorted(groups):
        gps, periods = groups[label]
        if _placed(core, gps) >= _strict_bound(market, m0, band, gps):
            continue  # the packing bound proves this part
        narrowed = narrow(_band_part(market, m0, band, gps, periods), capacity_bound)
        for g, p in narrowed.fixed.items():
            gp_period[g] = p
        for sub in narrowed.parts:
            bound = _strict_bound(market, m0, sub.lists, sub.gps)
            have = _placed(core, sub.gps)
            if have >= bound:
                continue
            sol = _solve_part(
                market, replace(sub, most=bound), core, capacity_bound, settings, started
            )
            solved += 1
            for g in sub.gps:
                gp_period[g] = sol.assignment.get(g, -1)
            optimal = optimal and sol.optimal
            slack += min(sol.placements_bound, bound) - len(sol.assignment)
    return gp_period, optimal, slack, solved, len(core.capacity_refusals)


def _band(market: Market, m0: Outcome) -> list[list[int]]:
    """Each GP's periods from its M0 period down, where it is at least as high as the M0
    holder: the only pairs a priority-respecting result can hold (docs/matching.md).
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


def _band_part(
    market: Market, m0: Outcome, band: list[list[int]], gps: list[int], periods: list[int]
) -> Part:
    """The band over these GPs and periods as a part; the periods M0 fills must end filled or
    capacity-blocked."""
    return Part(
        gps,
        periods,
        band,
        market.prefs,
        market.rank,
        market.period_ids,
        market.capacity,
        {p for p in periods if m0.period_gp[p] >= 0},
    )


def _placed(out: Outcome, gps: list[int]) -> int:
    return sum(out.gp_period[g] >= 0 for g in gps)


def _solve_part(
    market: Market,
    part: Part,
    core: Outcome,
    capacity_bound: set[int],
    settings: Settings,
    started: float,
) -> PartSolution:
    """The most placements of one narrowed part: CP-SAT with the full lexicographic objective
    for small parts, the MIP for the count of large ones (started from the core improved by a
    local search over which periods stay closed, matching/closures.py), then deferred
    acceptance with the periods it leaves empty closed. That start stands if the MIP finds
    nothing better in time."""
    hint = {g: core.gp_period[g] for g in part.gps if core.gp_period[g] >= 0}
    fallback = PartSolution(hint, False, part.most or len(part.gps))
    budget = _remaining(settings, started, market)
    pairs = sum(len(part.lists[g]) for g in part.gps)
    if pairs <= CPSAT_PAIRS:
        return solve_strict(part, hint, budget)
    if pairs * MIP_BUILD_S_PER_PAIR > 0.5 * budget.time_limit_s:
        return fallback
    hint = improve(part, hint, time.perf_counter() + LOCAL_SEARCH_SHARE * budget.time_limit_s)
    fallback = PartSolution(hint, False, fallback.placements_bound)
    budget = _remaining(settings, started, market)
    sol = most_placements_strict(part, budget, hint)
    if sol is None:
        return fallback
    if len(sol.assignment) <= len(hint):  # the start is as good; proven if the bound says so
        return PartSolution(hint, sol.placements_bound <= len(hint), sol.placements_bound)
    # The GP-optimal stable matching with the same periods closed: it fills the same periods
    # (rural hospitals theorem), so the same count and exemptions, and no GP does worse.
    shut = {p for p in part.periods if p in capacity_bound} - set(sol.assignment.values())
    prefs: list[list[int]] = [[] for _ in market.prefs]
    for g in part.gps:
        prefs[g] = part.lists[g]
    out = deferred_acceptance(prefs, market.rank, market.period_ids, None, part.gps, shut)
    best = {g: out.gp_period[g] for g in part.gps if out.gp_period[g] >= 0}
    if len(best) != len(sol.assignment):  # pragma: no cover - the theorem says otherwise
        best = sol.assignment
    return PartSolution(best, sol.optimal, sol.placements_bound)


def _remaining(settings: Settings, started: float, market: Market) -> Settings:
    """What is left of the time limit for CP-SAT or the MIP, keeping time to write the
    explanations. They take 0.6-0.7 times as long as indexing the market did (measured at
    10k and 20k GPs), so this solve's own indexing time is kept for them: it scales with the
    pairs and with the machine's speed that day."""
    left = settings.time_limit_s - (time.perf_counter() - started) - 0.2 - market.build_s
    return Settings(max(left, 0.5))


def _max(
    market: Market, settings: Settings, started: float
) -> tuple[list[int], bool, int, int, int]:
    """Max flow with min cost; where capacity binds, close the periods outside a largest
    packing of each over-full department and flow again; the reduced count model only if
    the packing bound does not prove the count."""
    ids = market.period_ids
    dept = market.problem.period_by_id
    arrays = market.arrays
    assert arrays is not None  # built with the market
    gp_period = min_cost_assign(arrays)
    packed: set[str] = set()
    while True:
        over = {d for d, _ in _filled(market, gp_period).overfull()}
        if not over:
            break
        packed |= over
        filled = {ids[p] for p in gp_period if p >= 0}
        wanted = [
            p for p in range(len(ids)) if dept[ids[p]].department in packed and market.rank[p]
        ]

        def tiebreak(pid: str, f: set[str] = filled) -> tuple[bool, str]:
            return (pid not in f, pid)

        keep = pack(market.capacity, (ids[p] for p in wanted), tiebreak)
        shut = np.zeros(len(ids), dtype=bool)
        shut[[p for p in wanted if ids[p] not in keep]] = True
        gp_period = min_cost_assign(arrays, ~shut[arrays.p])
    if not packed:
        return gp_period, True, 0, 0, 0
    have = sum(p >= 0 for p in gp_period)
    bound = _max_bound(market, packed)
    if have >= bound:
        return gp_period, True, 0, 0, 0
    return _max_exact(market, arrays, gp_period, started, settings, bound)


def _max_exact(
    market: Market,
    arrays: PairArrays,
    heuristic: list[int],
    started: float,
    settings: Settings,
    bound: int,
) -> tuple[list[int], bool, int, int, int]:
    """The count on the reduced model (matching/maxcount.py, HiGHS), then the min-cost flow
    for the periods it opens; the heuristic stands if HiGHS does not beat it."""
    have = sum(p >= 0 for p in heuristic)
    left = _remaining(settings, started, market)
    # Keep time for the reduction's flow and the final flow (about 3 us a pair each here).
    pairs = sum(len(mine) for mine in market.prefs)
    budget = Settings(max(left.time_limit_s - 6e-6 * pairs, 0.5))
    sol = most_placements(market, arrays, budget, bound, heuristic)
    if sol is None:
        return heuristic, False, max(bound - have, 0), 1, 0
    upper = min(sol.bound, bound)
    gp_period = heuristic
    if sol.placements > have:
        gp_period = assign(market, arrays, sol.open_periods)
    placed = sum(p >= 0 for p in gp_period)
    slack = max(upper - placed, 0)
    return gp_period, slack == 0, slack, 1, 0


def _max_bound(market: Market, packed: set[str]) -> int:
    """Most placements when each packed department may hold, in all, only its largest
    packing: a relaxation of capacity over time, solved as a max flow."""
    ids = market.period_ids
    dept = market.problem.period_by_id
    names = sorted(packed)
    index = {d: k for k, d in enumerate(names)}
    members: dict[str, list[str]] = {d: [] for d in names}
    group = []
    for p, pid in enumerate(ids):
        d = dept[pid].department
        group.append(index.get(d, -1))
        if d in members and market.rank[p]:
            members[d].append(pid)
    caps = [len(pack(market.capacity, members[d], str)) for d in names]
    return grouped_max_flow(market.prefs, group, caps)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a solve creates millions of small objects
    (pairs, reasons) and no cycles, and the collector's passes over the growing heap took
    more than half of the explanation time at 20k x 8k. Restored on the way out. (The switch
    is process-wide: other threads of the process collect no cycles meanwhile either.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def solve(
    problem: Problem,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> Result:
    """Solve `problem` under its policy; the same problem always gives the same result.

    `status` is "optimal", "feasible" (the time limit stopped CP-SAT or HiGHS: the best found,
    with the proven bound)
    or "infeasible" (contradictory pins or placements, named in `infeasible_reasons`).
    """
    with _collector_paused():
        return _solve(problem, time_limit_s)


def _solve(problem: Problem, time_limit_s: float) -> Result:
    started = time.perf_counter()
    market = build_market(problem)
    lottery = tuple(sorted(market.rules.lottery.items(), key=lambda i: natural_key(i[0])))
    n_pairs = sum(len(v) for v in market.eligible.values())
    mode = problem.policy.mode
    if market.infeasible:
        metrics = Metrics(0, round(time.perf_counter() - started, 3), 0, 0, n_pairs)
        return Result(
            "infeasible",
            mode,
            (),
            (),
            (),
            metrics,
            lottery,
            infeasible_reasons=tuple(market.infeasible),
        )
    settings = Settings(time_limit_s)
    strict = mode == STRICT
    gp_period, optimal, slack, parts, refusals = (_strict if strict else _max)(
        market, settings, started
    )
    final = {gp: (period, source) for gp, (period, source) in market.fixed_gp.items()}
    for g, p in enumerate(gp_period):
        if p >= 0:
            final[market.gp_ids[g]] = (market.period_ids[p], MATCH)
    explainer = Explainer(market, final)
    assignments = explainer.assignments()
    unplaced, placed, blocking = explainer.explain(strict)
    metrics = Metrics(
        placed=len(assignments),
        wall_time_s=round(time.perf_counter() - started, 3),
        objective=len(assignments),
        bound=len(assignments) + slack,
        eligible_pairs=n_pairs,
        capacity_parts=parts,
        capacity_refusals=refusals,
    )
    return Result(
        status="optimal" if optimal else "feasible",
        mode=mode,
        assignments=tuple(assignments),
        unplaced_gps=tuple(unplaced),
        unfilled_periods=tuple(explainer.unfilled()),
        metrics=metrics,
        lottery=lottery,
        placed_gp_reasons=tuple(placed),
        blocking_pairs=tuple(blocking),
    )
