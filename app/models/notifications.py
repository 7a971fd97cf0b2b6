"""Alert subscriptions and notifications (the inbox, and the outbox for email)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .types import UTCDateTime, one_of, utcnow
from .users import User

SUBSCRIPTION_TOPICS = ("periods", "availabilities")
CHANNELS = ("email", "inbox")
FREQUENCIES = ("immediate", "daily", "weekly")
EMAIL_STATUSES = ("none", "pending", "sent", "parked")


class Subscription(db.Model):
    __tablename__ = "subscriptions"
    __table_args__ = (
        one_of("topic", SUBSCRIPTION_TOPICS, "topic"),
        one_of("channel", CHANNELS, "channel"),
        one_of("frequency", FREQUENCIES, "frequency"),
        sa.CheckConstraint("horizon_months BETWEEN 1 AND 60", name="horizon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(20), default="periods")
    specialty_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    trust_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    horizon_months: Mapped[int] = mapped_column(default=12)
    channel: Mapped[str] = mapped_column(sa.String(10), default="email")
    frequency: Mapped[str] = mapped_column(sa.String(10), default="immediate")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Notification(db.Model):
    """One message to one user: always in the inbox; by email through the outbox columns."""

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("email_status", EMAIL_STATUSES, "email_status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.Index("ix_notifications_outbox", "email_status", "next_attempt_at"),
        sa.Index("ix_notifications_inbox", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    data: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Outbox
    email_status: Mapped[str] = mapped_column(sa.String(10), default="none")
    message_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User] = relationship()
