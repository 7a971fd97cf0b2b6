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
        sa.CheckConstraint("reduced = (reduced_at IS NOT NULL)", name="reduced_when_dated"),
        # What a run's data row points at (MatchingRunData): the run as not reduced.
        sa.UniqueConstraint("id", "reduced"),
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
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When the retention job reduced the run to its aggregates (None: not yet): its data row
    # (problem and result), blocking pairs and per-GP reasons are gone, the counts stay.
    reduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reduced: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    created_by: Mapped[User | None] = relationship()
    region: Mapped[Region | None] = relationship()
    # The engine's problem and result, in a table of their own (``MatchingRunData``).
    data: Mapped[MatchingRunData | None] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def problem(self) -> dict[str, Any] | None:
        """The engine's problem per region (loads the run's data row)."""
        return self.data.problem if self.data is not None else None

    @problem.setter
    def problem(self, value: dict[str, Any] | None) -> None:
        self._data().problem = value

    @property
    def result(self) -> dict[str, Any] | None:
        """The engine's result per region (loads the run's data row)."""
        return self.data.result if self.data is not None else None

    @result.setter
    def result(self, value: dict[str, Any] | None) -> None:
        self._data().result = value

    def _data(self) -> MatchingRunData:
        if self.data is None:
            self.data = MatchingRunData()
        return self.data


class MatchingRunData(db.Model):
    """A run's problem and result per region: megabytes at national scale, read only by the
    export and the command line (pages read the run records, app/runs/records.py). A table of
    their own, because SQLite keeps a row's columns together: a list of runs that read a
    column stored after them walked every run's megabytes to reach it."""

    __tablename__ = "matching_run_data"
    __table_args__ = (
        # The row points at its run as not reduced: the database refuses to reduce a run
        # (app.privacy.retention) that still has its problem and result, and to keep them for
        # a reduced one.
        sa.ForeignKeyConstraint(
            ["run_id", "run_reduced"],
            ["matching_runs.id", "matching_runs.reduced"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("run_reduced = false", name="of_a_run_not_reduced"),
    )

    run_id: Mapped[int] = mapped_column(primary_key=True)
    run_reduced: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    problem: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    run: Mapped[MatchingRun] = relationship(back_populates="data")


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
        # Only the engine's unconfirmed proposal waits for the department's choice.
        sa.CheckConstraint(
            "NOT awaiting_choice OR (confirmed_at IS NULL AND source = 'solver')",
            name="awaiting_choice_unconfirmed",
        ),
        sa.Index(
            "uq_matches_live_period",
            "period_id",
            unique=True,
            **live_where("status", LIVE_MATCH_STATUSES),
        ),
        # A GP holds at most two live matches, one per slot; the second only when their
        # window allows a split, never overlapping the first, and the two together last at
        # most the window's months: the triggers of migrations 0021 (trg_matches_live_blocks)
        # and 0022 (trg_matches_live_months) refuse that, app.lifecycle.matches checks first.
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
    # Under a shortlist with two or more candidates the engine's proposal only marks its
    # choice: the department chooses (app.lifecycle.choose); no one confirms it.
    awaiting_choice: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

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
