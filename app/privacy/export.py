"""A GP's own data, whole, as JSON: the one builder that the API (GET /api/v1/me/export) and
the account page's download call. It holds what the portal keeps about the person and
nothing of anyone else: staff who acted on the person's matters appear by role, other GPs
not at all. Secrets and their hashes (password, tokens, two-factor) are never included."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.gps import verification
from app.models import (
    ApiToken,
    AuditEvent,
    Availability,
    AvailabilitySpecialty,
    AvailabilityTrust,
    Forbid,
    Match,
    Notification,
    Period,
    RunGPReasons,
    Subscription,
    User,
)
from app.models.types import utcnow

FORMAT = "alis-portalen.personal-data.v1"


def _plain(value: Any) -> Any:
    """JSON-ready: dates and timestamps as ISO 8601, containers walked."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _account(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "email": user.email,
        "role": user.role,
        "locale": user.locale,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "email_verified_at": user.email_verified_at,
        "message_channel": user.message_channel,
        "message_frequency": user.message_frequency,
        "two_factor_enabled": user.two_factor_enabled,
        "calendar_feed": user.calendar_token_hash is not None,
    }


def _profile(user: User) -> dict[str, Any] | None:
    gp = user.gp
    if gp is None:
        return None
    return {
        "id": gp.id,
        "name": gp.name,
        "hpr_number": gp.hpr_number,
        "municipality": {"id": gp.municipality.id, "name": gp.municipality.name},
        "specialisation_started": gp.specialisation_started,
        "scheme": gp.scheme,
        "registered_at": gp.registered_at,
        "created_at": gp.created_at,
        "municipality_priority": gp.municipality_priority,
        "progress": {m: s.as_json() for m, s in verification.states(gp).items()},
    }


def _windows(gp_id: int) -> list[dict[str, Any]]:
    windows = db.session.scalars(
        sa.select(Availability)
        .options(
            selectinload(Availability.specialty_wishes).selectinload(
                AvailabilitySpecialty.specialty
            ),
            selectinload(Availability.trust_wishes).selectinload(AvailabilityTrust.trust),
        )
        .where(Availability.gp_id == gp_id)
        .order_by(Availability.id)
    )
    return [
        {
            "id": w.id,
            "status": w.status,
            "earliest_start": w.earliest_start,
            "latest_end": w.latest_end,
            "months": w.months,
            "accept_other_specialty": w.accept_other_specialty,
            "specialties": [s.specialty.code for s in w.specialty_wishes],
            "trusts": [t.trust.code for t in w.trust_wishes],
            "endorsed_at": w.endorsed_at,
            "created_at": w.created_at,
            "updated_at": w.updated_at,
        }
        for w in windows
    ]


def _matches(gp_id: int) -> list[dict[str, Any]]:
    matches = db.session.scalars(
        sa.select(Match)
        .options(selectinload(Match.period).selectinload(Period.department))
        .where(Match.gp_id == gp_id)
        .order_by(Match.id)
    )
    return [
        {
            "id": m.id,
            "period": {
                "id": m.period_id,
                "department": m.period.department.name,
                "start_date": m.period.start_date,
                "end_date": m.period.end_date,
            },
            "status": m.status,
            "placement": m.status == "accepted",
            "source": m.source,
            "gp_rank": m.gp_rank,
            "priority_position": m.priority_position,
            "explanation": m.explanation,
            "accept_by": m.accept_by,
            "created_at": m.created_at,
            "confirmed_at": m.confirmed_at,
            "offered_at": m.offered_at,
            "decided_at": m.decided_at,
            "hired_at": m.hired_at,
            "decline_reason": m.decline_reason,
        }
        for m in matches
    ]


def _forbids(gp_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(sa.select(Forbid).where(Forbid.gp_id == gp_id).order_by(Forbid.id))
    return [
        {"period_id": f.period_id, "reason": f.reason, "created_at": f.created_at} for f in rows
    ]


def _run_reasons(gp_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(RunGPReasons).where(RunGPReasons.gp_id == gp_id).order_by(RunGPReasons.id)
    )
    return [{"run_id": r.run_id, "reasons": r.reasons} for r in rows]


def _owned(model: Any, user_id: int, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The user's rows of ``model`` (oldest first), each as the named columns."""
    rows = db.session.scalars(sa.select(model).where(model.user_id == user_id).order_by(model.id))
    return [{name: getattr(row, name) for name in names} for row in rows]


def _notifications(user_id: int) -> list[dict[str, Any]]:
    return _owned(
        Notification,
        user_id,
        ("id", "kind", "subject", "body", "created_at", "read_at", "email_status", "sent_at"),
    )


def _subscriptions(user_id: int) -> list[dict[str, Any]]:
    return _owned(
        Subscription,
        user_id,
        (
            "id",
            "topic",
            "specialty_ids",
            "trust_ids",
            "region_id",
            "horizon_months",
            "channel",
            "frequency",
            "active",
            "created_at",
        ),
    )


def _tokens(user_id: int) -> list[dict[str, Any]]:
    return _owned(
        ApiToken, user_id, ("id", "created_at", "expires_at", "revoked_at", "last_used_at")
    )


def about_person(user: User) -> sa.ColumnElement[bool]:
    """The audit events about the person: on their account, profile, windows and matches,
    or done by them."""
    gp = user.gp
    clauses = [
        AuditEvent.actor_id == user.id,
        sa.and_(AuditEvent.object_type == "user", AuditEvent.object_id == user.id),
    ]
    if gp is not None:
        clauses += [
            sa.and_(AuditEvent.object_type == "gp", AuditEvent.object_id == gp.id),
            sa.and_(
                AuditEvent.object_type == "availability",
                AuditEvent.object_id.in_(
                    sa.select(Availability.id).where(Availability.gp_id == gp.id)
                ),
            ),
            sa.and_(
                AuditEvent.object_type == "match",
                AuditEvent.object_id.in_(sa.select(Match.id).where(Match.gp_id == gp.id)),
            ),
        ]
    return sa.or_(*clauses)


def _audit(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(AuditEvent, User.role)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(about_person(user))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [
        {
            "at": e.at,
            # Another person is named by role only: their name is theirs.
            "actor": "you" if e.actor_id == user.id else (role or "system"),
            "action": e.action,
            "object": e.object_ref,
            "reason": e.reason,
            "data": e.data,
        }
        for e, role in rows
    ]


def personal_data(user: User) -> dict[str, Any]:
    """Everything the portal keeps about ``user`` (changes nothing)."""
    gp = user.gp
    data = {
        "format": FORMAT,
        "exported_at": utcnow(),
        "account": _account(user),
        "profile": _profile(user),
        "availability_windows": _windows(gp.id) if gp else [],
        "matches": _matches(gp.id) if gp else [],
        "forbidden_pairs": _forbids(gp.id) if gp else [],
        "matching_run_reasons": _run_reasons(gp.id) if gp else [],
        "notifications": _notifications(user.id),
        "subscriptions": _subscriptions(user.id),
        "api_tokens": _tokens(user.id),
        "audit_events": _audit(user),
    }
    return _plain(data)
