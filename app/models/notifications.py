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
# none: inbox only; pending: an email of its own is due at next_attempt_at; digest: goes into
# the user's daily or weekly digest (due at next_attempt_at, then digest_id is set); sent;
# parked: failed too often, waits for an administrator.
EMAIL_STATUSES = ("none", "pending", "digest", "sent", "parked")
DIGEST_FREQUENCIES = ("daily", "weekly")
DIGEST_STATUSES = ("pending", "sent", "parked")


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
        sa.CheckConstraint(
            "(email_status = 'digest') = (digest_frequency IS NOT NULL)",
            name="digest_has_frequency",
        ),
        sa.CheckConstraint(
            "digest_frequency IS NULL OR digest_frequency IN ('daily', 'weekly')",
            name="digest_frequency",
        ),
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
    # What notifications.wording.render words again in the reader's language; subject and
    # body keep the words of the moment it was queued (the fallback, and rows from before).
    message_key: Mapped[str | None] = mapped_column(sa.String(64))
    message_params: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Outbox
    email_status: Mapped[str] = mapped_column(sa.String(10), default="none")
    message_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Digests: which one the recipient wants, and the email it went out in.
    digest_frequency: Mapped[str | None] = mapped_column(sa.String(10))
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("email_digests.id"), index=True)
    # Jobs that may run twice (reminders) name what they notify about; the database keeps one.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)

    user: Mapped[User] = relationship()
    digest: Mapped[EmailDigest | None] = relationship(back_populates="notifications")

    @property
    def unread(self) -> bool:
        return self.read_at is None


class EmailDigest(db.Model):
    """One email gathering a user's notifications of a day or a week (outbox columns as on
    Notification). One per user, frequency and due time, so two senders build the same one."""

    __tablename__ = "email_digests"
    __table_args__ = (
        one_of("frequency", DIGEST_FREQUENCIES, "frequency"),
        one_of("email_status", DIGEST_STATUSES, "email_status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.UniqueConstraint("user_id", "frequency", "due_at"),
        sa.Index("ix_email_digests_outbox", "email_status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    frequency: Mapped[str] = mapped_column(sa.String(10))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User] = relationship()
    notifications: Mapped[list[Notification]] = relationship(
        back_populates="digest", order_by="Notification.created_at, Notification.id"
    )
