"""A GP asking for an earlier period of its own department gives back its own place.

The capacity exemption of strict_priority (docs/matching.md, "A GP moving within its
department"): an unfilled period p does not have to go to a GP g who strictly prefers it
when the department would be over capacity on some day of p with p filled, g's own period q
given back when q is in p's department and p comes first by start, end and id
(`Capacity.gives_back`). The exact models hold the rule in their rows (matching/exact.py);
this is the same test on a whole result, for deferred acceptance's core, which knows
nothing of it and is repaired until it passes (matching/solver.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .cpsat import Part
from .market import Market


def owed_moves(
    market: Market, gp_period: list[int], gps: Iterable[int] | None = None
) -> list[tuple[int, int, int]]:
    """(g, p, q) for every GP g holding q that strictly prefers p, an unfilled period of q's
    department that comes first and fits once q is given back: blocking pairs that the
    capacity exemption does not cover. Empty for every priority-respecting result. `gps`:
    only those GPs' (default every GP's)."""
    cap, ids = market.capacity, market.period_ids
    held = [False] * len(ids)
    occupancy = cap.copy()
    for p in gp_period:
        if p >= 0:
            held[p] = True
            occupancy.add(ids[p])
    out = []
    for g in range(len(gp_period)) if gps is None else gps:
        q = gp_period[g]
        if q < 0 or ids[q] not in cap.span:
            continue
        prefs, classes = market.prefs[g], market.classes[g]
        mine = classes[prefs.index(q)]
        for k, p in enumerate(prefs):
            if classes[k] >= mine:
                break
            if not held[p] and cap.gives_back(ids[q], ids[p]) and occupancy.fits(ids[p], ids[q]):
                out.append((g, p, q))
    return out


def moves(part: Part) -> Iterator[tuple[int, int, int]]:
    """(g, p, q) for every GP g of the part and period q of its list after which g would
    give q back for p: p strictly preferred (the spec's preference, `Part.weak_tie`), first
    in q's department, not held outside the part, and sharing with q a segment that the
    part's other periods can fill (elsewhere giving q back frees no room that p lacks, and
    the pair's ordinary stability covers it). The exact model's rows (matching/exact.py) and
    the local search's test (matching/large/closures.py) start here: one list for both."""
    cap, ids = part.capacity, part.period_ids
    periods = sorted({p for g in part.gps for p in part.lists[g]} | part.keep)
    cover = cap.cover((p, ids[p]) for p in periods)
    for g in part.gps:
        where = {p: k for k, p in enumerate(part.prefs[g])}
        for q in part.lists[g]:
            if ids[q] not in cap.span:
                continue
            mine = part.weak_tie(g, where[q])
            for p in part.prefs[g]:
                if part.weak_tie(g, where[p]) >= mine:
                    break  # p and the periods after it are not strictly preferred
                if p in part.held or not cap.gives_back(ids[q], ids[p]):
                    continue
                d, qlo, qhi = cap.span[ids[q]]
                _, plo, phi = cap.span[ids[p]]
                if any(
                    len(cover.get((d, s), [])) - (p in cover.get((d, s), [])) >= cap.room(d, s)
                    for s in range(max(plo, qlo), min(phi, qhi))
                ):
                    yield g, p, q
