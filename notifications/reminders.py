"""Reminders before an offer's acceptance deadline (a daily job; safe to run twice)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Match, Notification

from . import messages

REMINDER_DAYS = 3


def remind_offers(as_of: date, days: int = REMINDER_DAYS) -> int:
    """Queue one reminder to each GP whose open offer's deadline is at most ``days`` days
    after ``as_of``; an offer already reminded of is skipped (flushes). Returns how many."""
    due = db.session.scalars(
        sa.select(Match)
        .where(
            Match.status == "offered",
            Match.accept_by >= as_of,
            Match.accept_by <= as_of + timedelta(days=days),
        )
        .order_by(Match.id)
    ).all()
    keys = {f"offer_reminder:{m.id}:{m.accept_by.isoformat()}": m for m in due}
    done = set(
        db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys)))
        )
    )
    count = 0
    for key, match in keys.items():
        if key not in done:
            messages.offer_reminder(match)
            count += 1
    db.session.flush()
    return count
