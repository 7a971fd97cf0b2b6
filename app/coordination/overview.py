"""The region's overview: open periods and their fallback dates, the waiting list in
priority order (it replaces the coordinators' Excel sheet), live matches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

import matching
from app import lottery
from app.access import seeking_region_id
from app.dates import local_zone
from app.extensions import db
from app.models import (
    GP,
    Availability,
    Department,
    Match,
    Period,
    Region,
    Trust,
)
from app.models.statuses import LIVE_MATCH_STATUSES, MATCHABLE_PERIOD_STATUSES, MatchStatus
from app.policy import EffectivePolicy, region_policy
from app.runs.problem import active_windows

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


def waiting_order(policy: EffectivePolicy) -> list[str]:
    """The policy's priority keys that do not depend on a period, in the policy's order."""
    return [k for k in policy.priority if k in _GP_KEYS]


def waiting_list(region: Region, today: date) -> list[WaitingEntry]:
    """GPs with an active window who seek service in ``region``, highest priority first
    (the policy's keys, then the run's lottery and the id as the final tie-break)."""
    windows = active_windows()
    windows = [w for w in windows if seeking_region_id(w.gp, w) == region.id]
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
    policy = region_policy(region)
    seed = lottery.seed_for(region, today)
    numbers = {w.gp_id: matching.lottery_number(seed, str(w.gp_id)) for w in windows}
    functions = [_GP_KEYS[k] for k in waiting_order(policy)]

    def key(window: Availability) -> tuple:
        lot = numbers[window.gp_id]
        return (*(fn(window.gp, lot) for fn in functions), lot, window.gp_id)

    minimum = policy.min_months_general_practice
    return [
        WaitingEntry(
            position=i,
            gp=w.gp,
            window=w,
            lottery=numbers[w.gp_id],
            eligible=w.gp.months_general_practice >= minimum,
            match=matches.get(w.gp_id),
        )
        for i, w in enumerate(sorted(windows, key=key), 1)
    ]


def _fallback_day(period: Period) -> date:
    return period.advertise_after.astimezone(local_zone()).date()


def open_periods(region: Region, today: date) -> list[PeriodRow]:
    """Open and matched periods, with their fallback date and live match."""
    periods = periods_in_region(region, MATCHABLE_PERIOD_STATUSES)
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
    return [m for m in matches if m.status == MatchStatus.PROPOSED and m.confirmed_at is None]


def periods_in_region(region: Region, statuses: tuple[str, ...]) -> list[Period]:
    """The region's periods with one of ``statuses``, soonest start first."""
    return list(
        db.session.scalars(
            sa.select(Period)
            .join(Period.department)
            .join(Department.trust)
            .where(Trust.region_id == region.id, Period.status.in_(statuses))
            .order_by(Period.start_date, Period.id)
        )
    )


def live_matches_in_region(region: Region) -> list[Match]:
    """Proposals, offers and placements for the region's periods, soonest start first."""
    return list(
        db.session.scalars(
            sa.select(Match)
            .join(Match.period)
            .join(Period.department)
            .join(Department.trust)
            .where(Trust.region_id == region.id, Match.status.in_(LIVE_MATCH_STATUSES))
            .order_by(Period.start_date, Match.id)
        )
    )
