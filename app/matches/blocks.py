"""Split placements (3 + 3 months): which periods a window's blocks may be, and whether a
set of blocks fits together. The rule of docs/matching.md, "Split placements", for the app;
the engine has its own copy in matching/ (which imports nothing from here)."""

from __future__ import annotations

from collections.abc import Sequence

from app.dates import covers_months, months_covered
from app.models import Availability, Period

# The shortest block a GP who allows a split takes.
SPLIT_MIN_MONTHS = 3
# At most this many live blocks per GP (the database's slots 1 and 2).
MAX_BLOCKS = 2


def block_months(period: Period) -> int:
    """The whole calendar months a period covers: what it counts against a split's total."""
    return months_covered(period.start_date, period.end_date)


def length_fits(window: Availability, period: Period) -> bool:
    """The period is long enough for the window: at least ``months``; with a split, a block
    of at least 3 months and at most ``months``."""
    if not window.split_allowed:
        return covers_months(period.start_date, period.end_date, window.months)
    return SPLIT_MIN_MONTHS <= block_months(period) <= window.months


def overlap(a: Period, b: Period) -> bool:
    return a.start_date <= b.end_date and b.start_date <= a.end_date


def blocks_problem(window: Availability | None, periods: Sequence[Period]) -> str | None:
    """Why a GP with ``window`` cannot hold all of ``periods`` at once (a code), or None."""
    if len(periods) <= 1:
        return None
    if window is None or not window.split_allowed:
        return "split_not_allowed"
    if len(periods) > MAX_BLOCKS:
        return "too_many_blocks"
    if any(overlap(a, b) for i, a in enumerate(periods) for b in periods[i + 1 :]):
        return "blocks_overlap"
    if sum(block_months(p) for p in periods) > window.months:
        return "blocks_too_long"
    return None


def months_left(window: Availability, held: Sequence[Period]) -> int:
    """The months a split window still has for another block (0 when it cannot take one)."""
    if not window.split_allowed or len(held) >= MAX_BLOCKS:
        return 0 if held else window.months
    left = window.months - sum(block_months(p) for p in held)
    return left if left >= SPLIT_MIN_MONTHS else 0
