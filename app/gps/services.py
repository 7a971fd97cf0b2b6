"""A GP's availability windows and matches: the rules shared by the pages and the JSON API.

What a window's input must be (the transitions themselves are app.lifecycle.availability),
and what a GP's pages read. Invalid input raises
AvailabilityError (HTTP 422, one message per field); a change that does not fit the current
state raises AvailabilityConflict (HTTP 409).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_babel import format_date
from flask_babel import gettext as _

from app.access import current_window as _current_window
from app.dates import add_months, covers_months, local_today
from app.errors import Conflict
from app.extensions import db
from app.matches.queries import live_match_for_gp
from app.models import GP, Availability, Match, Period, Specialty, Trust
from app.models.availability import CURRENT_AVAILABILITY
from app.models.matching import LIVE_MATCH_STATUSES

from .explanations import Explanation, explanations_for

__all__ = [
    "AvailabilityConflict",
    "AvailabilityError",
    "AvailabilityInput",
    "Explanation",
    "explanations_for",
]

AUDIT_TYPE = "availability"
MAX_WISHES = 5
MIN_MONTHS, MAX_MONTHS = 3, 24
STATUS_ACTIONS = ("pause", "resume", "withdraw")


class AvailabilityError(ValueError):
    """Invalid input. ``fields`` maps a field to its message in the user's language, and
    ``codes`` the same fields to machine codes. List entries are named ``specialties[i]``
    and ``trusts[i]`` (i counts the given ids from 0)."""

    def __init__(self, fields: dict[str, str], codes: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in codes.items()))
        self.fields = fields
        self.codes = codes


class AvailabilityConflict(Conflict):
    """The change does not fit the window's current state (words: app.catalogue)."""


@dataclass(frozen=True)
class AvailabilityInput:
    """What a GP gives for a window (None: not given, reported as required)."""

    earliest_start: date | None
    latest_end: date | None
    months: int | None
    specialty_ids: tuple[int, ...] = ()  # most wanted first
    trust_ids: tuple[int, ...] = ()  # most wanted first; empty = any trust in the region
    accept_other_specialty: bool = False


@dataclass
class _Checked:
    specialties: list[Specialty] = field(default_factory=list)
    trusts: list[Trust] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def error(self, name: str, code: str, message: str) -> None:
        if name not in self.codes:
            self.codes[name] = code
            self.fields[name] = message


def availability_conflict(code: str) -> AvailabilityConflict:
    return AvailabilityConflict(code)


def default_months(gp: GP) -> int:
    """The months a window asks for unless the GP says otherwise: what the scheme needs."""
    return gp.hospital_months_needed


def current_window(gp: GP) -> Availability | None:
    return _current_window(gp)


def past_windows(gp: GP) -> list[Availability]:
    return list(
        db.session.scalars(
            sa.select(Availability)
            .where(Availability.gp_id == gp.id, Availability.status.not_in(CURRENT_AVAILABILITY))
            .order_by(Availability.created_at.desc(), Availability.id.desc())
        )
    )


def get_window_or_404(availability_id: int, gp: GP) -> Availability:
    """The GP's own window; anyone else's answers 404."""
    window = db.session.get(Availability, availability_id)
    if window is None or window.gp_id != gp.id:
        abort(404)
    return window


def _check_list(
    checked: _Checked, name: str, ids: tuple[int, ...], model: type, unknown: str
) -> list[Any]:
    found: list[Any] = []
    if len(ids) > MAX_WISHES:
        checked.error(name, "too_many", _("Choose at most %(n)d.", n=MAX_WISHES))
        return found
    seen: set[int] = set()
    for i, item_id in enumerate(ids):
        entry = f"{name}[{i}]"
        item = db.session.get(model, item_id)
        if item is None:
            checked.error(entry, "unknown", unknown)
        elif item_id in seen:
            checked.error(entry, "duplicate", _("You have already chosen this above."))
        else:
            found.append(item)
        seen.add(item_id)
    return found


