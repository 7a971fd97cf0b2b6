"""Subscriptions, message preferences, the inbox and the private calendar feed token: the
rules shared by the pages and the API."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.errors import InvalidInput
from app.extensions import db
from app.models import Notification, Region, Specialty, Subscription, Trust, User
from app.models.notifications import CHANNELS, FREQUENCIES
from app.models.types import utcnow
from notifications import wording

MAX_SUBSCRIPTIONS = 20
MAX_LISTED = 30
MIN_HORIZON, MAX_HORIZON = 1, 60
# Which subscriptions each role may have (coordinators and admins get their own matters only).
TOPIC_FOR_ROLE = {"gp": "periods", "trust": "availabilities"}


class SubscriptionError(InvalidInput):
    """Invalid subscription input; ``fields`` maps each field to a machine code: unknown,
    duplicate, too_many, out_of_range, not_allowed."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid_input", fields=fields)


@dataclass(frozen=True)
class SubscriptionInput:
    specialty_ids: list[int] = field(default_factory=list)
    trust_ids: list[int] = field(default_factory=list)
    region_id: int | None = None
    horizon_months: int = 12
    channel: str = "email"
    frequency: str = "immediate"


def topic_for(user: User) -> str | None:
    return TOPIC_FOR_ROLE.get(user.role)


def _check_ids(model, ids: list[int], limit: int) -> str | None:
    if len(ids) != len(set(ids)):
        return "duplicate"
    if len(ids) > limit:
        return "too_many"
    if ids:
        found = db.session.scalar(sa.select(sa.func.count()).where(model.id.in_(ids)))
        if found != len(ids):
            return "unknown"
    return None


def validate_subscription(user: User, data: SubscriptionInput) -> dict[str, str]:
    """Field errors as machine codes (empty: valid)."""
    errors: dict[str, str] = {}
    topic = topic_for(user)
    if topic is None:
        return {"topic": "not_allowed"}
    if problem := _check_ids(Specialty, data.specialty_ids, MAX_LISTED):
        errors["specialties"] = problem
    if topic == "availabilities":
        # Trust staff hear about GPs who want their own trust (or any trust in its region).
        if data.trust_ids:
            errors["trusts"] = "not_allowed"
        if data.region_id is not None:
            errors["region"] = "not_allowed"
    else:
        if problem := _check_ids(Trust, data.trust_ids, MAX_LISTED):
            errors["trusts"] = problem
        if data.region_id is not None and db.session.get(Region, data.region_id) is None:
            errors["region"] = "unknown"
    if not MIN_HORIZON <= data.horizon_months <= MAX_HORIZON:
        errors["horizon_months"] = "out_of_range"
    if data.channel not in CHANNELS:
        errors["channel"] = "unknown"
    if data.frequency not in FREQUENCIES:
        errors["frequency"] = "unknown"
    if len(subscriptions_of(user)) >= MAX_SUBSCRIPTIONS:
        errors["topic"] = "too_many"
    return errors


def subscriptions_of(user: User) -> list[Subscription]:
    return list(
        db.session.scalars(
            sa.select(Subscription)
            .where(Subscription.user_id == user.id)
            .order_by(Subscription.created_at, Subscription.id)
        )
    )


