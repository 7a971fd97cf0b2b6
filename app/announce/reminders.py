"""Reminders before an offer's acceptance deadline (a daily job; safe to run twice: each
reminder names its offer and deadline, and the database keeps one per name)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.links import path_for
from app.models import Match, Notification
from app.models.statuses import MatchStatus
from notifications import wording

from .core import match_facts, tell

REMINDER_DAYS = 3


def _key(match: Match) -> str:
    return f"offer_reminder:{match.id}:{match.accept_by.isoformat()}"


def offer_reminder(match: Match) -> None:
    """The offer's deadline is near and the GP has not answered (once per offer)."""
    user = match.gp.user
    message = wording.offer_reminder(user.locale, match_facts(match), link=path_for("gp.matches"))
    tell(user, message, dedupe_key=_key(match))


def remind_offers(as_of: date, days: int = REMINDER_DAYS) -> int:
    """Queue one reminder to each GP whose open offer's deadline is at most ``days`` days
    after ``as_of``; an offer already reminded of is skipped (flushes). Returns how many."""
    due = db.session.scalars(
        sa.select(Match)
        .where(
            Match.status == MatchStatus.OFFERED,
            Match.accept_by >= as_of,
            Match.accept_by <= as_of + timedelta(days=days),
        )
        .order_by(Match.id)
    ).all()
    keys = {_key(m): m for m in due}
    done = set(
        db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys)))
        )
    )
    count = 0
    for key, match in keys.items():
        if key not in done:
            offer_reminder(match)
            count += 1
    db.session.flush()
    return count
