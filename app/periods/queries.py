"""Reading periods for staff pages: the list in a user's scope, its filters, live matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.access import trusts_in_scope
from app.extensions import db
from app.models import AuditEvent, Department, Match, Period, Specialty, Trust, User
from app.models.periods import PERIOD_STATUSES
from app.models.statuses import LIVE_MATCH_STATUSES
from app.paging import Page, page_of

PER_PAGE = 50


@dataclass(frozen=True)
class PeriodFilters:
    status: str | None = None
    department_id: int | None = None
    specialty_id: int | None = None
    start_from: date | None = None
    start_to: date | None = None


def _trust_ids(user: User) -> sa.Select:
    return trusts_in_scope(user).with_only_columns(Trust.id).order_by(None)


def departments_in_scope(user: User, *, active_only: bool = False) -> list[Department]:
    """The departments of the trusts ``user`` manages, by trust and name."""
    query = (
        sa.select(Department)
        .join(Department.trust)
        .options(selectinload(Department.trust), selectinload(Department.specialty))
        .where(Department.trust_id.in_(_trust_ids(user)))
        .order_by(Trust.name, Department.name)
    )
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(db.session.scalars(query))


def specialties_in_scope(user: User) -> list[Specialty]:
    """Specialties that have a department in ``user``'s scope."""
    query = (
        sa.select(Specialty)
        .where(
            Specialty.id.in_(
                sa.select(Department.specialty_id).where(Department.trust_id.in_(_trust_ids(user)))
            )
        )
        .order_by(Specialty.code)
    )
    return list(db.session.scalars(query))


def periods_for(user: User, filters: PeriodFilters, page: int = 1) -> Page[Period]:
    """One page of the periods of the trusts ``user`` manages, filtered, by start date."""
    query = (
        sa.select(Period)
        .join(Period.department)
        .where(Department.trust_id.in_(_trust_ids(user)))
        .order_by(Period.start_date, Period.id)
    )
    if filters.status in PERIOD_STATUSES:
        query = query.where(Period.status == filters.status)
    if filters.department_id:
        query = query.where(Period.department_id == filters.department_id)
    if filters.specialty_id:
        query = query.where(Department.specialty_id == filters.specialty_id)
    if filters.start_from:
        query = query.where(Period.start_date >= filters.start_from)
    if filters.start_to:
        query = query.where(Period.start_date <= filters.start_to)
    shown = (
        selectinload(Period.department).selectinload(Department.trust),
        selectinload(Period.department).selectinload(Department.specialty),
    )
    return page_of(query, page, PER_PAGE, options=shown)


def live_matches(periods: Sequence[Period]) -> dict[int, Match]:
    """The live match of each period that has one, by period id."""
    if not periods:
        return {}
    found = db.session.scalars(
        sa.select(Match)
        .options(selectinload(Match.gp))
        .where(Match.period_id.in_([p.id for p in periods]), Match.status.in_(LIVE_MATCH_STATUSES))
    )
    return {m.period_id: m for m in found}


def match_history(period: Period) -> list[Match]:
    """Every match the period has had, newest first."""
    return list(
        db.session.scalars(
            sa.select(Match)
            .options(selectinload(Match.gp))
            .where(Match.period_id == period.id)
            .order_by(Match.created_at.desc(), Match.id.desc())
        )
    )


def period_events(period: Period, matches: list[Match], limit: int = 50) -> list[AuditEvent]:
    """The audit trail of the period and its matches, newest first."""
    about = sa.and_(AuditEvent.object_type == "period", AuditEvent.object_id == period.id)
    if matches:
        about = sa.or_(
            about,
            sa.and_(
                AuditEvent.object_type == "match",
                AuditEvent.object_id.in_([m.id for m in matches]),
            ),
        )
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .options(selectinload(AuditEvent.actor))
            .where(about)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
