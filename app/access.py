"""Who may see and change what: every visibility rule of the portal, used by the pages and
the API alike. Objects outside a user's scope answer 404, not 403, so that ids of other
trusts' or regions' objects reveal nothing.

Scopes:
- trust staff manage their own trust; coordinators manage every trust of their region (a
  national coordinator: every region); admins everything.
- a coordinator coordinates a GP who belongs to their region in either of two ways: the GP's
  home (the region of their municipality's trust), or the region the GP seeks service in
  (that of the first trust in their current window's wishes). The overview, the GP's page,
  assigning, forbidding, the audit log and the API all use ``coordinates_gp`` /
  ``gp_ids_in_regions``, which say exactly this.
- a matching run covers one region or all; a regional coordinator's runs cover their region
  only (``run_region``), and they see the runs that cover it.
- a municipality user (the GP's employer: the kommuneoverlege, the GP office lead) speaks
  for the GPs of their municipalities (``speaks_for_gp``, ``municipality_gp_ids``): those
  GPs' pages, windows, matches and the periods of those matches, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from .errors import NotFound
from .extensions import db
from .models import (
    GP,
    Availability,
    AvailabilityTrust,
    Department,
    Match,
    MatchingRun,
    Municipality,
    Period,
    Region,
    Trust,
    User,
    UserMunicipality,
)
from .models.statuses import CURRENT_AVAILABILITY, PUBLIC_PERIOD_STATUSES, PeriodStatus
from .text import ID_MAX

# ---- who the user is


def is_national(user: User) -> bool:
    """Admins and coordinators without a region see every region."""
    return user.role == "admin" or (user.role == "coordinator" and user.region_id is None)


def regions_in_scope(user: User) -> list[Region]:
    """The regions ``user`` coordinates, by name (none for GPs and trust staff)."""
    if user.role not in ("coordinator", "admin"):
        return []
    query = sa.select(Region).order_by(Region.name)
    if not is_national(user):
        query = query.where(Region.id == user.region_id)
    return list(db.session.scalars(query))


def choose_region(user: User, code: str | None) -> Region:
    """The region a coordinator's page shows: a regional coordinator's own; a national
    one's choice (the first region by name if none is chosen). Outside the scope: 404."""
    regions = regions_in_scope(user)
    if not regions:
        raise NotFound("region")
    if not code:
        return regions[0]
    region = next((r for r in regions if r.code == code), None)
    if region is None:
        raise NotFound("region", field="region")
    return region


def run_region(user: User, code: str | None) -> Region | None:
    """The region a run started by ``user`` covers; None: every region. A regional
    coordinator's run covers their region whatever they ask; a national coordinator runs
    the region they name, or all. A region outside the scope is a 404."""
    if not is_national(user):
        return choose_region(user, code)
    return choose_region(user, code) if code else None


# ---- municipalities


def municipality_ids(user: User) -> sa.Select:
    """Ids of the municipalities a municipality user speaks for (none for other roles)."""
    query = sa.select(UserMunicipality.municipality_id).where(UserMunicipality.user_id == user.id)
    return query if user.role == "municipality" else query.where(sa.false())


def municipality_gp_ids(user: User) -> sa.Select:
    """Ids of the GPs whose municipality is one of ``user``'s (``speaks_for_gp`` as a query)."""
    return sa.select(GP.id).where(GP.municipality_id.in_(municipality_ids(user)))


def speaks_for_gp(user: User, gp: GP) -> bool:
    """A municipality user, for a GP of one of their municipalities."""
    if user.role != "municipality":
        return False
    return any(m.id == gp.municipality_id for m in user.municipalities)


# ---- trusts and periods


def manages_trust(user: User, trust: Trust) -> bool:
    """Trust staff of ``trust``, coordinators of its region (or national), admins."""
    if user.role == "admin":
        return True
    if user.role == "trust":
        return user.trust_id == trust.id
    if user.role == "coordinator":
        return user.region_id is None or user.region_id == trust.region_id
    return False


def can_see_period(user: User, period: Period) -> bool:
    """Open and advertised periods: everyone signed in; any period: those who manage its
    trust; a GP: also the periods they are or were matched to."""
    if period.status in PUBLIC_PERIOD_STATUSES or manages_trust(user, period.department.trust):
        return True
    if user.role in ("gp", "municipality"):
        mine = (
            GP.user_id == user.id
            if user.role == "gp"
            else GP.municipality_id.in_(municipality_ids(user))
        )
        matched = db.session.scalar(
            sa.select(Match.id).join(Match.gp).where(Match.period_id == period.id, mine).limit(1)
        )
        return matched is not None
    return False


def trusts_in_scope(user: User) -> sa.Select:
    """A query of the trusts ``user`` manages."""
    query = sa.select(Trust).order_by(Trust.name)
    if user.role == "trust":
        return query.where(Trust.id == user.trust_id)
    if is_national(user):
        return query
    if user.role == "coordinator":
        return query.where(Trust.region_id == user.region_id)
    return query.where(sa.false())


