"""Per-object access: what each user may see. Anything outside it answers 404, not 403,
so that ids of other trusts' or regions' objects reveal nothing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from .extensions import db
from .models import GP, Department, Match, Municipality, Period, Trust, User

PUBLIC_PERIOD_STATUSES = ("open", "advertised")


def manages_trust(user: User, trust: Trust) -> bool:
    """Trust staff of ``trust``, coordinators of its region (or national), admins."""
    if user.role == "admin":
        return True
    if user.role == "trust":
        return user.trust_id == trust.id
    if user.role == "coordinator":
        return user.region_id is None or user.region_id == trust.region_id
    return False


def coordinates_gp(user: User, gp: GP) -> bool:
    """Coordinators of the region of the GP's home trust (or national), and admins."""
    if user.role == "admin":
        return True
    if user.role != "coordinator":
        return False
    if user.region_id is None:
        return True
    home = gp.municipality.trust
    return home is not None and home.region_id == user.region_id


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def get_period_or_404(period_id: int, for_user: User) -> Period:
    period = _get_or_404(Period, period_id)
    if manages_trust(for_user, period.department.trust):
        return period
    if for_user.role == "gp" and period.status in PUBLIC_PERIOD_STATUSES:
        return period
    abort(404)


def get_department_or_404(department_id: int, for_user: User) -> Department:
    department = _get_or_404(Department, department_id)
    if not manages_trust(for_user, department.trust):
        abort(404)
    return department


def get_gp_or_404(gp_id: int, for_user: User) -> GP:
    gp = _get_or_404(GP, gp_id)
    if for_user.role == "gp" and gp.user_id == for_user.id:
        return gp
    if coordinates_gp(for_user, gp):
        return gp
    abort(404)


def get_match_or_404(match_id: int, for_user: User) -> Match:
    match = _get_or_404(Match, match_id)
    if for_user.role == "gp" and match.gp.user_id == for_user.id:
        return match
    if for_user.role != "gp" and manages_trust(for_user, match.period.department.trust):
        return match
    abort(404)


def trusts_in_scope(user: User) -> sa.Select:
    """A query of the trusts ``user`` manages."""
    query = sa.select(Trust).order_by(Trust.name)
    if user.role == "trust":
        return query.where(Trust.id == user.trust_id)
    if user.role == "coordinator" and user.region_id is not None:
        return query.where(Trust.region_id == user.region_id)
    if user.role in ("coordinator", "admin"):
        return query
    return query.where(sa.false())


def gps_in_scope(user: User) -> sa.Select:
    """A query of the GPs ``user`` coordinates."""
    query = sa.select(GP).order_by(GP.name)
    if user.role == "admin" or (user.role == "coordinator" and user.region_id is None):
        return query
    if user.role == "coordinator":
        return (
            query.join(GP.municipality)
            .join(Trust, Municipality.trust_id == Trust.id)
            .where(Trust.region_id == user.region_id)
        )
    return query.where(sa.false())
