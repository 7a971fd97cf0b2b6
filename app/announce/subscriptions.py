"""Alerts from subscriptions: a newly published period for the GPs whose subscription it fits,
a newly registered availability for the trust staff whose subscription it fits. Each user
gets one notification per event, however many of their subscriptions fit it, through the
most eager channel among them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.dates import add_months, local_today
from app.extensions import db
from app.links import path_for
from app.models import Availability, Period, Subscription, User
from app.models.statuses import AvailabilityStatus
from notifications import wording

from .core import availability_facts, period_facts, tell

_FREQUENCY_ORDER = {"immediate": 0, "daily": 1, "weekly": 2}


def _eagerness(subscription: Subscription) -> tuple[int, int]:
    return (subscription.channel != "email", _FREQUENCY_ORDER.get(subscription.frequency, 9))


def period_fits(subscription: Subscription, period: Period, today: date) -> bool:
    """Specialty (none listed: any), trust or region (none: anywhere), start within the
    horizon."""
    department = period.department
    if subscription.specialty_ids and department.specialty_id not in subscription.specialty_ids:
        return False
    trust = department.trust
    if (subscription.trust_ids or subscription.region_id) and not (
        trust.id in (subscription.trust_ids or []) or subscription.region_id == trust.region_id
    ):
        return False
    return period.start_date <= add_months(today, subscription.horizon_months)


def trust_specialty_ids(user: User) -> set[int]:
    """The specialties of the departments of the staff member's trust."""
    if user.trust is None:
        return set()
    return {d.specialty_id for d in user.trust.departments if d.active}


def availability_fits(subscription: Subscription, window: Availability, today: date) -> bool:
    """The window wants the subscriber's trust (or any trust in its region), a specialty the
    subscription lists (none: the trust's departments' specialties) or accepts another, and
    starts within the horizon."""
    trust = subscription.user.trust
    if trust is None or window.status != AvailabilityStatus.ACTIVE:
        return False
    wished_trusts = [t.id for t in window.trusts]
    if wished_trusts:
        if trust.id not in wished_trusts:
            return False
    else:
        home = window.gp.home_trust
        if home is None or home.region_id != trust.region_id:
            return False
    wanted = set(subscription.specialty_ids or []) or trust_specialty_ids(subscription.user)
    wished = {s.id for s in window.specialties}
    if not (wished & wanted or window.accept_other_specialty):
        return False
    return window.earliest_start <= add_months(today, subscription.horizon_months)


def _subscriptions(topic: str) -> list[Subscription]:
    return list(
        db.session.scalars(
            sa.select(Subscription)
            .join(Subscription.user)
            .options(joinedload(Subscription.user))
            .where(
                Subscription.topic == topic,
                Subscription.active.is_(True),
                User.active.is_(True),
            )
            .order_by(Subscription.id)
        )
    )


def _best_per_user(
    subscriptions: Iterable[Subscription], fits: Callable[[Subscription], bool]
) -> list[Subscription]:
    best: dict[int, Subscription] = {}
    for subscription in subscriptions:
        if not fits(subscription):
            continue
        current = best.get(subscription.user_id)
        if current is None or _eagerness(subscription) < _eagerness(current):
            best[subscription.user_id] = subscription
    return list(best.values())


def period_published(period: Period, today: date | None = None) -> int:
    """Queue an alert to every GP whose subscription the new period fits; returns how many."""
    today = today or local_today()
    chosen = _best_per_user(_subscriptions("periods"), lambda s: period_fits(s, period, today))
    for subscription in chosen:
        period_alert(
            subscription.user,
            period,
            channel=subscription.channel,
            frequency=subscription.frequency,
        )
    return len(chosen)


def availability_registered(window: Availability, today: date | None = None) -> int:
    """Queue an alert to every trust staff member whose subscription the new window fits."""
    today = today or local_today()
    chosen = _best_per_user(
        _subscriptions("availabilities"), lambda s: availability_fits(s, window, today)
    )
    for subscription in chosen:
        availability_alert(
            subscription.user,
            window,
            channel=subscription.channel,
            frequency=subscription.frequency,
        )
    return len(chosen)


def period_alert(user: User, period: Period, *, channel: str, frequency: str) -> None:
    """A new period fits one of the user's subscriptions."""
    link = path_for("gp.availability") if user.role == "gp" else None
    message = wording.period_alert(user.locale, period_facts(period), link=link)
    tell(user, message, channel=channel, frequency=frequency)


def availability_alert(user: User, window: Availability, *, channel: str, frequency: str) -> None:
    """A GP registered availability that fits the trust staff's subscription (the GP is not
    named)."""
    message = wording.availability_alert(
        user.locale, availability_facts(window), link=path_for("periods.index")
    )
    tell(user, message, channel=channel, frequency=frequency)
