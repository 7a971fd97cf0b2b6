"""The one objective of strict_priority results: which result the engine returns.

Results are compared by these keys in turn (docs/matching.md, "The objective"):

1. **placements**: more first (the spec's property 3);
2. **GP preference**: the least total *class*, a pair's class being how many periods of the
   GP's list the GP strictly prefers (ties share a class; 0 = among the most wanted);
3. **the engine's order within a tie**: the least total place in the GP's list (earlier end,
   then department, then id: a period posted twice sits next to its twin);
4. **priority**: the least total priority rank (0 = first among the period's candidates);
5. **periods in id order** (numbers in numeric order): the first period where two results
   differ decides; a filled period beats an empty one, then the higher-priority holder wins.

Key 5 alone orders any two different results, so exactly one result is best: whichever path
finds it (deferred acceptance alone, CP-SAT, or the MIP for the count) gives the same answer.
Where no GP can do better than in deferred acceptance with the engine's tie-break (M0, in
which every GP's place is the least any result gives it), M0 wins on key 3 alone.

Both exact paths take their costs from here: `costs` weighs keys 2-4 into one integer per
pair, and `twins` gives the periods that differ only in their id, whose holders key 5 orders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .cpsat import Part
from .market import Market
from .result import natural_key


@dataclass(frozen=True)
class Costs:
    """`pair[(g, p)]` = class * by_class + place * by_place + priority rank: the sum over a
    result is keys 2, 3 and 4 at once (the weights exceed what the lower keys can add up to)."""

    pair: dict[tuple[int, int], int]
    by_class: int
    by_place: int


def costs(part: Part) -> Costs:
    """Keys 2-4 of every pair of the part as one integer cost."""
    where: dict[int, dict[int, int]] = {}
    top_prio = top_place = 0
    for g in part.gps:
        where[g] = {p: k for k, p in enumerate(part.prefs[g])}
        top_prio += max((part.rank[p][g] for p in part.lists[g]), default=0)
        top_place += max((where[g][p] for p in part.lists[g]), default=0)
    by_place = top_prio + 1
    by_class = top_place * by_place + top_prio + 1
    pair = {}
    for g in part.gps:
        for p in part.lists[g]:
            k = where[g][p]
            pair[(g, p)] = part.tie(g, k) * by_class + k * by_place + part.rank[p][g]
    return Costs(pair, by_class, by_place)


def keys(part: Part) -> tuple[dict[tuple[int, int], int], ...]:
    """Keys 2, 3 and 4 of every pair of the part, each on its own (class, place in the GP's
    list, priority rank)."""
    out: tuple[dict[tuple[int, int], int], ...] = ({}, {}, {})
    for g in part.gps:
        where = {p: k for k, p in enumerate(part.prefs[g])}
        for p in part.lists[g]:
            k = where[p]
            out[0][(g, p)] = part.tie(g, k)
            out[1][(g, p)] = k
            out[2][(g, p)] = part.rank[p][g]
    return out


def period_order(part: Part) -> list[int]:
    """The part's periods in the order key 5 reads them (period id, numbers numerically)."""
    return sorted(part.periods, key=lambda p: natural_key(part.period_ids[p]))


def twin_groups(market: Market) -> list[int]:
    """For each open period, its group of twins (-1 if it has none): periods of one
    department with the same specialty, trust and dates and the same candidates at the same
    ranks, next to each other in the engine's order (no other period of that department and
    those dates has an id between them). A twin sits next to the others in every GP's list,
    and any result stays a result with the same keys 1-4 when the holders of a group are
    permuted or its filled periods are moved to its first ones: key 5 then settles the group
    (filled first, in id order, by priority; `canonical`)."""
    problem = market.problem
    ids = market.period_ids
    info = [problem.period_by_id[pid] for pid in ids]
    order = sorted(
        range(len(ids)),
        key=lambda p: (info[p].start, info[p].end, info[p].department, natural_key(ids[p])),
    )
    out = [-1] * len(ids)
    prev: tuple[object, ...] | None = None
    run: list[int] = []
    for p in [*order, -1]:
        pi = info[p] if p >= 0 else None
        key = (
            None
            if pi is None
            else (pi.start, pi.end, pi.department, pi.specialty, pi.trust, market.rank[p])
        )
        if key != prev or p < 0:
            if len(run) > 1:
                for q in run:
                    out[q] = run[0]
            run = []
        run.append(p)
        prev = key
    return out


def canonical(part: Part, assignment: dict[int, int]) -> dict[int, int]:
    """The same result with every twin group settled by key 5: its holders, by priority,
    on its first periods in id order (the best result among those that differ only there)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for p in period_order(part):
        if part.twin and part.twin[p] >= 0:
            groups[part.twin[p]].append(p)
    if not groups:
        return assignment
    holder = {p: g for g, p in assignment.items()}
    out = dict(assignment)
    for members in groups.values():
        held = sorted(
            (holder[p] for p in members if p in holder), key=part.rank[members[0]].__getitem__
        )
        for g, p in zip(held, members, strict=False):
            out[g] = p
    return out


def key5(part: Part, assignment: dict[int, int]) -> list[int]:
    """Key 5 of an assignment of the part (GP -> period): per period in key 5's order, the
    holder's priority rank, or the number of GPs if empty (smaller is better)."""
    holder = {p: g for g, p in assignment.items()}
    empty = len(part.prefs) + 1
    return [part.rank[p][holder[p]] if p in holder else empty for p in period_order(part)]


def score(part: Part, assignment: dict[int, int]) -> tuple[int, int, list[int]]:
    """The objective of an assignment of the part, smaller is better: (minus placements,
    keys 2-4 weighed, key 5)."""
    weigh = costs(part).pair
    return (
        -len(assignment),
        sum(weigh[(g, p)] for g, p in assignment.items()),
        key5(part, assignment),
    )
