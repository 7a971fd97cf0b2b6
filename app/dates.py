"""Calendar arithmetic and the local clock (Europe/Oslo by default)."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def add_months_dt(moment: datetime, months: int) -> datetime:
    return datetime.combine(add_months(moment.date(), months), moment.timetz())


def covers_months(start: date, end: date, months: int) -> bool:
    """Whether the inclusive range start..end covers at least ``months`` calendar months."""
    return date.fromordinal(end.toordinal() + 1) >= add_months(start, months)


def months_covered(start: date, end: date) -> int:
    """Whole calendar months the inclusive range start..end covers."""
    months = 0
    while covers_months(start, end, months + 1):
        months += 1
    return months


def local_zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Europe/Oslo"
    return ZoneInfo(name)


def local_today() -> date:
    return datetime.now(local_zone()).date()
