"""Which (GP, period) pairs are eligible, found through indexes rather than a cross product."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict

from .dates import months_covered
from .model import GP, Availability, Period, Problem
from .result import natural_key

# Ineligibility codes, in the order they are reported.
OUTSIDE_WINDOW = "outside_window"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"  # a split GP: a block longer than the months wanted in all
SPECIALTY_NOT_WISHED = "specialty_not_wished"
TRUST_NOT_WISHED = "trust_not_wished"
NOT_ELIGIBLE = "not_eligible"
FORBIDDEN = "forbidden"
DATE_CODES = (OUTSIDE_WINDOW, TOO_SHORT, TOO_LONG)
# The shortest block a GP who allows a split takes (docs/matching.md, "Split placements").
SPLIT_MIN_MONTHS = 3
PREFERENCE_CODES = (SPECIALTY_NOT_WISHED, TRUST_NOT_WISHED)

PreferenceKey = tuple[int, int, int, int, str, tuple[int, int, str]]
TIE_KEY = 3  # preference_key(...)[:TIE_KEY] is the spec's preference: equal means a tie


def length_range(av: Availability) -> tuple[int, int]:
    """The months a period must cover for the window: at least ``months``; with a split, a
    block of at least SPLIT_MIN_MONTHS and at most ``months``."""
    if av.split_allowed:
        return min(SPLIT_MIN_MONTHS, av.months), av.months
    return av.months, 1 << 30


class _Bucket:
    """Periods sorted by start date, for a range query on the start."""

    __slots__ = ("periods", "starts")

    def __init__(self, periods: list[Period]) -> None:
        self.periods = sorted(periods, key=lambda p: (p.start, p.end, p.id))
        self.starts = [p.start.toordinal() for p in self.periods]

    def starting_within(self, first: int, last: int) -> list[Period]:
        return self.periods[bisect_left(self.starts, first) : bisect_right(self.starts, last)]


class Eligibility:
    """Eligibility and GP preference (see 'Definitions' in the spec), forbids aside."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.covered = {p.id: months_covered(p.start, p.end) for p in problem.periods}
        self.end = {p.id: p.end.toordinal() for p in problem.periods}
        by_ts: dict[tuple[str, str], list[Period]] = defaultdict(list)
        by_t: dict[str, list[Period]] = defaultdict(list)
        by_s: dict[str, list[Period]] = defaultdict(list)
        for p in problem.periods:
            by_ts[(p.trust, p.specialty)].append(p)
            by_t[p.trust].append(p)
            by_s[p.specialty].append(p)
        self._by_ts = {k: _Bucket(v) for k, v in by_ts.items()}
        self._by_t = {k: _Bucket(v) for k, v in by_t.items()}
        self._by_s = {k: _Bucket(v) for k, v in by_s.items()}
        self._all = _Bucket(list(problem.periods))
        self._uniform_min = not problem.trust_policies
        self.forbidden = {(f.gp, f.period) for f in problem.forbids}

    def _buckets(self, gp: GP) -> list[_Bucket]:
        av = gp.availability
        if av.trusts and not av.accept_other_specialty:
            keys = [(t, s) for t in av.trusts for s in av.specialties]
            return [self._by_ts[k] for k in keys if k in self._by_ts]
        if av.trusts:
            return [self._by_t[t] for t in av.trusts if t in self._by_t]
        if not av.accept_other_specialty:
            return [self._by_s[s] for s in av.specialties if s in self._by_s]
        return [self._all]

    def preference_key(self, gp: GP, period: Period) -> PreferenceKey:
        """GP preference: specialty order, trust order, earlier start (the spec's order, in
        which periods can tie: the first TIE_KEY entries), then the engine's order within a
        tie: earlier end, department, id."""
        av = gp.availability
        specs, trusts = av.specialties, av.trusts
        s_idx = specs.index(period.specialty) if period.specialty in specs else len(specs)
        t_idx = trusts.index(period.trust) if period.trust in trusts else len(trusts)
        start, end = period.start.toordinal(), self.end[period.id]
        return (s_idx, t_idx, start, end, period.department, natural_key(period.id))

    def eligible_periods(self, gp: GP) -> list[Period]:
        """The GP's eligible periods (forbidden ones included), best first."""
        av = gp.availability
        problem = self.problem
        if (
            self._uniform_min
            and gp.months_general_practice < problem.policy.min_months_general_practice
        ):
            return []
        first = av.earliest_start.toordinal()
        last_end = av.latest_end.toordinal()
        shortest, longest = length_range(av)
        found = []
        for bucket in self._buckets(gp):
            for p in bucket.starting_within(first, last_end):
                if (
                    self.end[p.id] <= last_end
                    and shortest <= self.covered[p.id] <= longest
                    and (
                        self._uniform_min
                        or gp.months_general_practice >= problem.min_months(p.trust)
                    )
                ):
                    found.append(p)
        found.sort(key=lambda p: self.preference_key(gp, p))
        return found

    def failures(self, gp: GP, period: Period) -> list[str]:
        """Why (gp, period) is not an eligible pair: the failing codes, empty if eligible."""
        av = gp.availability
        codes = []
        if period.start < av.earliest_start or period.end > av.latest_end:
            codes.append(OUTSIDE_WINDOW)
        shortest, longest = length_range(av)
        if self.covered[period.id] < shortest:
            codes.append(TOO_SHORT)
        if self.covered[period.id] > longest:
            codes.append(TOO_LONG)
        if period.specialty not in av.specialties and not av.accept_other_specialty:
            codes.append(SPECIALTY_NOT_WISHED)
        if av.trusts and period.trust not in av.trusts:
            codes.append(TRUST_NOT_WISHED)
        if gp.months_general_practice < self.problem.min_months(period.trust):
            codes.append(NOT_ELIGIBLE)
        if (gp.id, period.id) in self.forbidden:
            codes.append(FORBIDDEN)
        return codes
