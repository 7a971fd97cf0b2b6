"""Narrowing a strict_priority part before the exact model: who can end where.

In every priority-respecting result of a part (restricted to the possible pairs,
matching/ties.py) a GP g holds a period of its list or, only if it can be refused by all of
them, none. g can be refused at a period q only if q may be closed (its department's capacity
can bind) or q may end with a GP ahead of g. So if, for the j-th period of g's list, q's
department never binds and no other GP who can still end at q is ahead of g, then g ends at
a period it likes at least as much as q (one of the first j + 1 periods of its list, or of
q's tie), in every result. Cutting every list this way can make other GPs unrefusable in
turn; the fixed point is reached with a work list.

A GP cut to the first entry of its list holds it in every result: it leaves the model. The
GPs that remain split into smaller independent parts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from .components import DisjointSets
from .cpsat import Part


@dataclass(frozen=True)
class Narrowed:
    fixed: dict[int, int]  # GP -> the period it holds in every result
    parts: list[Part]  # independent parts over the GPs that remain, with their cut lists


class _Cuts:
    """last[g]: the last position of g's list that g can still end at; `falls`: the GPs that
    can end unplaced. `settle` tightens both to the fixed point for the current `closable`."""

    def __init__(self, part: Part) -> None:
        self.lists, self.rank = part.lists, part.rank
        self.last = {g: len(self.lists[g]) - 1 for g in part.gps}
        self.falls = set(part.gps) - part.placed
        # tie_end[g][j]: the last position of g's list in the same tie as position j (g is
        # indifferent between them: ending "at j or better" means at most there).
        self.tie_end: dict[int, list[int]] = {}
        for g in part.gps:
            where = {p: k for k, p in enumerate(part.prefs[g])}
            cls = [part.tie(g, where[p]) for p in self.lists[g]]
            ends = list(range(len(cls)))
            for j in range(len(cls) - 2, -1, -1):
                if cls[j] == cls[j + 1]:
                    ends[j] = ends[j + 1]
            self.tie_end[g] = ends
        # Candidates of each period, best first; one can end at q while q is within its cut.
        self.cands: dict[int, list[tuple[int, int]]] = {}
        self.where: dict[tuple[int, int], int] = {}
        for g in part.gps:
            for k, q in enumerate(self.lists[g]):
                self.cands.setdefault(q, []).append((self.rank[q][g], g))
                self.where[(g, q)] = k
        for lst in self.cands.values():
            lst.sort()

    def holders(self, q: int) -> list[int]:
        """The GPs that can still end at q."""
        return [h for _, h in self.cands.get(q, ()) if self.where[(h, q)] <= self.last[h]]

    def _ahead_of(self, g: int, q: int) -> bool:
        """Someone other than g who can still end at q is ahead of g there."""
        mine = self.rank[q][g]
        for r, h in self.cands[q]:
            if r >= mine:
                return False
            if self.where[(h, q)] <= self.last[h]:
                return True
        return False

    def settle(self, closable: set[int], gps: list[int]) -> None:
        """Re-examine `gps` (and whoever their cuts affect) until nothing changes."""
        lists, rank, last, where = self.lists, self.rank, self.last, self.where
        work = deque(gps)
        queued = set(gps)
        while work:
            g = work.popleft()
            queued.discard(g)
            mine = lists[g]
            cut = None
            for j in range(last[g] + 1):
                q = mine[j]
                if q not in closable and not self._ahead_of(g, q):
                    cut = min(self.tie_end[g][j], last[g])
                    break
            old = last[g]
            if cut is None:
                continue  # g can be refused everywhere it can still end: nothing changes
            self.falls.discard(g)
            if cut == old:
                continue
            last[g] = cut
            # Periods g can no longer end at: the GPs behind g there may be unrefusable now.
            for q in mine[cut + 1 : old + 1]:
                for r, h in reversed(self.cands[q]):
                    if r <= rank[q][g]:
                        break
                    if h not in queued and where[(h, q)] <= last[h]:
                        queued.add(h)
                        work.append(h)


def _closable(part: Part, periods: set[int], fillable: set[int]) -> set[int]:
    """The periods that can be left empty with their department full on one of their days:
    on some segment of the period, the other periods that can be filled reach the room."""
    cap, ids = part.capacity, part.period_ids
    cover = cap.cover((p, ids[p]) for p in periods if p in fillable)
    out = set()
    for p in periods:
        d, lo, hi = cap.span[ids[p]]
        for s in range(lo, hi):
            others = len(cover.get((d, s), ())) - (p in fillable)
            if others >= cap.room(d, s):
                out.add(p)
                break
    return out


def _taken(part: Part, lists: list[list[int]], placed: set[int]) -> dict[int, int]:
    """The GPs whose list is one period they hold in every result, and what that takes from
    the others (`lists` and `placed` are updated): nobody else holds that period, and a GP
    ahead of its holder there must hold a period it likes at least as much (else it would
    block), so its list keeps only those. Without ties such a period is in nobody else's
    list: the lists start at M0, where the holder is ahead of everyone else."""
    fixed: dict[int, int] = {}
    takers: dict[int, list[int]] = {}
    for g in part.gps:
        for p in lists[g]:
            takers.setdefault(p, []).append(g)
    work = deque(g for g in part.gps if g in placed and len(lists[g]) == 1)
    while work:
        g = work.popleft()
        if g in fixed or len(lists[g]) != 1:
            continue
        p = lists[g][0]
        fixed[g] = p
        for h in takers.get(p, ()):
            if h in fixed or p not in lists[h]:
                continue
            if part.rank[p][h] < part.rank[p][g]:
                where = {q: k for k, q in enumerate(part.prefs[h])}
                mine = part.tie(h, where[p])
                lists[h] = [q for q in lists[h] if q != p and part.tie(h, where[q]) <= mine]
                placed.add(h)
            else:
                lists[h] = [q for q in lists[h] if q != p]
            if h in placed and len(lists[h]) == 1:
                work.append(h)
    return fixed


def narrow(part: Part, capacity_bound: set[int]) -> Narrowed:
    """Fix the GPs that end at the first period of their list in every result and split the
    rest.

    `capacity_bound`: the periods whose department's capacity can bind. Only those that can
    be left empty with the department full (given who can still end where) can refuse a GP
    they do not hold; that set shrinks with the lists, so the two are iterated together.
    """
    periods = {p for p in part.periods if p in capacity_bound}
    closable = periods
    cuts = _Cuts(part)
    cuts.settle(closable, sorted(part.gps))
    while True:
        fillable = {p for p in part.periods if cuts.holders(p)}
        tighter = _closable(part, periods, fillable)
        if tighter == closable:
            break
        # Periods that can no longer be left empty: whoever can end there is re-examined.
        again = {h for q in closable - tighter for h in cuts.holders(q)}
        closable = tighter
        cuts.settle(closable, sorted(again))
    last, falls = cuts.last, cuts.falls
    lists = list(part.lists)
    for g in part.gps:
        lists[g] = part.lists[g][: last[g] + 1]
    placed = {g for g in part.gps if g not in falls}
    fixed = _taken(part, lists, placed)
    free = [g for g in part.gps if g not in fixed]
    # A fixed GP's period is filled in every result: it takes its department's room.
    cap = part.capacity.copy()
    for p in fixed.values():
        cap.add(part.period_ids[p])
    n_gp = len(part.prefs)  # GP g is node g, period p is node n_gp + p
    sets = DisjointSets(n_gp + len(part.period_ids))
    for g in free:
        for p in lists[g]:
            sets.union(g, n_gp + p)
    # Periods are linked by a department only where they can overfill it together: on a
    # segment where more of them can be filled than there is room.
    reachable = sorted({p for g in free for p in lists[g]})
    for _, _, ps, _ in cap.binding((p, part.period_ids[p]) for p in reachable):
        for q in ps[1:]:
            sets.union(n_gp + ps[0], n_gp + q)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for g in free:
        groups.setdefault(sets.find(g), ([], []))[0].append(g)
    for p in reachable:
        groups[sets.find(n_gp + p)][1].append(p)
    parts = [
        replace(
            part,
            gps=gps,
            periods=ps,
            lists=lists,
            capacity=cap,
            keep={p for p in ps if p in part.keep},
            placed=frozenset(g for g in gps if g in placed),
            held=part.held | frozenset(fixed.values()),
        )
        for _, (gps, ps) in sorted(groups.items())
    ]
    return Narrowed(fixed, parts)
