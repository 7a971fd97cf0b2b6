"""Matching runs, the matches they propose or coordinators make, and forbidden pairs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .periods import Period
from .reference import Region
from .statuses import LIVE_MATCH_STATUSES, MatchStatus
from .types import UTCDateTime, live_where, one_of, utcnow
from .users import GP, User

MATCH_STATUSES = tuple(MatchStatus)
MATCH_SOURCES = ("solver", "coordinator")
RUN_STATUSES = ("running", "succeeded", "failed")
RUN_TRIGGERS = ("nightly", "manual", "api")


class MatchingRun(db.Model):
    __tablename__ = "matching_runs"
    __table_args__ = (
        one_of("status", RUN_STATUSES, "status"),
        one_of("triggered_by", RUN_TRIGGERS, "triggered_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique per committed run of a kind and date: two schedulers cannot both run a night.
    run_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    as_of: Mapped[date]
    dry_run: Mapped[bool] = mapped_column(default=False)
    # The region the run covers; None: every region (the nightly run, a national choice).
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    triggered_by: Mapped[str] = mapped_column(sa.String(10), default="manual")
    status: Mapped[str] = mapped_column(sa.String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solver: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    proposals: Mapped[int] = mapped_column(default=0)
    advertised: Mapped[int] = mapped_column(default=0)
    expired: Mapped[int] = mapped_column(default=0)
    # The engine's problem and result per region: megabytes at national scale, read only by a
    # run's own page, the GP's explanations and the export; never loaded with a list of runs.
    problem: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()
    region: Mapped[Region | None] = relationship()


class Match(db.Model):
    __tablename__ = "matches"
    __table_args__ = (
        one_of("status", MATCH_STATUSES, "status"),
        one_of("source", MATCH_SOURCES, "source"),
        sa.CheckConstraint(
            f"status <> '{MatchStatus.OFFERED}' OR accept_by IS NOT NULL", name="offer_has_deadline"
        ),
        sa.CheckConstraint("gp_rank IS NULL OR gp_rank >= 1", name="gp_rank_positive"),
        sa.CheckConstraint(
            f"hired_at IS NULL OR status = '{MatchStatus.ACCEPTED}'", name="hired_when_accepted"
        ),
        sa.CheckConstraint(
            f"decline_reason IS NULL OR status = '{MatchStatus.DECLINED}'",
            name="decline_reason_when_declined",
        ),
        sa.Index(
            "uq_matches_live_period",
            "period_id",
            unique=True,
            **live_where("status", LIVE_MATCH_STATUSES),
        ),
        # A GP holds at most two live matches, one per slot; the second only when their
        # window allows a split, never overlapping the first: the triggers of migration 0016
        # (trg_matches_live_blocks) refuse that, app.lifecycle.matches checks it first.
        sa.CheckConstraint("slot IN (1, 2)", name="slot_range"),
        sa.Index(
            "uq_matches_live_gp_slot",
            "gp_id",
            "slot",
            unique=True,
            **live_where("status", LIVE_MATCH_STATUSES),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("periods.id"), index=True)
    gp_id: Mapped[int] = mapped_column(sa.ForeignKey("gps.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("matching_runs.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=MatchStatus.PROPOSED)
    source: Mapped[str] = mapped_column(sa.String(12), default="solver")
    pinned: Mapped[bool] = mapped_column(default=False)
    # Which of the GP's (at most two) live blocks this is: 1, or 2 for a split's second.
    slot: Mapped[int] = mapped_column(default=1, server_default="1")
    gp_rank: Mapped[int | None]
    priority_position: Mapped[int | None]
    explanation: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    accept_by: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A proposal is confirmed (automatically or by a coordinator) before the trust offers.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the GP said when declining (optional); the trust and the coordinators read it.
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)

    period: Mapped[Period] = relationship()
    gp: Mapped[GP] = relationship()
    run: Mapped[MatchingRun | None] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_MATCH_STATUSES


class Forbid(db.Model):
    """A pair a coordinator ruled out: the solver never proposes it again."""

    __tablename__ = "forbids"
    __table_args__ = (sa.UniqueConstraint("period_id", "gp_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("periods.id"), index=True)
    gp_id: Mapped[int] = mapped_column(sa.ForeignKey("gps.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    period: Mapped[Period] = relationship()
    gp: Mapped[GP] = relationship()
