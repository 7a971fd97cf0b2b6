"""Checks the README's security table points to that no other module makes: output encoding,
cookie flags in production, what an unexpected error shows, and audit records for account
decisions."""

from __future__ import annotations

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import AuditEvent

from . import factories
from .conftest import Browser

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_text_people_typed_is_escaped_on_the_pages_that_show_it(ctx, client):
    gp = factories.make_gp(name=HOSTILE)
    coordinator = factories.make_user("coordinator", region_code="vest")
    db.session.commit()
    browser = Browser(client)
    browser.login(coordinator.email)
    for path in (f"/gps/{gp.id}", "/gps"):
        html = browser.get(path).get_data(as_text=True)
        assert "&lt;script&gt;" in html, path
        assert "<script>alert" not in html and "<img src=x" not in html, path


def test_production_cookies_are_secure_httponly_and_same_site(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    config = create_app({"ENV_NAME": "production"}).config
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_session_cookie_is_httponly_and_same_site(ctx, client):
    user = factories.make_user("admin")
    db.session.commit()
    response = Browser(client).login(user.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_unexpected_error_shows_no_internals(client):
    response = client.post("/_probe/crash")  # tests/app/probes.py: raises RuntimeError("boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "boom" not in html and "Traceback" not in html and "RuntimeError" not in html
    api = client.get("/api/v1/periods/1", headers={"Authorization": "Bearer nope"})
    assert set(api.get_json()["error"]) == {"code", "message", "fields", "request_id"}


def test_account_decisions_leave_audit_records(ctx, app):
    admin = factories.make_user("admin")
    user = factories.make_user("trust", trust_code="helse-bergen")
    db.session.commit()
    browser = Browser(app.test_client())
    browser.login(admin.email)
    browser.submit(f"/admin/users/{user.id}/disable", {}, page="/admin/users")
    browser.submit(f"/admin/users/{user.id}/enable", {}, page="/admin/users")
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id
        )
    ).all()
    actions = {e.action: e for e in events}
    assert {"user.created", "user.disabled", "user.enabled"} <= set(actions)
    assert actions["user.disabled"].actor_id == admin.id
