"""SQLite under load (issue 18's benchmark found it): a request that only reads begins a
deferred transaction, so it never waits for the write lock another connection holds (it
used to take the lock up front and, behind a slow writer, give up with a 500 after the busy
timeout); a reading request that writes after all runs again as a writer.

These tests need a database of their own, without the suite's outer transaction: the
requests here begin and commit real transactions on a file, next to a second connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.alerts import services as alerts
from app.extensions import db
from app.models import Notification
from app.reference.loader import load_reference_data

from . import factories
from .conftest import PASSWORD, TEST_CONFIG


@pytest.fixture
def own(tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's locking")
    path = tmp_path / "readers.db"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    app.config["WTF_CSRF_ENABLED"] = False
    test_session = db.session  # the suite's session: these tests use the app's own
    db.session = db._make_scoped_session({})
    try:
        with app.app_context():  # requests get app contexts (and sessions) of their own
            upgrade(directory=str(Path(app.root_path).parent / "migrations"))
            load_reference_data()
            db.session.commit()
            gp = factories.make_gp()
            db.session.add(Notification(user_id=gp.user.id, kind="test", subject="Hei", body="Hei"))
            db.session.commit()
            email = gp.user.email
        yield app, path, email
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        db.session = test_session


def _logged_in(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def test_a_page_is_read_while_another_connection_holds_the_write_lock(own):
    app, path, email = own
    client = _logged_in(app, email)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a long write elsewhere (a run, the scheduler)
        assert client.get("/inbox").status_code == 200
        assert client.get("/vacancies").status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_reading_request_that_writes_after_all_runs_again_as_a_writer(own, monkeypatch):
    """Opening a notification marks it read. Another connection commits between the page's
    first read and its write: SQLite refuses the write (the page's snapshot is stale), and
    the request runs again, taking the lock first, instead of answering 500."""
    app, path, email = own
    client = _logged_in(app, email)
    with app.app_context():
        notification_id = db.session.scalar(sa.select(Notification.id))
    calls = []
    mark_read = alerts.mark_read

    def meanwhile(notification):
        calls.append(notification.id)
        if len(calls) == 1:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE notifications SET subject = 'Hei igjen'")
            other.execute("COMMIT")
            other.close()
        return mark_read(notification)

    monkeypatch.setattr(alerts, "mark_read", meanwhile)
    response = client.get(f"/inbox/{notification_id}")
    assert response.status_code == 200
    assert calls == [notification_id, notification_id]  # the second time as a writer
    with app.app_context():
        read = db.session.get(Notification, notification_id)
        assert read.read_at is not None and read.subject == "Hei igjen"
