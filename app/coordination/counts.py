"""The figures of a region (or of a trust, or of all regions), each defined once.

A figure is a query: the overview lists its rows, and the dashboard, the overview's figures
and the national summary count the same query, so the pages cannot disagree. The scope is a
select of trust ids (``trusts_of``) for the figures about periods and matches, and a list of
region ids for the figures about GPs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.access import gp_ids_in_regions, sought_region, windows_seeking
from app.announce.reminders import REMINDER_DAYS
from app.dates import local_zone
from app.extensions import db
from app.models import GP, Availability, Department, Match, Period, Trust, User
from app.models.notifications import EmailDigest, Notification
from app.models.periods import PERIOD_STATUSES
from app.models.statuses import LIVE_MATCH_STATUSES, AvailabilityStatus, MatchStatus, PeriodStatus

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


def _near_fallback(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Period.status == PeriodStatus.OPEN,
        Period.advertise_after < fallback_before(today + timedelta(days=NEAR_FALLBACK_DAYS)),
    )


def near_fallback(trust_ids: sa.Select, today: date) -> sa.Select:
    """Open periods (no live match) that go to ordinary advertising within
    NEAR_FALLBACK_DAYS days, or whose date has passed; soonest first."""
    return (
        sa.select(Period)
        .join(Period.department)
        .where(Department.trust_id.in_(trust_ids), _near_fallback(today))
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


def _to_confirm() -> sa.ColumnElement[bool]:
    # A proposal waiting for the department's choice from a shortlist is not a coordinator's.
    return sa.and_(
        Match.status == MatchStatus.PROPOSED,
        Match.confirmed_at.is_(None),
        Match.awaiting_choice.is_(False),
    )


def _near_deadline(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Match.status == MatchStatus.OFFERED,
        Match.accept_by <= today + timedelta(days=NEAR_DEADLINE_DAYS),
    )


def to_confirm(trust_ids: sa.Select) -> sa.Select:
    """Proposals a coordinator must confirm before the trust is asked to make an offer."""
    return live_matches(trust_ids).where(_to_confirm())


def offers_near_deadline(trust_ids: sa.Select, today: date) -> sa.Select:
    """Open offers whose acceptance deadline is at most NEAR_DEADLINE_DAYS days away."""
    return (
        sa.select(Match)
        .where(Match.period_id.in_(_periods_of(trust_ids)), _near_deadline(today))
        .order_by(Match.accept_by, Match.id)
    )


# ---- GPs


def waiting(region_ids: list[int]) -> sa.ColumnElement[bool]:
    """The condition on Availability of ``waiting_windows``."""
    return sa.and_(
        Availability.status == AvailabilityStatus.ACTIVE,
        Availability.id.in_(windows_seeking(region_ids)),
    )


def waiting_windows(region_ids: list[int]) -> sa.Select:
    """The waiting list: active availability windows that seek service in the regions."""
    return sa.select(Availability).where(waiting(region_ids))


def gps_of_regions(region_ids: list[int]) -> sa.Select:
    """GPs the regions' coordinators coordinate (home or sought region)."""
    return sa.select(gp_ids_in_regions(region_ids).subquery().c[0])


# ---- emails


def _region_user_ids(region_ids: list[int]) -> sa.CompoundSelect:
    gps = sa.select(GP.user_id).where(GP.id.in_(gps_of_regions(region_ids)))
    staff = sa.select(User.id).where(User.trust_id.in_(trusts_of(region_ids)))
    coordinators = sa.select(User.id).where(User.region_id.in_(region_ids))
    return sa.union(gps, staff, coordinators)


def _parked(model, region_ids: list[int]) -> sa.Select:
    users = sa.select(_region_user_ids(region_ids).subquery().c[0])
    return sa.select(model).where(model.email_status == "parked", model.user_id.in_(users))


def parked_emails(
    region_ids: list[int], limit: int | None = None
) -> list[Notification | EmailDigest]:
    """Emails to the regions' GPs, trust staff and coordinators that failed too often and
    wait for an administrator, newest first (at most ``limit``), with their users."""
    rows: list[Notification | EmailDigest] = []
    for model in (Notification, EmailDigest):
        query = _parked(model, region_ids).options(selectinload(model.user))
        query = query.order_by(model.created_at.desc(), model.id.desc())
        rows.extend(db.session.scalars(query.limit(limit)))
    rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return rows[:limit]


