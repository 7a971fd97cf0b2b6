"""Development: `dev.py run` sends every email to a local mail catcher (dev.py's
MailCatcher, aiosmtpd) that saves it, and administrators read what was caught at
/admin/caught-mail, as the recipients would have seen it."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

import dev
from app import lifecycle
from app import mail as delivery
from app.dates import local_today
from app.extensions import db

from . import factories
from .a11y import problems
from .smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catcher(app, monkeypatch, tmp_path):
    """dev.py's mail catcher in this process, and the app's mail settings pointed at it, as
    `dev.py run` does."""
    port = free_port()
    controller = dev.start_mail_catcher(port, tmp_path)
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "SMTP_USERNAME": None,
        "SMTP_TIMEOUT": 5,
        "CAUGHT_MAIL_DIR": str(tmp_path),
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield tmp_path
    controller.stop()


def page(browser, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert problems(html) == [], problems(html)
    return html


def test_an_administrator_reads_the_emails_the_portal_sent(ctx, browser, catcher):
    gp = factories.make_gp()
    factories.make_window(gp, specialties=[factories.department().specialty.code])
    staff = factories.make_user("trust", trust_code="helse-bergen")
    match = factories.make_proposal(factories.make_period(), gp)
    lifecycle.offer(match, accept_by=local_today() + timedelta(days=10), actor=staff)
    db.session.commit()
    delivery.send_due()
    [saved] = list(catcher.glob("*.eml"))

    admin = factories.make_user("admin")
    browser.login(admin.email)
    assert 'href="/admin/caught-mail"' in page(browser, "/admin/outbox")
    listing = page(browser, "/admin/caught-mail")
    assert "Tilbud: " in listing and gp.user.email in listing
    assert f'href="/admin/caught-mail/{saved.stem}"' in listing

    one = page(browser, f"/admin/caught-mail/{saved.stem}")
    assert "Tilbud: " in one and "Content-Language" in one
    assert f'src="/admin/caught-mail/{saved.stem}/html"' in one and "sandbox" in one
    assert 'href="http://127.0.0.1:5000/my/matches"' in one  # the email's links, clickable

    html = browser.get(f"/admin/caught-mail/{saved.stem}/html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "script-src" not in html.headers["Content-Security-Policy"]  # none: default-src
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "<html" in html.get_data(as_text=True)


@pytest.mark.parametrize("name", ["nothing", "..%2F..%2Fetc%2Fpasswd", "20270101T000000000000-zz"])
def test_only_caught_emails_are_shown(ctx, browser, catcher, name):
    admin = factories.make_user("admin")
    browser.login(admin.email)
    assert browser.get(f"/admin/caught-mail/{name}").status_code == 404
    assert browser.get(f"/admin/caught-mail/{name}/html").status_code == 404


def test_without_a_catcher_there_is_no_such_page_and_only_admins_see_it(
    ctx, app, browser, catcher, monkeypatch
):
    coordinator = factories.make_user("coordinator")
    browser.login(coordinator.email)
    assert browser.get("/admin/caught-mail").status_code == 403
    browser.logout()
    admin = factories.make_user("admin")
    browser.login(admin.email)
    assert browser.get("/admin/caught-mail").status_code == 200
    monkeypatch.setitem(app.config, "ENV_NAME", "production")  # never in production
    assert browser.get("/admin/caught-mail").status_code == 404
    monkeypatch.setitem(app.config, "ENV_NAME", "testing")
    monkeypatch.setitem(app.config, "CAUGHT_MAIL_DIR", None)
    assert browser.get("/admin/caught-mail").status_code == 404
    assert 'href="/admin/caught-mail"' not in browser.get("/admin/outbox").get_data(as_text=True)


def test_the_catcher_runs_as_its_own_process(tmp_path):
    """`dev.py run` starts it as `dev.py catch-mail PORT FOLDER` with the venv's Python."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "dev.py", "catch-mail", str(port), str(tmp_path)], cwd=ROOT
    )
    try:
        dev.wait_for_port(port, child)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.no", "b@example.no", "Hei"
        message.set_content("Hei på deg")
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(message)
        deadline = time.monotonic() + 5
        while not list(tmp_path.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        [saved] = list(tmp_path.glob("*.eml"))
        assert b"Subject: Hei" in saved.read_bytes()
    finally:
        child.terminate()
        child.wait(timeout=10)