def create_subscription(user: User, data: SubscriptionInput) -> Subscription:
    """Add an active subscription for ``user`` (flushes); raises SubscriptionError."""
    errors = validate_subscription(user, data)
    if errors:
        raise SubscriptionError(errors)
    subscription = Subscription(
        user_id=user.id,
        topic=topic_for(user),
        specialty_ids=list(data.specialty_ids),
        trust_ids=list(data.trust_ids),
        region_id=data.region_id,
        horizon_months=data.horizon_months,
        channel=data.channel,
        frequency=data.frequency,
        active=True,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def get_subscription(user: User, subscription_id: int) -> Subscription | None:
    """The user's own subscription ``subscription_id``, or None."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        return None
    return subscription


def delete_subscription(subscription: Subscription) -> None:
    """Remove the subscription (flushes). Alerts already sent stay in the inbox."""
    db.session.delete(subscription)
    db.session.flush()


def set_message_preferences(user: User, channel: str, frequency: str) -> None:
    """How the user gets messages about their own matters (flushes)."""
    if channel not in CHANNELS or frequency not in FREQUENCIES:
        raise SubscriptionError(
            {
                k: "unknown"
                for k, ok in (
                    ("channel", channel in CHANNELS),
                    ("frequency", frequency in FREQUENCIES),
                )
                if not ok
            }
        )
    user.message_channel = channel
    user.message_frequency = frequency
    db.session.flush()


def stop_all_email(user: User) -> int:
    """Inbox only from now on: every subscription and the user's own matters; emails not yet
    sent are dropped (they stay in the inbox). Returns how many emails were dropped."""
    for subscription in subscriptions_of(user):
        subscription.channel = "inbox"
    user.message_channel = "inbox"
    dropped = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.email_status.in_(("pending", "digest")),
            Notification.digest_id.is_(None),
        )
        .values(email_status="none", digest_frequency=None, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    return dropped or 0


def gets_email(user: User) -> bool:
    """Whether anything still reaches ``user`` by email."""
    return user.message_channel == "email" or any(
        s.channel == "email" for s in subscriptions_of(user)
    )


def described(subscription: Subscription) -> dict[str, list[str] | str | None]:
    """The names of what a subscription lists, for pages and the API."""
    specialties = db.session.scalars(
        sa.select(Specialty).where(Specialty.id.in_(subscription.specialty_ids or []))
    ).all()
    trusts = db.session.scalars(
        sa.select(Trust).where(Trust.id.in_(subscription.trust_ids or [])).order_by(Trust.name)
    ).all()
    region = db.session.get(Region, subscription.region_id) if subscription.region_id else None
    return {
        "specialties": sorted(s.name for s in specialties),
        "trusts": [t.name for t in trusts],
        "region": region.name if region else None,
    }


# The inbox


def inbox_query(user: User, *, unread_only: bool = False) -> sa.Select:
    """The user's notifications, newest first."""
    query = (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


@dataclass(frozen=True)
class Worded:
    """A notification's subject and body as one reader reads them."""

    subject: str
    body: str


def in_language(notification: Notification, locale: str) -> Worded:
    """The notification worded in ``locale`` (the reader's language now) from its key and
    parameters; one stored before messages had keys, or worded by its caller, as stored."""
    words = wording.render(notification.message_key, notification.message_params, locale)
    if words is None:
        return Worded(notification.subject, notification.body)
    return Worded(*words)


def get_notification(user: User, notification_id: int) -> Notification | None:
    """The user's own notification, or None."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(notification: Notification) -> Notification:
    """Mark one notification read (flushes; reading twice keeps the first time)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many (flushes)."""
    count = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    return count or 0


# The private calendar feed


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_calendar_token(user: User) -> str:
    """A new secret feed address for ``user``, replacing (revoking) any earlier one. Only
    its SHA-256 is kept: the raw value is shown once (flushes)."""
    raw = secrets.token_urlsafe(32)
    user.calendar_token_hash = _digest(raw)
    user.calendar_token_created_at = utcnow()
    db.session.flush()
    return raw


def revoke_calendar_token(user: User) -> None:
    """Turn the feed off: its address answers 404 from now on (flushes)."""
    user.calendar_token_hash = None
    user.calendar_token_created_at = None
    db.session.flush()


def user_for_calendar_token(raw: str) -> User | None:
    """The active user whose current feed secret is ``raw``, or None."""
    if not raw or len(raw) > 100:
        return None
    user = db.session.scalar(sa.select(User).where(User.calendar_token_hash == _digest(raw)))
    return user if user is not None and user.active else None
