"""Scheduled work. Each job opens an app context and runs one unit of work
(app.unit_of_work); the matching run and the outbox delivery keep their own transactions
(a run records its failure after the rollback; each email is marked sent as it leaves).

The scheduler runs in its own process (``flask scheduler``), never in web workers: APScheduler
3 has no lock across processes, so each run is also guarded in the database.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

from .dates import local_today
from .runs.guard import reap_stale_runs
from .runs.services import RunRefused, RunRequest, execute
from .unit_of_work import unit_of_work

STALE_RUNS_MINUTES = 5  # how often the scheduler looks for runs that stopped without finishing


def nightly_matching(app: Flask, as_of: date | None = None) -> str:
    """The 02:00 run: expire offers, fall back to advertising, match, notify."""
    with app.app_context():
        request = RunRequest(as_of=as_of or local_today(), trigger="nightly")
        try:
            run = execute(request)
        except RunRefused as refused:
            app.logger.info("nightly matching skipped: %s", refused.detail)
            return f"skipped: {refused.detail}"
        return f"run {run.id}: {run.proposals} proposals, {run.advertised} advertised"


def mark_stopped_runs(app: Flask) -> str:
    """Every few minutes: mark failed the runs whose process died (app.runs.guard), so the
    run list and the API say so."""
    with app.app_context(), unit_of_work():
        return f"{len(reap_stale_runs())} stopped runs marked failed"


def deliver_outbox(app: Flask) -> str:
    """Every minute: send every email that is due (digests included), then keep watching the
    outbox for most of the minute (OUTBOX_WATCH_SECONDS, a look every OUTBOX_POLL_SECONDS), so
    an alert leaves seconds after its event rather than up to a minute later."""
    from .mail import watch_outbox

    with app.app_context():
        return str(
            watch_outbox(
                float(app.config["OUTBOX_WATCH_SECONDS"]),
                float(app.config["OUTBOX_POLL_SECONDS"]),
            )
        )


def offer_reminders(app: Flask, as_of: date | None = None) -> str:
    """Every morning: remind GPs of offers whose deadline is at most 3 days away."""
    from .announce import remind_offers
    from .errors import Conflict
    from .unit_of_work import unit_of_work

    with app.app_context():
        try:
            with unit_of_work():
                count = remind_offers(as_of or local_today())
        except Conflict:  # another scheduler queued them a moment ago
            return "skipped: reminders already queued"
        return f"{count} offer reminders"


def build_scheduler(app: Flask, *, background: bool = False):
    """The scheduler (blocking for ``flask scheduler``; in the background for a one-process
    set-up with SCHEDULER_ENABLED): the nightly matching run at 02:00 local time, the outbox
    every minute (OUTBOX_INTERVAL_SECONDS), offer reminders at 08:00, stopped runs marked
    failed."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = app.config["TIMEZONE"]
    scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone=zone)
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
    scheduler.add_job(
        mark_stopped_runs,
        IntervalTrigger(minutes=STALE_RUNS_MINUTES, timezone=zone),
        args=[app],
        id="stopped-runs",
        name="Mark runs that stopped without finishing",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(
        deliver_outbox,
        IntervalTrigger(seconds=int(app.config["OUTBOX_INTERVAL_SECONDS"]), timezone=zone),
        args=[app],
        id="outbox",
        name="Email delivery",
        misfire_grace_time=60,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(
        offer_reminders,
        CronTrigger(hour=8, minute=0, timezone=zone),
        args=[app],
        id="offer-reminders",
        name="Offer deadline reminders",
        misfire_grace_time=6 * 3600,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler


def start_in_process(app: Flask):
    """SCHEDULER_ENABLED: run the jobs in this process too (a single-process set-up). Each
    run is guarded in the database, so a second scheduler elsewhere does no harm."""
    import atexit

    scheduler = build_scheduler(app, background=True)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    atexit.register(lambda: scheduler.shutdown(wait=False) if scheduler.running else None)
    return scheduler
