"""Transitions of periods: publish (one or split into parts), edit while open, withdraw,
offer to the confirmed candidate, record the hiring, and fall back to ordinary advertising.
Input rules are app.periods.services; each transition validates, audits and notifies here,
then flushes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

import sqlalchemy as sa

from app import announce, audit
from app.access import period_ids_in_regions
from app.dates import local_zone
from app.errors import MatchConflict
from app.extensions import db
from app.learning.services import default_goals
from app.matches.queries import live_match_for_period
from app.models import Department, Match, Period, Region, User
from app.models.statuses import OPEN_FOR_MATCHING, PeriodStatus
from app.models.types import utcnow
from app.periods.services import (
    EDITABLE_FIELDS,
    PeriodError,
    PeriodInput,
    fallback_time,
    split_dates,
    validate_period,
    validate_split,
)

from .matches import cancel, offer, record_hired
from .transitions import new, set_status


def publish_period(
    data: PeriodInput,
    *,
    actor: User | None,
    published_at: datetime | None = None,
    today: date | None = None,
) -> Period:
    """Create an open period (flushes) and audit it; raises PeriodError on bad input."""
    department = db.session.get(Department, data.department_id)
    errors = validate_period(data, today)
    if department is None:
        errors["department_id"] = "unknown"
    if errors or department is None:
        raise PeriodError(errors)
    published_at = published_at or utcnow()
    period = new(
        Period,
        PeriodStatus.OPEN,
        department=department,
        start_date=data.start_date,
        end_date=data.end_date,
        source=data.source,
        description=data.description,
        on_call=data.on_call,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        second_department_id=data.second_department_id,
        switch_date=data.switch_date,
        published_at=published_at,
        advertise_after=fallback_time(department, published_at, data.start_date),
        created_by_id=actor.id if actor else None,
    )
    # Every goal of the reference list until the publisher chooses (app.learning.services).
    period.learning_goals = default_goals()
    db.session.add(period)
    db.session.flush()
    audit.record("period.published", period, actor=actor)
    announce.period_published(period, today)
    return period


def publish_periods(
    data: PeriodInput,
    *,
    split_months: int | None = None,
    actor: User | None,
    today: date | None = None,
) -> list[Period]:
    """Create one open period, or consecutive parts of ``split_months`` months (flushes, audits
    each); raises PeriodError with every field error and creates nothing then."""
    errors = validate_period(data, today) | validate_split(data, split_months)
    if db.session.get(Department, data.department_id) is None:
        errors["department_id"] = "unknown"
    if errors:
        raise PeriodError(errors)
    if split_months is None:
        return [publish_period(data, actor=actor, today=today)]
    published_at = utcnow()
    return [
        publish_period(
            replace(data, start_date=start, end_date=end),
            actor=actor,
            published_at=published_at,
            today=today,
        )
        for start, end in split_dates(data.start_date, data.end_date, split_months)
    ]


def update_period(
    period: Period, data: PeriodInput, *, actor: User | None, today: date | None = None
) -> dict[str, list]:
    """Change an open period's dates, source, on-call, description and contact (never its
    department); audits {field: [old, new]} and returns it. Raises MatchConflict when the
    period is not open, PeriodError on bad input."""
    if period.status != PeriodStatus.OPEN:
        raise MatchConflict("period_not_open", "only an open period can be edited")
    errors = validate_period(data, today)
    # A period that already started may still get a new description or contact.
    if data.start_date == period.start_date:
        errors.pop("start_date", None)
    if data.department_id != period.department_id:
        errors["department_id"] = "cannot_change"
    if errors:
        raise PeriodError(errors)
    changes: dict[str, list] = {}
    for name in EDITABLE_FIELDS:
        before, after = getattr(period, name), getattr(data, name)
        if before != after:
            changes[name] = [_json_value(before), _json_value(after)]
            setattr(period, name, after)
    if changes:
        db.session.flush()
        audit.record("period.updated", period, actor=actor, data=changes)
    return changes


def withdraw_period(period: Period, *, reason: str, actor: User | None) -> Period:
    """Withdraw a period that is not filled: a live proposal or offer is cancelled first
    (the GP is told), then the period is withdrawn and audited with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise PeriodError({"reason": "required"})
    if period.status not in OPEN_FOR_MATCHING:
        raise MatchConflict("not_withdrawable", "only a period that is not filled can be withdrawn")
    live = live_match_for_period(period)
    if live is not None:
        cancel(live, reason=reason, actor=actor)
    set_status(period, PeriodStatus.WITHDRAWN)
    db.session.flush()
    audit.record("period.withdrawn", period, actor=actor, reason=reason)
    return period


def offer_period(
    period: Period, *, accept_by: date, actor: User, today: date | None = None
) -> Match:
    """Offer the period to the GP of its confirmed proposal (see matches.offer)."""
    live = live_match_for_period(period)
    if live is None:
        raise MatchConflict("no_candidate", "the period has no candidate to offer it to")
    return offer(live, accept_by=accept_by, actor=actor, today=today)


def record_period_hired(period: Period, *, actor: User) -> Match:
    """Record that the GP who accepted the period is hired (see matches.record_hired)."""
    live = live_match_for_period(period)
    if live is None:
        raise MatchConflict("not_accepted", "only an accepted placement can be hired")
    return record_hired(live, actor=actor)


def _json_value(value):
    return value.isoformat() if isinstance(value, date) else value


def advertise_due(
    as_of: date, region: Region | None = None, *, spare: Callable[[Period], bool] | None = None
) -> list[Period]:
    """Open periods with no live match whose fallback date is on or before ``as_of`` (in
    ``region`` only, if given; not those ``spare`` names: the periods an application round
    matches in this run) go to ordinary advertising; the trust gets the advert text."""
    query = sa.select(Period).where(Period.status == PeriodStatus.OPEN).order_by(Period.id)
    if region is not None:
        query = query.where(Period.id.in_(period_ids_in_regions([region.id])))
    zone = local_zone()
    due = [
        p
        for p in db.session.scalars(query)
        if p.advertise_after.astimezone(zone).date() <= as_of and not (spare and spare(p))
    ]
    for period in due:
        set_status(period, PeriodStatus.ADVERTISED)
        audit.record("period.advertised", period, data={"as_of": as_of.isoformat()})
        announce.advertised_to_trust(period)
    return due
