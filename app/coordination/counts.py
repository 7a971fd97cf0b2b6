"""The figures of a region (or of a trust, or of all regions), each defined once.

A figure is a query: the overview lists its rows, and the dashboard, the overview's figures
and the national summary count the same query, so the pages cannot disagree. The scope is a
select of trust ids (``trusts_of``) for the figures about periods and matches, and a list of
region ids for the figures about GPs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.access import gp_ids_in_regions, windows_seeking
from app.announce.reminders import REMINDER_DAYS
from app.dates import local_zone
from app.extensions import db
from app.models import GP, Availability, Department, Match, Period, Trust, User
from app.models.notifications import EmailDigest, Notification
from app.models.periods import PERIOD_STATUSES
from app.models.statuses import LIVE_MATCH_STATUSES, AvailabilityStatus, MatchStatus, PeriodStatus
from app.paging import count

# An open period is "near fallback" when it goes to ordinary advertising within this many days.
NEAR_FALLBACK_DAYS = 14
# An offer is "near its deadline" in the days the GP is reminded of it.
NEAR_DEADLINE_DAYS = REMINDER_DAYS


def trusts_of(region_ids: list[int]) -> sa.Select:
    """The ids of the trusts of ``region_ids``."""
    return sa.select(Trust.id).where(Trust.region_id.in_(region_ids))


def _periods_of(trust_ids: sa.Select) -> sa.Select:
    return sa.select(Period.id).join(Period.department).where(Department.trust_id.in_(trust_ids))


# ---- periods


def period_counts(trust_ids: sa.Select) -> dict[str, int]:
    """Periods by status (``open``: published and waiting for a candidate; ``matched``: a
    proposal or offer holds it; ``filled``; ``advertised``; ``withdrawn``)."""
    rows = db.session.execute(
        sa.select(Period.status, sa.func.count())
        .join(Period.department)
        .where(Department.trust_id.in_(trust_ids))
        .group_by(Period.status)
    ).all()
    counts = {str(status): 0 for status in PERIOD_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def fallback_before(day: date) -> datetime:
    """The moment a period must fall back before to fall back on or before ``day`` (local)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=local_zone())


def near_fallback(trust_ids: sa.Select, today: date) -> sa.Select:
    """Open periods (no live match) that go to ordinary advertising within
    NEAR_FALLBACK_DAYS days, or whose date has passed; soonest first."""
    return (
        sa.select(Period)
        .join(Period.department)
        .where(
            Department.trust_id.in_(trust_ids),
            Period.status == PeriodStatus.OPEN,
            Period.advertise_after < fallback_before(today + timedelta(days=NEAR_FALLBACK_DAYS)),
        )
        .order_by(Period.advertise_after, Period.id)
    )


# ---- matches


def live_matches(trust_ids: sa.Select) -> sa.Select:
    """Proposals, offers and placements of the trusts' periods, soonest start first."""
    return (
        sa.select(Match)
        .join(Match.period)
        .where(Match.period_id.in_(_periods_of(trust_ids)), Match.status.in_(LIVE_MATCH_STATUSES))
        .order_by(Period.start_date, Match.id)
    )


def to_confirm(trust_ids: sa.Select) -> sa.Select:
    """Proposals a coordinator must confirm before the trust is asked to make an offer."""
    return live_matches(trust_ids).where(
        Match.status == MatchStatus.PROPOSED, Match.confirmed_at.is_(None)
    )


def offers_near_deadline(trust_ids: sa.Select, today: date) -> sa.Select:
    """Open offers whose acceptance deadline is at most NEAR_DEADLINE_DAYS days away."""
    return (
        sa.select(Match)
        .where(
            Match.period_id.in_(_periods_of(trust_ids)),
            Match.status == MatchStatus.OFFERED,
            Match.accept_by <= today + timedelta(days=NEAR_DEADLINE_DAYS),
        )
        .order_by(Match.accept_by, Match.id)
    )


# ---- GPs


def waiting_windows(region_ids: list[int]) -> sa.Select:
    """The waiting list: active availability windows that seek service in the regions."""
    return sa.select(Availability).where(
        Availability.status == AvailabilityStatus.ACTIVE,
        Availability.id.in_(windows_seeking(region_ids)),
    )


def gps_of_regions(region_ids: list[int]) -> sa.Select:
    """GPs the regions' coordinators coordinate (home or sought region)."""
    return sa.select(gp_ids_in_regions(region_ids).subquery().c[0])


# ---- emails


def _region_user_ids(region_ids: list[int]) -> sa.CompoundSelect:
    gps = sa.select(GP.user_id).where(GP.id.in_(gps_of_regions(region_ids)))
    staff = sa.select(User.id).where(User.trust_id.in_(trusts_of(region_ids)))
    coordinators = sa.select(User.id).where(User.region_id.in_(region_ids))
    return sa.union(gps, staff, coordinators)


def parked_emails(region_ids: list[int]) -> list[Notification | EmailDigest]:
    """Emails to the regions' GPs, trust staff and coordinators that failed too often and
    wait for an administrator, newest first."""
    users = sa.select(_region_user_ids(region_ids).subquery().c[0])
    rows: list[Notification | EmailDigest] = []
    for model in (Notification, EmailDigest):
        rows.extend(
            db.session.scalars(
                sa.select(model).where(model.email_status == "parked", model.user_id.in_(users))
            )
        )
    return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)


@dataclass(frozen=True)
class Figures:
    """The figures of one scope, as the dashboard, the overview and the summary show them."""

    periods: dict[str, int]
    waiting: int
    live_matches: int
    to_confirm: int
    near_fallback: int
    offers_near_deadline: int
    parked_emails: int


def figures(region_ids: list[int], today: date) -> Figures:
    """Every figure of the regions (one region, or several for a national coordinator)."""
    trust_ids = trusts_of(region_ids)
    return Figures(
        periods=period_counts(trust_ids),
        waiting=count(waiting_windows(region_ids)),
        live_matches=count(live_matches(trust_ids)),
        to_confirm=count(to_confirm(trust_ids)),
        near_fallback=count(near_fallback(trust_ids, today)),
        offers_near_deadline=count(offers_near_deadline(trust_ids, today)),
        parked_emails=len(parked_emails(region_ids)),
    )
