"""The indexed market: eligible pairs, GP preference lists, priority ranks, fixed pairs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .capacity import Capacity
from .eligibility import DATE_CODES, FORBIDDEN, NOT_ELIGIBLE, Eligibility
from .flow import PairArrays
from .model import Problem
from .pairs import eligible_pairs
from .priority import PriorityRules

PIN = "pin"
PLACED = "placed"
MATCH = "match"


@dataclass
class Market:
    """Everything the solvers and the explanations share, built once per solve.

    GPs and periods of the *open* market (not fixed by a pin or placement) get small integer
    indexes; `prefs[g]` lists g's eligible periods best first and `rank[p][g]` is g's place in
    p's priority order among all eligible candidates (0 = highest).
    """

    problem: Problem
    elig: Eligibility
    rules: PriorityRules
    capacity: Capacity
    fixed_gp: dict[str, tuple[str, str]] = field(default_factory=dict)  # gp -> (period, source)
    fixed_period: dict[str, tuple[str, str]] = field(default_factory=dict)
    infeasible: list[str] = field(default_factory=list)
    eligible: dict[str, list[str]] = field(default_factory=dict)  # gp -> periods, best first
    candidates: dict[str, list[str]] = field(default_factory=dict)  # period -> gps, priority order
    forbidden_eligible: dict[str, list[str]] = field(default_factory=dict)  # eligible but forbidden
    gp_ids: list[str] = field(default_factory=list)
    period_ids: list[str] = field(default_factory=list)
    prefs: list[list[int]] = field(default_factory=list)
    rank: list[dict[int, int]] = field(default_factory=list)
    # classes[g][k]: how many periods of prefs[g] g strictly prefers to prefs[g][k] (the spec's
    # preference, with ties; 0 = among the most wanted). Equal values are a tie.
    classes: list[list[int]] = field(default_factory=list)
    arrays: PairArrays | None = None  # the pairs of prefs and rank as arrays, in prefs order
    pair_class: np.ndarray | None = None  # classes as one array, in the order of `arrays`
    build_s: float = 0.0  # how long building this market took (seconds)

    def outranks(self, gp: str, other: str, period: str) -> bool:
        """True if `gp` has higher priority than `other` for `period`."""
        g, o = self.problem.gp_by_id[gp], self.problem.gp_by_id[other]
        p = self.problem.period_by_id[period]
        return self.rules.key(g, p) < self.rules.key(o, p)


def _fix(market: Market) -> None:
    """Take pins and placements out of the market, or record why they cannot all hold."""
    problem = market.problem
    seen_gp: dict[str, str] = {}
    seen_period: dict[str, str] = {}
    for source, pairs in ((PLACED, problem.placed), (PIN, problem.pins)):
        for pair in pairs:
            label = f"{source} ({pair.gp}, {pair.period})"
            if pair.gp in seen_gp:
                market.infeasible.append(f"{label}: GP {pair.gp} is also in {seen_gp[pair.gp]}")
                continue
            if pair.period in seen_period:
                market.infeasible.append(
                    f"{label}: period {pair.period} is also in {seen_period[pair.period]}"
                )
                continue
            g = problem.gp_by_id[pair.gp]
            p = problem.period_by_id[pair.period]
            codes = market.elig.failures(g, p)
            broken = [
                c
                for c in codes
                if c == FORBIDDEN or (source == PIN and c in DATE_CODES + (NOT_ELIGIBLE,))
            ]
            if broken:
                market.infeasible.append(f"{label}: {', '.join(broken)}")
                continue
            seen_gp[pair.gp] = label
            seen_period[pair.period] = label
            market.fixed_gp[pair.gp] = (pair.period, source)
            market.fixed_period[pair.period] = (pair.gp, source)
            market.capacity.add(pair.period)
    for dept, day in market.capacity.overfull():
        market.infeasible.append(
            f"department {dept} is over capacity from {date.fromordinal(day)} "
            "with pins and placements alone"
        )


def build_market(problem: Problem) -> Market:
    """Index the problem: fixed pairs, eligible pairs, preference lists and priority ranks."""
    started = time.perf_counter()
    market = Market(problem, Eligibility(problem), PriorityRules(problem), Capacity(problem))
    _fix(market)
    table = eligible_pairs(problem, market.rules)
    gp_of = [g.id for g in problem.gps]
    period_of = [p.id for p in problem.periods]
    gp_arr = np.array(gp_of, dtype=object)
    period_arr = np.array(period_of, dtype=object)
    g_bounds = np.searchsorted(table.gp, np.arange(len(gp_of) + 1)).tolist()
    names = period_arr[table.period].tolist() if len(table.period) else []
    for gi, gid in enumerate(gp_of):
        market.eligible[gid] = names[g_bounds[gi] : g_bounds[gi + 1]]
    p_bounds = np.searchsorted(
        table.period[table.by_period], np.arange(len(period_of) + 1)
    ).tolist()
    names = gp_arr[table.gp[table.by_period]].tolist() if len(table.gp) else []
    for pi, pid in enumerate(period_of):
        market.candidates[pid] = names[p_bounds[pi] : p_bounds[pi + 1]]
    for f in problem.forbids:
        g, p = problem.gp_by_id[f.gp], problem.period_by_id[f.period]
        if market.elig.failures(g, p) == [FORBIDDEN]:
            market.forbidden_eligible.setdefault(g.id, []).append(p.id)
    for gid, items in market.forbidden_eligible.items():
        g = problem.gp_by_id[gid]
        items.sort(key=lambda pid: market.elig.preference_key(g, problem.period_by_id[pid]))
    # The open market: what pins and placements leave (index arrays: -1 = fixed).
    open_p = np.full(len(period_of), -1, dtype=np.int64)
    for pi, pid in enumerate(period_of):
        if pid not in market.fixed_period:
            open_p[pi] = len(market.period_ids)
            market.period_ids.append(pid)
    open_g = np.full(len(gp_of), -1, dtype=np.int64)
    for gi, gid in enumerate(gp_of):
        if gid not in market.fixed_gp:
            open_g[gi] = len(market.gp_ids)
            market.gp_ids.append(gid)
    op, og = open_p[table.period], open_g[table.gp]
    live = (op >= 0) & (og >= 0)
    # Preference lists: the table is sorted by GP, then preference.
    sel_g, sel_p = og[live], op[live]
    starts = np.searchsorted(sel_g, np.arange(len(market.gp_ids) + 1))
    bounds = starts.tolist()
    flat = sel_p.tolist()
    market.prefs = [flat[bounds[g] : bounds[g + 1]] for g in range(len(market.gp_ids))]
    place = np.arange(len(sel_g), dtype=np.int64) - starts[sel_g]
    # Ties: a pair's class is the place of the first period of its tie in the GP's list.
    tie = table.tie[live]
    head = np.ones(len(sel_g), dtype=bool)
    head[1:] = (sel_g[1:] != sel_g[:-1]) | (tie[1:] != tie[:-1])
    first = np.maximum.accumulate(np.where(head, np.arange(len(sel_g), dtype=np.int64), 0))
    market.pair_class = first - starts[sel_g]
    flat_class = market.pair_class.tolist()
    market.classes = [flat_class[bounds[g] : bounds[g + 1]] for g in range(len(market.gp_ids))]
    market.arrays = PairArrays.of(
        sel_g, sel_p, place, table.prio[live], len(market.gp_ids), len(market.period_ids)
    )
    # Priority ranks: by_period is sorted by period, then priority.
    order = table.by_period[live[table.by_period]]
    per, who, prio = op[order], og[order].tolist(), table.prio[order].tolist()
    bounds = np.searchsorted(per, np.arange(len(market.period_ids) + 1)).tolist()
    market.rank = [
        dict(zip(who[bounds[p] : bounds[p + 1]], prio[bounds[p] : bounds[p + 1]], strict=True))
        for p in range(len(market.period_ids))
    ]
    market.build_s = time.perf_counter() - started
    return market
