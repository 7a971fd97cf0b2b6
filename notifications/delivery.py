"""Delivery of the outbox: claim what is due, send it, mark it sent.

Each claim is one UPDATE that moves the due rows' ``next_attempt_at`` a lease ahead and
returns their ids; on PostgreSQL its subquery takes the rows ``FOR UPDATE SKIP LOCKED``, so
two senders at once never claim the same row (SQLite runs one writer at a time, so the
conditional UPDATE alone is enough). Every message is committed as sent right after the
server took it. A failure is retried with exponential backoff; after MAIL_MAX_ATTEMPTS, or at
once when the server refuses it for good, the message is parked for an administrator. A
sender that dies mid-batch leaves its claims to expire: those rows are due again after the
lease (MAIL_CLAIM_SECONDS).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Notification
from app.models.notifications import EmailDigest
from app.models.types import utcnow

from .backends import DeliveryError, backend_for
from .emails import digest_email, notification_email
from .outbox import new_message_id

OutboxRow = Notification | EmailDigest


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    parked: int = 0
    digests: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.failed} failed (retried later), {self.parked} parked, "
            f"{self.digests} digests built"
        )


def _setting(name: str, default):
    return type(default)(current_app.config.get(name, default))


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    base = _setting("MAIL_RETRY_SECONDS", 60.0)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def gather_digests(now: datetime | None = None) -> int:
    """Put every notification whose digest is due into its digest email, one per user,
    frequency and due time (commits; safe to run in two processes at once)."""
    now = now or utcnow()
    db.session.commit()
    groups = db.session.execute(
        sa.select(Notification.user_id, Notification.digest_frequency, Notification.next_attempt_at)
        .where(
            Notification.email_status == "digest",
            Notification.digest_id.is_(None),
            Notification.next_attempt_at <= now,
        )
        .distinct()
    ).all()
    db.session.commit()
    built = 0
    for user_id, frequency, due in groups:
        digest, created = _digest_for(user_id, frequency, due, now)
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.email_status == "digest",
                Notification.digest_frequency == frequency,
                Notification.next_attempt_at == due,
                Notification.digest_id.is_(None),
            )
            .values(digest_id=digest.id)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        built += created
    return built


def _digest_for(user_id: int, frequency: str, due: datetime, now: datetime):
    """The digest for (user, frequency, due time), created if missing: (digest, created)."""
    query = sa.select(EmailDigest).where(
        EmailDigest.user_id == user_id,
        EmailDigest.frequency == frequency,
        EmailDigest.due_at == due,
    )
    existing = db.session.scalar(query)
    if existing is not None:
        return existing, False
    try:
        with db.session.begin_nested():
            digest = EmailDigest(
                user_id=user_id,
                frequency=frequency,
                due_at=due,
                email_status="pending",
                next_attempt_at=now,
                message_id=new_message_id(),
            )
            db.session.add(digest)
            db.session.flush()
        return digest, True
    except sa.exc.IntegrityError:  # another sender made it a moment ago
        return db.session.scalar(query), False


def claim(model: type[OutboxRow], now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due rows of ``model`` for this sender (commits)."""
    lease = timedelta(seconds=_setting("MAIL_CLAIM_SECONDS", 300.0))
    db.session.commit()  # the claim is the first statement of its transaction
    due = (
        sa.select(model.id)
        .where(model.email_status == "pending", model.next_attempt_at <= now)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = db.session.execute(
        sa.update(model)
        .where(model.id.in_(due))
        .values(next_attempt_at=now + lease)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(row[0] for row in result)
    db.session.commit()
    return ids


def _mark_failed(row: OutboxRow, error: DeliveryError, now: datetime, report) -> None:
    row.attempts += 1
    row.last_error = str(error)[:2000]
    if error.permanent or row.attempts >= _setting("MAIL_MAX_ATTEMPTS", 8):
        row.email_status = "parked"
        row.next_attempt_at = None
        report.parked += 1
        current_app.logger.warning("email %s parked: %s", row.message_id, error)
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        report.failed += 1


def _send_batch(
    model: type[OutboxRow], ids: list[int], build: Callable, now: datetime, report
) -> None:
    rows = db.session.scalars(
        sa.select(model)
        .where(model.id.in_(ids))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    ).all()
    pending = list(rows)
    try:
        with backend_for(current_app.config) as backend:
            while pending:
                row = pending.pop(0)
                try:
                    if not row.user.active:
                        raise DeliveryError("the recipient's account is closed", permanent=True)
                    message = build(row)
                    backend.send(message)
                except DeliveryError as error:
                    _mark_failed(row, error, now, report)
                except Exception as error:  # a message that cannot be built: retry, then park
                    current_app.logger.exception("email %s could not be built", row.message_id)
                    failure = DeliveryError(f"{type(error).__name__}: {error}")
                    _mark_failed(row, failure, now, report)
                else:
                    row.email_status = "sent"
                    row.sent_at = utcnow()
                    row.next_attempt_at = None
                    report.sent += 1
                db.session.commit()
    except DeliveryError as error:  # no connection: every message of the batch waits
        for row in pending:
            _mark_failed(row, error, now, report)
        db.session.commit()


def _anything_due(model: type[OutboxRow], now: datetime) -> bool:
    # A read of its own: a claim that changes nothing still takes SQLite's write lock.
    db.session.commit()
    due = db.session.scalar(
        sa.select(sa.exists().where(model.email_status == "pending", model.next_attempt_at <= now))
    )
    db.session.commit()
    return bool(due)


def send_due(now: datetime | None = None, report: DeliveryReport | None = None) -> DeliveryReport:
    """Build due digests, then send every email that is due at ``now`` (commits)."""
    now = now or utcnow()
    report = report or DeliveryReport()
    report.digests += gather_digests(now)
    batch = _setting("MAIL_BATCH_SIZE", 100)
    for model, build in ((Notification, notification_email), (EmailDigest, digest_email)):
        if not _anything_due(model, now):
            continue
        while ids := claim(model, now, batch):
            _send_batch(model, ids, build, now, report)
    return report


def watch_outbox(seconds: float, poll: float) -> DeliveryReport:
    """Send what is due now, then look again every ``poll`` seconds for ``seconds`` (the
    scheduler's job: one run a minute that watches the minute). Commits."""
    deadline = time.monotonic() + seconds
    report = send_due()
    while time.monotonic() + poll < deadline:
        time.sleep(poll)
        send_due(report=report)
    return report


def retry(row: OutboxRow) -> None:
    """Give a parked email its full number of attempts again, starting now (flushes)."""
    if row.email_status != "parked":
        return
    row.email_status = "pending"
    row.attempts = 0
    row.next_attempt_at = utcnow()
    db.session.flush()
