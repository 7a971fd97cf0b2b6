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
from sqlalchemy.orm import selectinload

# The GP's pages read their window and live match through this module.
from app.access import current_window
from app.catalogue import describe_field
from app.dates import add_months, covers_months, local_today
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.matches.blocks import SPLIT_MIN_MONTHS, length_fits
from app.matches.queries import live_match_for_gp, live_matches_for_gp
from app.models import GP, Availability, Department, Match, Period, Specialty, Trust
from app.models.statuses import (
    CURRENT_AVAILABILITY,
    LIVE_MATCH_STATUSES,
    AvailabilityStatus,
    MatchStatus,
)
from app.runs.problem import window_loads

from .explanations import Explanation, explanations_for

__all__ = [
    "current_window",
    "live_match",
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


class AvailabilityError(InvalidInput):
    """Invalid input. ``fields`` maps each field to a machine code (``field_messages()``
    words them, app.catalogue). List entries are named ``specialties[i]`` and ``trusts[i]``
    (i counts the given ids from 0)."""

    def __init__(self, codes: dict[str, str], params: dict[str, dict[str, Any]]):
        super().__init__("invalid_input", fields=codes)
        self.params = params

    @property
    def codes(self) -> dict[str, str]:
        return self.fields

    def field_messages(self) -> dict[str, str]:
        return _words(self.fields, self.params)


def _words(codes: dict[str, str], params: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {
        name: describe_field(name, code, **params.get(name, {})) for name, code in codes.items()
    }


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
    split_allowed: bool = False  # two blocks of at least 3 months (3 + 3)


@dataclass
class _Checked:
    specialties: list[Specialty] = field(default_factory=list)
    trusts: list[Trust] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def error(self, name: str, code: str, **params: Any) -> None:
        if name not in self.codes:
            self.codes[name] = code
            self.params[name] = params

    def messages(self) -> dict[str, str]:
        """{field: words} for every error found."""
        return _words(self.codes, self.params)


def availability_conflict(code: str) -> AvailabilityConflict:
    return AvailabilityConflict(code)


def default_months(gp: GP) -> int:
    """The months a window asks for unless the GP says otherwise: what the scheme needs."""
    return gp.hospital_months_needed


def past_windows(gp: GP) -> list[Availability]:
    return list(
        db.session.scalars(
            sa.select(Availability)
            .options(*window_loads(gp=False))
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


def _check_list(checked: _Checked, name: str, ids: tuple[int, ...], model: type) -> list[Any]:
    found: list[Any] = []
    if len(ids) > MAX_WISHES:
        checked.error(name, "too_many", n=MAX_WISHES)
        return found
    seen: set[int] = set()
    for i, item_id in enumerate(ids):
        entry = f"{name}[{i}]"
        item = db.session.get(model, item_id)
        if item is None:
            checked.error(entry, "unknown")
        elif item_id in seen:
            checked.error(entry, "duplicate")
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
        checked.error("earliest_start", "required")
    elif start < today and not (current is not None and current.earliest_start == start):
        # an unchanged start of a window that has begun may stay
        checked.error("earliest_start", "in_the_past")
    if months is None:
        checked.error("months", "required")
    elif not MIN_MONTHS <= months <= MAX_MONTHS:
        checked.error("months", "out_of_range", min=MIN_MONTHS, max=MAX_MONTHS)
    if end is None:
        checked.error("latest_end", "required")
    elif start is not None and end <= start:
        checked.error("latest_end", "end_before_start")
    elif (
        start is not None
        and "months" not in checked.codes
        and not covers_months(start, end, months)
    ):
        last = add_months(start, months) - timedelta(days=1)
        checked.error("latest_end", "too_short", n=months, date=format_date(last, "long"))
    if data.split_allowed and months is not None and months < 2 * SPLIT_MIN_MONTHS:
        checked.error("split_allowed", "split_needs_six_months")
    checked.specialties = _check_list(checked, "specialties", data.specialty_ids, Specialty)
    if not data.specialty_ids and not data.accept_other_specialty:
        checked.error("specialties", "required")
    checked.trusts = _check_list(checked, "trusts", data.trust_ids, Trust)
    if checked.trusts:
        region = checked.trusts[0].region
        for i, trust_id in enumerate(data.trust_ids):
            trust = db.session.get(Trust, trust_id)
            if trust is not None and trust.region_id != region.id:
                checked.error(f"trusts[{i}]", "other_region", region=region.name)
    return checked


def raise_if_invalid(checked: _Checked) -> None:
    if checked.codes:
        raise AvailabilityError(checked.codes, checked.params)


def window_fits(window: Availability, period: Period) -> bool:
    """Whether ``period`` lies inside the window and lasts the months the GP asks for, or,
    with a split, is a block of 3 months up to them (the engine's outside_window, too_short
    and too_long, for one pair)."""
    return (
        window.earliest_start <= period.start_date
        and period.end_date <= window.latest_end
        and length_fits(window, period)
    )


def snapshot(window: Availability) -> dict[str, Any]:
    """The window as plain data (audit records, the API)."""
    return {
        "earliest_start": window.earliest_start.isoformat(),
        "latest_end": window.latest_end.isoformat(),
        "months": window.months,
        "specialties": [s.code for s in window.specialties],
        "trusts": [t.code for t in window.trusts],
        "accept_other_specialty": window.accept_other_specialty,
        "split_allowed": window.split_allowed,
        "status": window.status,
    }


live_match = live_match_for_gp  # the GP's pages' name for it


def live_matches(gp: GP) -> list[Match]:
    """The GP's live matches: one, or a split's two blocks (earliest first)."""
    return live_matches_for_gp(gp.id)


def match_history(gp: GP) -> list[Match]:
    """The GP's ended matches, newest first."""
    return list(
        db.session.scalars(
            sa.select(Match)
            .options(
                selectinload(Match.period)
                .selectinload(Period.department)
                .selectinload(Department.trust)
            )
            .where(Match.gp_id == gp.id, Match.status.not_in(LIVE_MATCH_STATUSES))
            .order_by(Match.updated_at.desc(), Match.id.desc())
        )
    )


def wishes_window(gp: GP, match: Match | None) -> Availability | None:
    """The window whose wishes ``match`` answers: the current window, or, once the GP has
    accepted, the window the acceptance fulfilled (it is no longer current)."""
    current = current_window(gp)
    if match is None or match.status != MatchStatus.ACCEPTED:
        return current
    if current is not None and current.split_allowed:  # one block accepted, the window goes on
        return current
    return db.session.scalar(
        sa.select(Availability)
        .where(Availability.gp_id == gp.id, Availability.status == AvailabilityStatus.FULFILLED)
        .order_by(Availability.updated_at.desc(), Availability.id.desc())
        .limit(1)
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
