"""solve(problem) -> result: deferred acceptance for the stable core, OR-Tools where capacity
binds."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .capacity import Capacity
from .components import components, members
from .cpsat import Part, PartSolution, Settings, Tally
from .deferred import Outcome, deferred_acceptance
from .exact import solve_part
from .explain import Explainer
from .flow import PairArrays, grouped_max_flow, min_cost_assign
from .giveback import owed_moves
from .large import more_placements, solve_large_part, total_order
from .market import MATCH, Market, build_market
from .maxcount import assign, most_placements
from .model import STRICT, Problem
from .narrow import narrow
from .objective import twin_groups
from .packing import pack
from .result import Metrics, Result, natural_key
from .split import has_split
from .split_solve import solve_split
from .ties import Possible, possible_pairs

DEFAULT_TIME_LIMIT_S = 60.0
# Strict parts up to this size go to CP-SAT for every key of the objective, larger ones
# without ties to the MIP for their count (measured: CP-SAT 0.07 s, HiGHS 0.12 s at 743 pairs).
CPSAT_PAIRS = 1000
# Markets with more possible pairs than this (matching/ties.py) are solved for the engine's
# total order (matching/large/engine_order.py). Measured (2026-12-06, after identical periods
# refuse as one in rule 1): the exact model under ties proves 2k x 800 with 60 % any-trust GPs
# (9,000-9,300 possible pairs) in 4 s of CPU, but not 10k x 4k without capacity (18,525
# possible pairs in 49 parts) within a 20 s limit: it needed about 30 s of CPU to prove the
# count (3,861 against the fallback's 3,827), and with 20 s it kept the fallback's 3,827 with
# a worse bound, after 18 s instead of 1 s. 20k x 8k has 173,000.
EXACT_PAIRS = 15_000
# Parts with ties go to CP-SAT for their count up to this size too: it proved the 12,000-pair
# part of 2k x 800 (60 % any-trust GPs, 30 % twins) in 1-2 s, HiGHS in 5 s.
CPSAT_TIE_PAIRS = EXACT_PAIRS
MOVE_ROUNDS = 50  # rounds of the core's repair for GPs owed a move within their department


def _filled(market: Market, gp_period: list[int]) -> Capacity:
    occupancy = market.capacity.copy()
    for p in gp_period:
        if p >= 0:
            occupancy.add(market.period_ids[p])
    return occupancy


def _strict_core(market: Market, m0: Outcome, over: set[str]) -> Outcome:
    """A priority-respecting result for the engine's tie-break: close the periods that do
    not fit a largest packing of the over-full departments, run deferred acceptance
    (refusing what does not fit), and reopen any closed period that ends up with room and
    someone who wants it. Where a GP would then rather move to an earlier period of its own
    department that fits once its own place is given back (matching/giveback.py), open that
    period and close the GP's, one move per department a round, and run again: a bounded
    repair; the exact models decide where it falls short (their start is then empty)."""
    ids = market.period_ids
    dept = market.problem.period_by_id
    wanted = [p for p in range(len(ids)) if dept[ids[p]].department in over and market.rank[p]]
    # Never give up a period M0 fills for one it leaves empty: pack those first.
    held = [ids[p] for p in wanted if m0.period_gp[p] >= 0]
    empty = [ids[p] for p in wanted if m0.period_gp[p] < 0]
    keep = pack(market.capacity, held, lambda pid: pid, then=empty)
    closed = {p for p in wanted if ids[p] not in keep}
    order = sorted(range(len(market.gp_ids)), key=lambda g: market.rules.tiebreak[market.gp_ids[g]])
    seen: set[frozenset[int]] = set()
    while True:
        out = deferred_acceptance(
            market.prefs, market.rank, ids, market.capacity.copy(), order, closed
        )
        occupancy = _filled(market, out.gp_period)
        reopen = {p for p in closed if occupancy.fits(ids[p]) and _wanted(market, out, p)}
        if reopen:
            closed -= reopen
            continue
        moves = owed_moves(market, out.gp_period)
        if not moves or frozenset(closed) in seen or len(seen) >= MOVE_ROUNDS:
            return out
        seen.add(frozenset(closed))
        first: dict[int, tuple[int, int]] = {}
        for _, p, q in moves:
            first.setdefault(market.capacity.span[ids[q]][0], (p, q))
        opened = {p for p, _ in first.values()}
        closed = (closed - opened) | ({q for _, q in first.values()} - opened)


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


def _strict_bound(market: Market, part: Part) -> int:
    """Placements no priority-respecting result can exceed in a part: its GPs, and the most
    periods its departments can take at once among those its lists reach."""
    reachable = {p for g in part.gps for p in part.lists[g]}
    ids = [market.period_ids[p] for p in sorted(reachable)]
    return min(len(part.gps), len(pack(market.capacity, ids, str)))


def _strict(
    market: Market, settings: Settings, started: float
) -> tuple[list[int], bool, int, int, int]:
    """Deferred acceptance with the engine's tie-break (M0) where it is the best result;
    the exact models (matching/exact.py) where ties or capacity make it not.

    M0 is the answer where capacity does not bind and no GP can get a period before its M0
    period in any result: every GP then has the least place any result gives it, and M0 wins
    on the objective's third key (matching/objective.py). Elsewhere the parts linked by the
    possible pairs (matching/ties.py) and by departments are narrowed and solved exactly,
    unless they hold more than EXACT_PAIRS pairs in all (matching/large/engine_order.py).
    """
    possible = possible_pairs(market)
    m0 = possible.m0
    over = _over(market, m0)
    if not over and not possible.moved.any():
        return m0.gp_period, True, 0, 0, 0
    lists = possible.lists(market)
    if int(possible.keep.sum()) > EXACT_PAIRS:
        return _total_order(market, settings, started, m0, lists)
    labels, n_gp = components(market, lists)
    wanted = {
        labels[n_gp + p]
        for p, pid in enumerate(market.period_ids)
        if market.problem.period_by_id[pid].department in over
    } | {labels[g] for g in np.nonzero(possible.moved)[0].tolist()}
    groups = members(labels, n_gp, wanted)
    core = _strict_core(market, m0, over) if over else m0
    # Outside the wanted parts M0 is the best result. A GP without a possible pair is placed
    # in no result (M0 can place one only where it overfills a department: a wanted part).
    tally = Tally([p if lists[g] else -1 for g, p in enumerate(m0.gp_period)])
    gp_period = tally.gp_period
    capacity_bound = {p for p, pid in enumerate(market.period_ids) if pid in market.capacity.span}
    whole = _possible_part(market, possible, lists)
    for label in sorted(groups):
        gps, periods = groups[label]
        for g in gps:
            gp_period[g] = core.gp_period[g]
        part = replace(
            whole,
            gps=[g for g in gps if lists[g]],
            periods=periods,
            keep={p for p in periods if p in whole.keep},
            placed=frozenset(g for g in gps if g in whole.placed),
        )
        narrowed = narrow(part, capacity_bound)
        for g, p in narrowed.fixed.items():
            gp_period[g] = p
        for sub in narrowed.parts:
            bound = _strict_bound(market, sub)
            sol = _solve_part(market, replace(sub, most=bound), core, settings, started)
            tally.add(sub, sol, bound)
    return tally.result(len(core.capacity_refusals))


def _possible_part(market: Market, possible: Possible, lists: list[list[int]]) -> Part:
    """The whole open market as one part over its possible pairs (the solver cuts it into
    its components): the periods that end filled or exempt in every result, the GPs placed
    in every result, ties and twins."""
    gps = [g for g, mine in enumerate(lists) if mine]
    return Part(
        gps,
        sorted({p for g in gps for p in lists[g]}),
        lists,
        market.prefs,
        market.rank,
        market.period_ids,
        market.capacity,
        possible.filled(market),
        classes=market.classes,
        placed=frozenset(g for g in gps if possible.placed[g]),
        twin=twin_groups(market),
    )


def _over(market: Market, out: Outcome) -> set[str]:
    """The departments an outcome overfills."""
    return {dept for dept, _ in _filled(market, out.gp_period).overfull()}


def _total_order(
    market: Market, settings: Settings, started: float, m0: Outcome, lists: list[list[int]]
) -> tuple[list[int], bool, int, int, int]:
    """The best result for the engine's total order (matching/large/engine_order.py), then
    more GPs placed by vacancy chains through the GPs' ties (matching/large/tie_chains.py),
    with a bound that holds under ties: the most placements over the possible pairs when each
    department takes at most its largest packing (a max flow). Optimal only if it meets that
    bound."""
    gp_period, _, _, parts, refusals = total_order(
        market,
        m0,
        lambda: _remaining(settings, started, market),
        lambda m0, over: _strict_core(market, m0, over),
        lambda out: _over(market, out),
    )
    gp_period = more_placements(market, gp_period)  # through the GPs' ties
    placed = sum(p >= 0 for p in gp_period)
    bound = max(_max_bound(market, set(market.capacity.dept_ids), lists), placed)
    return gp_period, bound == placed, bound - placed, parts, refusals


def _has_ties(part: Part) -> bool:
    """Some GP of the part can end at either of two periods it is indifferent between."""
    for g in part.gps:
        where = {p: k for k, p in enumerate(part.prefs[g])}
        ties = [part.tie(g, where[p]) for p in part.lists[g]]
        if len(set(ties)) < len(ties):
            return True
    return False


def _solve_part(
    market: Market,
    part: Part,
    core: Outcome,
    settings: Settings,
    started: float,
) -> PartSolution:
    """The best result of one narrowed part (matching/exact.py): CP-SAT for every stage of
    small parts and of parts with ties; for large ones without ties the count by the MIP
    (started from the core, improved by a local search over which periods stay closed,
    matching/large/closures.py), the rest by CP-SAT. The core stands if nothing better is found
    in time."""
    hint = {g: core.gp_period[g] for g in part.gps if core.gp_period[g] >= 0}
    budget = _remaining(settings, started, market)
    pairs = sum(len(part.lists[g]) for g in part.gps)
    if pairs <= CPSAT_PAIRS or (pairs <= CPSAT_TIE_PAIRS and _has_ties(part)):
        return solve_part(part, hint, budget)
    return solve_large_part(part, hint, budget)


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


def _move_up(market: Market, gp_period: list[int]) -> None:
    """max_placements: move every GP that can go to an earlier period of its own department,
    unfilled and with room once its own place is given back (matching/giveback.py). The
    count stays, the GP gains, and no GP is told "department full" of a period it could take.
    One move per department a round (a move changes its room); each moves a GP up its list,
    so it ends."""
    ids = market.period_ids
    while moves := owed_moves(market, gp_period):
        done: set[int] = set()
        for g, p, q in moves:
            d = market.capacity.span[ids[q]][0]
            if d not in done:
                done.add(d)
                gp_period[g] = p


def _max_bound(market: Market, packed: set[str], lists: list[list[int]] | None = None) -> int:
    """Most placements over `lists` (default: every eligible pair) when each packed
    department may hold, in all, only its largest packing: a relaxation of capacity over
    time, solved as a max flow."""
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
    return grouped_max_flow(market.prefs if lists is None else lists, group, caps)


def solve(
    problem: Problem,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> Result:
    """Solve `problem` under its policy; the same problem always gives the same result.

    `status` is "optimal", "feasible" (the time limit stopped CP-SAT or HiGHS: the best found,
    with the proven bound)
    or "infeasible" (contradictory pins or placements, named in `infeasible_reasons`).

    The garbage collector is left as the caller has it: pausing it is a process's decision
    (`python -m matching solve` does, matching/cli.py), not a library's.
    """
    if has_split(problem):  # a GP who may take two blocks (3 + 3): its own model
        return solve_split(problem, time_limit_s)
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
    if not strict:
        _move_up(market, gp_period)
    if strict and optimal and owed_moves(market, gp_period):  # pragma: no cover - see below
        # Only where a time limit stopped a part whose core the repair could not settle
        # (_strict_core): the explanations then name the pair `unexplained`.
        optimal = False
    final = {gp: (period, source) for gp, (period, source) in market.fixed_gp.items()}
    for g, p in enumerate(gp_period):
        if p >= 0:
            final[market.gp_ids[g]] = (market.period_ids[p], MATCH)
    explainer = Explainer(market, final)
    assignments = explainer.assignments()
    unplaced, placed, blocking, passed = explainer.explain(strict)
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
        passed_over=tuple(passed),
    )
