"""The nightly job: two scheduler processes started at once against PostgreSQL produce
exactly one run (APScheduler has no lock across processes; the database guards the run)."""

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.jobs import build_scheduler
from app.models import MatchingRun

from .conftest import TEST_CONFIG
from .dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[2]

# One scheduler process: the real scheduler, with the nightly job moved to "now", stopped
# as soon as the job has run. Prints what the job returned.
SCHEDULER = textwrap.dedent(
    """
    import sys, threading
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_ERROR
    from app import create_app
    from app.jobs import build_scheduler

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    scheduler = build_scheduler(app)
    start_at = datetime.fromisoformat(sys.argv[2])
    job = scheduler.get_job("nightly-matching")
    scheduler.modify_job(job.id, next_run_time=start_at)

    def done(event):
        print("result:", getattr(event, "retval", None) or event.exception, flush=True)
        threading.Thread(target=lambda: scheduler.shutdown(wait=False)).start()

    scheduler.add_listener(done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    """
)


def test_the_scheduler_has_the_nightly_job(app):
    scheduler = build_scheduler(app)
    job = scheduler.get_job("nightly-matching")
    assert str(job.trigger) == "cron[hour='2', minute='0']"
    assert job.misfire_grace_time >= 3600 and job.coalesce and job.max_instances == 1


@pytest.mark.skipif(
    "postgresql" not in (__import__("os").environ.get("TEST_DATABASE_URL") or ""),
    reason="runs in the PostgreSQL pass of the suite",
)
def test_two_schedulers_at_once_make_one_run(tmp_path):
    with fresh_database(tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()
        start_at = (datetime.now(ZoneInfo("Europe/Oslo")) + timedelta(seconds=4)).isoformat()
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", SCHEDULER, url, start_at],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert all(p.returncode == 0 for p in processes), outputs
        results = " ".join(out for out, _err in outputs)
        assert results.count("result: run ") == 1, outputs
        assert results.count("result: skipped") == 1, outputs
        # (db.session is the suite's rolled-back session: read this database directly)
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            runs = connection.execute(sa.select(MatchingRun.run_key, MatchingRun.status)).all()
        engine.dispose()
        today = datetime.now(ZoneInfo("Europe/Oslo")).date()
        assert [tuple(r) for r in runs] == [(f"nightly:{today}", "succeeded")]


def test_scheduler_enabled_runs_the_jobs_in_this_process(database_url):
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": True}
    )
    scheduler = app.extensions["scheduler"]
    try:
        assert scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {
            "nightly-matching",
            "outbox",
            "offer-reminders",
            "stopped-runs",
        }
    finally:
        scheduler.shutdown(wait=False)


def test_web_workers_start_no_scheduler(app):
    assert "scheduler" not in app.extensions
