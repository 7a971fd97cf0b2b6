"""The signed webhook to a trust's HR system (issue 19, part 4), against a real HTTP
receiver on 127.0.0.1: signed correctly, retried with backoff, exactly once per accepted
placement, nothing for a trust without a URL; the settings page (validation, CSRF, the
secret shown once, audit) and the delivery log with "send again"."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import local_today
from app.errors import InvalidInput
from app.extensions import db
from app.handoff import webhooks
from app.handoff.outbox import send_due
from app.jobs import deliver_outbox
from app.models import AuditEvent, TrustWebhook, WebhookDelivery
from app.models.types import utcnow
from notifications.webhooks import BACKOFF, MAX_ATTEMPTS, signature, verify

from . import factories
from .a11y import problems
from .dbutil import fresh_database
from .webhook_receiver import Receiver, start

TODAY = local_today()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = start(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


def offered(trust_code: str = "helse-bergen", **gp):
    period = factories.make_period(trust_code)
    gp_ = factories.make_gp(**gp)
    return factories.make_proposal(
        period, gp_, status="offered", accept_by=TODAY + timedelta(days=10), offered_at=utcnow()
    )


def accept(match):
    lifecycle.accept(match, actor=match.gp.user)
    db.session.commit()
    return match


def hook(trust_code: str, url: str) -> str:
    """Give the trust a webhook; its secret."""
    staff = factories.make_user("trust", trust_code=trust_code)
    _, secret = webhooks.save_url(factories.trust(trust_code), url, actor=staff)
    db.session.commit()
    assert secret is not None
    return secret


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


# ---- delivery


def test_an_accepted_placement_is_posted_once_signed(ctx, receiver):
    secret = hook("helse-bergen", receiver.url)
    match = accept(offered(name="Hanne Hage", hpr_number="9123456"))
    [queued] = deliveries()  # queued with the acceptance, in its transaction
    assert (queued.delivery_status, queued.event, queued.match_id) == (
        "pending",
        "placement.accepted",
        match.id,
    )

    report = send_due()
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    [request] = receiver.requests
    headers = request.headers
    assert request.path == "/hooks/alis"
    assert headers["X-ALIS-Event"] == "placement.accepted"
    assert headers["X-ALIS-Delivery"] == queued.event_id
    assert headers["Content-Type"].startswith("application/json")
    assert verify(secret, headers["X-ALIS-Timestamp"], request.body, headers["X-ALIS-Signature"])
    assert not verify("whsec_wrong", headers["X-ALIS-Timestamp"], request.body,
                      headers["X-ALIS-Signature"])  # fmt: skip
    assert not verify(secret, headers["X-ALIS-Timestamp"], request.body + b" ",
                      headers["X-ALIS-Signature"])  # fmt: skip
    body = json.loads(request.body)
    assert body["id"] == queued.event_id and body["event"] == "placement.accepted"
    assert body["trust"] == "helse-bergen"
    data = body["data"]
    assert data["gp"]["name"] == "Hanne Hage" and data["gp"]["hpr_number"] == "9123456"
    assert data["gp"]["municipality"] == {"number": "4601", "name": "Bergen"}
    assert (
        data["match_id"] == match.id and data["start_date"] == match.period.start_date.isoformat()
    )

    db.session.expire_all()
    [sent] = deliveries()
    assert (sent.delivery_status, sent.attempts, sent.last_status_code) == ("delivered", 1, 200)
    assert sent.next_attempt_at is None and sent.delivered_at is not None

    send_due()  # the loop again: nothing more goes out
    send_due(utcnow() + timedelta(days=2))
    assert len(receiver.requests) == 1


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature("s3cret", "1700000000", b"{}") == f"sha256={expected}"


def test_a_failure_is_retried_with_backoff_then_delivered(ctx, receiver):
    secret = hook("helse-bergen", receiver.url)
    accept(offered())
    receiver.answers = [500]
    start_at = utcnow() + timedelta(seconds=1)
    assert send_due(start_at).retried == 1
    db.session.expire_all()
    [row] = deliveries()
    assert (row.delivery_status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.next_attempt_at == start_at + BACKOFF[0]

    assert send_due(start_at + timedelta(seconds=30)).delivered == 0  # not due yet
    assert len(receiver.requests) == 1
    assert send_due(start_at + BACKOFF[0]).delivered == 1
    first, second = receiver.requests
    assert first.body == second.body  # the same event, the same bytes
    assert first.headers["X-ALIS-Delivery"] == second.headers["X-ALIS-Delivery"]
    for request in (first, second):
        h = request.headers
        assert verify(secret, h["X-ALIS-Timestamp"], request.body, h["X-ALIS-Signature"],
                      tolerance=None)  # fmt: skip
    db.session.expire_all()
    assert (deliveries()[0].delivery_status, deliveries()[0].attempts) == ("delivered", 2)


def test_every_attempt_failing_ends_failed_and_send_again_starts_over(ctx, receiver, browser):
    hook("helse-bergen", receiver.url)
    accept(offered())
    receiver.answers = [503] * MAX_ATTEMPTS
    at = utcnow() + timedelta(seconds=1)
    send_due(at)
    for wait in BACKOFF:  # 1 min, 5 min, 30 min, 2 h, 12 h
        at = at + wait
        assert send_due(at - timedelta(seconds=1)).retried == 0  # a second early: not yet
        send_due(at)
    db.session.expire_all()
    [row] = deliveries()
    assert (row.delivery_status, row.attempts, row.next_attempt_at) == (
        "failed",
        MAX_ATTEMPTS,
        None,
    )
    assert len(receiver.requests) == MAX_ATTEMPTS
    send_due(at + timedelta(days=3))
    assert len(receiver.requests) == MAX_ATTEMPTS  # failed for good: no more tries

    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    browser.login("hr@bergen.no")
    page = browser.get("/trusts/helse-bergen/webhook").get_data(as_text=True)
    assert "Mislyktes" in page and "503" in page and row.event_id in page
    assert problems(page) == []
    resend = f"/trusts/helse-bergen/webhook/deliveries/{row.id}/resend"
    response = browser.submit(resend, {}, page="/trusts/helse-bergen/webhook")
    assert response.status_code == 302
    db.session.expire_all()
    assert (deliveries()[0].delivery_status, deliveries()[0].attempts) == ("pending", 0)
    assert send_due().delivered == 1
    assert len(receiver.requests) == MAX_ATTEMPTS + 1
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "webhook.resent"))


def test_no_answer_is_a_failure_to_retry(ctx, receiver, app, monkeypatch):
    server_gone = Receiver()
    stopped = start(server_gone)
    stopped.shutdown()
    stopped.server_close()  # nothing listens on that port now
    hook("helse-bergen", server_gone.url)
    accept(offered())
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 2.0)
    assert send_due().retried == 1
    db.session.expire_all()
    [row] = deliveries()
    assert row.delivery_status == "pending" and row.last_status_code is None and row.last_error


def test_a_redirect_is_not_delivered(ctx, receiver):
    hook("helse-bergen", receiver.url)
    accept(offered())
    receiver.answers = [302]
    assert send_due().retried == 1


def test_exactly_one_event_per_placement(ctx, receiver):
    hook("helse-bergen", receiver.url)
    match = accept(offered())
    assert len(deliveries()) == 1
    # the database refuses a second
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        webhooks.queue_placement_event(match, "placement.accepted")
    send_due()
    send_due()
    assert len(receiver.requests) == 1


def test_no_event_for_a_trust_without_a_webhook(ctx, receiver):
    hook("helse-stavanger", receiver.url)  # another trust's
    accept(offered("helse-bergen"))
    assert deliveries() == []
    send_due()
    assert receiver.requests == []


def test_a_removed_webhook_fails_what_waits(ctx, receiver):
    hook("helse-bergen", receiver.url)
    accept(offered())
    webhooks.remove(factories.trust("helse-bergen"), actor=factories.make_user("admin"))
    db.session.commit()
    send_due(utcnow() + timedelta(days=1))
    assert receiver.requests == []
    db.session.expire_all()
    assert deliveries()[0].last_error == "the trust has no webhook URL"


def test_a_rolled_back_acceptance_queues_nothing(ctx, receiver):
    hook("helse-bergen", receiver.url)
    match = offered()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        lifecycle.accept(match, actor=match.gp.user)
        raise RuntimeError("the request failed after the acceptance")
    assert deliveries() == []


def test_the_scheduler_job_delivers_webhooks_with_the_email(ctx, app, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_WATCH_SECONDS", 0.0)
    hook("helse-bergen", receiver.url)
    accept(offered())
    outcome = deliver_outbox(app)
    assert "1 webhooks delivered" in outcome
    assert len(receiver.requests) == 1


def test_the_command_sends_webhooks(ctx, app, receiver):
    hook("helse-bergen", receiver.url)
    accept(offered())
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "Webhooks: 1 webhooks delivered" in result.output
    assert len(receiver.requests) == 1


# ---- settings


PAGE = "/trusts/helse-bergen/webhook"


@pytest.fixture
def staff(ctx, browser):
    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    browser.login("hr@bergen.no")
    return browser


def webhook_actions() -> list[str]:
    query = sa.select(AuditEvent.action).where(AuditEvent.action.like("webhook.%"))
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def _secret_on(page: str) -> str:
    found = re.search(r'id="new-secret"[^>]*value="([^"]+)"', page)
    assert found, "the secret is not on the page"
    return found.group(1)


def test_saving_the_address_shows_the_secret_once(staff, receiver):
    response = staff.submit(PAGE, {"url": receiver.url})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = _secret_on(page)
    assert problems(page) == []
    webhook = db.session.scalar(sa.select(TrustWebhook))
    assert (webhook.url, webhook.secret) == (receiver.url, secret)
    again = staff.get(PAGE).get_data(as_text=True)
    assert secret not in again and receiver.url in again  # shown once
    assert webhook_actions() == ["webhook.created"]

    response = staff.submit(PAGE, {"url": receiver.url + "/v2"})
    assert response.status_code == 302  # a new address keeps the secret
    assert secret not in staff.get(PAGE).get_data(as_text=True)

    rotated = staff.submit(f"{PAGE}/secret", {}, page=PAGE)
    new = _secret_on(rotated.get_data(as_text=True))
    assert new != secret and db.session.scalar(sa.select(TrustWebhook.secret)) == new
    assert webhook_actions() == ["webhook.created", "webhook.url_changed", "webhook.secret_rotated"]
    assert "whsec" not in json.dumps([e.data for e in db.session.scalars(sa.select(AuditEvent))])

    assert staff.submit(f"{PAGE}/remove", {}, page=PAGE).status_code == 302
    assert db.session.scalar(sa.select(TrustWebhook)) is None
    assert webhook_actions()[-1] == "webhook.removed"
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.object_type == "trust" and event.actor.email == "hr@bergen.no"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Dette feltet må fylles ut."),
        ("http://hr.example.no/alis", "https://"),
        ("ftp://hr.example.no/alis", "https://hr.example.no/alis"),
        ("not a url", "https://hr.example.no/alis"),
        ("https://user:pw@hr.example.no/alis", "https://hr.example.no/alis"),
        ("https://hr.example.no:99999/alis", "https://hr.example.no/alis"),
        ("https://10.0.0.5/alis", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("https://" + "a" * 500 + ".no", ""),
        ("https://hr.example.no/\x00", ""),
    ],
)
def test_the_address_is_checked_next_to_the_field(staff, url, message):
    response = staff.submit(PAGE, {"url": url})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="url-error"' in page
    if message == "private":
        assert "private" in page or "lokale" in page
    elif message:
        assert message in page
    assert db.session.scalar(sa.select(TrustWebhook)) is None


def test_outside_development_only_https_to_public_hosts(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOOPBACK", False)
    for url, code in [
        ("http://127.0.0.1:8000/x", "https_required"),
        ("https://127.0.0.1/x", "private_address"),
        ("https://localhost/x", "private_address"),
        ("https://[::1]/x", "private_address"),
        ("https://192.168.1.10/x", "private_address"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            webhooks.check_url(url)
        assert (refused.value.code, refused.value.field) == (code, "url")
    assert webhooks.check_url(" https://hr.helse-bergen.no/alis ") == (
        "https://hr.helse-bergen.no/alis"
    )


def test_the_forms_need_their_csrf_token(staff, client):
    for path in (PAGE, f"{PAGE}/secret", f"{PAGE}/remove", f"{PAGE}/deliveries/1/resend"):
        assert client.post(path, data={"url": "https://hr.example.no/x"}).status_code == 400
    assert db.session.scalar(sa.select(TrustWebhook)) is None


def test_who_may_see_the_settings(ctx, browser):
    factories.make_user("trust", trust_code="helse-stavanger", email="hr@stavanger.no")
    factories.make_user("coordinator", region_code="helse-vest", email="k@vest.no")
    factories.make_user("admin", email="admin@example.no")
    assert browser.get(PAGE).status_code == 302  # to the login page
    browser.login("hr@stavanger.no")
    assert browser.get(PAGE).status_code == 404
    assert browser.get("/trusts/helse-stavanger/webhook").status_code == 200
    assert browser.get("/trusts/no-such-trust/webhook").status_code == 404
    browser.logout()
    browser.login("k@vest.no")
    assert browser.get(PAGE).status_code == 403
    browser.logout()
    browser.login("admin@example.no")
    assert browser.get(PAGE).status_code == 200


def test_another_trusts_delivery_cannot_be_sent_again(ctx, receiver, staff):
    hook("helse-stavanger", receiver.url)
    accept(offered("helse-stavanger"))
    [row] = deliveries()
    for delivery_id in (row.id, 99999999999999999999):
        response = staff.submit(f"{PAGE}/deliveries/{delivery_id}/resend", {}, page=PAGE)
        assert response.status_code == 404


def test_accepting_through_the_api_queues_one_event(ctx, client, receiver):
    from .apiutil import Api

    hook("helse-bergen", receiver.url)
    match = offered()
    gp = Api.login(client, match.gp.user.email)
    assert gp.post(f"/matches/{match.id}/accept").status_code == 200
    assert gp.post(f"/matches/{match.id}/accept").status_code == 409  # a second answer
    [row] = deliveries()
    assert row.match_id == match.id
    send_due()
    assert len(receiver.requests) == 1


def test_an_error_while_sending_is_retried_not_fatal(ctx, receiver):
    import dataclasses

    from app.handoff.outbox import sender
    from notifications import webhooks as delivery

    def broken(event, **kwargs):
        raise RuntimeError("boom")

    hook("helse-bergen", receiver.url)
    accept(offered())
    report = delivery.send_due(dataclasses.replace(sender(), post=broken))
    assert (report.delivered, report.retried) == (0, 1)
    db.session.expire_all()
    [row] = deliveries()
    assert row.delivery_status == "pending" and row.last_error == "RuntimeError: boom"


# ---- two senders at once (PostgreSQL: FOR UPDATE SKIP LOCKED)

SETUP = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from flask_migrate import upgrade
    from app import create_app, lifecycle
    from app.dates import local_today
    from app.extensions import db
    from app.handoff import webhooks
    from app.models.types import utcnow
    from app.reference.loader import load_reference_data
    from tests.app import factories
    from tests.app.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.test_request_context():
        upgrade(directory="migrations")
        load_reference_data()
        db.session.commit()
        staff = factories.make_user("trust", trust_code="helse-bergen")
        trust = factories.trust("helse-bergen")
        secret = webhooks.save_url(trust, sys.argv[2], actor=staff)[1]
        db.session.commit()
        for k in range(int(sys.argv[3])):
            period = factories.make_period(start=local_today() + timedelta(days=60 + k))
            match = factories.make_proposal(
                period, factories.make_gp(), status="offered", offered_at=utcnow(),
                accept_by=local_today() + timedelta(days=10),
            )
            lifecycle.accept(match, actor=match.gp.user)
            db.session.commit()
        print("secret:", secret, flush=True)
    """
)
SENDER = textwrap.dedent(
    """
    import sys, time
    from app import create_app
    from app.handoff.outbox import send_due

    app = create_app({
        "ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1], "MAIL_BATCH_SIZE": 3,
    })
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    with app.app_context():
        print("result:", send_due(), flush=True)
    """
)


@pytest.mark.skipif(
    "postgresql" not in (os.environ.get("TEST_DATABASE_URL") or ""),
    reason="runs in the PostgreSQL pass of the suite",
)
def test_two_senders_at_once_post_each_event_once(tmp_path, receiver):
    count = 30
    receiver.delay = 0.02
    with fresh_database(tmp_path) as url:
        setup = subprocess.run(
            [sys.executable, "-c", SETUP, url, receiver.url, str(count)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        secret = re.search(r"secret: (\S+)", setup.stdout).group(1)
        start_at = str(time.time() + 3)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER, url, start_at],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert all(p.returncode == 0 for p in processes), outputs
        delivered = [
            int(re.search(r"result: (\d+) webhooks delivered", out).group(1))
            for out, _err in outputs
        ]
        assert sum(delivered) == count, outputs
        ids = Counter(r.headers["X-ALIS-Delivery"] for r in receiver.requests)
        assert len(ids) == count and set(ids.values()) == {1}
        for r in receiver.requests:
            h = r.headers
            assert verify(secret, h["X-ALIS-Timestamp"], r.body, h["X-ALIS-Signature"])
