"""The guards around a matching run: whether one may start now, and whether a run that says
it is running still is.

A committed run is one at a time, and the nightly run one per date (``run_key``, unique).
On PostgreSQL, ``execute`` holds advisory locks on a connection of its own while a run
works: the committed runs' lock, and a lock on its own row. A process that dies, even by
``kill -9``, loses its connection and with it its locks, so a run still marked running whose
lock nobody holds has stopped without finishing. SQLite has no such locks: there a run that
has been running longer than ``RUN_STALE_MINUTES`` counts as stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict
from app.extensions import db
from app.models import MatchingRun
from app.models.types import utcnow

ADVISORY_LOCK_KEY = 4_242_017  # "the committed matching run" on PostgreSQL
RUN_LOCK_CLASS = 4_242_018  # with a run's id: "this run's process is alive"
# The error of a run that stopped without finishing starts with this.
STALE_PREFIX = "stale: "

_LIVE_RUNS = sa.text(
    "SELECT objid::text::bigint FROM pg_locks"
    " WHERE locktype = 'advisory' AND granted AND objsubid = 2"
    " AND classid = CAST(:lock_class AS oid)"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class RunRefused(Conflict):
    """Another run holds the lock, or this night's run already exists."""

    def __init__(self, detail: str):
        super().__init__("run_refused")
        self.detail = detail


def nightly_key(as_of: date) -> str:
    return f"nightly:{as_of.isoformat()}"


def nightly_run_made(as_of: date) -> bool:
    """Whether the nightly run of ``as_of`` succeeded or is running (a failed or stopped
    one gives its key up, so the night can be run again)."""
    query = sa.select(MatchingRun.id).where(MatchingRun.run_key == nightly_key(as_of))
    return db.session.scalar(query) is not None


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


class RunLocks:
    """The locks one run holds until it ends (PostgreSQL; nothing on SQLite)."""

    def __init__(self, connection: sa.Connection | None):
        self.connection = connection

    def claim(self, run_id: int) -> None:
        """Mark the run's row as alive for as long as this process holds the connection."""
        if self.connection is not None:
            self.connection.execute(sa.select(sa.func.pg_advisory_lock(RUN_LOCK_CLASS, run_id)))


@contextmanager
def held_locks(*, exclusive: bool) -> Iterator[RunLocks]:
    """A connection of the run's own that holds its locks until the block ends; with
    ``exclusive`` (a committed run) the committed runs' lock too, or RunRefused."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        yield RunLocks(None)
        return
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if exclusive and not connection.scalar(
            sa.select(sa.func.pg_try_advisory_lock(ADVISORY_LOCK_KEY))
        ):
            raise RunRefused("another matching run is in progress")
        yield RunLocks(connection)
    finally:
        try:
            connection.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        except sa.exc.SQLAlchemyError:
            connection.invalidate()  # never back to the pool with a lock still held
        connection.close()


def stale_ids(runs: Iterable[MatchingRun]) -> set[int]:
    """The ids of the runs among ``runs`` that are marked running but have stopped without
    finishing: on PostgreSQL nobody holds their lock; elsewhere they started more than
    RUN_STALE_MINUTES ago."""
    running = [run for run in runs if run.status == "running"]
    if not running:
        return set()
    if _postgresql():
        alive = set(db.session.scalars(_LIVE_RUNS, {"lock_class": RUN_LOCK_CLASS}))
        return {run.id for run in running if run.id not in alive}
    cutoff = utcnow() - timedelta(minutes=current_app.config["RUN_STALE_MINUTES"])
    return {run.id for run in running if run.started_at < cutoff}


def is_stale(run: MatchingRun) -> bool:
    """Whether the run stopped without finishing: found so earlier, or found so now."""
    if run.status == "failed":
        return (run.error or "").startswith(STALE_PREFIX)
    return run.id in stale_ids([run])


def _started_by(run: MatchingRun) -> str:
    if run.created_by is not None:
        return run.created_by.email
    return {"nightly": "the scheduler", "manual": "the command line"}.get(
        run.triggered_by, run.triggered_by
    )


def stale_error(run: MatchingRun, noticed: datetime) -> str:
    """What the run list says of a run that stopped without finishing: when and by whom."""
    return (
        f"{STALE_PREFIX}stopped without finishing (its process ended); started "
        f"{run.started_at:%Y-%m-%d %H:%M} UTC by {_started_by(run)}, "
        f"noticed {noticed:%Y-%m-%d %H:%M} UTC"
    )


def reap_stale_runs() -> list[MatchingRun]:
    """Mark failed the runs that stopped without finishing, with when and by whom in their
    error, and free their nightly key so the night can run again (flushes). A run that
    finishes meanwhile keeps its own outcome: only a row still running is changed."""
    running = db.session.scalars(sa.select(MatchingRun).where(MatchingRun.status == "running"))
    runs = list(running)
    stale = stale_ids(runs)
    noticed = utcnow()
    reaped = []
    for run in runs:
        if run.id not in stale:
            continue
        changed = db.session.execute(
            sa.update(MatchingRun)
            .where(MatchingRun.id == run.id, MatchingRun.status == "running")
            .values(status="failed", run_key=None, error=stale_error(run, noticed))
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(run)
        if changed.rowcount:  # type: ignore[attr-defined]
            current_app.logger.warning("matching run %s: %s", run.id, run.error)
            reaped.append(run)
    return reaped
