"""Signed webhooks: the signature, one HTTP POST, and the delivery of the webhook outbox.

A webhook event is a row in the app's webhook outbox, added in the transaction of the change
it reports (so it exists exactly once per event, and not at all if the change rolls back).
Delivery claims what is due (a lease, as for email), POSTs each body to the trust's URL with
its signature, and commits the outcome of each at once: a 2xx answer is delivered; anything
else (another status, a redirect, no answer within the timeout) is retried after
``BACKOFF[attempts - 1]``; after the last wait has passed and the attempt failed again, the
event is failed and waits for someone to press "send again".

The signature: ``X-ALIS-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with
the trust's secret, where ``<timestamp>`` is ``X-ALIS-Timestamp`` (Unix seconds) and
``<body>`` the exact bytes of the request body. A receiver checks it with ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

# The waits after the 1st, 2nd, ... failed attempt; a failure after the last one is final.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
SIGNATURE_PREFIX = "sha256="
# How far a receiver should accept a timestamp from its own clock (replays older than this).
TOLERANCE_SECONDS = 300
USER_AGENT = "ALIS-portalen-webhooks/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-ALIS-Signature value for ``body`` sent at ``timestamp``."""
    message = timestamp.encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    now: datetime | None = None,
    tolerance: int | None = TOLERANCE_SECONDS,
) -> bool:
    """Whether ``header`` is the signature of ``body`` at ``timestamp`` (and the timestamp
    is within ``tolerance`` seconds of ``now``; None: any time)."""
    if not timestamp.isdigit():
        return False
    if tolerance is not None:
        now = now or datetime.now(UTC)
        if abs(now.timestamp() - int(timestamp)) > tolerance:
            return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[attempts - 1]


@dataclass(frozen=True)
class Outgoing:
    """One event to send: where, with which secret (None: the trust has no webhook now)."""

    id: int
    event: str
    event_id: str
    body: str
    attempts: int
    url: str | None
    secret: str | None


@dataclass(frozen=True)
class Answer:
    """What came of one POST: the status code if the receiver answered, and an error if the
    attempt failed."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


def headers(event: Outgoing, timestamp: str) -> dict[str, str]:
    """The request headers of ``event`` sent at ``timestamp``."""
    assert event.secret is not None
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-ALIS-Event": event.event,
        "X-ALIS-Delivery": event.event_id,
        "X-ALIS-Timestamp": timestamp,
        "X-ALIS-Signature": signature(event.secret, timestamp, event.body.encode("utf-8")),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that is not 2xx: it fails the attempt (urllib would repeat
    the POST as a GET elsewhere, without the body)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(event: Outgoing, *, timestamp: str, timeout: float) -> Answer:
    """POST ``event`` to its URL; 2xx is delivered, anything else an error."""
    if not event.url or not event.secret:
        return Answer(None, "the trust has no webhook URL")
    request = urllib.request.Request(
        event.url,
        data=event.body.encode("utf-8"),
        headers=headers(event, timestamp),
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return Answer(error.code, f"HTTP {error.code}")
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        return Answer(None, f"{type(error).__name__}: {reason}"[:2000])
    if 200 <= status < 300:
        return Answer(status, None)
    return Answer(status, f"HTTP {status}")


class WebhookStore(Protocol):
    """The webhook outbox as delivery needs it (the app implements it on its database)."""

    def commit(self) -> None: ...

    def claim(self, now: datetime, limit: int, until: datetime) -> list[int]: ...

    def load(self, ids: Sequence[int]) -> list[Outgoing]: ...

    def mark_delivered(
        self, id: int, *, attempts: int, status: int | None, at: datetime
    ) -> None: ...

    def mark_retry(
        self,
        id: int,
        *,
        attempts: int,
        status: int | None,
        error: str,
        at: datetime,
        next_at: datetime,
    ) -> None: ...

    def mark_failed(
        self, id: int, *, attempts: int, status: int | None, error: str, at: datetime
    ) -> None: ...


@dataclass
class WebhookReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} webhooks delivered, {self.retried} to retry, {self.failed} failed"


@dataclass(frozen=True)
class Sender:
    """What webhook delivery needs from the app."""

    store: WebhookStore
    timeout: float = 10.0
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)
    post: Callable[..., Answer] = post
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger(__name__))


def _settle(sender: Sender, event: Outgoing, answer: Answer, now: datetime, report) -> None:
    attempts = event.attempts + 1
    store = sender.store
    if answer.delivered:
        store.mark_delivered(event.id, attempts=attempts, status=answer.status, at=now)
        report.delivered += 1
        return
    error = answer.error or "failed"
    again = next_attempt(attempts, now)
    if again is None:
        store.mark_failed(event.id, attempts=attempts, status=answer.status, error=error, at=now)
        report.failed += 1
        sender.logger.warning("webhook %s failed for good: %s", event.event_id, error)
    else:
        store.mark_retry(
            event.id, attempts=attempts, status=answer.status, error=error, at=now, next_at=again
        )
        report.retried += 1


def send_due(
    sender: Sender, now: datetime | None = None, report: WebhookReport | None = None
) -> WebhookReport:
    """POST every webhook event that is due at ``now`` (commits after each one)."""
    now = now or datetime.now(UTC)
    report = report or WebhookReport()
    store = sender.store
    while True:
        store.commit()  # the claim is the first statement of its transaction
        ids = store.claim(now, sender.batch_size, now + sender.lease)
        store.commit()
        if not ids:
            return report
        for event in store.load(ids):
            # The moment of this attempt (a receiver compares it with its clock); ``now``
            # is the outbox's clock for what is due and when to try again.
            timestamp = str(int(time.time()))
            try:
                answer = sender.post(event, timestamp=timestamp, timeout=sender.timeout)
            except Exception as error:  # a bug must not stop the outbox: retry, then fail
                sender.logger.exception("webhook %s could not be sent", event.event_id)
                answer = Answer(None, f"{type(error).__name__}: {error}"[:2000])
            _settle(sender, event, answer, now, report)
            store.commit()
