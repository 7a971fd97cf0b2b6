"""Vectorised enumeration of eligible pairs and of both orders (GP preference, priority).

The same rules as eligibility.py and priority.py, computed on numpy arrays so that a
20,000 x 8,000 problem never materialises its 160M potential pairs: GPs query period indexes
sorted by (trust, specialty, start), and only matching date ranges are expanded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from .dates import months_covered
from .model import GP, Problem
from .priority import PriorityRules, municipality_rank
from .result import natural_key

I64 = np.int64


@dataclass(frozen=True)
class PairTable:
    """Eligible, non-forbidden pairs sorted by (GP, GP preference); `prio` is the rank of the GP
    among the period's eligible candidates (0 = highest priority). `tie` is the pair's place in
    the spec's GP preference (specialty order, trust order, start): two periods with the same
    `tie` for a GP are equally good to it; the engine's order refines that by end, department
    and id."""

    gp: np.ndarray
    period: np.ndarray
    prio: np.ndarray
    by_period: np.ndarray  # pair indexes sorted by (period, priority)
    tie: np.ndarray


def _codes(values: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(sorted(set(values)))}


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For query ranges [lo, hi): (query index, position) of every element in them."""
    lens = np.maximum(hi - lo, 0)
    total = int(lens.sum())
    query = np.repeat(np.arange(len(lo), dtype=I64), lens)
    starts = np.repeat(np.cumsum(lens) - lens, lens)
    pos = np.arange(total, dtype=I64) - starts + np.repeat(lo, lens)
    return query, pos


def eligible_pairs(problem: Problem, rules: PriorityRules) -> PairTable:
    periods, gps = problem.periods, problem.gps
    trust = _codes(
        [p.trust for p in periods]
        + [g.home_trust for g in gps]
        + [t for g in gps for t in g.availability.trusts]
    )
    spec = _codes(
        [p.specialty for p in periods] + [s for g in gps for s in g.availability.specialties]
    )
    n_t, n_s = len(trust), len(spec)
    p_trust = np.array([trust[p.trust] for p in periods], dtype=I64)
    p_spec = np.array([spec[p.specialty] for p in periods], dtype=I64)
    p_start = np.array([p.start.toordinal() for p in periods], dtype=I64)
    p_end = np.array([p.end.toordinal() for p in periods], dtype=I64)
    p_cov = np.array([months_covered(p.start, p.end) for p in periods], dtype=I64)
    p_min = np.array([problem.min_months(p.trust) for p in periods], dtype=I64)
    # The engine's order within a tie: earlier end, then department (so that a period posted
    # twice has its twin next to it in every list), then id (numbers in numeric order).
    date_rank = np.empty(len(periods), dtype=I64)
    by_date = sorted(
        range(len(periods)),
        key=lambda i: (p_start[i], p_end[i], periods[i].department, natural_key(periods[i].id)),
    )
    date_rank[by_date] = np.arange(len(periods))
    start_rank = np.unique(p_start, return_inverse=True)[1].astype(I64).reshape(-1)
    # Four indexes: by (trust, specialty), trust, specialty, and all; each sorted by bucket, start.
    bucket_of = {
        "ts": p_trust * n_s + p_spec,
        "t": p_trust,
        "s": p_spec,
        "a": np.zeros(len(periods), I64),
    }
    span = int(p_start.max(initial=0)) + 2
    index = {}
    for name, bucket in bucket_of.items():
        order = np.lexsort((p_start, bucket))
        index[name] = (order, bucket[order] * span + p_start[order])
    queries: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {
        k: ([], [], [], []) for k in index
    }
    for gi, g in enumerate(gps):
        av = g.availability
        lo, hi = av.earliest_start.toordinal(), av.latest_end.toordinal()
        if av.trusts and not av.accept_other_specialty:
            kind, buckets = (
                "ts",
                [trust[t] * n_s + spec[s] for t in av.trusts for s in av.specialties],
            )
        elif av.trusts:
            kind, buckets = "t", [trust[t] for t in av.trusts]
        elif not av.accept_other_specialty:
            kind, buckets = "s", [spec[s] for s in av.specialties]
        else:
            kind, buckets = "a", [0]
        q = queries[kind]
        for b in buckets:
            q[0].append(gi)
            q[1].append(b * span + lo)
            q[2].append(b * span + hi)
    gp_parts, period_parts = [], []
    for kind, (qg, qlo, qhi, _) in queries.items():
        if not qg:
            continue
        order, keys = index[kind]
        lo_pos = np.searchsorted(keys, np.array(qlo, dtype=I64), side="left")
        hi_pos = np.searchsorted(keys, np.array(qhi, dtype=I64), side="right")
        qi, pos = _expand(lo_pos, hi_pos)
        gp_parts.append(np.array(qg, dtype=I64)[qi])
        period_parts.append(order[pos])
    gp_idx = np.concatenate(gp_parts) if gp_parts else np.zeros(0, I64)
    per_idx = np.concatenate(period_parts) if period_parts else np.zeros(0, I64)
    g_latest = np.array([g.availability.latest_end.toordinal() for g in gps], dtype=I64)
    g_months = np.array([g.availability.months for g in gps], dtype=I64)
    g_gp = np.array([g.months_general_practice for g in gps], dtype=I64)
    keep = (
        (p_end[per_idx] <= g_latest[gp_idx])
        & (p_cov[per_idx] >= g_months[gp_idx])
        & (g_gp[gp_idx] >= p_min[per_idx])
    )
    if problem.forbids:
        g_code = {g.id: i for i, g in enumerate(gps)}
        p_code = {p.id: i for i, p in enumerate(periods)}
        banned = np.array([g_code[f.gp] * len(periods) + p_code[f.period] for f in problem.forbids])
        keep &= ~np.isin(gp_idx * len(periods) + per_idx, banned)
    gp_idx, per_idx = gp_idx[keep], per_idx[keep]
    # GP preference: specialty order, trust order, then dates.
    spec_rank = np.empty((len(gps), n_s), dtype=I64)
    trust_rank = np.zeros((len(gps), n_t), dtype=I64)
    for gi, g in enumerate(gps):
        av = g.availability
        spec_rank[gi, :] = len(av.specialties)
        for k, s in enumerate(av.specialties):
            spec_rank[gi, spec[s]] = k
        if av.trusts:
            trust_rank[gi, :] = len(av.trusts)
            for k, t in enumerate(av.trusts):
                trust_rank[gi, trust[t]] = k
    wish = spec_rank[gp_idx, p_spec[per_idx]] * (n_t + 1) + trust_rank[gp_idx, p_trust[per_idx]]
    pref = wish * (len(periods) + 1) + date_rank[per_idx]
    order = np.lexsort((pref, gp_idx))
    gp_idx, per_idx = gp_idx[order], per_idx[order]
    tie = wish[order] * (len(periods) + 1) + start_rank[per_idx]
    key = _priority_keys(problem, rules, gp_idx, per_idx, p_trust, p_spec, trust, spec)
    by_period = np.lexsort((key, per_idx))
    prio = np.empty(len(gp_idx), dtype=I64)
    sorted_periods = per_idx[by_period]
    first = np.searchsorted(sorted_periods, sorted_periods, side="left")
    prio[by_period] = np.arange(len(by_period), dtype=I64) - first
    return PairTable(gp_idx, per_idx, prio, by_period, tie)


