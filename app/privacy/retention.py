"""Retention (issue 20, data protection): what the nightly retention job removes, and when.

A matching run's problem and result, its blocking pairs and its per-GP reasons name GPs and
what the engine thought of them: the candidate lists of their periods. They are kept while
they may be asked about and destroyed after use, as Ahus does: a run is *reduced* once
``RUN_RETENTION_MONTHS`` (12) have passed since the later of its date (``as_of``) and the end
of the last period in its problem. A reduced run keeps its row, its counts
(``run_regions``) and the counts of its summary; its pages say "reduced after retention".
Shortlists are never stored (app.periods.shortlist ranks them when asked, and only for
periods still open), so there is nothing of them to reduce.

Audit events are deleted ``AUDIT_RETENTION_YEARS`` (5) after they happened.

Each run is reduced once: the reduction claims it with an UPDATE that only a run not yet
reduced matches, so two jobs at the same moment (two schedulers) reduce it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.dates import add_months, local_zone
from app.extensions import db
from app.models import (
    AuditEvent,
    MatchingRun,
    MatchingRunData,
    Period,
    RunBlockingPair,
    RunGPReasons,
    RunRegion,
)
from app.models.types import utcnow

BATCH = 50  # runs looked at per query (a run's problem names hundreds of periods)
# What a run's summary keeps per region once reduced: counts, no GP or pair.
_REGION_KEEPS = (
    "mode",
    "status",
    "placements",
    "periods",
    "gps",
    "kept",
    "blocking_pairs_by_cause",
    "passed_over",
    "wall_time_s",
    "alternative",
)


@dataclass
class RetentionReport:
    runs_reduced: list[int] = field(default_factory=list)
    audit_deleted: int = 0

    def __str__(self) -> str:
        return f"{len(self.runs_reduced)} runs reduced, {self.audit_deleted} audit events deleted"


def run_retention_months() -> int:
    return int(current_app.config["RUN_RETENTION_MONTHS"])


def audit_retention_years() -> int:
    return int(current_app.config["AUDIT_RETENTION_YEARS"])


def run_reduced_on(as_of: date, last_period_end: date | None) -> date:
    """The day a run of ``as_of`` whose problem's last period ends ``last_period_end`` is
    reduced: RUN_RETENTION_MONTHS after the later of the two."""
    latest = max(as_of, last_period_end) if last_period_end else as_of
    return add_months(latest, run_retention_months())


def audit_kept_from(today: date) -> datetime:
    """Audit events before this moment (local midnight) are deleted."""
    day = add_months(today, -12 * audit_retention_years())
    return datetime.combine(day, time(0), tzinfo=local_zone())


def reduced_summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The summary's counts without the pairs that name GPs (new, dropped, passed over)."""
    if summary is None:
        return None
    # new and dropped stay, empty: the API's contract lists them (MatchingRunSchema).
    regions = {
        code: {k: v for k, v in data.items() if k in _REGION_KEEPS} | {"new": [], "dropped": []}
        for code, data in (summary.get("regions") or {}).items()
    }
    return {**summary, "regions": regions}


def _last_period_ends(run_ids: list[int]) -> dict[int, date | None]:
    """The end of the last period in each run's problem (None: no period)."""
    rows = db.session.execute(
        sa.select(RunRegion.run_id, RunRegion.period_ids).where(RunRegion.run_id.in_(run_ids))
    ).all()
    wanted = {int(i) for _, ids in rows for i in ids or []}
    ends: dict[int, date] = {}
    if wanted:
        rows_ends = db.session.execute(
            sa.select(Period.id, Period.end_date).where(Period.id.in_(wanted))
        )
        ends = {pid: end for pid, end in rows_ends}
    out: dict[int, date | None] = dict.fromkeys(run_ids)
    for run_id, ids in rows:
        for period_end in (ends.get(int(i)) for i in ids or []):
            current = out[run_id]
            if period_end is not None and (current is None or period_end > current):
                out[run_id] = period_end
    return out


def runs_due(today: date) -> list[int]:
    """Runs, not yet reduced and no longer running, whose retention has passed by ``today``."""
    # A run of a later date cannot be due: its retention counts from at least its date.
    latest_as_of = add_months(today, -run_retention_months())
    candidates = list(
        db.session.scalars(
            sa.select(MatchingRun.id)
            .where(
                MatchingRun.reduced_at.is_(None),
                MatchingRun.status != "running",
                MatchingRun.as_of <= latest_as_of,
            )
            .order_by(MatchingRun.id)
        )
    )
    due = []
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        dated = db.session.execute(
            sa.select(MatchingRun.id, MatchingRun.as_of).where(MatchingRun.id.in_(batch))
        )
        as_of: dict[int, date] = {rid: day for rid, day in dated}
        ends = _last_period_ends(batch)
        due += [i for i in batch if run_reduced_on(as_of[i], ends[i]) <= today]
    return due


def reduce_run(run_id: int) -> bool:
    """Reduce one run to its counts (flushes): its problem, result, blocking pairs and
    per-GP reasons are deleted, its summary keeps the counts. False when another job has
    reduced it already (the UPDATE claims it only while ``reduced_at`` is empty). The data
    go first: the database refuses to mark a run reduced while its data row exists."""
    summary = db.session.scalar(sa.select(MatchingRun.summary).where(MatchingRun.id == run_id))
    for model in (MatchingRunData, RunBlockingPair, RunGPReasons):
        db.session.execute(
            sa.delete(model)
            .where(model.run_id == run_id)
            .execution_options(synchronize_session=False)
        )
    claimed = cast(
        sa.CursorResult,
        db.session.execute(
            sa.update(MatchingRun)
            .where(MatchingRun.id == run_id, MatchingRun.reduced_at.is_(None))
            .values(
                reduced_at=utcnow(),
                reduced=True,
                summary=reduced_summary(summary) if summary is not None else sa.null(),
            )
            .execution_options(synchronize_session=False)
        ),
    )
    return claimed.rowcount == 1


def apply_retention(today: date) -> RetentionReport:
    """Reduce every run that is due and delete audit events older than the audit retention
    (flushes; audited as one event). The caller commits."""
    report = RetentionReport()
    for run_id in runs_due(today):
        if reduce_run(run_id):
            report.runs_reduced.append(run_id)
    deleted = cast(
        sa.CursorResult,
        db.session.execute(
            sa.delete(AuditEvent)
            .where(AuditEvent.at < audit_kept_from(today))
            .execution_options(synchronize_session=False)
        ),
    )
    report.audit_deleted = int(deleted.rowcount or 0)
    if report.runs_reduced or report.audit_deleted:
        audit.record(
            "retention.applied",
            object_type="system",
            data={
                "runs_reduced": report.runs_reduced,
                "audit_deleted": report.audit_deleted,
                "run_retention_months": run_retention_months(),
                "audit_retention_years": audit_retention_years(),
            },
        )
    db.session.flush()
    db.session.expire_all()  # the runs' rows changed underneath the session
    return report
