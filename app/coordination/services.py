"""The coordinators' services in one place (the pages and the API use these): what may be
assigned or forbidden in a user's regions, policies, the audit log, the waiting list.

The override actions themselves (assign, cancel, unpin, forbid, confirm) are the match
transitions in app/lifecycle, which audit and notify.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.access import gps_in_regions
from app.extensions import db
from app.models import GP, Availability, Department, Forbid, Period, Region, Trust
from app.models.statuses import OPEN_FOR_MATCHING, AvailabilityStatus
from app.paging import Page, page_of

from .audit_log import (
    ObjectRefError,
    audit_page,
    audit_query,
    object_ref,
    parse_object_ref,
)
from .overview import waiting_list, waiting_order
from .policies import (
    PolicyError,
    create_override,
    policies_in_scope,
    remove_override,
    update_policy,
    validate_changes,
)

__all__ = [
    "ObjectRefError",
    "PolicyError",
    "assignable_gps",
    "assignable_periods",
    "audit_page",
    "audit_query",
    "create_override",
    "forbiddable_periods",
    "forbids_page",
    "gps_of",
    "object_ref",
    "parse_object_ref",
    "policies_in_scope",
    "remove_override",
    "update_policy",
    "validate_changes",
    "waiting_list",
    "waiting_order",
]


def _periods(region_ids: list[int], statuses: tuple[str, ...]) -> sa.Select:
    return (
        sa.select(Period)
        .join(Period.department)
        .join(Department.trust)
        .where(Trust.region_id.in_(region_ids), Period.status.in_(statuses))
        .order_by(Trust.name, Period.start_date, Period.id)
    )


def assignable_periods(regions: list[Region], today: date) -> list[Period]:
    """Periods a coordinator may still assign: open for matching and not yet started."""
    query = _periods([r.id for r in regions], OPEN_FOR_MATCHING).where(Period.start_date > today)
    return list(db.session.scalars(query))


def forbiddable_periods(regions: list[Region]) -> list[Period]:
    """Periods whose pairs may still be forbidden (not filled or withdrawn)."""
    return list(db.session.scalars(_periods([r.id for r in regions], OPEN_FOR_MATCHING)))


def assignable_gps(regions: list[Region]) -> list[GP]:
    """GPs of the regions with an active availability window, by name."""
    with_window = sa.select(Availability.gp_id).where(
        Availability.status == AvailabilityStatus.ACTIVE
    )
    query = gps_in_regions([r.id for r in regions]).where(GP.id.in_(with_window))
    return list(db.session.scalars(query))


def gps_of(regions: list[Region]) -> list[GP]:
    """Every GP of the regions (home or sought), by name."""
    return list(db.session.scalars(gps_in_regions([r.id for r in regions])))


def forbids_query(regions: list[Region]) -> sa.Select:
    """The forbidden pairs of the regions' periods, newest first."""
    return (
        sa.select(Forbid)
        .join(Forbid.period)
        .join(Period.department)
        .join(Department.trust)
        .where(Trust.region_id.in_([r.id for r in regions]))
        .order_by(Forbid.created_at.desc(), Forbid.id.desc())
    )


FORBIDS_PER_PAGE = 50


def forbids_page(regions: list[Region], page: int) -> Page:
    """One page of the regions' forbidden pairs, newest first, with what a row shows."""
    return page_of(
        forbids_query(regions),
        page,
        FORBIDS_PER_PAGE,
        options=(
            selectinload(Forbid.gp),
            selectinload(Forbid.period)
            .selectinload(Period.department)
            .selectinload(Department.trust),
        ),
    )
