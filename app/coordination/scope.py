"""What a coordinator's pages cover: their region, or every region for national
coordinators and admins. Objects outside answer 404 (see app/access.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.models import (
    GP,
    Availability,
    AvailabilityTrust,
    Department,
    Match,
    Municipality,
    Period,
    Region,
    Trust,
    User,
)
from app.models.availability import CURRENT_AVAILABILITY
from app.models.matching import LIVE_MATCH_STATUSES
from app.runs.problem import gp_region_id


def is_national(user: User) -> bool:
    return user.role == "admin" or (user.role == "coordinator" and user.region_id is None)


def regions_in_scope(user: User) -> list[Region]:
    """The regions ``user`` coordinates, by name."""
    query = sa.select(Region).order_by(Region.name)
    if not is_national(user):
        query = query.where(Region.id == user.region_id)
    return list(db.session.scalars(query))


def choose_region(user: User, code: str | None) -> Region:
    """The region a page shows: a regional coordinator's own; a national one's choice
    (the first region by name if none is chosen). A region outside the scope is a 404."""
    regions = regions_in_scope(user)
    if not regions:
        abort(404)
    if not code:
        return regions[0]
    region = next((r for r in regions if r.code == code), None)
    if region is None:
        abort(404)
    return region


def region_of_period(period: Period) -> int:
    return period.department.trust.region_id


def gp_region_ids(gp: GP) -> set[int]:
    """The regions a GP belongs to for coordination: their home trust's, and the one their
    current window seeks service in (the region of their first wished trust)."""
    ids = set()
    home = gp.municipality.trust
    if home is not None:
        ids.add(home.region_id)
    window = db.session.scalar(
        sa.select(Availability).where(
            Availability.gp_id == gp.id, Availability.status.in_(CURRENT_AVAILABILITY)
        )
    )
    seeking = gp_region_id(gp, window)
    if seeking is not None:
        ids.add(seeking)
    return ids


def coordinates_gp(user: User, gp: GP) -> bool:
    return is_national(user) or (user.role == "coordinator" and user.region_id in gp_region_ids(gp))


def get_gp_or_404(gp_id: int, user: User) -> GP:
    gp = db.session.get(GP, gp_id)
    if gp is None or not coordinates_gp(user, gp):
        abort(404)
    return gp


def period_ids_in_regions(region_ids: list[int]) -> sa.Select:
    return (
        sa.select(Period.id)
        .join(Department, Period.department_id == Department.id)
        .join(Trust, Department.trust_id == Trust.id)
        .where(Trust.region_id.in_(region_ids))
    )


def gp_ids_in_regions(region_ids: list[int]) -> sa.CompoundSelect:
    """GPs whose home trust, or whose current window's first wished trust, is in a region."""
    home = (
        sa.select(GP.id)
        .join(Municipality, GP.municipality_id == Municipality.id)
        .join(Trust, Municipality.trust_id == Trust.id)
        .where(Trust.region_id.in_(region_ids))
    )
    first_rank = (
        sa.select(sa.func.min(AvailabilityTrust.rank))
        .where(AvailabilityTrust.availability_id == Availability.id)
        .correlate(Availability)
        .scalar_subquery()
    )
    seeking = (
        sa.select(Availability.gp_id)
        .join(AvailabilityTrust, AvailabilityTrust.availability_id == Availability.id)
        .join(Trust, AvailabilityTrust.trust_id == Trust.id)
        .where(
            Availability.status.in_(CURRENT_AVAILABILITY),
            AvailabilityTrust.rank == first_rank,
            Trust.region_id.in_(region_ids),
        )
    )
    return sa.union(home, seeking)


def gps_in_regions(region_ids: list[int]) -> sa.Select:
    return (
        sa.select(GP)
        .where(GP.id.in_(sa.select(gp_ids_in_regions(region_ids).subquery().c[0])))
        .order_by(GP.name, GP.id)
    )


def periods_in_region(region: Region, statuses: tuple[str, ...]) -> list[Period]:
    """The region's periods with one of ``statuses``, soonest start first."""
    return list(
        db.session.scalars(
            sa.select(Period)
            .join(Period.department)
            .join(Department.trust)
            .where(Trust.region_id == region.id, Period.status.in_(statuses))
            .order_by(Period.start_date, Period.id)
        )
    )


def live_matches_in_region(region: Region) -> list[Match]:
    """Proposals, offers and placements for the region's periods, soonest start first."""
    return list(
        db.session.scalars(
            sa.select(Match)
            .join(Match.period)
            .join(Period.department)
            .join(Department.trust)
            .where(Trust.region_id == region.id, Match.status.in_(LIVE_MATCH_STATUSES))
            .order_by(Period.start_date, Match.id)
        )
    )
