"""What a matching run stored for the pages that show it, written once at run time
(app.runs.records): per region its numbers and the other mode's outcome, the pairs whose
priority could not be followed, and per GP the engine's reasons. Pages read these rows;
none of them reads the run's problem and result JSON or solves again."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .matching import MatchingRun
from .periods import Period
from .reference import Department, Region
from .types import one_of
from .users import GP

RUN_MODES = ("strict_priority", "max_placements")
SOLVER_STATUSES = ("optimal", "feasible", "infeasible")
BLOCKING_CAUSES = ("pin", "placed", "department_capacity")


def _run_fk() -> sa.ForeignKey:
    return sa.ForeignKey("matching_runs.id", ondelete="CASCADE")


class RunRegion(db.Model):
    """One region a run solved. ``committed`` copies the run's ``not dry_run`` (it never
    changes), so that the latest committed run that solved a region is one indexed query;
    a row exists only for a run that succeeded (it is written in the run's transaction)."""

    __tablename__ = "run_regions"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "region_id"),
        one_of("mode", RUN_MODES, "mode"),
        one_of("status", SOLVER_STATUSES, "status"),
        sa.CheckConstraint(
            "alt_mode IS NULL OR (alt_placements IS NOT NULL AND alt_passed_over IS NOT NULL)",
            name="alternative_complete",
        ),
        sa.CheckConstraint(
            "alt_mode IS NULL OR alt_mode <> mode", name="alternative_is_the_other_mode"
        ),
        sa.Index("ix_run_regions_latest", "region_id", "committed", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(_run_fk())
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    committed: Mapped[bool]
    mode: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(12))
    placements: Mapped[int]
    periods: Mapped[int]
    gps: Mapped[int]
    kept: Mapped[int]
    passed_over: Mapped[int]
    wall_time_s: Mapped[float]
    # The other mode's outcome for the same problem (None: not recorded, runs made before
    # it was computed at run time).
    alt_mode: Mapped[str | None] = mapped_column(sa.String(20))
    alt_placements: Mapped[int | None]
    alt_passed_over: Mapped[int | None]
    # The ids of the periods in the region's problem (why-not: was the period in the run).
    period_ids: Mapped[list[int]] = mapped_column(sa.JSON, deferred=True)

    run: Mapped[MatchingRun] = relationship()
    region: Mapped[Region] = relationship()


class RunBlockingPair(db.Model):
    """strict_priority: a pair the run could not give by priority, and what held it."""

    __tablename__ = "run_blocking_pairs"
    __table_args__ = (
        one_of("cause", BLOCKING_CAUSES, "cause"),
        # The run page and the API: by run and region, grouped by cause and department, paged.
        sa.Index(
            "ix_run_blocking_pairs_groups", "run_id", "region_id", "cause", "department_id", "id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(_run_fk())
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    gp_id: Mapped[int] = mapped_column(sa.ForeignKey("gps.id"))
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("periods.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    cause: Mapped[str] = mapped_column(sa.String(20))
    # The engine's reason for the pair, naming the side that is held: gp_pinned, gp_placed,
    # period_pinned, period_placed or department_full (None when the engine gave none).
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gps.id"))
    full_from: Mapped[date | None]  # department_capacity: the first day it is full

    gp: Mapped[GP] = relationship(foreign_keys=[gp_id])
    holder: Mapped[GP | None] = relationship(foreign_keys=[holder_id])
    period: Mapped[Period] = relationship()
    department: Mapped[Department] = relationship()


class RunGPReasons(db.Model):
    """A GP in a region's problem, and the engine's reason per period it did not get
    (period id as text -> reason code). The row exists for every GP of the problem."""

    __tablename__ = "run_gp_reasons"
    __table_args__ = (sa.UniqueConstraint("run_id", "region_id", "gp_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(_run_fk())
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    gp_id: Mapped[int] = mapped_column(sa.ForeignKey("gps.id"))
    reasons: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
