"""What each role's start page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app import access
from app.coordination import counts
from app.dates import local_today
from app.extensions import db
from app.models import GP, AuditEvent, Availability, Department, Match, Period, Region, Trust, User
from app.models.statuses import (
    LIVE_MATCH_STATUSES,
    AvailabilityStatus,
    MatchStatus,
    PeriodStatus,
)
from app.paging import count
from app.periods.queries import live_matches
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


# At most this many rows of each kind on the start page; the period list has the rest.
TODO_LIMIT = 20


@dataclass(frozen=True)
class TrustTodo:
    """What a trust's staff should do now, most urgent first in each list."""

    send_offer: list[Match]  # confirmed proposals: send the offer
    near_deadline: list[Match]  # offers whose acceptance deadline is near
    record_hiring: list[Match]  # accepted, the hiring not recorded
    near_fallback: list[Period]  # open, no candidate, ordinary advertising soon

    @property
    def empty(self) -> bool:
        return not (
            self.send_offer or self.near_deadline or self.record_hiring or self.near_fallback
        )


def _row_loads() -> tuple[Any, ...]:
    """What a to-do row shows of a match, joined into the list's own query (at most
    TODO_LIMIT rows: one query rather than three more)."""
    return (joinedload(Match.gp), joinedload(Match.period).joinedload(Period.department))


def _matches_of(trust_ids: sa.Select, *conditions: Any, order: Any) -> list[Match]:
    return list(
        db.session.scalars(
            sa.select(Match)
            .join(Match.period)
            .join(Period.department)
            .where(Department.trust_id.in_(trust_ids), *conditions)
            .options(*_row_loads())
            .order_by(order, Match.id)
            .limit(TODO_LIMIT)
        )
    )


def trust_todo(trust_ids: sa.Select, today: date | None = None) -> TrustTodo:
    """The to-do list of the trusts ``trust_ids`` selects: offers to send, offers near their
    deadline and open periods near fallback (as app/coordination/counts.py defines them, the
    same rows the coordinators' to-do list counts), and placements whose hiring is not
    recorded."""
    today = today or local_today()
    near_fallback = db.session.scalars(
        counts.near_fallback(trust_ids, today)
        .options(joinedload(Period.department))
        .limit(TODO_LIMIT)
    ).all()
    return TrustTodo(
        send_offer=_matches_of(
            trust_ids,
            Match.status == MatchStatus.PROPOSED,
            Match.confirmed_at.is_not(None),
            order=Period.start_date,
        ),
        near_deadline=list(
            db.session.scalars(
                counts.offers_near_deadline(trust_ids, today)
                .options(*_row_loads())
                .limit(TODO_LIMIT)
            )
        ),
        record_hiring=_matches_of(
            trust_ids,
            Match.status == MatchStatus.ACCEPTED,
            Match.hired_at.is_(None),
            order=Period.start_date,
        ),
        near_fallback=list(near_fallback),
    )


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
        "upcoming_matches": live_matches(list(upcoming)),
    }
    if user.role == "trust":
        context["trust"] = user.trust
        context["todo"] = trust_todo(trust_ids)
        context["departments"] = db.session.scalars(
            sa.select(Department)
            .options(selectinload(Department.specialty))
            .where(Department.trust_id == user.trust_id)
            .order_by(Department.name)
        ).all()
    if user.role in ("coordinator", "admin"):
        gp_ids = access.gps_in_scope(user).with_only_columns(GP.id).order_by(None)
        context["gp_count"] = count(gp_ids)
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


# At most this many GPs on a municipality user's start page (the API pages the rest).
MUNICIPALITY_GPS_LIMIT = 500


def _municipality(user: User) -> dict[str, Any]:
    """Their GPs (window, endorsement, live match, priority), the windows waiting for
    their endorsement, and the live matches by date: when the practice needs a locum."""
    from app.municipalities import services as municipal
    from app.municipalities.forms import PriorityForm

    gps = list(db.session.scalars(municipal.gps_query(user).limit(MUNICIPALITY_GPS_LIMIT)))
    entries = municipal.describe_gps(gps)
    return {
        "municipalities": user.municipalities,
        "entries": entries,
        "waiting": [e for e in entries if e.waiting_for_endorsement],
        "locums": municipal.live_matches_by_date(user, local_today()),
        "priority_forms": {
            gp.id: PriorityForm(
                prefix=f"gp{gp.id}", formdata=None, municipality_priority=gp.municipality_priority
            )
            for gp in gps
        },
        "gps_limit": MUNICIPALITY_GPS_LIMIT,
    }


def dashboard_context(user: User) -> dict[str, Any]:
    if user.role == "municipality":
        return _municipality(user)
    return _gp(user) if user.role == "gp" else _staff(user)
