"""A run killed with kill -9 leaves a visible trace: a real process starts a run and is
killed in the middle of it; its row stays, committed, and shows as stopped, with when and
by whom. This module's processes share a database of their own (no suite transaction)."""

import html
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.dates import local_today
from app.extensions import db
from app.jobs import mark_stopped_runs
from app.models import MatchingRun
from app.reference.loader import load_reference_data
from app.runs.guard import stale_ids
from app.runs.services import RunRequest, execute

from .apiutil import Api
from .conftest import PASSWORD, TEST_CONFIG, Browser
from .dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "ops@example.no"

# An administrator starts a run whose work never ends (until the process is killed).
RUN = textwrap.dedent(
    """
    import sys, time
    from app import create_app
    from app.auth.services import create_user
    from app.dates import local_today
    from app.extensions import db
    from app.runs import services

    def forever(*args, **kwargs):
        print("working", flush=True)
        time.sleep(3600)

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        user = create_user(sys.argv[2], sys.argv[3], "admin")
        db.session.commit()
        services.build_problems = forever
        services.execute(services.RunRequest(as_of=local_today(), actor=user))
    """
)


@pytest.fixture(autouse=True)
def _transaction():
    """(Replaces the suite's rolled-back transaction: these tests read what processes
    committed to a database of their own.)"""
    yield


def _stale(app) -> set[int]:
    with app.app_context():
        return stale_ids(db.session.scalars(sa.select(MatchingRun)))


def test_a_run_killed_with_kill_9_shows_as_stopped(tmp_path, travel):
    with fresh_database(tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        try:
            with app.app_context():
                upgrade(directory=str(ROOT / "migrations"))
                load_reference_data()
                db.session.commit()
                postgresql = db.engine.dialect.name == "postgresql"
            process = subprocess.Popen(
                [sys.executable, "-c", RUN, url, EMAIL, PASSWORD],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert process.stdout.readline().strip() == "working", process.stderr.read()
            finally:
                process.kill()  # SIGKILL: no cleanup of any kind
                process.communicate(timeout=30)

            with app.app_context():
                run = db.session.scalars(sa.select(MatchingRun)).one()
                assert run.status == "running" and run.finished_at is None
                assert run.created_by.email == EMAIL and run.started_at is not None
                run_id, started = run.id, run.started_at
            if postgresql:  # its lock went with its connection (give the server a moment)
                deadline = time.monotonic() + 10
                while _stale(app) != {run_id} and time.monotonic() < deadline:
                    time.sleep(0.1)
            else:  # SQLite: once it has been running for longer than a run can
                assert _stale(app) == set()
                travel(minutes=app.config["RUN_STALE_MINUTES"] + 1)
            assert _stale(app) == {run_id}

            client = app.test_client()
            browser = Browser(client)
            browser.login(EMAIL)
            page = html.unescape(browser.get("/coordination/runs").get_data(as_text=True))
            assert "stoppet før den var ferdig" in page and EMAIL in page
            # the API says so too, before anything has marked it
            [item] = Api.login(client, EMAIL).get("/matching/runs").get_json()["items"]
            assert item["status"] == "failed" and item["created_by"] == EMAIL
            assert f"by {EMAIL}" in item["error"]

            assert mark_stopped_runs(app) == "1 stopped runs marked failed"
            [item] = Api.login(client, EMAIL).get("/matching/runs").get_json()["items"]
            assert item["status"] == "failed"
            assert f"started {started:%Y-%m-%d %H:%M} UTC by {EMAIL}" in item["error"]

            with app.app_context():  # the lock it held is free: the next run runs
                run = execute(RunRequest(as_of=local_today()))
                assert run.status == "succeeded"
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
