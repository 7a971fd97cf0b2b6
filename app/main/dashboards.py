"""What each role's start page shows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import access
from app.coordination import counts
from app.dates import local_today
from app.extensions import db
from app.models import GP, AuditEvent, Availability, Department, Match, Period, Region, Trust, User
from app.models.statuses import LIVE_MATCH_STATUSES, AvailabilityStatus, PeriodStatus
from app.policy import effective_policy


def _gp(user: User) -> dict[str, Any]:
    gp = user.gp
    if gp is None:  # an account made on the command line, before the profile
        return {"gp": None}
    home = gp.home_trust
    policy = effective_policy(home) if home else None
    availability = db.session.scalar(
        sa.select(Availability).where(
            Availability.gp_id == gp.id,
            Availability.status.in_((AvailabilityStatus.ACTIVE, AvailabilityStatus.PAUSED)),
        )
    )
    live_match = db.session.scalar(
        sa.select(Match).where(Match.gp_id == gp.id, Match.status.in_(LIVE_MATCH_STATUSES))
    )
    return {
        "gp": gp,
        "home_trust": home,
        "policy": policy,
        "eligible": policy is None
        or gp.months_general_practice >= policy.min_months_general_practice,
        "availability": availability,
        "live_match": live_match,
    }


def _staff(user: User) -> dict[str, Any]:
    trusts_query = access.trusts_in_scope(user)
    trust_ids = trusts_query.with_only_columns(Trust.id).order_by(None)
    trusts = db.session.scalars(
        trusts_query.options(
            selectinload(Trust.own_policy), selectinload(Trust.region).selectinload(Region.policy)
        )
    ).all()
    upcoming = db.session.scalars(
        sa.select(Period)
        .join(Period.department)
        .where(
            Department.trust_id.in_(trust_ids),
            Period.status.in_((PeriodStatus.OPEN, PeriodStatus.MATCHED)),
        )
        .options(selectinload(Period.department).selectinload(Department.trust))
        .order_by(Period.start_date)
        .limit(10)
    ).all()
    context: dict[str, Any] = {
        "trusts": trusts,
        "period_counts": counts.period_counts(trust_ids),
        "upcoming": upcoming,
    }
    if user.role == "trust":
        context["trust"] = user.trust
        context["departments"] = db.session.scalars(
            sa.select(Department)
            .options(selectinload(Department.specialty))
            .where(Department.trust_id == user.trust_id)
            .order_by(Department.name)
        ).all()
    if user.role in ("coordinator", "admin"):
        gp_ids = access.gps_in_scope(user).with_only_columns(GP.id).order_by(None)
        context["gp_count"] = counts.count(gp_ids)
        regions = access.regions_in_scope(user)
        # the overview's figures, from the same functions (app.coordination.counts)
        context["figures"] = counts.figures([r.id for r in regions], local_today())
        context["region"] = user.region
    if user.role == "admin":
        context["role_counts"] = dict(
            db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all()
        )
        context["recent_events"] = db.session.scalars(
            sa.select(AuditEvent).order_by(AuditEvent.at.desc()).limit(15)
        ).all()
    return context


def dashboard_context(user: User) -> dict[str, Any]:
    return _gp(user) if user.role == "gp" else _staff(user)