def visible_periods(user: User) -> sa.Select:
    """The periods ``user`` may list: those of the trusts they manage, and every open one."""
    query = sa.select(Period).join(Period.department)
    if is_national(user):
        return query
    managed = trusts_in_scope(user).with_only_columns(Trust.id).order_by(None)
    return query.where(sa.or_(Period.status == PeriodStatus.OPEN, Department.trust_id.in_(managed)))


def period_ids_in_regions(region_ids: list[int]) -> sa.Select:
    return (
        sa.select(Period.id)
        .join(Department, Period.department_id == Department.id)
        .join(Trust, Department.trust_id == Trust.id)
        .where(Trust.region_id.in_(region_ids))
    )


# ---- GPs


def seeking_region_id(gp: GP, window: Availability | None) -> int | None:
    """The region a GP seeks service in: that of their first wished trust, else home."""
    if window is not None and window.trust_wishes:
        return window.trust_wishes[0].trust.region_id
    home = gp.municipality.trust
    return home.region_id if home else None


def sought_region() -> sa.ColumnElement[int]:
    """The region an availability window seeks service in, as a column of Availability (the
    query form of ``seeking_region_id``): the first wished trust's region, else, for a
    window without trust wishes, the GP's home region."""
    first_trust = (
        sa.select(AvailabilityTrust.trust_id)
        .where(AvailabilityTrust.availability_id == Availability.id)
        .order_by(AvailabilityTrust.rank)
        .limit(1)
        .correlate(Availability)
        .scalar_subquery()
    )
    wished = sa.select(Trust.region_id).where(Trust.id == first_trust).scalar_subquery()
    home = (
        sa.select(Trust.region_id)
        .join(Municipality, Municipality.trust_id == Trust.id)
        .join(GP, GP.municipality_id == Municipality.id)
        .where(GP.id == Availability.gp_id)
        .correlate(Availability)
        .scalar_subquery()
    )
    return sa.func.coalesce(wished, home)


def windows_seeking(region_ids: list[int]) -> sa.Select:
    """Ids of the availability windows that seek service in one of ``region_ids``
    (``sought_region``). Any status: callers filter."""
    return sa.select(Availability.id).where(sought_region().in_(region_ids))


def current_window(gp: GP, *loads: Any) -> Availability | None:
    """The GP's current window, if any, with ``loads`` (loader options)."""
    return db.session.scalar(
        sa.select(Availability)
        .options(*loads)
        .where(Availability.gp_id == gp.id, Availability.status.in_(CURRENT_AVAILABILITY))
    )


def gp_region_ids(gp: GP) -> set[int]:
    """The regions a GP belongs to for coordination: their home region, and the one their
    current window seeks service in."""
    ids = set()
    home = gp.municipality.trust
    if home is not None:
        ids.add(home.region_id)
    seeking = seeking_region_id(gp, current_window(gp))
    if seeking is not None:
        ids.add(seeking)
    return ids


def coordinates_gp(user: User, gp: GP) -> bool:
    """National coordinators and admins; a regional coordinator of one of the GP's regions."""
    if is_national(user):
        return True
    return user.role == "coordinator" and user.region_id in gp_region_ids(gp)


def coordinated_gps(user: User) -> Callable[[GP], bool]:
    """``coordinates_gp`` for the many GPs of one page: the ids of the GPs of the user's
    region are read once (``gp_ids_in_regions``), when the first GP is asked about."""
    if not user.is_authenticated:
        return lambda gp: False
    if is_national(user):
        return lambda gp: True
    region_id = user.region_id
    if user.role != "coordinator" or region_id is None:
        return lambda gp: False
    found: set[int] = set()
    read = False

    def check(gp: GP) -> bool:
        nonlocal read
        if not read:
            ids = gp_ids_in_regions([region_id])
            found.update(db.session.scalars(sa.select(ids.subquery().c[0])))
            read = True
        return gp.id in found

    return check


def gp_ids_in_regions(region_ids: list[int]) -> sa.CompoundSelect:
    """GPs whose home trust, or whose current window's first wished trust, is in a region
    (the query form of ``gp_region_ids``)."""
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


def gps_in_scope(user: User) -> sa.Select:
    """A query of the GPs ``user`` coordinates (``coordinates_gp`` as a query), or, for a
    municipality user, speaks for."""
    if is_national(user):
        return sa.select(GP).order_by(GP.name, GP.id)
    if user.role == "municipality":
        return sa.select(GP).where(GP.id.in_(municipality_gp_ids(user))).order_by(GP.name, GP.id)
    if user.role == "coordinator" and user.region_id is not None:
        return gps_in_regions([user.region_id])
    return sa.select(GP).where(sa.false())


