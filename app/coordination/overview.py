"""The region's overview: open periods and their fallback dates, the waiting list in
priority order (it replaces the coordinators' Excel sheet), live matches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

import matching
from app.dates import local_zone
from app.extensions import db
from app.models import (
    GP,
    Availability,
    Match,
    Period,
    Policy,
    Region,
)
from app.models.matching import LIVE_MATCH_STATUSES
from app.runs.problem import active_windows, gp_region_id

from .scope import live_matches_in_region, periods_in_region

NEAR_FALLBACK_DAYS = 14
# Keys that depend on the period (catchment, first choice) order candidates per period in
# the matching; the waiting list orders by the rest.
_GP_KEYS: dict[str, Callable[[GP, float], float]] = {
    "months_general_practice": lambda gp, lot: -gp.months_general_practice,
    "courses_completed": lambda gp, lot: -gp.courses_completed,
    "supervision_group_months": lambda gp, lot: -gp.supervision_group_months,
    "registered_at": lambda gp, lot: gp.registered_at.timestamp(),
    "lottery": lambda gp, lot: lot,
}


@dataclass(frozen=True)
class WaitingEntry:
    position: int
    gp: GP
    window: Availability
    lottery: float
    eligible: bool
    match: Match | None


@dataclass(frozen=True)
class PeriodRow:
    period: Period
    fallback_on: date
    days_to_fallback: int
    match: Match | None


def lottery_seed(region: Region, today: date) -> str:
    """The seed the matching run of ``today`` uses for ``region``."""
    return f"{today.isoformat()}/{region.code}"


def waiting_order(policy: Policy | None) -> list[str]:
    """The policy's priority keys that do not depend on a period, in the policy's order."""
    keys = list(policy.priority) if policy else ["months_general_practice"]
    return [k for k in keys if k in _GP_KEYS]


def waiting_list(region: Region, today: date) -> list[WaitingEntry]:
    """GPs with an active window who seek service in ``region``, highest priority first
    (the policy's keys, then the run's lottery and the id as the final tie-break)."""
    windows = active_windows()
    windows = [w for w in windows if gp_region_id(w.gp, w) == region.id]
    matches = {
        m.gp_id: m
        for m in db.session.scalars(
            sa.select(Match)
            .options(selectinload(Match.period).selectinload(Period.department))
            .where(
                Match.gp_id.in_([w.gp_id for w in windows]),
                Match.status.in_(LIVE_MATCH_STATUSES),
            )
        )
    }
    policy = region.policy
    seed = lottery_seed(region, today)
    lottery = {w.gp_id: matching.lottery_number(seed, str(w.gp_id)) for w in windows}
    functions = [_GP_KEYS[k] for k in waiting_order(policy)]

    def key(window: Availability) -> tuple:
        lot = lottery[window.gp_id]
        return (*(fn(window.gp, lot) for fn in functions), lot, window.gp_id)

    minimum = policy.min_months_general_practice if policy else 0
    return [
        WaitingEntry(
            position=i,
            gp=w.gp,
            window=w,
            lottery=lottery[w.gp_id],
            eligible=w.gp.months_general_practice >= minimum,
            match=matches.get(w.gp_id),
        )
        for i, w in enumerate(sorted(windows, key=key), 1)
    ]


def _fallback_day(period: Period) -> date:
    return period.advertise_after.astimezone(local_zone()).date()


def open_periods(region: Region, today: date) -> list[PeriodRow]:
    """Open and matched periods, with their fallback date and live match."""
    periods = periods_in_region(region, ("open", "matched"))
    live = {m.period_id: m for m in live_matches_in_region(region)}
    return [
        PeriodRow(
            period=p,
            fallback_on=_fallback_day(p),
            days_to_fallback=(_fallback_day(p) - today).days,
            match=live.get(p.id),
        )
        for p in periods
    ]


def near_fallback(rows: list[PeriodRow]) -> list[PeriodRow]:
    """Periods without a live match that fall back to advertising within two weeks."""
    return sorted(
        (r for r in rows if r.match is None and r.days_to_fallback <= NEAR_FALLBACK_DAYS),
        key=lambda r: (r.fallback_on, r.period.id),
    )


def awaiting_confirmation(matches: list[Match]) -> list[Match]:
    """Proposals a coordinator must confirm before the trust is asked to offer."""
    return [m for m in matches if m.status == "proposed" and m.confirmed_at is None]
