"""Queueing notifications (the inbox and the email outbox share one table)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import Notification, User
from app.models.types import utcnow


def notify(
    user: User,
    kind: str,
    *,
    subject: str,
    body: str,
    link: str | None = None,
    data: dict[str, Any] | None = None,
    email: bool = True,
) -> Notification:
    """Add a notification for ``user`` to the current transaction (flushes nothing)."""
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN", "alis.invalid")
    notification = Notification(
        user=user,
        kind=kind,
        subject=subject[:255],
        body=body,
        link=link,
        data=data,
        email_status="pending" if email and user.active else "none",
        next_attempt_at=utcnow() if email else None,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
    )
    db.session.add(notification)
    return notification
