"""Scheduled work. Each job opens an app context and runs one unit of work
(app.unit_of_work); the matching run and the outbox delivery keep their own transactions
(a run records its failure after the rollback; each email is marked sent as it leaves).

The scheduler runs in its own process (``flask scheduler``), never in web workers: APScheduler
3 has no lock across processes, so each run is also guarded in the database. It keeps its
jobs in memory and forgets a run missed while it was down, so at its start it catches up on
the night's run (``catch_up_nightly``).
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask

from .dates import local_today, local_zone
from .runs.guard import nightly_run_made, reap_stale_runs
from .runs.services import RunRefused, RunRequest, execute
from .unit_of_work import unit_of_work

NIGHTLY_AT = time(2, 0)  # local time of the nightly matching run
RETENTION_AT = time(3, 30)  # local time of the retention job (after the nightly run)
STALE_RUNS_MINUTES = 5  # how often the scheduler looks for runs that stopped without finishing


def _nightly(app: Flask, as_of: date) -> str:
    request = RunRequest(as_of=as_of, trigger="nightly")
    try:
        run = execute(request)
    except RunRefused as refused:
        app.logger.info("nightly matching skipped: %s", refused.detail)
        return f"skipped: {refused.detail}"
    return f"run {run.id}: {run.proposals} proposals, {run.advertised} advertised"


def nightly_matching(app: Flask, as_of: date | None = None) -> str:
    """The 02:00 run: expire offers, fall back to advertising, match, notify."""
    with app.app_context():
        return _nightly(app, as_of or local_today())


def catch_up_due(now: datetime, nightly_made: bool) -> bool:
    """Whether a scheduler starting at ``now`` (local time) must make today's nightly run:
    02:00 has passed and today's run was not made (nor is being made)."""
    return now.time() >= NIGHTLY_AT and not nightly_made


def catch_up_nightly(app: Flask, now: datetime | None = None) -> str:
    """At the scheduler's start: make today's nightly run if 02:00 passed without it (the
    scheduler was down, or the run's process died). The database guard still makes the
    night's run once, whatever another scheduler does at the same moment."""
    with app.app_context():
        now = now or datetime.now(local_zone())
        with unit_of_work():
            reap_stale_runs()  # a run that died gives its night up
            made = nightly_run_made(now.date())
        if not catch_up_due(now, made):
            reason = "it is made or running" if made else f"it runs at {NIGHTLY_AT:%H:%M}"
            app.logger.info("nightly matching of %s: no catch-up needed (%s)", now.date(), reason)
            return "no catch-up needed"
        app.logger.warning(
            "nightly matching of %s was missed at %s: catching up now",
            now.date(),
            f"{NIGHTLY_AT:%H:%M}",
        )
        outcome = _nightly(app, now.date())
        app.logger.info("nightly matching of %s (catch-up): %s", now.date(), outcome)
        return f"caught up: {outcome}"


def mark_stopped_runs(app: Flask) -> str:
    """Every few minutes: mark failed the runs whose process died (app.runs.guard), so the
    run list and the API say so."""
    with app.app_context(), unit_of_work():
        return f"{len(reap_stale_runs())} stopped runs marked failed"


def deliver_outbox(app: Flask) -> str:
    """Every minute: send every email that is due (digests included) and every webhook event
    that is due, then keep watching the outbox for most of the minute (OUTBOX_WATCH_SECONDS,
    a look every OUTBOX_POLL_SECONDS), so an alert leaves seconds after its event rather
    than up to a minute later."""
    from notifications.webhooks import WebhookReport

    from .handoff.outbox import send_due as send_webhooks
    from .mail import watch_outbox

    with app.app_context():
        webhooks = WebhookReport()
        report = watch_outbox(
            float(app.config["OUTBOX_WATCH_SECONDS"]),
            float(app.config["OUTBOX_POLL_SECONDS"]),
            also=lambda: send_webhooks(report=webhooks),
        )
        return f"{report}; {webhooks}"


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


def evaluation_surveys(app: Flask, as_of: date | None = None) -> str:
    """Every morning: invite the GP, the department and the municipality to the survey of
    each placement that ended, and remind once those who have not answered after
    app.learning.surveys.REMINDER_DAYS days. Safe to run twice: one evaluation row per
    placement and one notification per dedupe key, both unique in the database."""
    from .errors import Conflict
    from .learning.surveys import invite_ended, remind_unanswered

    with app.app_context():
        today = as_of or local_today()
        try:
            with unit_of_work():
                invited = invite_ended(today)
                reminded = remind_unanswered(today)
        except Conflict:  # another scheduler did it a moment ago
            return "skipped: surveys already queued"
        return f"{invited} placements invited to the evaluation, {reminded} reminders"


def retention(app: Flask, today: date | None = None) -> str:
    """Every night: reduce the matching runs whose retention has passed and delete audit
    events older than the audit retention (app.privacy.retention). A run is claimed in the
    database as it is reduced, so two schedulers reduce it once."""
    from .privacy.retention import apply_retention

    with app.app_context(), unit_of_work():
        return str(apply_retention(today or local_today()))


def round_reminders(app: Flask, as_of: date | None = None) -> str:
    """Every morning: remind GPs of application round deadlines at most 14 days away
    (app.policy.ROUND_REMINDER_DAYS), once per round and person."""
    from .announce import remind_rounds
    from .errors import Conflict
    from .unit_of_work import unit_of_work

    with app.app_context():
        try:
            with unit_of_work():
                count = remind_rounds(as_of or local_today())
        except Conflict:  # another scheduler queued them a moment ago
            return "skipped: round reminders already queued"
        return f"{count} round reminders"


def build_scheduler(app: Flask, *, background: bool = False):
    """The scheduler (blocking for ``flask scheduler``; in the background for a one-process
    set-up with SCHEDULER_ENABLED): the nightly matching run at 02:00 local time and, as it
    starts, the night's run if 02:00 passed without it; the outbox (email and webhooks)
    every minute (OUTBOX_INTERVAL_SECONDS), offer reminders at 08:00, application round
    reminders at 08:05, evaluation surveys at 08:10, stopped runs marked failed, the
    retention job at 03:30."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = app.config["TIMEZONE"]
    scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone=zone)

    def daily(job, at: time, job_id: str, name: str) -> None:
        """A job once a day at ``at`` local time; held up while the scheduler was down for
        less than 6 hours, it still runs (once)."""
        scheduler.add_job(
            job,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
            args=[app],
            id=job_id,
            name=name,
            misfire_grace_time=6 * 3600,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )

    daily(nightly_matching, NIGHTLY_AT, "nightly-matching", "Nightly matching run")
    scheduler.add_job(
        catch_up_nightly,
        DateTrigger(timezone=zone),  # once, as the scheduler starts
        args=[app],
        id="nightly-catch-up",
        name="Catch up a missed nightly run",
        misfire_grace_time=None,
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
        name="Email and webhook delivery",
        misfire_grace_time=60,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    daily(offer_reminders, time(8, 0), "offer-reminders", "Offer deadline reminders")
    daily(round_reminders, time(8, 5), "round-reminders", "Application round deadline reminders")
    daily(
        evaluation_surveys,
        time(8, 10),
        "evaluation-surveys",
        "Evaluation surveys after placements",
    )
    daily(
        retention,
        RETENTION_AT,
        "retention",
        "Retention: reduce old matching runs, delete old audit events",
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
