"""The region's overview: the to-do list, the waiting list in priority order (it replaces the
coordinators' Excel sheet), and the national summary. The figures are app.coordination.counts';
the timeline is app.coordination.timeline's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

import matching
from app import lottery
from app.access import seeking_region_id
from app.data_version import VersionedCache
from app.dates import local_today, local_zone
from app.extensions import db
from app.matches.blocks import months_left
from app.models import (
    GP,
    Availability,
    AvailabilitySpecialty,
    Department,
    Match,
    Period,
    Region,
    Trust,
)
from app.models.notifications import EmailDigest, Notification
from app.models.statuses import LIVE_MATCH_STATUSES, AvailabilityStatus
from app.paging import page_of_list
from app.policy import EffectivePolicy, region_policy
from app.progress import MEASURES, ranking_value
from app.runs.problem import window_loads

from . import counts

NEAR_FALLBACK_DAYS = counts.NEAR_FALLBACK_DAYS


class _Place(NamedTuple):
    """What the waiting list's order reads of one window and its GP (no objects loaded).
    The progress measures are the values that rank (app.progress.ranking_value)."""

    window_id: int
    gp_id: int
    name: str
    months_general_practice: int
    courses_completed: int
    supervision_group_months: int
    registered_at: datetime
    municipality_priority: int | None  # the municipality's own rank (issue 19)
    matched: bool  # the GP has a live match
    wishes_specialty: bool  # fits the specialty filter (True without one)


# Keys that depend on the period (catchment, first choice) order candidates per period in
# the matching; the waiting list orders by the rest.
_GP_KEYS: dict[str, Callable[[_Place, float], float]] = {
    "months_general_practice": lambda gp, lot: -gp.months_general_practice,
    "courses_completed": lambda gp, lot: -gp.courses_completed,
    "supervision_group_months": lambda gp, lot: -gp.supervision_group_months,
    "registered_at": lambda gp, lot: gp.registered_at.timestamp(),
    "municipality_priority": lambda gp, lot: matching.municipality_rank(gp.municipality_priority),
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
    # every live match of the GP (two for a split's blocks), earliest period first
    blocks: tuple[Match, ...] = ()

    @property
    def months_left(self) -> int | None:
        """For a window that allows a split: the months left for another block (0: none);
        None otherwise."""
        if not self.window.split_allowed:
            return None
        return months_left(self.window, [m.period for m in self.blocks])


def waiting_order(policy: EffectivePolicy) -> list[str]:
    """The policy's priority keys that do not depend on a period, in the policy's order."""
    return [k for k in policy.priority if k in _GP_KEYS]


def _period_options():
    return selectinload(Match.period).selectinload(Period.department).selectinload(Department.trust)


# The waiting lists' order per region, day and specialty filter, until the data changes.
_PLACES = VersionedCache(size=32)


def waiting_places(
    region: Region, today: date, specialty_id: int | None = None
) -> list[tuple[int, float, _Place]]:
    """The region's waiting list in order, as (position, lottery number, place): one query
    of the columns the order reads. The order itself is Python's: the lottery number is a
    hash (matching.lottery_number) that SQL cannot compute, and every GP keeps their place
    on the whole list, so the whole region is ordered before a page is cut. Kept per
    version of the data (app/data_version.py); the list is shared: do not change it."""
    return _PLACES.get(
        (region.id, today, specialty_id), lambda: _ordered_places(region, today, specialty_id)
    )


def _ordered_places(
    region: Region, today: date, specialty_id: int | None
) -> list[tuple[int, float, _Place]]:
    live = sa.exists().where(
        Match.gp_id == Availability.gp_id, Match.status.in_(LIVE_MATCH_STATUSES)
    )
    if specialty_id is None:
        fits: sa.ColumnElement[bool] = sa.true()
    else:
        wishes = sa.select(AvailabilitySpecialty.availability_id).where(
            AvailabilitySpecialty.availability_id == Availability.id
        )
        fits = sa.or_(
            ~wishes.exists(),
            Availability.accept_other_specialty.is_(True),
            wishes.where(AvailabilitySpecialty.specialty_id == specialty_id).exists(),
        )
    policy = region_policy(region)
    verified_only = policy.verified_progress_only
    measures = [getattr(GP, m if not verified_only else f"{m}_verified") for m in MEASURES]
    rows = db.session.execute(
        sa.select(
            Availability.id.label("window_id"),
            GP.id.label("gp_id"),
            GP.name,
            GP.registered_at,
            GP.municipality_priority,
            live.label("matched"),
            fits.label("wishes"),
            *measures,
        )
        .select_from(Availability)
        .join(GP, GP.id == Availability.gp_id)
        .where(counts.waiting([region.id]))
    ).all()
    places = [
        _Place(
            window_id=row.window_id,
            gp_id=row.gp_id,
            name=row.name,
            registered_at=row.registered_at,
            municipality_priority=row.municipality_priority,
            matched=bool(row.matched),
            wishes_specialty=bool(row.wishes),
            **{m: ranking_value(row, m, verified_only) for m in MEASURES},
        )
        for row in rows
    ]
    seed = lottery.seed_for(region, today)
    numbers = {p.gp_id: matching.lottery_number(seed, str(p.gp_id)) for p in places}
    functions = [_GP_KEYS[k] for k in waiting_order(policy)]

    def key(place: _Place) -> tuple:
        lot = numbers[place.gp_id]
        return (*(fn(place, lot) for fn in functions), lot, place.gp_id)

    return [(i, numbers[p.gp_id], p) for i, p in enumerate(sorted(places, key=key), 1)]


def waiting_entries(
    region: Region, chosen: list[tuple[int, float, _Place]], *, everyone: bool = False
) -> list[WaitingEntry]:
    """The waiting-list rows of ``chosen`` with what a row shows loaded: the windows (with
    the GP and wishes) in one query, the GPs' live matches in another. For ``everyone`` on
    the list the queries name the list's condition rather than every id."""
    if not chosen:
        return []
    if everyone:
        shown_windows = counts.waiting([region.id])
        shown_gps = Match.gp_id.in_(sa.select(Availability.gp_id).where(shown_windows))
    else:
        shown_windows = Availability.id.in_([p.window_id for _, _, p in chosen])
        shown_gps = Match.gp_id.in_([p.gp_id for _, _, p in chosen])
    windows = {
        w.id: w
        for w in db.session.scalars(
            sa.select(Availability).options(*window_loads()).where(shown_windows)
        )
    }
    matches: dict[int, list[Match]] = {}
    for m in db.session.scalars(
        sa.select(Match)
        .options(_period_options())
        .where(shown_gps, Match.status.in_(LIVE_MATCH_STATUSES))
    ):
        matches.setdefault(m.gp_id, []).append(m)
    for blocks in matches.values():
        blocks.sort(key=lambda m: (m.period.start_date, m.id))
    minimum = region_policy(region).min_months_general_practice
    return [
        WaitingEntry(
            position=position,
            gp=windows[p.window_id].gp,
            window=windows[p.window_id],
            lottery=number,
            eligible=p.months_general_practice >= minimum,
            match=next(iter(matches.get(p.gp_id, ())), None),
            blocks=tuple(matches.get(p.gp_id, ())),
        )
        for position, number, p in chosen
        if p.window_id in windows  # a window withdrawn between the two queries is left out
    ]


