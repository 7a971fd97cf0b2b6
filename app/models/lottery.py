"""The lottery's seeds: one per region and season, drawn at random and committed to by its
SHA-256 before any run of the season uses it (see app/lottery.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .reference import Region
from .types import UTCDateTime, utcnow


class LotterySeed(db.Model):
    __tablename__ = "lottery_seeds"
    __table_args__ = (
        sa.UniqueConstraint("region_id", "season"),
        sa.CheckConstraint("season BETWEEN 2000 AND 2100", name="season_range"),
        sa.CheckConstraint("length(seed) = 64", name="seed_length"),
        sa.CheckConstraint("length(seed_sha256) = 64", name="seed_sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    # The calendar year the seed decides ties in.
    season: Mapped[int]
    # 32 random bytes as hex: secret until the season has ended.
    seed: Mapped[str] = mapped_column(sa.String(64))
    # SHA-256 of the seed's text, public from the moment it is drawn.
    seed_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
