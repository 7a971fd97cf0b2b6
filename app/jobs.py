"""Scheduled work. Each job opens an app context, calls a service and commits once.

The scheduler runs in its own process (``flask scheduler``), never in web workers: APScheduler
3 has no lock across processes, so each run is also guarded in the database.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

from .dates import local_today
from .runs.services import RunRefused, RunRequest, execute


def nightly_matching(app: Flask, as_of: date | None = None) -> str:
    """The 02:00 run: expire offers, fall back to advertising, match, notify."""
    with app.app_context():
        request = RunRequest(as_of=as_of or local_today(), trigger="nightly")
        try:
            run = execute(request)
        except RunRefused as refused:
            app.logger.info("nightly matching skipped: %s", refused)
            return f"skipped: {refused}"
        return f"run {run.id}: {run.proposals} proposals, {run.advertised} advertised"


def build_scheduler(app: Flask):
    """A blocking scheduler with the nightly matching run at 02:00 local time."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    zone = app.config["TIMEZONE"]
    scheduler = BlockingScheduler(timezone=zone)
    scheduler.add_job(
        nightly_matching,
        CronTrigger(hour=2, minute=0, timezone=zone),
        args=[app],
        id="nightly-matching",
        name="Nightly matching run",
        misfire_grace_time=6 * 3600,  # a scheduler that was down at 02:00 still runs by 08:00
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler
