"""solve(problem) -> result: deferred acceptance for the stable core, OR-Tools where capacity binds."""

from __future__ import annotations

import time

from .components import components, members
from .cpsat import Part, PartSolution, Settings, solve_max, solve_strict
from .deferred import deferred_acceptance
from .explain import Explainer
from .flow import max_flow_min_cost
from .market import MATCH, Market, build_market
from .model import STRICT, Problem
from .result import Metrics, Result, natural_key

DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_WORKERS = 1


def _parts(
    market: Market, base: list[int], wanted_nodes: list[int], started: float, settings: Settings,
    strict: bool,
) -> tuple[list[int], bool, int, int]:
    """Re-solve with CP-SAT the components holding `wanted_nodes`; returns the new assignment,
    whether all parts are proven optimal, the placements bound they lose versus `base`, and
    how many parts were solved."""
    labels, n_gp = components(market)
    wanted = {labels[x] for x in wanted_nodes}
    gp_period = list(base)
    optimal, slack = True, 0
    groups = members(labels, n_gp, wanted)
    for label in sorted(groups):
        gps, periods = groups[label]
        part = Part(gps, periods, market.prefs, market.rank, market.period_ids, market.capacity)
        hint = {g: gp_period[g] for g in gps if gp_period[g] >= 0}
        if not strict:
            hint = _repair(market, hint)
        left = settings.time_limit_s - (time.perf_counter() - started)
        local = Settings(max(left, 0.5), settings.num_workers)
        sol: PartSolution = (solve_strict if strict else solve_max)(part, hint, local)
        for g in gps:
            gp_period[g] = sol.assignment.get(g, -1)
        optimal = optimal and sol.optimal
        slack += sol.placements_bound - len(sol.assignment)
    return gp_period, optimal, slack, len(groups)


def _repair(market: Market, hint: dict[int, int]) -> dict[int, int]:
    """Drop placements from a capacity-blind solution until the departments fit (a CP-SAT hint)."""
    occupancy = market.capacity.copy()
    kept = {}
    for g, p in sorted(hint.items(), key=lambda gp: market.rank[gp[1]][gp[0]]):
        pid = market.period_ids[p]
        if occupancy.fits(pid):
            occupancy.add(pid)
            kept[g] = p
    return kept


def _strict(market: Market, settings: Settings, started: float) -> tuple[list[int], bool, int, int, int]:
    order = sorted(range(len(market.gp_ids)), key=lambda g: market.rules.tiebreak[market.gp_ids[g]])
    out = deferred_acceptance(
        market.prefs, market.rank, market.period_ids, market.capacity.copy(), order
    )
    if not out.capacity_refusals:
        return out.gp_period, True, 0, 0, 0
    nodes = [g for g, _ in out.capacity_refusals]
    gp_period, optimal, slack, parts = _parts(market, out.gp_period, nodes, started, settings, True)
    return gp_period, optimal, slack, parts, len(out.capacity_refusals)


def _max(market: Market, settings: Settings, started: float) -> tuple[list[int], bool, int, int, int]:
    gp_period = max_flow_min_cost(market.prefs, market.rank, len(market.period_ids))
    occupancy = market.capacity.copy()
    for p in gp_period:
        if p >= 0:
            occupancy.add(market.period_ids[p])
    over = {dept for dept, _ in occupancy.overfull()}
    if not over:
        return gp_period, True, 0, 0, 0
    n_gp = len(market.gp_ids)
    nodes = [
        n_gp + p for p, pid in enumerate(market.period_ids)
        if market.problem.period_by_id[pid].department in over
    ]
    relaxed = sum(p >= 0 for p in gp_period)
    gp_period2, optimal, slack, parts = _parts(market, gp_period, nodes, started, settings, False)
    # The capacity-blind optimum bounds every part, whatever CP-SAT proved.
    slack = min(slack, relaxed - sum(p >= 0 for p in gp_period2))
    return gp_period2, optimal, slack, parts, 0


def solve(
    problem: Problem,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    num_workers: int = DEFAULT_WORKERS,
) -> Result:
    """Solve `problem` under its policy; the same problem always gives the same result.

    `status` is "optimal", "feasible" (the time limit stopped CP-SAT: best found, with the bound)
    or "infeasible" (contradictory pins or placements, named in `infeasible_reasons`).
    """
    started = time.perf_counter()
    market = build_market(problem)
    lottery = tuple(sorted(market.rules.lottery.items(), key=lambda i: natural_key(i[0])))
    n_pairs = sum(len(v) for v in market.eligible.values())
    mode = problem.policy.mode
    if market.infeasible:
        metrics = Metrics(0, round(time.perf_counter() - started, 3), 0, 0, n_pairs)
        return Result("infeasible", mode, (), (), (), metrics, lottery,
                      infeasible_reasons=tuple(market.infeasible))
    settings = Settings(time_limit_s, num_workers)
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
