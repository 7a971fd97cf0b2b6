"""The region's overview: the to-do list, the waiting list in priority order (it replaces the
coordinators' Excel sheet), and the national summary. The figures are app.coordination.counts';
the timeline is app.coordination.timeline's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

import matching
from app import lottery
from app.access import seeking_region_id
from app.dates import local_today, local_zone
from app.extensions import db
from app.models import (
    GP,
    Availability,
    Department,
    Match,
    Period,
    Region,
)
from app.models.notifications import EmailDigest, Notification
from app.models.statuses import LIVE_MATCH_STATUSES, AvailabilityStatus
from app.policy import EffectivePolicy, region_policy
from app.runs.problem import window_loads

from . import counts

NEAR_FALLBACK_DAYS = counts.NEAR_FALLBACK_DAYS
# Keys that depend on the period (catchment, first choice) order candidates per period in
# the matching; the waiting list orders by the rest.
_GP_KEYS: dict[str, Callable[[GP, float], float]] = {
    "months_general_practice": lambda gp, lot: -gp.months_general_practice,
    "courses_completed": lambda gp, lot: -gp.courses_completed,
    "supervision_group_months": lambda gp, lot: -gp.supervision_group_months,
    "registered_at": lambda gp, lot: gp.registered_at.timestamp(),
    "lottery": lambda gp, lot: lot,
}


@dataclass(frozen=True)
class WaitingEntry:
    position: int
    gp: GP
    window: Availability
    lottery: float
    eligible: bool
    match: Match | None


def waiting_order(policy: EffectivePolicy) -> list[str]:
    """The policy's priority keys that do not depend on a period, in the policy's order."""
    return [k for k in policy.priority if k in _GP_KEYS]


def _period_options():
    return selectinload(Match.period).selectinload(Period.department).selectinload(Department.trust)


def waiting_list(region: Region, today: date) -> list[WaitingEntry]:
    """GPs with an active window who seek service in ``region``, highest priority first
    (the policy's keys, then the run's lottery and the id as the final tie-break). Reads the
    region's windows only (``counts.waiting_windows``)."""
    windows = list(db.session.scalars(counts.waiting_windows([region.id]).options(*window_loads())))
    matches = {
        m.gp_id: m
        for m in db.session.scalars(
            sa.select(Match)
            .options(_period_options())
            .where(
                Match.gp_id.in_([w.gp_id for w in windows]),
                Match.status.in_(LIVE_MATCH_STATUSES),
            )
        )
    }
    policy = region_policy(region)
    seed = lottery.seed_for(region, today)
    numbers = {w.gp_id: matching.lottery_number(seed, str(w.gp_id)) for w in windows}
    functions = [_GP_KEYS[k] for k in waiting_order(policy)]

    def key(window: Availability) -> tuple:
        lot = numbers[window.gp_id]
        return (*(fn(window.gp, lot) for fn in functions), lot, window.gp_id)

    minimum = policy.min_months_general_practice
    return [
        WaitingEntry(
            position=i,
            gp=w.gp,
            window=w,
            lottery=numbers[w.gp_id],
            eligible=w.gp.months_general_practice >= minimum,
            match=matches.get(w.gp_id),
        )
        for i, w in enumerate(sorted(windows, key=key), 1)
    ]


def fallback_day(period: Period) -> date:
    """The local day a period falls back to ordinary advertising."""
    return period.advertise_after.astimezone(local_zone()).date()


@dataclass(frozen=True)
class Todo:
    """What a coordinator of one region should look at today."""

    to_confirm: list[Match]
    near_fallback: list[Period]
    offers_near_deadline: list[Match]
    parked_emails: list[Notification | EmailDigest]

    @property
    def empty(self) -> bool:
        return not (
            self.to_confirm or self.near_fallback or self.offers_near_deadline or self.parked_emails
        )


def todo(region: Region, today: date) -> Todo:
    """The to-do list of ``region``: the rows behind the overview's figures."""
    trust_ids = counts.trusts_of([region.id])
    match_options = (_period_options(), joinedload(Match.gp).joinedload(GP.municipality))
    return Todo(
        to_confirm=list(db.session.scalars(counts.to_confirm(trust_ids).options(*match_options))),
        near_fallback=list(
            db.session.scalars(
                counts.near_fallback(trust_ids, today).options(
                    selectinload(Period.department).selectinload(Department.trust)
                )
            )
        ),
        offers_near_deadline=list(
            db.session.scalars(
                counts.offers_near_deadline(trust_ids, today).options(*match_options)
            )
        ),
        parked_emails=counts.parked_emails([region.id]),
    )


@dataclass(frozen=True)
class RegionSummary:
    region: Region
    figures: counts.Figures


def national_summary(regions: list[Region], today: date) -> list[RegionSummary]:
    """One row per region with its figures (the national coordinator's landing page)."""
    return [RegionSummary(r, counts.figures([r.id], today)) for r in regions]


def live_matches_in_region(region: Region) -> list[Match]:
    """Proposals, offers and placements for the region's periods, soonest start first."""
    return list(
        db.session.scalars(
            counts.live_matches(counts.trusts_of([region.id])).options(
                _period_options(), joinedload(Match.gp).joinedload(GP.municipality)
            )
        )
    )


WAITING_PER_PAGE = 25
WAITING_STATES = ("all", "waiting", "matched", "below_minimum")
WAITING_SORTS = ("priority", "name")


@dataclass(frozen=True)
class WaitingPage:
    entries: list[WaitingEntry]
    total: int  # after the filters
    everyone: int  # the whole waiting list
    page: int
    pages: int


def waiting_page(
    region: Region,
    today: date,
    *,
    name: str = "",
    specialty_id: int | None = None,
    state: str = "all",
    sort: str = "priority",
    page: int = 1,
    per_page: int = WAITING_PER_PAGE,
) -> WaitingPage:
    """One page of the region's waiting list, filtered by part of the name, a wished
    specialty (a GP who wishes none, or accepts any, fits every specialty) and the state;
    in priority order (each GP keeps their place number) or by name."""
    everyone = waiting_list(region, today)
    text = name.strip().casefold()
    entries = [
        e
        for e in everyone
        if (not text or text in e.gp.name.casefold())
        and (
            specialty_id is None
            or not e.window.specialty_wishes
            or e.window.accept_other_specialty
            or any(w.specialty_id == specialty_id for w in e.window.specialty_wishes)
        )
        and (
            state == "all"
            or (state == "waiting" and e.match is None)
            or (state == "matched" and e.match is not None)
            or (state == "below_minimum" and not e.eligible)
        )
    ]
    if sort == "name":
        entries.sort(key=lambda e: (e.gp.name.casefold(), e.gp.id))
    pages = max(1, -(-len(entries) // per_page))
    page = min(max(1, page), pages)
    return WaitingPage(
        entries=entries[(page - 1) * per_page : page * per_page],
        total=len(entries),
        everyone=len(everyone),
        page=page,
        pages=pages,
    )


@dataclass(frozen=True)
class WaitingPlace:
    region: Region
    position: int
    of: int


def gp_waiting_place(
    gp: GP, window: Availability, today: date | None = None
) -> WaitingPlace | None:
    """The GP's place on the waiting list of the region their window seeks (None when the
    window is not active or seeks no region)."""
    region_id = seeking_region_id(gp, window)
    if window.status != AvailabilityStatus.ACTIVE or region_id is None:
        return None
    region = db.session.get(Region, region_id)
    if region is None:
        return None
    entries = waiting_list(region, today or local_today())
    position = next((e.position for e in entries if e.gp.id == gp.id), None)
    return WaitingPlace(region, position, len(entries)) if position else None
