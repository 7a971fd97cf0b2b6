"""Queueing notifications (the inbox and the email outbox share one store).

A notification is added to the caller's transaction: it is in the inbox the moment the event
commits, and a rolled-back event leaves nothing behind. How its email goes out follows the
recipient's choice: at once (``pending``), in a daily or weekly digest (``digest``, due at the
digest's time), or not at all (``none``, inbox only). Delivery is ``notifications.delivery``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from .data import Message, Recipient
from .settings import DeliverySettings
from .store import NewNotification, OutboxStore


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_message_id(settings: DeliverySettings) -> str:
    """A unique RFC 5322 Message-ID for one email, on the sender's domain (MAIL_FROM) unless
    MAIL_MESSAGE_ID_DOMAIN says otherwise."""
    sender = parseaddr(settings.mail_from or "")[1]
    domain = settings.message_id_domain or sender.rpartition("@")[2] or "alis.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def digest_due(frequency: str, created: datetime, settings: DeliverySettings) -> datetime:
    """When the digest that gathers an event of ``created`` goes out: a day's events the next
    morning, a week's (Monday to Sunday) on the next Monday morning, local time."""
    zone = ZoneInfo(settings.timezone)
    day = created.astimezone(zone).date()
    if frequency == "weekly":
        due_day = day + timedelta(days=7 - day.weekday())
    else:
        due_day = day + timedelta(days=1)
    return datetime.combine(due_day, time(settings.digest_hour), tzinfo=zone).astimezone(UTC)


def email_plan(
    recipient: Recipient,
    settings: DeliverySettings,
    *,
    email: bool = True,
    channel: str | None = None,
    frequency: str | None = None,
    now: datetime | None = None,
) -> tuple[str, str | None, datetime | None]:
    """(email_status, digest_frequency, next_attempt_at) for a new notification to
    ``recipient``: the subscription's channel and frequency if given, else the recipient's
    own preference."""
    if not email or not recipient.active:
        return "none", None, None
    channel = channel or recipient.channel or "email"
    frequency = frequency or recipient.frequency or "immediate"
    if channel != "email":
        return "none", None, None
    now = now or utcnow()
    if frequency == "immediate":
        return "pending", None, now
    return "digest", frequency, digest_due(frequency, now, settings)


def queue(
    store: OutboxStore,
    settings: DeliverySettings,
    recipient: Recipient,
    message: Message,
    *,
    email: bool = True,
    channel: str | None = None,
    frequency: str | None = None,
    dedupe_key: str | None = None,
) -> Any:
    """Add ``message`` for ``recipient`` to the store's current transaction (flushes
    nothing); returns the store's record. ``channel``/``frequency`` come from the
    subscription that matched, if any; ``dedupe_key`` names what a job that may run twice
    notifies about (the store keeps one per key)."""
    now = utcnow()
    status, digest_frequency, next_attempt_at = email_plan(
        recipient, settings, email=email, channel=channel, frequency=frequency, now=now
    )
    return store.add(
        NewNotification(
            recipient_id=recipient.id,
            kind=message.kind,
            subject=message.subject[:255],
            body=message.body,
            link=message.link,
            data=message.data,
            created_at=now,
            email_status=status,
            digest_frequency=digest_frequency,
            next_attempt_at=next_attempt_at,
            message_id=new_message_id(settings),
            dedupe_key=dedupe_key,
            key=message.key,
            params=message.params,
        )
    )
