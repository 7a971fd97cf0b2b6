"""The outbox as administrators see it: what waits, what retries, what is parked."""

from __future__ import annotations

import sqlalchemy as sa

from app import mail
from app.extensions import db
from app.models import Notification
from app.models.notifications import EmailDigest

KINDS = {"notification": Notification, "digest": EmailDigest}


def outbox_counts() -> dict[str, int]:
    """How many emails wait, retry, went out, are parked (notifications and digests)."""
    counts = {"pending": 0, "retrying": 0, "waiting_for_digest": 0, "sent": 0, "parked": 0}
    for model in (Notification, EmailDigest):
        rows = db.session.execute(
            sa.select(
                model.email_status,
                sa.func.count(),
                sa.func.count().filter(model.attempts > 0),
            ).group_by(model.email_status)
        ).all()
        for status, count, retried in rows:
            if status == "pending":
                counts["pending"] += count - retried
                counts["retrying"] += retried
            elif status in ("sent", "parked"):
                counts[status] += count
    counts["waiting_for_digest"] = db.session.scalar(
        sa.select(sa.func.count()).where(
            Notification.email_status == "digest", Notification.digest_id.is_(None)
        )
    )
    return counts


def parked(limit: int = 200) -> list[tuple[str, Notification | EmailDigest]]:
    """Parked emails, most recent first, as (kind, row)."""
    rows: list[tuple[str, Notification | EmailDigest]] = []
    for kind, model in KINDS.items():
        found = db.session.scalars(
            sa.select(model)
            .where(model.email_status == "parked")
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(limit)
        ).all()
        rows += [(kind, row) for row in found]
    rows.sort(key=lambda pair: pair[1].created_at, reverse=True)
    return rows[:limit]


def retrying(limit: int = 100) -> list[tuple[str, Notification | EmailDigest]]:
    """Emails that failed at least once and will be tried again, soonest first."""
    rows: list[tuple[str, Notification | EmailDigest]] = []
    for kind, model in KINDS.items():
        found = db.session.scalars(
            sa.select(model)
            .where(model.email_status == "pending", model.attempts > 0)
            .order_by(model.next_attempt_at)
            .limit(limit)
        ).all()
        rows += [(kind, row) for row in found]
    rows.sort(key=lambda pair: pair[1].next_attempt_at)
    return rows[:limit]


def get_row(kind: str, row_id: int) -> Notification | EmailDigest | None:
    model = KINDS.get(kind)
    return db.session.get(model, row_id) if model is not None else None


def retry_all_parked() -> int:
    """Give every parked email its attempts again, from now (flushes); returns how many."""
    count = 0
    for _kind, row in parked(limit=10_000):
        mail.retry(row)
        count += 1
    return count
