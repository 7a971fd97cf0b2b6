"""Independent parts of the open market: GPs and periods linked by eligibility or capacity."""

from __future__ import annotations

from collections import defaultdict

from .market import Market


class DisjointSets:
    """Union-find over the integers 0..n-1; a set is labelled by its smallest member."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def components(market: Market, prefs: list[list[int]] | None = None) -> tuple[list[int], int]:
    """Label every open GP and period with its component (linked by `prefs`, default all pairs).

    Labels are returned for nodes 0..n_gp-1 (GPs) then n_gp.. (periods); two periods of one
    department that can be over capacity are always in the same component.
    """
    n_gp = len(market.gp_ids)
    sets = DisjointSets(n_gp + len(market.period_ids))
    union = sets.union
    for g, mine in enumerate(market.prefs if prefs is None else prefs):
        for p in mine:
            union(g, n_gp + p)
    by_dept: dict[int, int] = {}
    span = market.capacity.span
    for p, pid in enumerate(market.period_ids):
        if pid in span:
            d = span[pid][0]
            if d in by_dept:
                union(by_dept[d], n_gp + p)
            else:
                by_dept[d] = n_gp + p
    return [sets.find(x) for x in range(len(sets.parent))], n_gp


def members(
    labels: list[int], n_gp: int, wanted: set[int]
) -> dict[int, tuple[list[int], list[int]]]:
    """GP and period indexes of each wanted component label."""
    out: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for x, label in enumerate(labels):
        if label in wanted:
            if x < n_gp:
                out[label][0].append(x)
            else:
                out[label][1].append(x - n_gp)
    return dict(out)
