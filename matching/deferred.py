"""GP-proposing deferred acceptance, optionally refusing periods a department has no room for."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .capacity import Capacity


@dataclass(frozen=True)
class Outcome:
    gp_period: list[int]  # period index per GP, -1 if unplaced
    period_gp: list[int]  # GP index per period, -1 if unfilled
    capacity_refusals: list[tuple[int, int]]  # (gp, period) refused because the department was full


def deferred_acceptance(
    prefs: list[list[int]],
    rank: list[dict[int, int]],
    period_ids: list[str],
    capacity: Capacity | None = None,
    order: list[int] | None = None,
    closed: set[int] | None = None,
) -> Outcome:
    """Run GP-proposing deferred acceptance.

    Without `capacity` this is the GP-optimal stable matching. With it, a proposal to an empty
    period is refused when the department is full on one of its days; since a filled period
    stays filled, such a refusal stays justified to the end (see docs/matching.md). Periods
    in `closed` refuse every proposal (also counted as capacity refusals).
    """
    shut = closed or set()
    n_gp = len(prefs)
    gp_period = [-1] * n_gp
    period_gp = [-1] * len(period_ids)
    nxt = [0] * n_gp
    refusals: list[tuple[int, int]] = []
    free = deque(range(n_gp) if order is None else order)
    while free:
        g = free.popleft()
        mine = prefs[g]
        while nxt[g] < len(mine):
            p = mine[nxt[g]]
            nxt[g] += 1
            h = period_gp[p]
            if h == -1:
                if p in shut:
                    refusals.append((g, p))
                    continue
                if capacity is not None:
                    pid = period_ids[p]
                    if not capacity.fits(pid):
                        refusals.append((g, p))
                        continue
                    capacity.add(pid)
                period_gp[p] = g
                gp_period[g] = p
                break
            ranks = rank[p]
            if ranks[g] < ranks[h]:
                period_gp[p] = g
                gp_period[g] = p
                gp_period[h] = -1
                free.append(h)
                break
    return Outcome(gp_period, period_gp, refusals)
