"""Public vacancies: periods that fell back to ordinary advertising and have not started."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.dates import local_today
from app.extensions import db
from app.models import Department, Period
from app.models.statuses import PeriodStatus


def vacancies_query(today: date | None = None) -> sa.Select:
    """Advertised periods that start after ``today``, soonest first."""
    today = today or local_today()
    return (
        sa.select(Period)
        .options(
            selectinload(Period.department).selectinload(Department.trust),
            selectinload(Period.department).selectinload(Department.site),
            selectinload(Period.department).selectinload(Department.specialty),
        )
        .where(Period.status == PeriodStatus.ADVERTISED, Period.start_date > today)
        .order_by(Period.start_date, Period.id)
    )


def get_vacancy(period_id: int, today: date | None = None) -> Period | None:
    """The advertised period ``period_id``, or None if it is not a public vacancy."""
    return db.session.scalar(vacancies_query(today).where(Period.id == period_id))
