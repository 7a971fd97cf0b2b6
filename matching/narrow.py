"""Narrowing a strict_priority part before the exact model: who can end where.

In every priority-respecting result of a part (restricted to the band, docs/matching.md) a GP
g holds a period of its band list or, only if it can be refused by all of them, none. g can
be refused at a period q only if q may be closed (its department's capacity can bind) or q
may end with a GP ahead of g. So if, for the j-th period of g's list, q's department never
binds and no other GP who can still end at q is ahead of g, then g ends at one of the first
j + 1 periods of its list, in every result. Cutting every list this way can make other GPs
unrefusable in turn; the fixed point is reached with a work list.

A GP cut to the first entry of its list (its period in M0) holds it in every result: it
leaves the model. The GPs that remain split into smaller independent parts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .cpsat import Part


@dataclass(frozen=True)
class Narrowed:
    fixed: dict[int, int]  # GP -> the period it holds in every result (its M0 period)
    parts: list[Part]  # independent parts over the GPs that remain, with their cut lists


def _cut_lists(part: Part, closable: set[int]) -> tuple[dict[int, int], set[int]]:
    """last[g]: the last position of g's list that g can end at; `falls`: the GPs that can
    end unplaced."""
    lists, rank = part.lists, part.rank
    last = {g: len(lists[g]) - 1 for g in part.gps}
    falls = set(part.gps)
    # Candidates of each period, best first; one may end at q only while q is within its cut.
    cands: dict[int, list[tuple[int, int]]] = {}
    where: dict[tuple[int, int], int] = {}
    for g in part.gps:
        for k, q in enumerate(lists[g]):
            cands.setdefault(q, []).append((rank[q][g], g))
            where[(g, q)] = k
    for lst in cands.values():
        lst.sort()

    def possible(h: int, q: int) -> bool:
        return where[(h, q)] <= last[h]

    def ahead_of(g: int, q: int) -> bool:
        """Someone other than g who can still end at q is ahead of g there."""
        mine = rank[q][g]
        for r, h in cands[q]:
            if r >= mine:
                return False
            if possible(h, q):
                return True
        return False

    work = deque(sorted(part.gps))
    queued = set(part.gps)
    while work:
        g = work.popleft()
        queued.discard(g)
        mine = lists[g]
        cut = None
        for j in range(last[g] + 1):
            q = mine[j]
            if q not in closable and not ahead_of(g, q):
                cut = j
                break
        old = last[g]
        if cut is None:
            continue  # g can be refused everywhere it can still end: nothing changes
        falls.discard(g)
        if cut == old:
            continue
        last[g] = cut
        # Periods g can no longer end at: the GPs behind g there may now be unrefusable.
        for q in mine[cut + 1 : old + 1]:
            for r, h in reversed(cands[q]):
                if r <= rank[q][g]:
                    break
                if h not in queued and where[(h, q)] <= last[h]:
                    queued.add(h)
                    work.append(h)
    return last, falls


def narrow(part: Part, closable: set[int]) -> Narrowed:
    """Fix the GPs that end at their M0 period in every result and split the rest.

    `closable`: the periods of the part whose department's capacity can bind (the only ones
    that can be left empty while someone wants them).
    """
    last, falls = _cut_lists(part, closable)
    fixed = {g: part.lists[g][0] for g in part.gps if last[g] == 0 and g not in falls}
    free = [g for g in part.gps if g not in fixed]
    lists = list(part.lists)
    for g in free:
        lists[g] = part.lists[g][: last[g] + 1]
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: tuple[str, int], b: tuple[str, int]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    span = part.capacity.span
    first_of_dept: dict[int, tuple[str, int]] = {}
    for g in free:
        find(("g", g))
        for p in lists[g]:
            union(("g", g), ("p", p))
            where = span.get(part.period_ids[p])
            if where is not None:
                d = where[0]
                if d in first_of_dept:
                    union(first_of_dept[d], ("p", p))
                else:
                    first_of_dept[d] = ("p", p)
    groups: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
    for g in free:
        groups.setdefault(find(("g", g)), ([], []))[0].append(g)
    periods = {p for g in free for p in lists[g]}
    for p in sorted(periods):
        groups[find(("p", p))][1].append(p)
    parts = [
        Part(
            gps,
            ps,
            lists,
            part.prefs,
            part.rank,
            part.period_ids,
            part.capacity,
            {p for p in ps if p in part.keep},
        )
        for _, (gps, ps) in sorted(groups.items())
    ]
    return Narrowed(fixed, parts)