def validate_availability(
    data: AvailabilityInput, *, current: Availability | None = None, today: date | None = None
) -> _Checked:
    """Check the input; the result holds the chosen specialties and trusts and any errors."""
    today = today or local_today()
    checked = _Checked()
    start, end, months = data.earliest_start, data.latest_end, data.months
    if start is None:
        checked.error("earliest_start", "required", _("Enter the earliest start."))
    elif start < today and not (current is not None and current.earliest_start == start):
        # an unchanged start of a window that has begun may stay
        checked.error(
            "earliest_start", "in_the_past", _("The earliest start cannot be in the past.")
        )
    if months is None:
        checked.error("months", "required", _("Enter the number of months."))
    elif not MIN_MONTHS <= months <= MAX_MONTHS:
        checked.error(
            "months",
            "out_of_range",
            _("Choose between %(min)d and %(max)d months.", min=MIN_MONTHS, max=MAX_MONTHS),
        )
    if end is None:
        checked.error("latest_end", "required", _("Enter the latest end."))
    elif start is not None and end <= start:
        checked.error(
            "latest_end", "end_before_start", _("The latest end must be after the earliest start.")
        )
    elif (
        start is not None
        and "months" not in checked.codes
        and not covers_months(start, end, months)
    ):
        last = add_months(start, months) - timedelta(days=1)
        checked.error(
            "latest_end",
            "too_short",
            _(
                "The window must cover at least %(n)d months: end on %(date)s or later.",
                n=months,
                date=format_date(last, "long"),
            ),
        )
    ids, unknown = data.specialty_ids, _("Choose a specialty from the list.")
    checked.specialties = _check_list(checked, "specialties", ids, Specialty, unknown)
    if not data.specialty_ids and not data.accept_other_specialty:
        checked.error(
            "specialties",
            "required",
            _("Choose at least one specialty, or say that you accept another specialty."),
        )
    checked.trusts = _check_list(
        checked, "trusts", data.trust_ids, Trust, _("Choose a trust from the list.")
    )
    if checked.trusts:
        region = checked.trusts[0].region
        for i, trust_id in enumerate(data.trust_ids):
            trust = db.session.get(Trust, trust_id)
            if trust is not None and trust.region_id != region.id:
                checked.error(
                    f"trusts[{i}]",
                    "other_region",
                    _(
                        "Choose trusts in one region: the matching places GPs one region at a "
                        "time. Your first choice is in %(region)s.",
                        region=region.name,
                    ),
                )
    return checked


def raise_if_invalid(checked: _Checked) -> None:
    if checked.codes:
        raise AvailabilityError(checked.fields, checked.codes)


def snapshot(window: Availability) -> dict[str, Any]:
    """The window as plain data (audit records, the API)."""
    return {
        "earliest_start": window.earliest_start.isoformat(),
        "latest_end": window.latest_end.isoformat(),
        "months": window.months,
        "specialties": [s.code for s in window.specialties],
        "trusts": [t.code for t in window.trusts],
        "accept_other_specialty": window.accept_other_specialty,
        "status": window.status,
    }


def live_match(gp: GP) -> Match | None:
    return live_match_for_gp(gp)


def match_history(gp: GP) -> list[Match]:
    """The GP's ended matches, newest first."""
    return list(
        db.session.scalars(
            sa.select(Match)
            .where(Match.gp_id == gp.id, Match.status.not_in(LIVE_MATCH_STATUSES))
            .order_by(Match.updated_at.desc(), Match.id.desc())
        )
    )


def wish_ranks(window: Availability | None, period: Period) -> tuple[int | None, int | None]:
    """Where the period's specialty and trust stand in the GP's own wishes (1 = first)."""
    if window is None:
        return None, None
    specialty = next(
        (w.rank for w in window.specialty_wishes if w.specialty_id == period.specialty.id), None
    )
    trust = next((w.rank for w in window.trust_wishes if w.trust_id == period.trust.id), None)
    return specialty, trust
