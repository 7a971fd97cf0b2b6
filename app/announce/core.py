"""Models as notifications' plain data, and queueing a message for a user."""

from __future__ import annotations

from typing import Any

from app.mail import settings
from app.models import Availability, Match, Notification, Period, Specialty, User
from app.models.users import LOCALES
from app.outbox_store import recipient, store
from notifications.data import AvailabilityFacts, MatchFacts, Message, PeriodFacts
from notifications.queueing import queue


def _names(specialty: Specialty) -> dict[str, str]:
    return {locale: specialty.name_in(locale) for locale in LOCALES}


def period_facts(period: Period) -> PeriodFacts:
    department = period.department
    return PeriodFacts(
        id=period.id,
        department=department.name,
        trust=department.trust.name,
        start=period.start_date,
        end=period.end_date,
        specialty=_names(department.specialty),
        on_call=period.on_call,
    )


def match_facts(match: Match) -> MatchFacts:
    return MatchFacts(
        id=match.id,
        period=period_facts(match.period),
        gp_name=match.gp.name,
        status=match.status,
        accept_by=match.accept_by,
        decline_reason=match.decline_reason,
        gp_id=match.gp_id,
    )


def availability_facts(window: Availability) -> AvailabilityFacts:
    return AvailabilityFacts(
        id=window.id,
        earliest_start=window.earliest_start,
        latest_end=window.latest_end,
        months=window.months,
        specialties=tuple(_names(s) for s in window.specialties),
        accept_other_specialty=window.accept_other_specialty,
        municipality=window.gp.municipality.name,
    )


def tell(
    user: User,
    message: Message,
    *,
    email: bool = True,
    channel: str | None = None,
    frequency: str | None = None,
    dedupe_key: str | None = None,
) -> Notification:
    """Queue ``message`` for ``user`` in the current transaction (flushes nothing).
    ``channel``/``frequency`` come from the subscription that matched, if any."""
    return queue(
        store,
        settings(),
        recipient(user),
        message,
        email=email,
        channel=channel,
        frequency=frequency,
        dedupe_key=dedupe_key,
    )


def notify(
    user: User,
    kind: str,
    *,
    subject: str,
    body: str,
    link: str | None = None,
    data: dict[str, Any] | None = None,
    email: bool = True,
    channel: str | None = None,
    frequency: str | None = None,
    dedupe_key: str | None = None,
) -> Notification:
    """Add a notification for ``user`` to the current transaction (flushes nothing), worded
    by the caller."""
    message = Message(kind, subject=subject, body=body, link=link, data=data)
    return tell(
        user, message, email=email, channel=channel, frequency=frequency, dedupe_key=dedupe_key
    )
