"""Department capacity over time: occupancy counted on elementary time segments."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from .model import Period, Problem


class Capacity:
    """Occupancy of every listed department on the segments between its periods' dates.

    A segment is a maximal run of days on which the same periods of the department run, so
    "capacity holds on every day" is "capacity holds on every segment".
    """

    def __init__(self, problem: Problem) -> None:
        self.cap: list[int] = []
        self.counts: list[list[int]] = []
        self.bounds: list[list[int]] = []  # segment i covers days bounds[i] .. bounds[i+1]-1
        self.dept_ids: list[str] = []
        self.span: dict[str, tuple[int, int, int]] = {}  # period -> (dept, first seg, end seg)
        # period -> its place among its department's periods by start, end and id: a GP gives
        # back its own period when it asks for one that comes first (docs/matching.md)
        self.order: dict[str, int] = {}
        members: dict[str, list[Period]] = defaultdict(list)
        for p in problem.periods:
            members[p.department].append(p)
        for dept in sorted(problem.departments, key=lambda d: d.id):
            periods = members.get(dept.id, [])
            marks = sorted(
                {p.start.toordinal() for p in periods} | {p.end.toordinal() + 1 for p in periods}
            )
            demand = [0] * max(len(marks) - 1, 0)
            spans = []
            for p in periods:
                lo = bisect_left(marks, p.start.toordinal())
                hi = bisect_left(marks, p.end.toordinal() + 1)
                spans.append((p.id, lo, hi))
                for s in range(lo, hi):
                    demand[s] += 1
            if not demand or max(demand) <= dept.capacity:
                continue  # can never bind
            index = len(self.cap)
            self.cap.append(dept.capacity)
            self.counts.append([0] * len(demand))
            self.bounds.append(marks)
            self.dept_ids.append(dept.id)
            for pid, lo, hi in spans:
                self.span[pid] = (index, lo, hi)
            ranked = sorted(periods, key=lambda p: (p.start, p.end, p.id))
            for k, p in enumerate(ranked):
                self.order[p.id] = k

    def copy(self) -> Capacity:
        """An independent copy of the occupancy (the layout is shared)."""
        other = object.__new__(Capacity)
        other.__dict__.update(self.__dict__)
        other.counts = [list(c) for c in self.counts]
        return other

    def fits(self, period_id: str, without: str | None = None) -> bool:
        """True if the period can be filled in addition to the current occupancy (with the
        period `without` given back, if given: a GP's own period, see `gives_back`)."""
        span = self.span.get(period_id)
        if span is None:
            return True
        d, lo, hi = span
        counts, cap = self.counts[d], self.cap[d]
        if without is None:
            return all(counts[s] < cap for s in range(lo, hi))
        freed = self.segments(without, d)
        return all(counts[s] - (s in freed) < cap for s in range(lo, hi))

    def gives_back(self, own: str, period_id: str) -> bool:
        """Whether a GP holding `own` who asks for `period_id` frees its own place there: both
        are in one department and `period_id` comes first by start, end and id (the rule of
        docs/matching.md; in a department of one specialty that is every period the GP
        prefers)."""
        a, b = self.span.get(own), self.span.get(period_id)
        return (
            a is not None
            and b is not None
            and a[0] == b[0]
            and (self.order[period_id] < self.order[own])
        )

    def segments(self, period_id: str, dept: int | None = None) -> range:
        """The segments the period runs on (empty if it has no capacity limit, or is not in
        department `dept` when that is given)."""
        span = self.span.get(period_id)
        if span is None or (dept is not None and span[0] != dept):
            return range(0)
        return range(span[1], span[2])

    def add(self, period_id: str, amount: int = 1) -> None:
        span = self.span.get(period_id)
        if span is not None:
            d, lo, hi = span
            counts = self.counts[d]
            for s in range(lo, hi):
                counts[s] += amount

    def overfull(self) -> list[tuple[str, int]]:
        """(department, first day ordinal) of every segment now over capacity."""
        out = []
        for d, counts in enumerate(self.counts):
            for s, c in enumerate(counts):
                if c > self.cap[d]:
                    out.append((self.dept_ids[d], self.bounds[d][s]))
        return out

    def cover(self, periods: Iterable[tuple[int, str]]) -> dict[tuple[int, int], list[int]]:
        """(department, segment) -> the given periods running on it, in the order given.
        `periods` are (index, id) pairs; periods without a capacity limit are left out."""
        out: dict[tuple[int, int], list[int]] = {}
        for p, pid in periods:
            span = self.span.get(pid)
            if span is not None:
                d, lo, hi = span
                for s in range(lo, hi):
                    out.setdefault((d, s), []).append(p)
        return out

    def room(self, d: int, s: int) -> int:
        """How many more periods department `d` can take on segment `s`."""
        return self.cap[d] - self.counts[d][s]

    def binding(self, periods: Iterable[tuple[int, str]]) -> list[tuple[int, int, list[int], int]]:
        """(department, segment, periods, room) of every segment on which the given periods
        could overfill the department, in (department, segment) order."""
        return [
            (d, s, ps, self.room(d, s))
            for (d, s), ps in sorted(self.cover(periods).items())
            if len(ps) > self.room(d, s)
        ]

    def first_full_day(self, period_id: str, without: str | None = None) -> int | None:
        """The first day of the period on which the department is already full, if any (with
        the period `without` given back, if given)."""
        span = self.span.get(period_id)
        if span is None:
            return None
        d, lo, hi = span
        freed = self.segments(without, d) if without is not None else range(0)
        for s in range(lo, hi):
            if self.counts[d][s] - (s in freed) >= self.cap[d]:
                return self.bounds[d][s]
        return None
