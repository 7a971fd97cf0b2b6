"""Configuration from the environment and the SQLite engine settings."""

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import normalise_database_url
from app.extensions import db


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret-from-env")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    monkeypatch.setenv("TIMEZONE", "Europe/Oslo")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret-from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/prod.db"
    assert app.config["SMTP_PORT"] == 2525 and app.config["SMTP_STARTTLS"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["BABEL_DEFAULT_LOCALE"] == "nb"


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging-typo")
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app()


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"ENV_NAME": "testing"})
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/alis.db")


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_sqlite_has_foreign_keys_and_wal(tmp_path):
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.db"}
    )
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.engine.dispose()


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_engine_matches_backend(app, database_url):
    with app.app_context():
        assert db.engine.dialect.name == sa.make_url(database_url).get_backend_name()


def test_every_setting_the_code_reads_is_declared_once_in_the_config():
    """``config["X"]`` only, for an X that Config declares with its default; no
    ``config.get("X", default)`` elsewhere (a second default is how two places disagree)."""
    import pathlib
    import re

    from app.config import Config

    root = pathlib.Path(__file__).resolve().parents[2]
    read = re.compile(r"config\[\"([A-Z_0-9]+)\"\]")
    with_default = re.compile(r"config\.get\(\"[A-Z_0-9]+\", ")
    undeclared, defaults = [], []
    for package in ("app", "notifications"):
        for path in (root / package).rglob("*.py"):
            if path.name == "config.py":
                continue
            text = path.read_text()
            undeclared += [
                f"{path.name}: {k}"
                for k in read.findall(text)
                if not hasattr(Config, k) and k not in ("OPENAPI_URL_PREFIX", "API_SPEC_OPTIONS")
            ]
            defaults += [f"{path.name}: {m}" for m in with_default.findall(text)]
    assert undeclared == [] and defaults == []
