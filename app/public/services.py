"""Public periods: vacancies that fell back to ordinary advertising, and the periods of a
region or a trust that are still open, none of them started."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.dates import local_today
from app.extensions import db
from app.models import Department, Period, Trust
from app.models.statuses import PUBLIC_PERIOD_STATUSES, PeriodStatus

# Periods a region's or a trust's public page lists at a time.
PERIODS_PER_PAGE = 25
VACANCIES_PER_PAGE = 50


def vacancies_query(today: date | None = None) -> sa.Select:
    """Advertised periods that start after ``today``, soonest first."""
    today = today or local_today()
    return (
        sa.select(Period)
        .options(
            selectinload(Period.department).selectinload(Department.trust),
            selectinload(Period.department).selectinload(Department.site),
            selectinload(Period.department).selectinload(Department.specialty),
            selectinload(Period.second_department),  # a combined period's second part
        )
        .where(Period.status == PeriodStatus.ADVERTISED, Period.start_date > today)
        .order_by(Period.start_date, Period.id)
    )


def get_vacancy(period_id: int, today: date | None = None) -> Period | None:
    """The advertised period ``period_id``, or None if it is not a public vacancy."""
    return db.session.scalar(vacancies_query(today).where(Period.id == period_id))


def _not_started(today: date | None) -> sa.ColumnElement[bool]:
    return sa.and_(
        Period.status.in_(PUBLIC_PERIOD_STATUSES), Period.start_date > (today or local_today())
    )


def open_periods_query(
    *, region_id: int | None = None, trust_id: int | None = None, today: date | None = None
) -> sa.Select:
    """The periods of a region or a trust that anyone may see (open for GPs in training, or
    advertised the ordinary way) and that start after ``today``, soonest first; what each
    row shows is loaded with it."""
    query = (
        sa.select(Period)
        .join(Period.department)
        .options(
            selectinload(Period.department).selectinload(Department.trust),
            selectinload(Period.department).selectinload(Department.site),
            selectinload(Period.department).selectinload(Department.specialty),
        )
        .where(_not_started(today))
        .order_by(Period.start_date, Period.id)
    )
    if trust_id is not None:
        query = query.where(Department.trust_id == trust_id)
    if region_id is not None:
        query = query.join(Department.trust).where(Trust.region_id == region_id)
    return query


def open_period_counts(region_id: int, today: date | None = None) -> dict[int, int]:
    """For each trust of the region with any, how many periods ``open_periods_query`` lists."""
    rows = db.session.execute(
        sa.select(Department.trust_id, sa.func.count(Period.id))
        .join(Period.department)
        .join(Department.trust)
        .where(Trust.region_id == region_id, _not_started(today))
        .group_by(Department.trust_id)
    ).all()
    return {trust_id: count for trust_id, count in rows}
