"""Email delivery against a real SMTP server (aiosmtpd, in this process, on 127.0.0.1): what
arrives (subject, recipient, language, links), digests, retries and parking, and that nothing
is lost or sent twice while the server is down."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app, lifecycle
from app import mail as delivery
from app.announce import notify
from app.dates import local_today
from app.extensions import db
from app.jobs import deliver_outbox
from app.lifecycle import publish_period
from app.mail import settings
from app.models import Notification, Specialty, Subscription, User
from app.models.notifications import EmailDigest
from app.models.types import utcnow
from app.periods.services import PeriodInput
from app.runs.services import RunRequest, execute
from notifications.queueing import digest_due

from . import factories
from .conftest import TEST_CONFIG
from .dbutil import fresh_database
from .smtp import BASE_URL

ROOT = Path(__file__).resolve().parents[2]


def specialty_of(period_department) -> Specialty:
    return period_department.specialty


def subscribe(user, **fields) -> Subscription:
    subscription = Subscription(
        user_id=user.id,
        topic=fields.pop("topic", "periods"),
        specialty_ids=fields.pop("specialty_ids", []),
        trust_ids=fields.pop("trust_ids", []),
        region_id=fields.pop("region_id", None),
        horizon_months=fields.pop("horizon_months", 12),
        channel=fields.pop("channel", "email"),
        frequency=fields.pop("frequency", "immediate"),
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription


def publish(trust_code="helse-bergen", *, start=None, months=6, department=None):
    department = department or factories.department(trust_code)
    start = start or local_today() + timedelta(days=60)
    period = publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=start,
            end_date=start + timedelta(days=31 * months),
            source="parental_leave",
            description="Fødselspermisjon",
        ),
        actor=None,
    )
    db.session.commit()
    return period


def part(message: EmailMessage, subtype: str) -> str:
    return message.get_body((subtype,)).get_content()


def test_an_immediate_alert_for_a_newly_published_matching_period(ctx, mailbox):
    department = factories.department("helse-bergen")
    gp = factories.make_gp()
    subscribe(gp.user, specialty_ids=[department.specialty_id], trust_ids=[department.trust_id])

    period = publish(department=department)
    alert = db.session.scalar(sa.select(Notification).where(Notification.user_id == gp.user.id))
    assert alert.kind == "period_published" and alert.email_status == "pending"
    assert mailbox.messages == []  # delivery is a separate step

    report = delivery.send_due()
    assert (report.sent, report.failed, report.parked) == (1, 0, 0)
    [message] = mailbox.messages
    assert message["To"] == gp.user.email
    assert message["Message-ID"] == alert.message_id  # stable: the one queued with the event
    assert message["Subject"].startswith("Ny periode") or "New period" in message["Subject"]
    assert department.trust.name in message["Subject"]
    assert message["Content-Language"] == "nb"
    text, html = part(message, "plain"), part(message, "html")
    assert f"{BASE_URL}/availability" in text and f'href="{BASE_URL}/availability"' in html
    assert '<html lang="nb">' in html
    assert f"{BASE_URL}/subscriptions/manage/" in text  # one click to manage, no login
    assert message["List-Unsubscribe"].startswith(f"<{BASE_URL}/subscriptions/unsubscribe/")
    db.session.refresh(alert)
    assert alert.email_status == "sent" and alert.sent_at is not None
    assert period.id == alert.data["period_id"]

    assert str(delivery.send_due()).startswith("0 sent")  # sent once only
    assert len(mailbox.messages) == 1


def test_no_alert_for_a_period_that_fits_no_subscription(ctx, mailbox):
    department = factories.department("helse-bergen")
    other_specialty = db.session.scalar(
        sa.select(Specialty.id).where(Specialty.id != department.specialty_id)
    )
    other_region = factories.region("helse-nord")
    wrong_specialty = factories.make_gp()
    subscribe(wrong_specialty.user, specialty_ids=[other_specialty])
    wrong_place = factories.make_gp()
    subscribe(wrong_place.user, region_id=other_region.id)
    too_far = factories.make_gp()
    subscribe(too_far.user, horizon_months=3)
    inactive = factories.make_gp()
    subscription = subscribe(inactive.user)
    subscription.active = False
    db.session.commit()

    publish(department=department, start=local_today() + timedelta(days=200))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    delivery.send_due()
    assert mailbox.messages == []


def test_one_alert_per_person_through_their_most_eager_subscription(ctx, mailbox):
    department = factories.department("helse-bergen")
    gp = factories.make_gp()
    subscribe(gp.user, frequency="weekly")
    subscribe(gp.user, specialty_ids=[department.specialty_id], frequency="immediate")
    subscribe(gp.user, channel="inbox")
    publish(department=department)
    [alert] = db.session.scalars(sa.select(Notification)).all()
    assert alert.email_status == "pending"
    delivery.send_due()
    assert len(mailbox.messages) == 1


def test_inbox_only_subscription_sends_no_email(ctx, mailbox):
    gp = factories.make_gp()
    subscribe(gp.user, channel="inbox")
    publish()
    [alert] = db.session.scalars(sa.select(Notification)).all()
    assert alert.email_status == "none" and alert.read_at is None  # in the inbox, unread
    delivery.send_due()
    assert mailbox.messages == []


def test_the_email_is_in_the_recipients_language(ctx, mailbox):
    gp = factories.make_gp()
    gp.user.locale = "nn"
    factories.make_window(gp, specialties=[factories.department().specialty.code])
    period = factories.make_period()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    match = factories.make_proposal(period, gp)
    lifecycle.offer(match, accept_by=local_today() + timedelta(days=10), actor=staff)
    db.session.commit()

    delivery.send_due()
    [message] = mailbox.to(gp.user.email)
    assert message["Subject"].startswith("Tilbod: ")  # nynorsk, not bokmål "Tilbud"
    assert message["Content-Language"] == "nn"
    assert '<html lang="nn">' in part(message, "html")
    assert f"{BASE_URL}/my/matches" in part(message, "plain")


def test_one_daily_digest_gathers_all_of_a_days_events(ctx, mailbox):
    department = factories.department("helse-bergen")
    gp = factories.make_gp()
    gp.user.message_frequency = "daily"
    subscribe(gp.user, specialty_ids=[department.specialty_id], frequency="daily")
    first = publish(department=department)
    second = publish(department=department, start=local_today() + timedelta(days=120))
    notify(gp.user, "test", subject="Something else today", body="Also in the digest")
    db.session.commit()
    queued = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == gp.user.id)
    ).all()
    assert len(queued) == 3
    assert {n.email_status for n in queued} == {"digest"}
    due = digest_due("daily", utcnow(), settings())
    assert {n.next_attempt_at for n in queued} == {due}

    delivery.send_due()  # not yet the morning after
    assert mailbox.messages == []

    report = delivery.send_due(now=due + timedelta(minutes=1))
    assert report.digests == 1 and report.sent == 1
    [message] = mailbox.messages
    assert message["To"] == gp.user.email
    assert "3" in message["Subject"]
    text = part(message, "plain")
    for notification in queued:
        assert notification.subject in text
    assert f"{BASE_URL}/availability" in text
    digest = db.session.scalar(sa.select(EmailDigest))
    assert message["Message-ID"] == digest.message_id and digest.email_status == "sent"
    assert {n.digest_id for n in queued} == {digest.id}
    assert first.id != second.id

    delivery.send_due(now=due + timedelta(minutes=2))
    assert len(mailbox.messages) == 1


def test_a_weekly_digest_goes_out_on_monday_morning(ctx, app):
    wednesday = utcnow().replace(year=2026, month=11, day=25, hour=12)
    due = digest_due("weekly", wednesday, settings())
    assert due.isoformat() == "2026-11-30T06:00:00+00:00"  # Monday 07:00 in Oslo (winter)
    assert digest_due("daily", wednesday, settings()).isoformat() == "2026-11-26T06:00:00+00:00"


def test_nothing_is_lost_while_the_smtp_server_is_down(ctx, app, mailbox):
    department = factories.department("helse-bergen")
    gp = factories.make_gp()
    subscribe(gp.user, specialty_ids=[department.specialty_id])
    factories.make_window(gp, specialties=[department.specialty.code])
    factories.make_user("trust", trust_code="helse-bergen")
    factories.make_user("coordinator", region_code="helse-vest")
    mailbox.stop()  # down for the whole publish and run

    publish(department=department)
    execute(RunRequest(as_of=local_today()))
    report = delivery.send_due()
    expected = db.session.scalars(
        sa.select(Notification.message_id).where(Notification.email_status != "none")
    ).all()
    kinds = set(db.session.scalars(sa.select(Notification.kind)))
    assert {"period_published", "proposal", "proposal_confirmed", "run_finished"} <= kinds
    assert report.sent == 0 and report.failed == len(expected) and report.parked == 0
    retrying = db.session.scalars(sa.select(Notification)).all()
    assert all(n.email_status == "pending" and n.attempts == 1 for n in retrying)
    assert all(n.next_attempt_at > utcnow() for n in retrying)  # backing off
    assert "ConnectionRefusedError" in retrying[0].last_error

    mailbox.start()
    # Time passes beyond the backoff.
    db.session.execute(
        sa.update(Notification)
        .where(Notification.email_status == "pending")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert f"{len(expected)} sent" in result.output
    received = Counter(m["Message-ID"] for m in mailbox.messages)
    assert sorted(received) == sorted(expected)
    assert set(received.values()) == {1}  # every message exactly once

    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert "0 sent" in result.output and len(mailbox.messages) == len(expected)


def test_failures_back_off_then_park_and_an_admin_retry_delivers(ctx, app, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    gp = factories.make_gp()
    notification = notify(gp.user, "test", subject="Hello", body="x")
    db.session.commit()
    mailbox.stop()
    now = utcnow()
    waits = []
    for _ in range(3):
        delivery.send_due(now=now)
        db.session.refresh(notification)
        if notification.next_attempt_at:
            waits.append(notification.next_attempt_at - now)
            now = notification.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]  # exponential
    assert notification.email_status == "parked" and notification.attempts == 3
    delivery.send_due(now=now + timedelta(days=1))  # parked: not tried again by itself
    db.session.refresh(notification)
    assert notification.attempts == 3

    mailbox.start()
    delivery.retry(notification)
    db.session.commit()
    delivery.send_due()
    assert [m["Message-ID"] for m in mailbox.messages] == [notification.message_id]


def test_a_refused_recipient_is_parked_at_once(ctx, mailbox):
    mailbox.refuse = True
    gp = factories.make_gp()
    notification = notify(gp.user, "test", subject="Hello", body="x")
    db.session.commit()
    report = delivery.send_due()
    db.session.refresh(notification)
    assert report.parked == 1 and notification.email_status == "parked"
    assert "550" in notification.last_error


def test_a_rolled_back_event_sends_nothing(ctx, mailbox):
    gp = factories.make_gp()
    subscribe(gp.user)
    department = factories.department("helse-bergen")
    start = local_today() + timedelta(days=60)
    publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=start,
            end_date=start + timedelta(days=200),
            source="parental_leave",
        ),
        actor=None,
    )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    delivery.send_due()
    assert mailbox.messages == []


# One sender process: the scheduler's delivery job, started at an agreed moment.
SENDER = textwrap.dedent(
    """
    import sys, time
    from app import create_app
    from app.jobs import deliver_outbox

    app = create_app({
        "ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1], "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": int(sys.argv[2]), "MAIL_BATCH_SIZE": 3,
        "OUTBOX_WATCH_SECONDS": 0,
    })
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
    print("result:", deliver_outbox(app), flush=True)
    """
)


@pytest.mark.skipif(
    "postgresql" not in (os.environ.get("TEST_DATABASE_URL") or ""),
    reason="runs in the PostgreSQL pass of the suite",
)
def test_two_senders_at_once_send_each_message_once(tmp_path, mailbox):
    count = 60
    with fresh_database(tmp_path) as url:
        other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with other.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()
        # (db.session is the suite's rolled-back session: write this database directly)
        engine = sa.create_engine(url)
        now = utcnow()
        with engine.begin() as connection:
            user_id = connection.execute(
                sa.insert(User.__table__)
                .values(
                    email="lege@example.no",
                    password_hash="-",
                    role="gp",
                    active=True,
                    locale="nb",
                    session_nonce="n",
                    created_at=now,
                )
                .returning(User.__table__.c.id)
            ).scalar_one()
            connection.execute(
                sa.insert(Notification.__table__),
                [
                    {
                        "user_id": user_id,
                        "kind": "test",
                        "subject": f"Message {i}",
                        "body": "x",
                        "created_at": now,
                        "email_status": "pending",
                        "message_id": f"<m{i}@alis.invalid>",
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                    for i in range(count)
                ],
            )
        start_at = str(time.time() + 3)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER, url, str(mailbox.port), start_at],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert all(p.returncode == 0 for p in processes), outputs
        sent = [int(re.search(r"result: (\d+) sent", out).group(1)) for out, _err in outputs]
        assert sum(sent) == count, outputs
        received = Counter(m["Message-ID"] for m in mailbox.messages)
        assert len(received) == count and set(received.values()) == {1}
        with engine.connect() as connection:
            statuses = connection.execute(
                sa.select(Notification.email_status, sa.func.count()).group_by(
                    Notification.email_status
                )
            ).all()
        engine.dispose()
        assert [tuple(s) for s in statuses] == [("sent", count)]


def test_the_delivery_job_watches_the_outbox_for_its_minute(ctx, app, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_WATCH_SECONDS", 0.3)
    monkeypatch.setitem(app.config, "OUTBOX_POLL_SECONDS", 0.1)
    gp = factories.make_gp()
    notify(gp.user, "test", subject="Hello", body="x")
    db.session.commit()
    started = time.monotonic()
    assert deliver_outbox(app).startswith("1 sent")
    assert 0.2 <= time.monotonic() - started < 5  # watched (less one look), then stopped
    assert len(mailbox.messages) == 1