def _priority_keys(
    problem: Problem,
    rules: PriorityRules,
    gp_idx: np.ndarray,
    per_idx: np.ndarray,
    p_trust: np.ndarray,
    p_spec: np.ndarray,
    trust: dict[str, int],
    spec: dict[str, int],
) -> np.ndarray:
    """One int64 per pair ordering candidates as PriorityRules.key does (smaller = higher)."""
    gps = problem.gps
    n = len(gps)
    home = np.array([trust[g.home_trust] for g in gps], dtype=I64)
    first = np.array(
        [spec[g.availability.specialties[0]] if g.availability.specialties else -1 for g in gps],
        dtype=I64,
    )
    flags = {
        "catchment": (home[gp_idx] != p_trust[per_idx]).astype(I64),
        "first_choice": (first[gp_idx] != p_spec[per_idx]).astype(I64),
    }
    tiebreak = np.array([rules.tiebreak[g.id] for g in gps], dtype=I64)
    fns: dict[str, Callable[[GP], float]] = {
        "months_general_practice": lambda g: -g.months_general_practice,
        "courses_completed": lambda g: -g.courses_completed,
        "supervision_group_months": lambda g: -g.supervision_group_months,
        "registered_at": lambda g: g.registered_at.timestamp(),
        "municipality_priority": lambda g: municipality_rank(g.municipality_priority),
        "lottery": lambda g: rules.lottery[g.id],
    }
    key = np.zeros(len(gp_idx), dtype=I64)
    orders = {problem.priority_order(p.trust) for p in problem.periods}
    for order in orders:
        mask = np.array(
            [problem.priority_order(t) == order for t in sorted(trust, key=trust.__getitem__)]
        )
        sel = mask[p_trust[per_idx]]
        # Runs of GP-only keys between the pair flags collapse into one dense GP rank each.
        # ("flag", name) or ("rank", names)
        parts: list[tuple[str, str | tuple[str, ...]]] = []
        run: list[str] = []
        for name in (*order, "_tiebreak"):
            if name in flags:
                if run:
                    parts.append(("rank", tuple(run)))
                    run = []
                parts.append(("flag", name))
            else:
                run.append(name)
        parts.append(("rank", tuple(run)))
        value = np.zeros(int(sel.sum()), dtype=I64)
        for kind, what in parts:
            if kind == "flag":
                value = value * 2 + flags[cast(str, what)][sel]
            else:
                names = cast("tuple[str, ...]", what)
                cols = [
                    tiebreak if k == "_tiebreak" else np.array([fns[k](g) for g in gps])
                    for k in names
                ]
                value = value * n + _dense_rank(cols, n)[gp_idx[sel]]
        key[sel] = value
    return key


def _dense_rank(cols: list[np.ndarray], n: int) -> np.ndarray:
    """Rank of each GP by the columns (first column most significant); equal rows share a rank."""
    order = np.lexsort(cols[::-1])
    step = np.zeros(n, dtype=bool)
    for col in cols:
        c = np.asarray(col)[order]
        step[1:] |= c[1:] != c[:-1]
    dense = np.empty(n, dtype=I64)
    dense[order] = np.cumsum(step)
    return dense
