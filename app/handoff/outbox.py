"""The webhook outbox kept in the database: notifications' ``WebhookStore`` on the
webhook_deliveries table, and ``send_due`` with the app's settings (the scheduler's outbox
job and ``flask notifications send`` call it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import TrustWebhook, WebhookDelivery
from app.outbox_store import claim_due
from notifications import webhooks
from notifications.webhooks import Outgoing, Sender, WebhookReport


class SqlWebhookStore:
    """``notifications.webhooks.WebhookStore`` on the app's database session."""

    def commit(self) -> None:
        db.session.commit()

    def claim(self, now: datetime, limit: int, until: datetime) -> list[int]:
        pending = WebhookDelivery.delivery_status == "pending"
        return claim_due(WebhookDelivery, pending, now, limit, until)

    def load(self, ids: Sequence[int]) -> list[Outgoing]:
        rows = db.session.execute(
            sa.select(WebhookDelivery, TrustWebhook.url, TrustWebhook.secret)
            .outerjoin(TrustWebhook, TrustWebhook.trust_id == WebhookDelivery.trust_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.id)
            .execution_options(populate_existing=True)
        ).all()
        return [
            Outgoing(
                id=row.id,
                event=row.event,
                event_id=row.event_id,
                body=row.body,
                attempts=row.attempts,
                url=url,
                secret=secret,
            )
            for row, url, secret in rows
        ]

    def _update(self, id: int, **values) -> None:
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def mark_delivered(self, id: int, *, attempts: int, status: int | None, at: datetime) -> None:
        self._update(
            id,
            delivery_status="delivered",
            attempts=attempts,
            last_status_code=status,
            last_error=None,
            last_attempt_at=at,
            delivered_at=at,
            next_attempt_at=None,
        )

    def mark_retry(
        self,
        id: int,
        *,
        attempts: int,
        status: int | None,
        error: str,
        at: datetime,
        next_at: datetime,
    ) -> None:
        self._update(
            id,
            attempts=attempts,
            last_status_code=status,
            last_error=error,
            last_attempt_at=at,
            next_attempt_at=next_at,
        )

    def mark_failed(
        self, id: int, *, attempts: int, status: int | None, error: str, at: datetime
    ) -> None:
        self._update(
            id,
            delivery_status="failed",
            attempts=attempts,
            last_status_code=status,
            last_error=error,
            last_attempt_at=at,
            next_attempt_at=None,
        )


store = SqlWebhookStore()


def sender() -> Sender:
    config = current_app.config
    return Sender(
        store=store,
        timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
        batch_size=int(config["MAIL_BATCH_SIZE"]),
        logger=current_app.logger,
    )


def send_due(now: datetime | None = None, report: WebhookReport | None = None) -> WebhookReport:
    """POST every webhook event that is due at ``now`` (commits after each)."""
    return webhooks.send_due(sender(), now, report)
