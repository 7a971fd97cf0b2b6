"""The national demo: every region and status through the services, reproducible from a
seed, and refused on a database with data of its own."""

from datetime import date, datetime, time
from pathlib import Path

import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade

from app import create_app
from app.dates import local_zone
from app.demo_national import is_loaded, load_national
from app.extensions import db
from app.mail import send_due
from app.models import GP, AuditEvent, Match, MatchingRun, Notification, Period, Region
from app.reference.loader import load_reference_data

from . import factories
from .conftest import TEST_CONFIG, engine_options
from .dbutil import fresh_database

SCALE = 0.05  # 100 GPs, 40 periods: seconds, not minutes
TODAY = date(2026, 3, 2)


def snapshot() -> dict:
    """Counts and the first rows of what the load made, by their ids."""

    def first(model, *columns):
        rows = db.session.execute(sa.select(*columns).order_by(model.id).limit(8))
        return [tuple(row) for row in rows]

    return {
        "counts": {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (GP, Period, Match, MatchingRun, Notification, AuditEvent)
        },
        "gps": first(GP, GP.id, GP.name, GP.hpr_number, GP.municipality_id, GP.registered_at),
        "periods": first(Period, Period.id, Period.department_id, Period.start_date, Period.status),
        "matches": first(Match, Match.id, Match.period_id, Match.gp_id, Match.status),
        "audit": first(AuditEvent, AuditEvent.id, AuditEvent.action, AuditEvent.object_id),
    }


def load_into_fresh_database(tmp_path: Path, seed: int) -> dict:
    with fresh_database(tmp_path) as url:
        app = create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
            }
        )
        bound = db.session  # the test's session, on the test database: step aside
        db.session = db._make_scoped_session({})
        try:
            with app.app_context():
                return _load(app, seed)
        finally:
            db.session = bound


def _load(app, seed: int) -> dict:
    upgrade(directory=str(Path(app.root_path).parent / "migrations"))
    load_reference_data()
    db.session.commit()
    load_national(scale=SCALE, seed=seed, today=TODAY)
    db.session.commit()
    out = snapshot()
    db.session.remove()
    db.engine.dispose()
    return out


def test_the_same_seed_gives_the_same_data_in_two_fresh_databases(tmp_path):
    first = load_into_fresh_database(tmp_path, seed=11)
    second = load_into_fresh_database(tmp_path, seed=11)
    assert first == second
    assert first["counts"]["GP"] == 100 and first["counts"]["Period"] == 40
    assert first["matches"] and first["audit"]
    other = load_into_fresh_database(tmp_path, seed=12)
    assert other["gps"] != first["gps"]


def test_every_region_and_status_and_a_year_of_runs(ctx):
    load = load_national(scale=0.2, seed=11, today=TODAY)  # every status needs a market
    db.session.flush()
    assert is_loaded()
    regions = set(db.session.scalars(sa.select(Region.code)))
    assert set(load.per_region) == regions
    assert all(c["gps"] > 0 and c["periods"] > 0 for c in load.per_region.values())
    statuses = set(db.session.scalars(sa.select(Period.status).distinct()))
    assert statuses == {"open", "matched", "filled", "advertised", "withdrawn"}
    runs = db.session.scalars(sa.select(MatchingRun).order_by(MatchingRun.as_of)).all()
    assert len(runs) == 53 and runs[-1].as_of == TODAY
    assert (TODAY - runs[0].as_of).days == 364
    assert {r.triggered_by for r in runs} == {"nightly"} and {r.status for r in runs} == {
        "succeeded"
    }
    # the services recorded their history with the simulated time
    accepted = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "match.accepted"))
    assert accepted is not None and accepted.at.date() < TODAY
    assert load.totals["notifications"] > 0


def test_the_command_refuses_a_database_with_data_of_its_own(app):
    factories.make_user("gp")
    result = app.test_cli_runner().invoke(args=["demo", "load", "--national", "--scale", "0.05"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "already has 1 user accounts" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Period)) == 0


def test_the_simulated_past_is_delivered_and_only_the_last_day_stays_queued(ctx):
    load_national(scale=SCALE, seed=11, today=TODAY)
    db.session.flush()
    start_of_today = datetime.combine(TODAY, time(0), tzinfo=local_zone())
    rows = db.session.execute(
        sa.select(
            Notification.email_status,
            Notification.created_at,
            Notification.next_attempt_at,
            Notification.sent_at,
        )
    ).all()
    sent = [r for r in rows if r.email_status == "sent"]
    queued = [r for r in rows if r.email_status in ("pending", "digest")]
    assert sent and queued  # a year delivered, the last night's run's news waiting
    assert all(r.created_at < start_of_today and r.sent_at >= r.created_at for r in sent)
    assert all(r.created_at >= start_of_today for r in queued)
    assert all(r.next_attempt_at is None for r in sent)
    # the first delivery after the load sends the last simulated day's emails only
    with time_machine.travel(datetime.combine(TODAY, time(12), tzinfo=local_zone()), tick=False):
        report = send_due()
    assert report.sent == len(queued) and report.failed == report.parked == 0
