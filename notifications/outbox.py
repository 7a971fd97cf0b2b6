"""Queueing notifications (the inbox and the email outbox share one table).

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

from flask import current_app

from app.extensions import db
from app.models import Notification, User
from app.models.types import utcnow

DEFAULT_DIGEST_HOUR = 7  # local time: digests arrive before the working day starts


def new_message_id() -> str:
    """A unique RFC 5322 Message-ID for one email, on the sender's domain (MAIL_FROM) unless
    MAIL_MESSAGE_ID_DOMAIN says otherwise."""
    config = current_app.config
    sender = parseaddr(config.get("MAIL_FROM") or "")[1]
    domain = config.get("MAIL_MESSAGE_ID_DOMAIN") or sender.rpartition("@")[2] or "alis.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def digest_due(frequency: str, created: datetime) -> datetime:
    """When the digest that gathers an event of ``created`` goes out: a day's events the next
    morning, a week's (Monday to Sunday) on the next Monday morning, local time."""
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Europe/Oslo"))
    hour = int(current_app.config.get("DIGEST_HOUR", DEFAULT_DIGEST_HOUR))
    day = created.astimezone(zone).date()
    if frequency == "weekly":
        due_day = day + timedelta(days=7 - day.weekday())
    else:
        due_day = day + timedelta(days=1)
    return datetime.combine(due_day, time(hour), tzinfo=zone).astimezone(UTC)


def email_plan(
    user: User,
    *,
    email: bool = True,
    channel: str | None = None,
    frequency: str | None = None,
    now: datetime | None = None,
) -> tuple[str, str | None, datetime | None]:
    """(email_status, digest_frequency, next_attempt_at) for a new notification to ``user``:
    the subscription's channel and frequency if given, else the user's own preference."""
    if not email or not user.active:
        return "none", None, None
    channel = channel or user.message_channel or "email"
    frequency = frequency or user.message_frequency or "immediate"
    if channel != "email":
        return "none", None, None
    now = now or utcnow()
    if frequency == "immediate":
        return "pending", None, now
    return "digest", frequency, digest_due(frequency, now)


def notify(
    user: User,
    kind: str,
    *,
    subject: str,
    body: str,
    link: str | None = None,
    data: dict[str, Any] | None = None,
    email: bool = True,
    channel: str | None = None,
    frequency: str | None = None,
    dedupe_key: str | None = None,
) -> Notification:
    """Add a notification for ``user`` to the current transaction (flushes nothing).
    ``channel``/``frequency`` come from the subscription that matched, if any."""
    now = utcnow()
    status, digest_frequency, next_attempt_at = email_plan(
        user, email=email, channel=channel, frequency=frequency, now=now
    )
    notification = Notification(
        user=user,
        kind=kind,
        subject=subject[:255],
        body=body,
        link=link,
        data=data,
        created_at=now,
        email_status=status,
        digest_frequency=digest_frequency,
        next_attempt_at=next_attempt_at,
        message_id=new_message_id(),
        dedupe_key=dedupe_key,
    )
    db.session.add(notification)
    return notification