def waiting_list(region: Region, today: date) -> list[WaitingEntry]:
    """GPs with an active window who seek service in ``region``, highest priority first
    (the policy's keys, then the run's lottery and the id as the final tie-break). Reads the
    region's windows only (``counts.waiting_windows``)."""
    return waiting_entries(region, waiting_places(region, today), everyone=True)


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


TODO_ROWS = 20  # rows of each to-do list on the overview; the heading has the count


def todo(region: Region, today: date, rows: int = TODO_ROWS) -> Todo:
    """The to-do list of ``region``: the first ``rows`` rows behind each of the overview's
    figures, soonest first, with what each row shows."""
    trust_ids = counts.trusts_of([region.id])
    match_options = (_period_options(), joinedload(Match.gp).joinedload(GP.municipality))
    period_options = selectinload(Period.department).selectinload(Department.trust)
    return Todo(
        to_confirm=list(
            db.session.scalars(counts.to_confirm(trust_ids).options(*match_options).limit(rows))
        ),
        near_fallback=list(
            db.session.scalars(
                counts.near_fallback(trust_ids, today).options(period_options).limit(rows)
            )
        ),
        offers_near_deadline=list(
            db.session.scalars(
                counts.offers_near_deadline(trust_ids, today).options(*match_options).limit(rows)
            )
        ),
        parked_emails=counts.parked_emails([region.id], limit=rows),
    )


@dataclass(frozen=True)
class RegionSummary:
    region: Region
    figures: counts.Figures


def national_summary(regions: list[Region], today: date) -> list[RegionSummary]:
    """One row per region with its figures (the national coordinator's landing page),
    counted for all regions at once (``counts.figures_by_region``)."""
    by_region = counts.figures_by_region([r.id for r in regions], today)
    return [RegionSummary(r, by_region[r.id]) for r in regions]


def live_matches_in_region(region: Region, trust_ids: list[int] | None = None) -> list[Match]:
    """Proposals, offers and placements for the region's periods (or those of some of its
    trusts), soonest start first."""
    trusts = counts.trusts_of([region.id])
    if trust_ids is not None:
        trusts = trusts.where(Trust.id.in_(trust_ids))
    return list(
        db.session.scalars(
            counts.live_matches(trusts).options(
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
    everyone = waiting_places(region, today, specialty_id)
    minimum = region_policy(region).min_months_general_practice
    text = name.strip().casefold()
    chosen = [
        (position, number, p)
        for position, number, p in everyone
        if (not text or text in p.name.casefold())
        and p.wishes_specialty
        and (
            state == "all"
            or (state == "waiting" and not p.matched)
            or (state == "matched" and p.matched)
            or (state == "below_minimum" and p.months_general_practice < minimum)
        )
    ]
    if sort == "name":
        chosen.sort(key=lambda c: (c[2].name.casefold(), c[2].gp_id))
    shown = page_of_list(chosen, page, per_page)
    return WaitingPage(
        entries=waiting_entries(region, shown.items),
        total=shown.total,
        everyone=len(everyone),
        page=shown.page,
        pages=shown.pages,
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
    places = waiting_places(region, today or local_today())
    position = next((n for n, _, p in places if p.gp_id == gp.id), None)
    return WaitingPlace(region, position, len(places)) if position else None
