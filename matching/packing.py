"""Which periods of a department to keep open: interval packing under capacity over time."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .capacity import Capacity


def pack(
    capacity: Capacity,
    periods: Iterable[str],
    tiebreak: Callable[[str], object],
    then: Iterable[str] = (),
) -> set[str]:
    """A largest set of `periods` that fits every department's remaining room on every day,
    then as many of `then` as still fit.

    Greedy by end date (then `tiebreak`): an interval matrix is in greedy standard form, so
    taking each period that still fits, in order of its last segment, packs the most periods.
    Periods without a capacity limit are all kept.
    """
    counts = [list(c) for c in capacity.counts]
    kept: set[str] = set()
    for group in (periods, then):
        spans = []
        for pid in group:
            span = capacity.span.get(pid)
            if span is None:
                kept.add(pid)
            else:
                spans.append((span[0], span[2], span[1], tiebreak(pid), pid))
        for d, hi, lo, _, pid in sorted(spans):
            room = capacity.cap[d]
            row = counts[d]
            if all(row[s] < room for s in range(lo, hi)):
                for s in range(lo, hi):
                    row[s] += 1
                kept.add(pid)
    return kept
