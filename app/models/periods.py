"""Available periods that trusts publish, usually from planned long leave."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dates import months_covered
from app.extensions import db

from .reference import Department
from .statuses import PeriodStatus
from .types import UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from .learning import LearningGoal

PERIOD_SOURCES = ("parental_leave", "leave_of_absence", "vacancy", "earmarked_post", "other")
PERIOD_STATUSES = tuple(PeriodStatus)


class Period(db.Model):
    __tablename__ = "periods"
    __table_args__ = (
        one_of("source", PERIOD_SOURCES, "source"),
        one_of("status", PERIOD_STATUSES, "status"),
        sa.CheckConstraint("start_date < end_date", name="dates_order"),
        sa.CheckConstraint("advertise_after >= published_at", name="fallback_after_publication"),
        sa.Index("ix_periods_status_start", "status", "start_date"),
        # A combined period (3 + 3 in one period): the second department and the day the
        # GP moves there come together, the day lies inside the period, the department
        # differs from the first.
        sa.CheckConstraint(
            "(second_department_id IS NULL AND switch_date IS NULL)"
            " OR (second_department_id IS NOT NULL AND switch_date > start_date"
            " AND switch_date <= end_date AND second_department_id <> department_id)",
            name="second_department_whole",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    source: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    on_call: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str | None] = mapped_column(sa.String(160))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(12), default=PeriodStatus.OPEN)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    advertise_after: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The application round whose matching took the period (app/rounds.py): set once, by
    # that round's run; later runs leave the period alone.
    application_round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("application_rounds.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Combined over two departments: from switch_date the GP works in the second one.
    second_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    switch_date: Mapped[date | None]

    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    second_department: Mapped[Department | None] = relationship(foreign_keys=[second_department_id])
    # The learning goals the period offers (app.learning.services sets them).
    learning_goals: Mapped[list[LearningGoal]] = relationship(
        "LearningGoal", secondary="period_learning_goals", order_by="LearningGoal.code"
    )

    @property
    def months(self) -> int:
        """Whole calendar months the period covers."""
        return months_covered(self.start_date, self.end_date)

    @property
    def trust(self):
        return self.department.trust

    @property
    def specialty(self):
        return self.department.specialty
