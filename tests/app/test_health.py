"""/healthz and /readyz: JSON, no login, no session cookie, never cached; 503 when the
database is unreachable or its schema is not at the migrations' head."""

import platform
from importlib.metadata import version
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from app import create_app
from app.extensions import db

from .conftest import TEST_CONFIG
from .dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
UNREACHABLE = [
    "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",  # nobody listens on port 1
    "sqlite:////nonexistent-directory/alis.db",
]


def plain(response) -> None:
    """What every health answer is: JSON, not cached, and no cookie."""
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_with_versions(client, database_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    plain(response)
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["version"] == version("alis-marketplace")
    assert body["python"] == platform.python_version()
    database = body["database"]
    assert database["status"] == "ok"
    assert database["backend"] == sa.make_url(database_url).get_backend_name()
    assert database["version"][0].isdigit()


def test_healthz_sets_no_cookie_for_a_logged_in_user(ctx, browser):
    from . import factories

    browser.login(factories.make_user("admin").email)
    response = browser.get("/healthz")
    assert response.status_code == 200
    plain(response)


@pytest.mark.parametrize("url", UNREACHABLE)
def test_healthz_answers_503_when_the_database_is_unreachable(url, caplog):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    plain(response)
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"]["status"] == "unreachable"
    assert body["version"] == version("alis-marketplace")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    plain(response)
    assert response.get_json()["status"] == "unavailable"


def test_readyz_when_the_migrations_are_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    plain(response)
    assert response.get_json() == {"status": "ready", "database": [HEAD], "head": [HEAD]}


def test_readyz_answers_503_until_the_last_migration_is_applied(tmp_path):
    previous = ScriptDirectory(str(ROOT / "migrations")).get_revision(HEAD).down_revision
    with fresh_database(tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        try:
            client = app.test_client()
            assert client.get("/readyz").get_json()["database"] == []  # an empty database
            with app.app_context():
                upgrade(directory=str(ROOT / "migrations"), revision=previous)
            response = client.get("/readyz")
            assert response.status_code == 503
            plain(response)
            assert response.get_json() == {
                "status": "migrations_pending",
                "database": [previous],
                "head": [HEAD],
            }
            with app.app_context():
                upgrade(directory=str(ROOT / "migrations"))
            assert client.get("/readyz").status_code == 200
        finally:
            with app.app_context():
                db.engine.dispose()
