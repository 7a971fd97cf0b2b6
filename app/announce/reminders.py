"""Reminders before an offer's acceptance deadline and before an application round's
deadline (daily jobs; safe to run twice: each reminder names its offer and deadline, or its
round and person, and the database keeps one per name: notifications.dedupe_key)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.access import sought_region
from app.extensions import db
from app.links import path_for
from app.models import (
    GP,
    ApplicationRound,
    Availability,
    Match,
    Notification,
    Policy,
    Subscription,
    Trust,
    User,
)
from app.models.statuses import CURRENT_AVAILABILITY, MatchStatus
from app.policy import ROUND_REMINDER_DAYS
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


def _round_key(found: ApplicationRound, user: User) -> str:
    return f"round_reminder:{found.id}:{user.id}"


def _round_recipients(region_id: int) -> list[User]:
    """The GPs a round in ``region_id`` concerns: those with a current window seeking service
    there, and those subscribed to periods there (the region, or one of its trusts)."""
    with_window = (
        sa.select(GP.user_id)
        .join(Availability, Availability.gp_id == GP.id)
        .where(Availability.status.in_(CURRENT_AVAILABILITY), sought_region() == region_id)
    )
    users = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.id.in_(with_window))
        )
    }
    trust_ids = set(db.session.scalars(sa.select(Trust.id).where(Trust.region_id == region_id)))
    for subscription in db.session.scalars(
        sa.select(Subscription).where(
            Subscription.active.is_(True), Subscription.topic == "periods"
        )
    ):
        user = subscription.user
        if user.role != "gp" or not user.active or user.id in users:
            continue
        if subscription.region_id == region_id or trust_ids & set(subscription.trust_ids or []):
            users[user.id] = user
    return [users[k] for k in sorted(users)]


def remind_rounds(as_of: date, days: int = ROUND_REMINDER_DAYS) -> int:
    """Queue one reminder per person to the GPs a round concerns (app.announce: a current
    window seeking its region, or a subscription to its periods) when a round of rules in
    rounds has its application deadline at most ``days`` days after ``as_of``; the
    notification's unique dedupe key (round, person) keeps it to once. Flushes; returns how
    many were queued."""
    due = db.session.scalars(
        sa.select(ApplicationRound)
        .join(ApplicationRound.policy)
        .where(
            Policy.intake == "rounds",
            ApplicationRound.matched_run_id.is_(None),
            ApplicationRound.apply_by >= as_of,
            ApplicationRound.apply_by <= as_of + timedelta(days=days),
        )
        .order_by(ApplicationRound.apply_by, ApplicationRound.id)
    ).all()
    count = 0
    for found in due:
        owner = db.session.get_one(Policy, found.policy_id)  # whose rules hold the round
        region = owner.region or (owner.trust.region if owner.trust else None)
        if region is None:
            continue
        people = _round_recipients(region.id)
        keys = {_round_key(found, u): u for u in people}
        done = set(
            db.session.scalars(
                sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys)))
            )
        )
        for key, user in keys.items():
            if key in done:
                continue
            message = wording.round_reminder(
                user.locale,
                scope=owner.scope_label,
                apply_by=found.apply_by,
                match_on=found.match_on,
                answer_by=found.answer_by,
                link=path_for("gp.availability"),
            )
            tell(user, message, dedupe_key=key)
            count += 1
    db.session.flush()
    return count
