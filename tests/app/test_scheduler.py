"""The nightly job: two scheduler processes started at once against PostgreSQL produce
exactly one run (APScheduler has no lock across processes; the database guards the run).
A scheduler that starts after 02:00 without that night's run makes it, once."""

import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app, jobs
from app.dates import local_today, local_zone
from app.extensions import db
from app.jobs import build_scheduler, catch_up_due, catch_up_nightly
from app.models import MatchingRun
from app.runs.guard import nightly_key

from .conftest import TEST_CONFIG
from .dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[2]

# One scheduler process: the real scheduler, with the nightly job moved to "now" (and no
# catch-up at its start), stopped as soon as the job has run. Prints what the job returned.
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
    scheduler.remove_job("nightly-catch-up")  # this test is about the 02:00 job itself
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


def test_scheduler_enabled_runs_the_jobs_in_this_process(database_url, monkeypatch):
    # (the catch-up would make a real run in the suite's database, outside its transaction)
    monkeypatch.setattr(jobs, "catch_up_nightly", lambda app: "not in this test")
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": True}
    )
    scheduler = app.extensions["scheduler"]
    try:
        assert scheduler.running
        assert {job.id for job in scheduler.get_jobs()} >= {
            "nightly-matching",
            "outbox",
            "offer-reminders",
            "evaluation-surveys",
            "stopped-runs",
        }
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduler_catches_up_as_it_starts(app):
    job = build_scheduler(app).get_job("nightly-catch-up")
    assert job.func is catch_up_nightly and job.misfire_grace_time is None
    assert str(job.trigger).startswith("date[")


def at(hour: int, minute: int = 0, day=None) -> datetime:
    return datetime.combine(day or local_today(), datetime.min.time(), local_zone()).replace(
        hour=hour, minute=minute
    )


@pytest.mark.parametrize(
    ("hour", "minute", "made", "due"),
    [
        (1, 59, False, False),  # the cron job runs at 02:00
        (2, 0, False, True),
        (7, 30, False, True),
        (23, 59, False, True),
        (7, 30, True, False),  # made or running
    ],
)
def test_catch_up_decision(app, hour, minute, made, due):
    with app.app_context():
        assert catch_up_due(at(hour, minute), made) is due


def test_catch_up_makes_the_missed_run_once_and_says_so(app, ctx, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    assert catch_up_nightly(app, now=at(1, 30)) == "no catch-up needed"
    assert "it runs at 02:00" in caplog.text
    outcome = catch_up_nightly(app, now=at(7, 15))
    assert outcome.startswith("caught up: run "), outcome
    assert f"nightly matching of {local_today()} was missed at 02:00: catching up" in caplog.text
    assert catch_up_nightly(app, now=at(7, 16)) == "no catch-up needed"
    assert "it is made or running" in caplog.text
    runs = db.session.execute(sa.select(MatchingRun.run_key, MatchingRun.status)).all()
    assert [tuple(r) for r in runs] == [(nightly_key(local_today()), "succeeded")]


def test_catch_up_replaces_a_nightly_run_whose_process_died(app, ctx):
    # the row a killed scheduler left behind: still running, nobody holds its lock
    # (PostgreSQL), started long ago (SQLite)
    db.session.add(
        MatchingRun(
            run_key=nightly_key(local_today()),
            as_of=local_today(),
            triggered_by="nightly",
            status="running",
            started_at=datetime.now(UTC) - timedelta(hours=2),
        )
    )
    db.session.commit()
    assert catch_up_nightly(app, now=at(7, 15)).startswith("caught up: run ")
    runs = db.session.scalars(sa.select(MatchingRun).order_by(MatchingRun.id)).all()
    assert [(r.run_key, r.status) for r in runs] == [
        (None, "failed"),
        (nightly_key(local_today()), "succeeded"),
    ]
    assert runs[0].error.startswith("stale: ") and "by the scheduler" in runs[0].error


FAKETIME = shutil.which("faketime")


@pytest.mark.skipif(FAKETIME is None, reason="needs libfaketime (apt install faketime)")
def test_two_schedulers_started_after_the_missed_run_make_it_once(tmp_path):
    """Two real `flask scheduler` processes, their clocks at 03:10 (libfaketime) on a day
    whose 02:00 run nobody made: one run for that night, and both say what they did."""
    day = local_today() + timedelta(days=1)  # any day: the processes' clocks say it is today
    start = at(3, 10, day).astimezone(UTC)
    with fresh_database(tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()
        env = {
            **os.environ,
            "APP_ENV": "testing",
            "DATABASE_URL": url,
            "TZ": "UTC",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
        logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
        command = [FAKETIME, "-f", f"@{start:%Y-%m-%d %H:%M:%S}"]
        command += [str(ROOT / ".venv/bin/flask"), "--app", "app", "scheduler"]
        outputs = [log.open("w") for log in logs]
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            for out in outputs
        ]
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                texts = [log.read_text() for log in logs]
                if all("(catch-up): " in t or "no catch-up needed" in t for t in texts):
                    break
                assert all(p.poll() is None for p in processes), texts
                time.sleep(0.3)
        finally:
            for process, out in zip(processes, outputs, strict=True):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
                out.close()
        texts = [log.read_text() for log in logs]
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            runs = connection.execute(
                sa.select(MatchingRun.run_key, MatchingRun.status, MatchingRun.as_of)
            ).all()
        engine.dispose()
    assert [tuple(r) for r in runs] == [(nightly_key(day), "succeeded", day)], texts
    joined = "\n".join(texts)
    assert f"nightly matching of {day} was missed at 02:00: catching up now" in joined, texts
    assert joined.count("(catch-up): run ") == 1, texts
    assert "Traceback" not in joined, texts


def test_web_workers_start_no_scheduler(app):
    assert "scheduler" not in app.extensions
