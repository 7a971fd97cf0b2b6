"""Maximum placements without department capacity: max flow with minimum cost (OR-Tools graph)."""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow


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
    n_gp = len(prefs)
    max_prio = max((len(r) for r in rank), default=1)
    span = min(n_gp, n_periods) * max_prio + 1
    source, sink = n_gp + n_periods, n_gp + n_periods + 1
    tails, heads, caps, costs = [], [], [], []
    for g, mine in enumerate(prefs):
        if mine:
            tails.append(source)
            heads.append(g)
            caps.append(1)
            costs.append(0)
        for k, p in enumerate(mine):
            tails.append(g)
            heads.append(n_gp + p)
            caps.append(1)
            costs.append(k * span + rank[p][g] if gp_cost is None else gp_cost[g])
    for p in range(n_periods):
        tails.append(n_gp + p)
        heads.append(sink)
        caps.append(1)
        costs.append(0)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        *(np.asarray(a, dtype=np.int64) for a in (tails, heads, caps, costs))
    )
    flow.set_node_supply(source, n_gp)
    flow.set_node_supply(sink, -n_gp)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    out = [-1] * n_gp
    for arc in range(flow.num_arcs()):
        tail = flow.tail(arc)
        if tail < n_gp and flow.flow(arc) > 0:
            out[tail] = flow.head(arc) - n_gp
    return out


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
