"""Calendar helpers: ISO parsing and month arithmetic on proleptic ordinals."""

from __future__ import annotations

import calendar
from datetime import date, datetime


def parse_date(text: str) -> date:
    """Parse an ISO date (YYYY-MM-DD); raises ValueError otherwise."""
    if not isinstance(text, str) or len(text) != 10:
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}")
    return date.fromisoformat(text)


def parse_datetime(text: str) -> datetime:
    """Parse an ISO date-time with a UTC offset (a date alone means midnight UTC)."""
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO date-time, got {text!r}")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"date-time {text!r} needs a UTC offset, e.g. +01:00")
    return value


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, the day clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_covered(start: date, end: date) -> int:
    """The largest m with start + m months <= end + 1 day (0 when shorter than a month)."""
    after = end.toordinal() + 1
    months = max(0, (end.year - start.year) * 12 + end.month - start.month - 1)
    while add_months(start, months + 1).toordinal() <= after:
        months += 1
    return months
