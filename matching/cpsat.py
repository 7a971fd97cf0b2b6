"""The parts of the open market that the exact models solve (matching/exact.py), and what
they return."""

from __future__ import annotations

from dataclasses import dataclass, field

from .capacity import Capacity


@dataclass(frozen=True)
class Part:
    """One component of the open market, in market indexes.

    `lists[g]` are the periods g may get here (best first): the possible pairs in strict mode
    (matching/ties.py), or the band of the engine's total order (matching/large/engine_order.py).
    `keep` are periods that must end filled or be capacity-blocked (docs/matching.md).
    """

    gps: list[int]
    periods: list[int]
    lists: list[list[int]]
    prefs: list[list[int]]  # full preference lists (all GPs), for the preference cost
    rank: list[dict[int, int]]
    period_ids: list[str]
    capacity: Capacity  # occupancy of pins and placements only
    keep: set[int] = field(default_factory=set)
    most: int | None = None  # a proven upper bound on placements (a cut for the count)
    # Ties (matching/ties.py): classes[g][k] is the class of prefs[g][k] (market.classes;
    # empty: no ties); `placed`: GPs placed in every result; twin[p]: the group of periods
    # that differ only in their id (matching/objective.py), -1 if none.
    classes: list[list[int]] = field(default_factory=list)
    placed: frozenset[int] = frozenset()
    twin: list[int] = field(default_factory=list)
    # Periods held in every result by GPs outside the part (narrowing fixed them): filled,
    # so no GP of the part is owed a move to one (matching/giveback.py).
    held: frozenset[int] = frozenset()
    # The spec's classes where `classes` is left empty to solve for the engine's total order
    # (matching/large/engine_order.py): whether a GP gives its place back depends on the spec's
    # strict preference (matching/giveback.py), whichever order the part is solved for.
    weak: list[list[int]] = field(default_factory=list)

    def tie(self, g: int, k: int) -> int:
        """The class of the k-th period of g's full list: how many periods g strictly
        prefers to it (its place, without ties)."""
        return self.classes[g][k] if self.classes else k

    def weak_tie(self, g: int, k: int) -> int:
        """The class of the k-th period of g's full list under the spec's preference."""
        return self.weak[g][k] if self.weak else self.tie(g, k)


@dataclass(frozen=True)
class PartSolution:
    assignment: dict[int, int]  # gp -> period
    optimal: bool
    placements_bound: int


@dataclass(frozen=True)
class Settings:
    time_limit_s: float


@dataclass
class Tally:
    """The solved parts added up: each GP's period (market indexes), whether every part is
    proven, how many placements the parts may fall short of their bounds, how many parts."""

    gp_period: list[int]
    optimal: bool = True
    slack: int = 0
    solved: int = 0

    def add(self, part: Part, sol: PartSolution, bound: int) -> None:
        """Take a part's solution; `bound` is the part's own proven bound on placements."""
        self.solved += 1
        for g in part.gps:
            self.gp_period[g] = sol.assignment.get(g, -1)
        self.optimal = self.optimal and sol.optimal
        self.slack += min(sol.placements_bound, bound) - len(sol.assignment)

    def result(self, refusals: int) -> tuple[list[int], bool, int, int, int]:
        """(period per GP, optimal, slack, parts solved, capacity refusals), as the strict
        paths return it."""
        return self.gp_period, self.optimal, self.slack, self.solved, refusals
