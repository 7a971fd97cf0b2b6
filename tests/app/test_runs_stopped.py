"""A run leaves a trace: its row is committed as running before the work, a failure is
recorded on that row, and a run whose process died shows as stopped (the run list at once;
failed, with when and by whom, once the scheduler or the next run has noticed)."""

import html
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import matching
from app.dates import local_today
from app.extensions import db
from app.jobs import mark_stopped_runs
from app.models import MatchingRun
from app.runs.guard import ADVISORY_LOCK_KEY, RUN_LOCK_CLASS, nightly_key, stale_ids
from app.runs.services import RunRefused, RunRequest, execute

from . import factories
from .apiutil import Api

TODAY = local_today()


def postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def left_behind(actor=None, *, trigger="manual", key=None) -> MatchingRun:
    """The row a killed run leaves: running, started two hours ago, nobody holds its lock."""
    run = MatchingRun(
        as_of=TODAY,
        triggered_by=trigger,
        run_key=key,
        status="running",
        started_at=datetime.now(UTC) - timedelta(hours=2),
        created_by=actor,
    )
    db.session.add(run)
    db.session.commit()
    return run


@contextmanager
def held(*key):
    """Another process's advisory lock (PostgreSQL), held for the block."""
    if not postgresql():
        yield
        return
    with db.engine.connect() as connection:
        connection.execute(sa.select(sa.func.pg_advisory_lock(*key)))
        try:
            yield
        finally:
            connection.execute(sa.select(sa.func.pg_advisory_unlock(*key)))
            connection.commit()


@pytest.fixture
def coordinator(ctx):
    return factories.make_user("coordinator", region_code="helse-vest")


def test_a_run_whose_process_died_shows_as_stopped_on_the_runs_page(coordinator, browser):
    run = left_behind(coordinator)
    browser.login(coordinator.email)
    page = html.unescape(browser.get("/coordination/runs").get_data(as_text=True))
    assert "stoppet før den var ferdig" in page and coordinator.email in page
    detail = html.unescape(browser.get(f"/coordination/runs/{run.id}").get_data(as_text=True))
    assert "Kjøringen stoppet før den var ferdig" in detail


def test_a_live_run_shows_as_running(coordinator, browser):
    run = left_behind(coordinator)
    run.started_at = datetime.now(UTC)  # SQLite: recent; PostgreSQL: its process holds its lock
    db.session.commit()
    browser.login(coordinator.email)
    with held(RUN_LOCK_CLASS, run.id):
        assert stale_ids([run]) == set()
        page = html.unescape(browser.get("/coordination/runs").get_data(as_text=True))
    assert "kjører" in page and "stoppet før den var ferdig" not in page
    if postgresql():  # the lock is gone with its process
        assert stale_ids([run]) == {run.id}


def test_the_scheduler_marks_it_failed_with_when_and_by_whom_for_the_api(app, coordinator, client):
    run = left_behind(coordinator)
    started = run.started_at
    assert mark_stopped_runs(app) == "1 stopped runs marked failed"
    api = Api.login(client, coordinator.email)
    [item] = api.get("/matching/runs?status=failed").get_json()["items"]
    assert item["id"] == run.id and item["status"] == "failed" and item["finished_at"] is None
    assert item["error"].startswith("stale: stopped without finishing")
    assert f"started {started:%Y-%m-%d %H:%M} UTC by {coordinator.email}" in item["error"]
    assert mark_stopped_runs(app) == "0 stopped runs marked failed"


def test_the_next_run_marks_it_and_takes_the_night_it_held(ctx):
    stopped = left_behind(trigger="nightly", key=nightly_key(TODAY))
    run = execute(RunRequest(as_of=TODAY, trigger="nightly"))
    assert run.status == "succeeded" and run.run_key == nightly_key(TODAY)
    db.session.refresh(stopped)
    assert (stopped.status, stopped.run_key) == ("failed", None)
    assert "by the scheduler" in stopped.error


def test_a_failure_is_recorded_on_the_run_row_and_frees_the_night(coordinator, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(matching, "solve", explode)
    factories.make_window(factories.make_gp(), specialties=["psychiatry"])
    department = next(
        d for d in factories.trust("helse-bergen").departments if d.specialty.code == "psychiatry"
    )
    from .test_runs import period_for

    period_for(department)
    with pytest.raises(RuntimeError) as crashed:
        execute(RunRequest(as_of=TODAY, trigger="nightly", actor=coordinator))
    failed = crashed.value.failed_run
    assert (failed.status, failed.run_key, failed.created_by_id) == ("failed", None, coordinator.id)
    assert failed.error == "RuntimeError: solver crashed" and failed.finished_at is not None
    monkeypatch.undo()
    assert execute(RunRequest(as_of=TODAY, trigger="nightly")).status == "succeeded"
    statuses = db.session.scalars(sa.select(MatchingRun.status).order_by(MatchingRun.id)).all()
    assert statuses == ["failed", "succeeded"]


def test_a_dry_run_keeps_its_row_and_changes_nothing(ctx):
    run = execute(RunRequest(as_of=TODAY, dry_run=True))
    assert run.status == "succeeded" and run.dry_run and run.finished_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchingRun)) == 1


@pytest.mark.skipif(
    "postgresql" not in (__import__("os").environ.get("TEST_DATABASE_URL") or ""),
    reason="the advisory lock is PostgreSQL's",
)
def test_a_run_refused_for_another_in_progress_leaves_no_row(ctx):
    with held(ADVISORY_LOCK_KEY):
        with pytest.raises(RunRefused):
            execute(RunRequest(as_of=TODAY))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchingRun)) == 0
        assert execute(RunRequest(as_of=TODAY, dry_run=True)).status == "succeeded"
