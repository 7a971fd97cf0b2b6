"""A trust's webhook (where its HR system hears of placements) and the webhook outbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .reference import Trust
from .types import UTCDateTime, one_of, utcnow
from .users import User

WEBHOOK_EVENTS = ("placement.accepted",)
# pending: due at next_attempt_at (or claimed until then); delivered: a 2xx answer;
# failed: every attempt failed, waits for "send again".
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class TrustWebhook(db.Model):
    """The URL a trust's events are POSTed to and the secret that signs them. The secret is
    kept as it is: signing needs it (a hash of it could not sign)."""

    __tablename__ = "trust_webhooks"
    __table_args__ = (sa.CheckConstraint("length(url) >= 8", name="url_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), unique=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(100))
    secret_created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    trust: Mapped[Trust] = relationship()
    updated_by: Mapped[User | None] = relationship()


class WebhookDelivery(db.Model):
    """One event for one trust's webhook: its body as it was when the event happened, and
    how its delivery went. One per match and event: the database refuses a second."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("event", WEBHOOK_EVENTS, "event"),
        one_of("delivery_status", DELIVERY_STATUSES, "delivery_status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.CheckConstraint(
            "(delivery_status = 'pending') = (next_attempt_at IS NOT NULL)",
            name="pending_has_next_attempt",
        ),
        sa.CheckConstraint(
            "delivery_status <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_time"
        ),
        sa.UniqueConstraint("match_id", "event"),
        sa.Index("ix_webhook_deliveries_outbox", "delivery_status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_trust_created", "trust_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"))
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("matches.id"))
    event: Mapped[str] = mapped_column(sa.String(40))
    # The idempotency key: in the body and in X-ALIS-Delivery, the same on every attempt.
    event_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)
    # Its own status (like an email's), not a lifecycle one.
    delivery_status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    trust: Mapped[Trust] = relationship()
