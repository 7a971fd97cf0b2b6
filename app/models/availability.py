"""A GP's availability: the window they can leave their practice, and their ranked wishes."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .reference import Specialty, Trust
from .statuses import CURRENT_AVAILABILITY, AvailabilityStatus
from .types import UTCDateTime, live_where, one_of, utcnow
from .users import GP, User

AVAILABILITY_STATUSES = tuple(AvailabilityStatus)


class Availability(db.Model):
    __tablename__ = "availabilities"
    __table_args__ = (
        one_of("status", AVAILABILITY_STATUSES, "status"),
        sa.CheckConstraint("earliest_start < latest_end", name="window_order"),
        sa.CheckConstraint("months BETWEEN 3 AND 24", name="months_range"),
        # 3 + 3: two blocks of at least 3 months need at least 6 in all.
        sa.CheckConstraint("NOT split_allowed OR months >= 6", name="split_months"),
        # An endorsement names who gave it and when, or there is none.
        sa.CheckConstraint(
            "(endorsed_at IS NULL AND endorsed_by_id IS NULL)"
            " OR (endorsed_at IS NOT NULL AND endorsed_by_id IS NOT NULL)",
            name="endorsement_whole",
        ),
        sa.Index(
            "uq_availabilities_current_gp",
            "gp_id",
            unique=True,
            **live_where("status", CURRENT_AVAILABILITY),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gp_id: Mapped[int] = mapped_column(sa.ForeignKey("gps.id"), index=True)
    earliest_start: Mapped[date]
    latest_end: Mapped[date]
    months: Mapped[int]
    accept_other_specialty: Mapped[bool] = mapped_column(default=False)
    # Vestre Viken's 3 + 3: up to two non-overlapping blocks of at least 3 months that add
    # up to at most ``months`` (docs/matching.md, "Split placements").
    split_allowed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(12), default=AvailabilityStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The GP's municipality endorsed the window (app/municipalities/services.py): who, when.
    endorsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    endorsed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    gp: Mapped[GP] = relationship(backref="availabilities")
    endorsed_by: Mapped[User | None] = relationship()
    specialty_wishes: Mapped[list[AvailabilitySpecialty]] = relationship(
        order_by="AvailabilitySpecialty.rank", cascade="all, delete-orphan"
    )
    trust_wishes: Mapped[list[AvailabilityTrust]] = relationship(
        order_by="AvailabilityTrust.rank", cascade="all, delete-orphan"
    )

    @property
    def specialties(self) -> list[Specialty]:
        return [w.specialty for w in self.specialty_wishes]

    @property
    def trusts(self) -> list[Trust]:
        return [w.trust for w in self.trust_wishes]

    def set_wishes(self, specialties: list[Specialty], trusts: list[Trust]) -> None:
        """Replace both ranked lists (most wanted first)."""
        self.specialty_wishes = [
            AvailabilitySpecialty(specialty=s, rank=i) for i, s in enumerate(specialties, 1)
        ]
        self.trust_wishes = [AvailabilityTrust(trust=t, rank=i) for i, t in enumerate(trusts, 1)]


class AvailabilitySpecialty(db.Model):
    __tablename__ = "availability_specialties"
    __table_args__ = (
        sa.UniqueConstraint("availability_id", "rank"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
    )

    availability_id: Mapped[int] = mapped_column(
        sa.ForeignKey("availabilities.id", ondelete="CASCADE"), primary_key=True
    )
    specialty_id: Mapped[int] = mapped_column(sa.ForeignKey("specialties.id"), primary_key=True)
    rank: Mapped[int]

    specialty: Mapped[Specialty] = relationship()


class AvailabilityTrust(db.Model):
    __tablename__ = "availability_trusts"
    __table_args__ = (
        sa.UniqueConstraint("availability_id", "rank"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
    )

    availability_id: Mapped[int] = mapped_column(
        sa.ForeignKey("availabilities.id", ondelete="CASCADE"), primary_key=True
    )
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), primary_key=True)
    rank: Mapped[int]

    trust: Mapped[Trust] = relationship()
