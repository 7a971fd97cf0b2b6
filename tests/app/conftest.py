"""Fixtures for the app: one migrated database per test session with the reference data,
and a transaction per test that is rolled back (the app's commits become savepoints)."""

from __future__ import annotations

import contextlib
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session
from sqlalchemy.orm import Session as PlainSession

from app import create_app
from app.extensions import db
from app.reference.loader import load_reference_data

from .dbutil import fresh_database
from .smtp import mailbox  # noqa: F401 - a fixture for every test module

TEST_CONFIG = {
    "ENV_NAME": "testing",
    # argon2id still, with cheap parameters: the suite hashes many passwords.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


class IsolatedClient(FlaskClient):
    """Runs each request in a thread of its own, so that it gets its own app context, ``g``
    and database session, as in production, even while the test holds a context open.
    Afterwards the test's session forgets what it had loaded, to see the request's writes."""

    def open(self, *args, **kwargs):
        opener = super().open
        with ThreadPoolExecutor(max_workers=1) as pool:
            response = pool.submit(opener, *args, **kwargs).result()
        if has_app_context():
            db.session.expire_all()
        return response


def engine_options(url: str) -> dict:
    # The test's connection is handed between the test thread and the request thread
    # (never used by both at once).
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False}}
    return {"pool_pre_ping": True}


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        }
    )
    app.test_client_class = IsolatedClient
    from app.extensions import csrf

    from .probes import bp as probes

    csrf.exempt(probes)
    app.register_blueprint(probes)
    with app.app_context():
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))
        load_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class BoundSession(Session):
    """Flask-SQLAlchemy's session, but always on the test's connection (its get_bind
    would otherwise pick the engine and step outside the test transaction)."""

    def get_bind(self, *args, **kwargs):
        return PlainSession.get_bind(self, *args, **kwargs)


@pytest.fixture(autouse=True)
def _transaction(app):
    """Run each test inside a transaction that is rolled back afterwards."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = db._make_scoped_session(
            {
                "bind": connection,
                "class_": BoundSession,
                "join_transaction_mode": "create_savepoint",
            }
        )
        original = db.session
        db.session = session
        try:
            yield
        finally:
            session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def travel():
    """Move the clock of the whole process (requests' threads too): ``travel(days=62)`` puts
    now that many days after the real now, ticking from there. Committed runs are dated
    today, so a test of what happens later moves the clock rather than the run's date."""
    with contextlib.ExitStack() as stack:

        def go(**delta) -> None:
            stack.enter_context(time_machine.travel(datetime.now(UTC) + timedelta(**delta)))

        yield go


@pytest.fixture
def ctx_en(app):
    """Like ``ctx``, for a request in English (services that return words)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly."""
    with app.test_request_context():
        yield


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browser:
    """A test client that fills in the CSRF token of the page a form came from."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def submit(self, url, data, *, page=None, **kwargs):
        token = csrf_from(self.client.get(page or url))
        return self.client.post(url, data={**data, "csrf_token": token}, **kwargs)

    def login(self, email, password=PASSWORD, **kwargs):
        return self.submit("/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.submit("/logout", {}, page="/dashboard")


@pytest.fixture
def browser(client):
    return Browser(client)
