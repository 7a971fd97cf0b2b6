"""A better start for the MIP of a large strict_priority part: local search over which
capacity periods stay closed.

Every priority-respecting result of a part is the GP-optimal stable matching of the part with
some capacity periods closed, and its count depends only on that set (docs/matching.md). The
core closes the periods outside a largest packing of each over-full department. This search
swaps a closed period B for an open period A of the same department that overlaps it, where
that places one more GP:

- opening B starts a vacancy chain (B takes the best candidate who prefers it, that GP's old
  period the best who prefers it, and so on); it gains a placement when it ends with a GP
  who was unplaced;
- closing A sends A's holder down its list, as deferred acceptance continued; it loses
  nothing when that chain ends in an empty period (periods that have no room on the way are
  closed with A).

The chains only pick the candidates (two chains can meet): each candidate swap is checked by a
full deferred acceptance of the part and the exact test of a priority-respecting result, and
the first swap that places more GPs is taken. The search is bounded by a number of
evaluations, not by the clock, so its result is deterministic; the deadline stops it early
only when the time limit is too short for it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ..capacity import Capacity
from ..cpsat import Part
from ..deferred import Outcome, deferred_acceptance
from ..giveback import moves

MAX_EVALUATIONS = 400


@dataclass(frozen=True)
class _State:
    closed: frozenset[int]
    out: Outcome
    occupancy: Capacity
    count: int


class _Search:
    def __init__(self, part: Part) -> None:
        self.part = part
        self.ids, self.cap = part.period_ids, part.capacity
        self.prefs: list[list[int]] = [[] for _ in part.prefs]
        for g in part.gps:
            self.prefs[g] = part.lists[g]
        self.pos = {g: {p: k for k, p in enumerate(part.lists[g])} for g in part.gps}
        cands: dict[int, list[int]] = defaultdict(list)
        for g in part.gps:
            for p in part.lists[g]:
                cands[p].append(g)
        # Candidates of each period, highest priority first.
        self.cands = {p: sorted(gs, key=part.rank[p].__getitem__) for p, gs in cands.items()}
        self.bound = sorted(p for p in part.periods if self.ids[p] in self.cap.span)
        self.steps = sum(len(part.lists[g]) for g in part.gps) + 1  # bounds any chain
        self.dept_periods: dict[int, list[int]] = defaultdict(list)
        for p in self.bound:
            self.dept_periods[self.cap.span[self.ids[p]][0]].append(p)
        self.moves = list(moves(part))

    def evaluate(self, closed: set[int]) -> _State | None:
        """The GP-optimal stable matching of the part with `closed` closed, if it is a
        priority-respecting result: it fits every department, every closed period that an
        M0 holder or a candidate without a better period wants is in a full department, and
        no GP is owed a move within its department (matching/giveback.py)."""
        part, ids = self.part, self.ids
        out = deferred_acceptance(self.prefs, part.rank, ids, None, part.gps, closed)
        occupancy = self.cap.copy()
        filled = [p for p in self.bound if out.period_gp[p] >= 0]
        for p in filled:
            occupancy.add(ids[p])
        for p in filled:
            d, lo, hi = self.cap.span[ids[p]]
            counts, room = occupancy.counts[d], occupancy.cap[d]
            if any(counts[s] > room for s in range(lo, hi)):
                return None
        for p in closed:
            if self._wanted(p, out) and occupancy.fits(ids[p]):
                return None
        for g, p, q in self.moves:  # a GP owed a move within its department
            if out.gp_period[g] == q and out.period_gp[p] < 0 and occupancy.fits(ids[p], ids[q]):
                return None
        count = sum(out.gp_period[g] >= 0 for g in part.gps)
        # Closed periods with room are wanted by nobody: leaving them open changes nothing.
        kept = frozenset(p for p in closed if not occupancy.fits(ids[p]))
        return _State(kept, out, occupancy, count)

    def _wanted(self, p: int, out: Outcome) -> bool:
        if p in self.part.keep:
            return True  # filled in M0: it must end filled or in a full department
        for g in self.cands.get(p, ()):
            q = out.gp_period[g]
            if q < 0 or self.pos[g][p] < self.pos[g][q]:
                return True
        return False

    def _gains(self, out: Outcome, b: int) -> bool:
        """Whether the vacancy chain that opening b starts ends with an unplaced GP placed."""
        moved: dict[int, int] = {}
        vacant = b
        for _ in range(len(self.part.gps) + 1):
            taker = None
            for g in self.cands.get(vacant, ()):
                q = moved.get(g, out.gp_period[g])
                if q != vacant and (q < 0 or self.pos[g][vacant] < self.pos[g][q]):
                    taker = g
                    break
            if taker is None:
                return False
            q = moved.get(taker, out.gp_period[taker])
            moved[taker] = vacant
            if q < 0:
                return True
            vacant = q
        return False  # pragma: no cover - a chain moves every GP up at most once per period

    def _fits_without(self, occupancy: Capacity, q: int, a: int) -> bool:
        """Whether q fits once a (an open period) is given up."""
        occupancy.add(self.ids[a], -1)
        try:
            return occupancy.fits(self.ids[q])
        finally:
            occupancy.add(self.ids[a])

    def _loses_nothing(self, state: _State, a: int) -> tuple[bool, set[int]]:
        """Whether closing a sends its holder down a chain that ends in an empty period, and
        the periods without room the chain passed (they are closed with a)."""
        part, out = self.part, state.out
        holder_of: dict[int, int] = {a: -1}
        skipped: set[int] = set()
        g = out.period_gp[a]
        k = self.pos[g][a] + 1
        for _ in range(self.steps):
            mine = part.lists[g]
            while k < len(mine):
                q = mine[k]
                k += 1
                if q in state.closed or q in skipped or q == a:
                    continue
                h = holder_of.get(q, out.period_gp[q])
                if h == -1:
                    if not self._fits_without(state.occupancy, q, a):
                        skipped.add(q)
                        continue
                    return True, skipped
                if part.rank[q][g] < part.rank[q][h]:
                    holder_of[q] = g
                    g, k = h, self.pos[h][q] + 1
                    break
            else:
                return False, skipped  # g falls off its list
        return False, skipped  # pragma: no cover - every step moves a GP down its list

    def swaps(self, state: _State) -> list[tuple[int, int, set[int]]]:
        """(open b, close a, also close) candidates, in a fixed order."""
        out, ids = state.out, self.ids
        closing: dict[int, tuple[bool, set[int]]] = {}
        found = []
        for b in sorted(state.closed):
            if b not in self.cands or not self._gains(out, b):
                continue
            d, lo, hi = self.cap.span[ids[b]]
            for a in self.dept_periods[d]:
                _, alo, ahi = self.cap.span[ids[a]]
                if a in state.closed or out.period_gp[a] < 0 or ahi <= lo or alo >= hi:
                    continue
                if a not in closing:
                    closing[a] = self._loses_nothing(state, a)
                ok, skipped = closing[a]
                if ok and self._fits_without(state.occupancy, b, a):
                    found.append((b, a, skipped))
        return found


def improve(
    part: Part, start: dict[int, int], deadline: float, max_evaluations: int = MAX_EVALUATIONS
) -> dict[int, int]:
    """A priority-respecting assignment of the part (GP -> period) placing at least as many
    GPs as `start` (itself priority-respecting, such as the core); `start` if no swap helps."""
    search = _Search(part)
    held = set(start.values())
    state = search.evaluate({p for p in search.bound if p not in held})
    if state is None or state.count < len(start):  # pragma: no cover - start is valid
        return start
    first = state.count
    evaluations = 1
    improved = True
    while improved and evaluations < max_evaluations and time.perf_counter() < deadline:
        improved = False
        for b, a, skipped in search.swaps(state):
            trial = search.evaluate((set(state.closed) - {b}) | {a} | skipped)
            evaluations += 1
            if trial is not None and trial.count > state.count:
                state, improved = trial, True
                break
            if evaluations >= max_evaluations or time.perf_counter() >= deadline:
                break
    if state.count == first:
        return start
    return {g: state.out.gp_period[g] for g in part.gps if state.out.gp_period[g] >= 0}
