"""The hand-off to HR: what a trust's HR needs to draw up the contract for an accepted
placement. ``handoff`` builds it once; the hand-off page, the API (``handoff`` of
``GET /api/v1/matches/{id}``), the placements export and the webhook all take it from here,
and ``HandoffSchema`` is its JSON form in the API and in the webhook's body.

Who may read it: staff who manage the period's trust (its own staff, coordinators of its
region, admins), and only once the GP has accepted (``handoff_for``)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.access import manages_trust
from app.models import Match, User
from app.models.statuses import MatchStatus


def handoff(match: Match, locale: str = "nb") -> dict[str, Any]:
    """The facts of an accepted placement (dates as dates; the specialty named in
    ``locale``, bokmål for the API and the webhook)."""
    period, gp = match.period, match.gp
    department = period.department
    site = department.site
    return {
        "match_id": match.id,
        "period_id": period.id,
        "gp": {
            "name": gp.name,
            "hpr_number": gp.hpr_number,
            "email": gp.user.email,
            "municipality": {"number": gp.municipality.number, "name": gp.municipality.name},
        },
        "trust": {"code": department.trust.code, "name": department.trust.name},
        "site": {"code": site.code, "name": site.name} if site is not None else None,
        "department": {"id": department.id, "name": department.name},
        "specialty": {
            "code": department.specialty.code,
            "name": department.specialty.name_in(locale),
        },
        "start_date": period.start_date,
        "end_date": period.end_date,
        "months": period.months,
        "on_call": period.on_call,
        "accepted_at": match.decided_at,
        "hired_at": match.hired_at,
    }


def handoff_for(match: Match, user: User, locale: str = "nb") -> dict[str, Any] | None:
    """The hand-off if ``user`` may read it (the match is accepted and they manage the
    period's trust), else None."""
    if match.status != MatchStatus.ACCEPTED:
        return None
    if not manages_trust(user, match.period.department.trust):
        return None
    return handoff(match, locale)


# ---- its JSON form (the API's schema and the webhook's body)


class HandoffNamedSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class HandoffMunicipalitySchema(ma.Schema):
    number = ma.fields.String(required=True, metadata={"description": "Four digits"})
    name = ma.fields.String(required=True)


class HandoffGPSchema(ma.Schema):
    name = ma.fields.String(required=True)
    hpr_number = ma.fields.String(
        required=True, metadata={"description": "The GP's number in the Health Personnel Register"}
    )
    email = ma.fields.String(required=True)
    municipality = ma.fields.Nested(
        HandoffMunicipalitySchema, required=True, metadata={"description": "The GP's employer"}
    )


class HandoffDepartmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class HandoffSchema(ma.Schema):
    """What HR needs to draw up the contract for an accepted placement."""

    match_id = ma.fields.Integer(required=True)
    period_id = ma.fields.Integer(required=True)
    gp = ma.fields.Nested(HandoffGPSchema, required=True)
    trust = ma.fields.Nested(HandoffNamedSchema, required=True)
    site = ma.fields.Nested(HandoffNamedSchema, required=True, allow_none=True)
    department = ma.fields.Nested(HandoffDepartmentSchema, required=True)
    specialty = ma.fields.Nested(
        HandoffNamedSchema, required=True, metadata={"description": "Named in Norwegian bokmål"}
    )
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    months = ma.fields.Integer(required=True)
    on_call = ma.fields.Boolean(required=True, metadata={"description": "Includes on-call duty"})
    accepted_at = ma.fields.AwareDateTime(required=True)
    hired_at = ma.fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the trust recorded the hiring, if it has"},
    )
