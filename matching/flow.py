"""Maximum placements without department capacity: max flow with minimum cost (OR-Tools graph)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow


@dataclass(frozen=True)
class PairArrays:
    """Every pair (g, p) of a market as arrays: its place k in g's list and p's priority rank."""

    g: np.ndarray
    p: np.ndarray
    k: np.ndarray
    prio: np.ndarray
    n_gp: int
    n_periods: int
    span: int  # cost step per place in a GP's list: more than any sum of priority ranks

    @classmethod
    def of(
        cls,
        g: np.ndarray,
        p: np.ndarray,
        k: np.ndarray,
        prio: np.ndarray,
        n_gp: int,
        n_periods: int,
    ) -> PairArrays:
        """The arrays with their cost step: a matching has at most min(n_gp, n_periods)
        pairs, each of priority rank at most prio.max()."""
        top = int(prio.max()) + 1 if len(prio) else 1
        return cls(g, p, k, prio, n_gp, n_periods, min(n_gp, n_periods) * top + 1)


def pair_arrays(prefs: list[list[int]], rank: list[dict[int, int]], n_periods: int) -> PairArrays:
    n_gp = len(prefs)
    lens = np.fromiter((len(mine) for mine in prefs), dtype=np.int64, count=n_gp)
    g = np.repeat(np.arange(n_gp, dtype=np.int64), lens)
    p = np.fromiter((q for mine in prefs for q in mine), dtype=np.int64, count=int(lens.sum()))
    k = np.arange(len(p), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    prio = np.fromiter(
        (rank[q][x] for x, mine in enumerate(prefs) for q in mine), dtype=np.int64, count=len(p)
    )
    return PairArrays.of(g, p, k, prio, n_gp, n_periods)


def min_cost_assign(
    arrays: PairArrays, keep: np.ndarray | None = None, gp_cost: np.ndarray | None = None
) -> list[int]:
    """The most placements over the pairs where `keep` is true; among those the least total
    (GP rank, then priority rank): cost k * span + priority rank. With `gp_cost`, every pair of
    GP g costs gp_cost[g] instead. Returns the period index per GP (-1 unplaced)."""
    a = arrays
    g, p = (a.g, a.p) if keep is None else (a.g[keep], a.p[keep])
    if gp_cost is not None:
        cost = gp_cost[g]
    elif keep is None:
        cost = a.k * a.span + a.prio
    else:
        cost = a.k[keep] * a.span + a.prio[keep]
    n_gp, n_p = a.n_gp, a.n_periods
    source, sink = n_gp + n_p, n_gp + n_p + 1
    gps = np.unique(g)
    periods = np.unique(p)
    tails = np.concatenate([np.full(len(gps), source), g, n_gp + periods])
    heads = np.concatenate([gps, n_gp + p, np.full(len(periods), sink)])
    n_arcs = len(tails)
    costs = np.concatenate([np.zeros(len(gps), np.int64), cost, np.zeros(len(periods), np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64), heads.astype(np.int64), np.ones(n_arcs, np.int64), costs
    )
    flow.set_node_supply(source, n_gp)
    flow.set_node_supply(sink, -n_gp)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    used = flow.flows(np.arange(len(gps), len(gps) + len(g), dtype=np.int64)) > 0
    out = np.full(n_gp, -1, dtype=np.int64)
    out[g[used]] = p[used]
    return out.tolist()


def max_flow_min_cost(
    prefs: list[list[int]],
    rank: list[dict[int, int]],
    n_periods: int,
    gp_cost: list[int] | None = None,
) -> list[int]:
    """The most placements; among those the least total (GP rank, then priority rank).

    Returns the period index per GP (-1 unplaced). The cost of a pair is
    rank_in_gp_list * span + priority_rank, with span larger than any sum of priority ranks, so
    preference strictly dominates priority. With `gp_cost`, every pair of GP g costs
    gp_cost[g] instead (any maximum matching, the cheapest GPs first).
    """
    arrays = pair_arrays(prefs, rank, n_periods)
    costs = None if gp_cost is None else np.asarray(gp_cost, dtype=np.int64)
    return min_cost_assign(arrays, None, costs)


def grouped_max_flow(prefs: list[list[int]], group: list[int], group_cap: list[int]) -> int:
    """Most placements when the periods of group k may take at most group_cap[k] GPs in all
    (group -1: no such limit). A relaxation of department capacity over time."""
    from ortools.graph.python import max_flow

    n_gp, n_p, n_k = len(prefs), len(group), len(group_cap)
    source, sink = n_gp + n_p + n_k, n_gp + n_p + n_k + 1
    tails, heads, caps = [], [], []
    for g, mine in enumerate(prefs):
        if mine:
            tails.append(source)
            heads.append(g)
            caps.append(1)
        for p in mine:
            tails.append(g)
            heads.append(n_gp + p)
            caps.append(1)
    for p, k in enumerate(group):
        tails.append(n_gp + p)
        heads.append(sink if k < 0 else n_gp + n_p + k)
        caps.append(1)
    for k, cap in enumerate(group_cap):
        tails.append(n_gp + n_p + k)
        heads.append(sink)
        caps.append(cap)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.asarray(tails, dtype=np.int32),
        np.asarray(heads, dtype=np.int32),
        np.asarray(caps, dtype=np.int64),
    )
    flow.solve(source, sink)
    return int(flow.optimal_flow())
