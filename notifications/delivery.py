"""Delivery of the outbox: claim what is due, send it, mark it sent.

Each claim is one statement that moves the due rows' next attempt a lease ahead and returns
their ids; on PostgreSQL the store takes the rows ``FOR UPDATE SKIP LOCKED``, so two senders
at once never claim the same row (SQLite runs one writer at a time, so the conditional UPDATE
alone is enough). Every message is committed as sent right after the server took it. A
failure is retried with exponential backoff; after MAIL_MAX_ATTEMPTS, or at once when the
server refuses it for good, the message is parked for an administrator. A sender that dies
mid-batch leaves its claims to expire: those rows are due again after the lease
(MAIL_CLAIM_SECONDS).

The app hands over a ``Courier``: its outbox store, the settings, the email templates and
the links emails carry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .backends import DeliveryError, backend_for
from .emails import EmailLinks, EmailTemplates, build_email
from .queueing import new_message_id, utcnow
from .settings import DeliverySettings
from .store import DIGEST, NOTIFICATION, OutboxEmail, OutboxStore


@dataclass(frozen=True)
class Courier:
    """What delivery needs from the app."""

    store: OutboxStore
    settings: DeliverySettings
    templates: EmailTemplates
    links: EmailLinks
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger(__name__))


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


def backoff(attempts: int, settings: DeliverySettings) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    base = settings.retry_seconds
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def gather_digests(courier: Courier, now: datetime | None = None) -> int:
    """Put every notification whose digest is due into its digest email, one per user,
    frequency and due time (commits; safe to run in two processes at once)."""
    store = courier.store
    now = now or utcnow()
    store.commit()
    groups = store.due_digest_groups(now)
    store.commit()
    built = 0
    for group in groups:
        digest_id, created = store.digest_for(
            group, now=now, message_id=new_message_id(courier.settings)
        )
        store.gather(group, digest_id)
        store.commit()
        built += created
    return built


def claim(courier: Courier, kind: str, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due emails of ``kind`` for this sender (commits)."""
    lease = timedelta(seconds=courier.settings.claim_seconds)
    courier.store.commit()  # the claim is the first statement of its transaction
    ids = courier.store.claim(kind, now, limit, now + lease)
    courier.store.commit()
    return ids


def _mark_failed(
    courier: Courier, email: OutboxEmail, error: DeliveryError, now: datetime, report
) -> None:
    attempts = email.attempts + 1
    message = str(error)[:2000]
    if error.permanent or attempts >= courier.settings.max_attempts:
        courier.store.mark_parked(email.kind, email.id, attempts=attempts, error=message)
        report.parked += 1
        courier.logger.warning("email %s parked: %s", email.message_id, error)
    else:
        at = now + backoff(attempts, courier.settings)
        courier.store.mark_retry(email.kind, email.id, attempts=attempts, error=message, at=at)
        report.failed += 1


def _send_batch(courier: Courier, kind: str, ids: list[int], now: datetime, report) -> None:
    store = courier.store
    pending = store.load(kind, ids)
    try:
        with backend_for(courier.settings) as backend:
            while pending:
                email = pending.pop(0)
                try:
                    if not email.recipient.active:
                        raise DeliveryError("the recipient's account is closed", permanent=True)
                    message = build_email(email, courier.templates, courier.links, courier.settings)
                    backend.send(message)
                except DeliveryError as error:
                    _mark_failed(courier, email, error, now, report)
                except Exception as error:  # a message that cannot be built: retry, then park
                    courier.logger.exception("email %s could not be built", email.message_id)
                    failure = DeliveryError(f"{type(error).__name__}: {error}")
                    _mark_failed(courier, email, failure, now, report)
                else:
                    store.mark_sent(kind, email.id, utcnow())
                    report.sent += 1
                store.commit()
    except DeliveryError as error:  # no connection: every message of the batch waits
        for email in pending:
            _mark_failed(courier, email, error, now, report)
        store.commit()


def _anything_due(courier: Courier, kind: str, now: datetime) -> bool:
    # A read of its own: a claim that changes nothing still takes SQLite's write lock.
    courier.store.commit()
    due = courier.store.anything_due(kind, now)
    courier.store.commit()
    return due


def send_due(
    courier: Courier, now: datetime | None = None, report: DeliveryReport | None = None
) -> DeliveryReport:
    """Build due digests, then send every email that is due at ``now`` (commits)."""
    now = now or utcnow()
    report = report or DeliveryReport()
    report.digests += gather_digests(courier, now)
    batch = courier.settings.batch_size
    for kind in (NOTIFICATION, DIGEST):
        if not _anything_due(courier, kind, now):
            continue
        while ids := claim(courier, kind, now, batch):
            _send_batch(courier, kind, ids, now, report)
    return report


def watch_outbox(
    courier: Courier, seconds: float, poll: float, also: Callable[[], object] | None = None
) -> DeliveryReport:
    """Send what is due now, then look again every ``poll`` seconds for ``seconds`` (the
    scheduler's job: one run a minute that watches the minute). ``also`` runs after each
    look (the app's webhook outbox rides in the same loop). Commits."""
    deadline = time.monotonic() + seconds
    report = send_due(courier)
    if also is not None:
        also()
    while time.monotonic() + poll < deadline:
        time.sleep(poll)
        send_due(courier, report=report)
        if also is not None:
            also()
    return report


def retry(store: OutboxStore, kind: str, id: int) -> None:
    """Give a parked email its full number of attempts again, starting now."""
    store.requeue(kind, id, utcnow())