def parked_email_count(region_ids: list[int]) -> int:
    """How many ``parked_emails`` there are (one query)."""
    notifications, digests = (
        sa.select(sa.func.count()).select_from(_parked(m, region_ids).subquery()).scalar_subquery()
        for m in (Notification, EmailDigest)
    )
    return int(db.session.scalar(sa.select(notifications + digests)) or 0)


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


def figures_by_region(
    region_ids: list[int], today: date, *, emails: bool = True
) -> dict[int, Figures]:
    """Every figure of each region, counted in SQL and grouped by region: one query for the
    periods, one for the matches, one for the waiting list, and (``emails``) one per region
    for the emails (a person may belong to two regions)."""
    periods: dict[int, dict[str, int]] = {
        r: {str(status): 0 for status in PERIOD_STATUSES} for r in region_ids
    }
    near: dict[int, int] = dict.fromkeys(region_ids, 0)
    for region_id, status, n, n_near in db.session.execute(
        sa.select(
            Trust.region_id,
            Period.status,
            sa.func.count(),
            sa.func.count().filter(_near_fallback(today)),
        )
        .join(Department, Period.department_id == Department.id)
        .join(Trust, Department.trust_id == Trust.id)
        .where(Trust.region_id.in_(region_ids))
        .group_by(Trust.region_id, Period.status)
    ):
        periods[region_id][str(status)] = n
        near[region_id] += n_near
    matches = {
        region_id: (live, confirm, deadline)
        for region_id, live, confirm, deadline in db.session.execute(
            sa.select(
                Trust.region_id,
                sa.func.count(),
                sa.func.count().filter(_to_confirm()),
                sa.func.count().filter(_near_deadline(today)),
            )
            .select_from(Match)
            .join(Period, Match.period_id == Period.id)
            .join(Department, Period.department_id == Department.id)
            .join(Trust, Department.trust_id == Trust.id)
            .where(Trust.region_id.in_(region_ids), Match.status.in_(LIVE_MATCH_STATUSES))
            .group_by(Trust.region_id)
        )
    }
    sought = (
        sa.select(sought_region().label("region_id"))
        .where(Availability.status == AvailabilityStatus.ACTIVE)
        .subquery()
    )
    waiting: dict[int, int] = {
        region_id: n
        for region_id, n in db.session.execute(
            sa.select(sought.c.region_id, sa.func.count())
            .where(sought.c.region_id.in_(region_ids))
            .group_by(sought.c.region_id)
        )
    }
    return {
        r: Figures(
            periods=periods[r],
            waiting=waiting.get(r, 0),
            live_matches=matches.get(r, (0, 0, 0))[0],
            to_confirm=matches.get(r, (0, 0, 0))[1],
            near_fallback=near[r],
            offers_near_deadline=matches.get(r, (0, 0, 0))[2],
            parked_emails=parked_email_count([r]) if emails else 0,
        )
        for r in region_ids
    }


def added_up(each: Iterable[Figures], parked_emails: int) -> Figures:
    """The figures of several regions: each region's added up (a period, a match and a
    window belong to one region); the emails, which may not, counted by the caller."""
    each = list(each)
    return Figures(
        periods={
            str(status): sum(f.periods[str(status)] for f in each) for status in PERIOD_STATUSES
        },
        waiting=sum(f.waiting for f in each),
        live_matches=sum(f.live_matches for f in each),
        to_confirm=sum(f.to_confirm for f in each),
        near_fallback=sum(f.near_fallback for f in each),
        offers_near_deadline=sum(f.offers_near_deadline for f in each),
        parked_emails=parked_emails,
    )


def figures(region_ids: list[int], today: date) -> Figures:
    """Every figure of the regions (one region, or several for a national coordinator)."""
    if len(region_ids) == 1:
        return figures_by_region(region_ids, today)[region_ids[0]]
    each = figures_by_region(region_ids, today, emails=False).values() if region_ids else []
    return added_up(each, parked_email_count(region_ids))
