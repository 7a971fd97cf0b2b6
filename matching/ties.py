"""Which pairs can be in a priority-respecting result when GPs have ties (strict_priority).

The spec's GP preference is not a total order: two periods with the same specialty rank,
trust rank and start are equally good to the GP, and a pair blocks only where the GP strictly
prefers the period. The engine's own tie-break (earlier end, department, id) no longer bounds
the results: a GP indifferent between P1 and P2 may take either, which frees the other for
someone else. This module finds a superset of the pairs any result can hold, by three rules
that each hold for every result (docs/matching.md, "Ties"):

1. **Final refusals** (deferred acceptance with the engine's tie-break, `deferred.py`): a
   period p that refused g for h refuses g in every result if h's own refusals were all
   final and p is the last of its tie for h.
2. **Rivals that cannot move**: (g, p) is in no result if a GP h ahead of g at p has no
   possible period other than p that it likes at least as much as p (giving p to g would
   leave h blocking it; p is filled, so no capacity exemption applies).
3. **Periods that cannot refuse**: if no possible holder of q is ahead of g and q can never
   be left empty with its department full, g holds a period at least as good as q in every
   result: its pairs below q's tie go.

Rules 2 and 3 are iterated to their fixed point. Without ties rule 1 leaves exactly the pairs
at and below each GP's M0 period and rule 2 those at or above each period's M0 holder: the
band of the strict solver. Every stability row of a pair left out is implied by the rows of
the pairs kept (the rival's row in rules 1 and 2, "g is placed at least that well" in rule
3), so the exact models need rows for the kept pairs only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .deferred import Outcome, gp_optimal_refusals
from .market import Market

BIG = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Possible:
    """`keep[pair]` (in the order of `market.arrays`): the pair can be in some result.
    `placed[g]`: g is placed in every result (rule 3). `m0`: deferred acceptance with the
    engine's tie-break and no capacity. `moved[g]`: g has a possible period before its M0
    period (or any, if M0 leaves g unplaced): where no GP has, M0 is the best result for
    every GP at once."""

    m0: Outcome
    keep: np.ndarray
    placed: np.ndarray
    moved: np.ndarray
    stuck: np.ndarray  # per pair: no other possible period of the GP is at least as good

    def filled(self, market: Market) -> set[int]:
        """Periods that end filled or capacity-exempt in every result: those whose M0 holder
        is stuck there (a result leaving one empty and not exempt would be blocked by it)."""
        a = market.arrays
        assert a is not None  # built with the market
        at_m0 = self.stuck & (a.p == np.asarray(self.m0.gp_period, dtype=np.int64)[a.g])
        return set(a.p[at_m0].tolist())

    def lists(self, market: Market) -> list[list[int]]:
        """Each GP's possible periods, best first."""
        a = market.arrays
        assert a is not None  # built with the market
        bounds = np.searchsorted(a.g[self.keep], np.arange(a.n_gp + 1)).tolist()
        flat = a.p[self.keep].tolist()
        return [flat[bounds[g] : bounds[g + 1]] for g in range(a.n_gp)]


def tie_ends(g: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """For pairs sorted by GP and preference: the index of the last pair of each pair's tie."""
    n = len(g)
    last = np.ones(n, dtype=bool)
    last[:-1] = (g[1:] != g[:-1]) | (cls[1:] != cls[:-1])
    ends = np.nonzero(last)[0]
    group = np.concatenate([[0], np.cumsum(last[:-1])]).astype(np.int64) if n else last
    return ends[group] if n else np.zeros(0, dtype=np.int64)


def possible_pairs(market: Market) -> Possible:
    """The pairs that can be in a priority-respecting result (a superset; see the module)."""
    a, cls = market.arrays, market.pair_class
    assert a is not None and cls is not None  # built with the market
    ends = tie_ends(a.g, cls)
    last = ends == np.arange(len(a.g))
    m0, refusals = gp_optimal_refusals(a, last, identical(market))
    keep = ~refusals.final
    closable = np.zeros(a.n_periods, dtype=bool)
    for p, pid in enumerate(market.period_ids):
        closable[p] = pid in market.capacity.span
    first = np.searchsorted(a.g, np.arange(a.n_gp))
    placed = np.zeros(a.n_gp, dtype=bool)
    while True:
        # Rule 2: h is stuck at p if none of its possible periods at least as good is another.
        stuck = _stuck(keep, ends, first[a.g])
        rival = np.full(a.n_periods, BIG, dtype=np.int64)
        np.minimum.at(rival, a.p[stuck], a.prio[stuck])
        kept = keep & (a.prio <= rival[a.p])
        # Rule 3: q cannot refuse g if no possible holder is ahead and q cannot be closed.
        best = np.full(a.n_periods, BIG, dtype=np.int64)
        np.minimum.at(best, a.p[kept], a.prio[kept])
        sure = (best[a.p] >= a.prio) & ~closable[a.p]
        floor = np.full(a.n_gp, BIG, dtype=np.int64)
        np.minimum.at(floor, a.g[sure], cls[sure])
        kept &= cls <= floor[a.g]
        placed = floor < BIG
        if np.array_equal(kept, keep):
            break
        keep = kept
    at = np.asarray(m0.gp_period, dtype=np.int64)
    position = np.full(a.n_gp, BIG, dtype=np.int64)
    held = a.p == at[a.g]
    position[a.g[held]] = a.k[held]
    moved = np.zeros(a.n_gp, dtype=bool)
    moved[a.g[keep & (a.k < position[a.g])]] = True
    return Possible(m0, keep, placed, moved, _stuck(keep, ends, first[a.g]))


def _stuck(keep: np.ndarray, ends: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Per pair: the GP has no possible pair other than this one at least as good (`ends`:
    the last pair of each pair's tie; `first`: the GP's first pair)."""
    counts = np.cumsum(keep)
    before = np.where(first > 0, counts[np.maximum(first - 1, 0)], 0)
    out: np.ndarray = counts[ends] - before - keep == 0
    return out


def identical(market: Market) -> np.ndarray:
    """Per open period, its group of identical periods (-1 if it has none): the same trust,
    specialty, start and end, and the same candidates at the same ranks (so a forbid on one
    of them keeps it apart). Every GP is indifferent between them and they rank GPs alike,
    whatever their departments: for rule 1 they act as one period with room for each
    (matching/deferred.py, `gp_optimal_refusals`)."""
    info = market.problem.period_by_id
    groups: dict[tuple[str, str, object, object], list[int]] = {}
    for p, pid in enumerate(market.period_ids):
        q = info[pid]
        groups.setdefault((q.trust, q.specialty, q.start, q.end), []).append(p)
    out = np.full(len(market.period_ids), -1, dtype=np.int64)
    n = 0
    for members in groups.values():
        while len(members) > 1:
            first, rest = members[0], members[1:]
            alike = [p for p in rest if market.rank[p] == market.rank[first]]
            if alike:
                out[[first, *alike]] = n
                n += 1
            members = [p for p in rest if p not in set(alike)]
    return out
