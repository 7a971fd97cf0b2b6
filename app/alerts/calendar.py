"""The private calendar feed (iCalendar): a GP's offers and placements, the periods of the
trusts a staff member or coordinator manages. Whole-day events with stable UIDs, so a
calendar app updates an event instead of adding a copy."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.access import trusts_in_scope
from app.dates import local_today
from app.extensions import db
from app.labels import PERIOD_STATUS_LABELS
from app.links import absolute_url, path_for
from app.models import Department, Match, Period, User
from app.models.statuses import MatchStatus, PeriodStatus
from app.models.types import utcnow

# Periods that ended longer ago than this drop out of the feed.
HISTORY_DAYS = 365


def _domain() -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname
    return host or "alis.invalid"


def _event(
    uid: str,
    summary: str,
    start: date,
    end: date,
    *,
    description: str,
    url: str,
    status: str,
    stamp,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@{_domain()}")
    event.add("dtstamp", stamp or utcnow())
    event.add("dtstart", start)
    event.add("dtend", end + timedelta(days=1))  # DTEND of a whole-day event is exclusive
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("status", status)
    event.add("transp", "TRANSPARENT")  # months-long service should not block the calendar
    return event


def _place(period: Period) -> str:
    department = period.department
    site = f", {department.site.name}" if department.site else ""
    return f"{department.name}, {department.trust.name}{site}"


def _gp_events(user: User, today: date) -> list[icalendar.Event]:
    matches = db.session.scalars(
        sa.select(Match)
        .join(Match.period)
        .where(
            Match.gp_id == user.gp.id,
            Match.status.in_((MatchStatus.OFFERED, MatchStatus.ACCEPTED)),
            Period.end_date >= today - timedelta(days=HISTORY_DAYS),
        )
        .order_by(Period.start_date, Match.id)
    ).all()
    events = []
    link = absolute_url(path_for("gp.matches"))
    for match in matches:
        period = match.period
        place = _place(period)
        if match.status == MatchStatus.ACCEPTED:
            summary = _("Hospital service: %(place)s", place=place)
            status = "CONFIRMED"
        else:
            summary = _("Offer (not answered): %(place)s", place=place)
            status = "TENTATIVE"
        description = _(
            "Specialty: %(specialty)s.", specialty=period.specialty.name_in(user.locale)
        )
        events.append(
            _event(
                f"match-{match.id}",
                summary,
                period.start_date,
                period.end_date,
                description=description,
                url=link,
                status=status,
                stamp=match.updated_at,
            )
        )
        if match.status == MatchStatus.OFFERED and match.accept_by:
            events.append(
                _event(
                    f"match-{match.id}-deadline",
                    _("Answer the offer by today: %(place)s", place=place),
                    match.accept_by,
                    match.accept_by,
                    description=_("Accept or decline the offer in the ALIS portal."),
                    url=link,
                    status="CONFIRMED",
                    stamp=match.updated_at,
                )
            )
    return events


def _staff_events(user: User, today: date) -> list[icalendar.Event]:
    trust_ids = sa.select(trusts_in_scope(user).subquery().c.id)
    periods = db.session.scalars(
        sa.select(Period)
        .join(Period.department)
        .where(
            Department.trust_id.in_(trust_ids),
            Period.status != PeriodStatus.WITHDRAWN,
            Period.end_date >= today - timedelta(days=HISTORY_DAYS),
        )
        .order_by(Period.start_date, Period.id)
    ).all()
    events = []
    for period in periods:
        status_word = str(PERIOD_STATUS_LABELS.get(period.status, period.status))
        events.append(
            _event(
                f"period-{period.id}",
                _("ALIS period (%(status)s): %(place)s", status=status_word, place=_place(period)),
                period.start_date,
                period.end_date,
                description=_(
                    "Specialty: %(specialty)s.", specialty=period.specialty.name_in(user.locale)
                ),
                url=absolute_url(path_for("periods.detail", period_id=period.id)),
                status="CONFIRMED" if period.status == PeriodStatus.FILLED else "TENTATIVE",
                stamp=period.updated_at,
            )
        )
    return events


def calendar_feed(user: User, today: date | None = None) -> bytes:
    """The user's feed as iCalendar bytes, in their language (changes nothing)."""
    today = today or local_today()
    with force_locale(user.locale):
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//ALIS-portalen//ALIS//NO")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("ALIS portal"))
        calendar.add("x-wr-timezone", current_app.config["TIMEZONE"])
        if user.role == "gp":
            events = _gp_events(user, today) if user.gp else []
        else:
            events = _staff_events(user, today)
        for event in events:
            calendar.add_component(event)
        return calendar.to_ical()