def coordinated_among(user: User, gp_ids: set[int]) -> set[int]:
    """Of ``gp_ids``, those ``user`` coordinates: ``coordinates_gp`` for a page of GPs in
    one query (none for a national coordinator or admin)."""
    if not gp_ids:
        return set()
    if is_national(user):
        return set(gp_ids)
    ids = db.session.scalars(gps_in_scope(user).with_only_columns(GP.id).where(GP.id.in_(gp_ids)))
    return set(ids)


# ---- matches and runs


def can_see_match(user: User, match: Match) -> bool:
    """The GP of the match and their municipality; staff who manage the period's trust."""
    if user.role == "gp":
        return match.gp.user_id == user.id
    if user.role == "municipality":
        return speaks_for_gp(user, match.gp)
    return manages_trust(user, match.period.department.trust)


def matches_in_scope(user: User) -> sa.Select:
    """GPs: their own; trust staff: their trust's periods; coordinators: their region's."""
    query = sa.select(Match)
    if user.role == "gp":
        return query.join(Match.gp).where(GP.user_id == user.id)
    if user.role == "municipality":
        return query.where(Match.gp_id.in_(municipality_gp_ids(user)))
    if is_national(user):
        return query
    query = query.join(Match.period).join(Period.department).join(Department.trust)
    if user.role == "trust":
        return query.where(Trust.id == user.trust_id)
    if user.role == "coordinator":
        return query.where(Trust.region_id == user.region_id)
    return query.where(sa.false())


def can_see_run(user: User, run: MatchingRun) -> bool:
    """Coordinators see the runs that cover their region (national runs cover every one)."""
    if is_national(user):
        return True
    return user.role == "coordinator" and run.region_id in (None, user.region_id)


def runs_in_scope(user: User) -> sa.Select:
    query = sa.select(MatchingRun)
    if is_national(user):
        return query
    if user.role == "coordinator":
        return query.where(
            sa.or_(MatchingRun.region_id.is_(None), MatchingRun.region_id == user.region_id)
        )
    return query.where(sa.false())


# ---- loaders: the object, or 404


def _get(model, object_id: int, what: str, field: str | None):
    obj = db.session.get(model, object_id) if 1 <= object_id <= ID_MAX else None
    if obj is None:
        raise NotFound(what, field=field)
    return obj


def get_period_or_404(
    period_id: int, for_user: User, *, manage: bool = True, field: str | None = None
) -> Period:
    """The period if ``for_user`` manages its trust (``manage=False``: may read it)."""
    period = _get(Period, period_id, "period", field)
    allowed = (
        manages_trust(for_user, period.department.trust)
        if manage
        else can_see_period(for_user, period)
    )
    if not allowed:
        raise NotFound("period", field=field)
    return period


def get_department_or_404(department_id: int, for_user: User) -> Department:
    department = _get(Department, department_id, "department", None)
    if not manages_trust(for_user, department.trust):
        raise NotFound("department")
    return department


def get_gp_or_404(gp_id: int, for_user: User, *, field: str | None = None) -> GP:
    """The GP themself, a GP ``for_user`` coordinates, or one of their municipality's."""
    gp = _get(GP, gp_id, "gp", field)
    if for_user.role == "gp" and gp.user_id == for_user.id:
        return gp
    if coordinates_gp(for_user, gp) or speaks_for_gp(for_user, gp):
        return gp
    raise NotFound("gp", field=field)


def get_gp_to_verify_or_404(gp_id: int, for_user: User, *, field: str | None = None) -> GP:
    """A GP whose progress measures ``for_user`` may verify: a municipality user of the GP's
    municipality, a coordinator of one of the GP's regions, a national coordinator or an
    admin. Anyone else (the GP themself too) gets 404."""
    gp = _get(GP, gp_id, "gp", field)
    if speaks_for_gp(for_user, gp) or coordinates_gp(for_user, gp):
        return gp
    raise NotFound("gp", field=field)


def get_window_or_404(availability_id: int, for_user: User) -> Availability:
    """An availability window of a GP ``for_user`` speaks for (a municipality user), or
    coordinates."""
    window = _get(Availability, availability_id, "window", None)
    if speaks_for_gp(for_user, window.gp) or coordinates_gp(for_user, window.gp):
        return window
    raise NotFound("window")


def get_match_or_404(match_id: int, for_user: User, *, lock: bool = False) -> Match:
    """The match if ``for_user`` may see it. ``lock`` holds its row until the commit, so
    that concurrent answers to one offer are decided one after the other."""
    if not 1 <= match_id <= ID_MAX:
        raise NotFound("match")
    match = db.session.get(Match, match_id, with_for_update=lock or None)
    if match is None or not can_see_match(for_user, match):
        raise NotFound("match")
    return match


def get_run_or_404(run_id: int, for_user: User) -> MatchingRun:
    run = _get(MatchingRun, run_id, "run", None)
    if not can_see_run(for_user, run):
        raise NotFound("run")
    return run
