"""The municipality's API (municipality users): their GPs with windows and live matches,
endorsing a GP's window and withdrawing the endorsement, and the municipality's priority of
a GP. The rules are app.municipalities.services; scope is app/access.py (404 outside the
user's municipalities)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from app import access
from app.errors import NotFound
from app.extensions import db
from app.gps import verification
from app.models import GP
from app.models.matching import MATCH_STATUSES
from app.municipalities import services

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, list_schema
from .availabilities import AvailabilitySchema, window_data
from .fields import error_docs, get_in_range
from .gps import MunicipalityRefSchema, municipality_ref, progress_data, progress_field

blp = Blueprint(
    "api_municipality",
    __name__,
    url_prefix="",
    description="The municipality: its GPs, endorsements and priority (municipality users)",
)

_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "Not allowed for this role (municipality users only)",
        404: "No such GP or availability window in your municipalities",
        409: "A state conflict: already_endorsed, not_endorsed, endorsement_in_use (a "
        "proposal, offer or placement rests on the window), not_current (the window has ended)",
        422: "Validation failed (fields says which)",
    },
)


# ---- schemas


class LiveMatchSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The match id"})
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(MATCH_STATUSES))
    period_id = ma.fields.Integer(required=True)
    trust_id = ma.fields.Integer(required=True)
    department = ma.fields.String(required=True)
    start_date = ma.fields.Date(
        required=True, metadata={"description": "The first day the practice needs a locum"}
    )
    end_date = ma.fields.Date(required=True, metadata={"description": "The last day"})
    accept_by = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "An offer's answer deadline"}
    )


class MunicipalityGPSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The GP's id (gp_id)"})
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    hpr_number = ma.fields.String(required=True)
    municipality = ma.fields.Nested(MunicipalityRefSchema, required=True)
    municipality_priority = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The municipality's priority (1 first; null: not stated)"},
    )
    window = ma.fields.Nested(
        AvailabilitySchema,
        required=True,
        allow_none=True,
        metadata={"description": "The current (active or paused) window, if any"},
    )
    live_match = ma.fields.Nested(
        LiveMatchSchema,
        required=True,
        allow_none=True,
        metadata={"description": "A proposal, offer or accepted placement, if any"},
    )
    progress = progress_field(True)


class PrioritySchema(ma.Schema):
    municipality_priority = ma.fields.Integer(
        required=True,
        strict=True,
        allow_none=True,
        validate=ma.validate.Range(min=services.PRIORITY_MIN, max=services.PRIORITY_MAX),
        metadata={
            "description": f"{services.PRIORITY_MIN} to {services.PRIORITY_MAX}, 1 first; "
            "null clears it"
        },
    )


class EndorsementWithdrawSchema(ma.Schema):
    reason = ma.fields.String(
        validate=ma.validate.Length(max=1000),
        metadata={"description": "Why (kept in the audit log)"},
    )


# ---- helpers


def gp_data(
    entry: services.MunicipalityGP, requiring: set[int], names: dict[int, str] | None = None
) -> dict[str, Any]:
    gp, match = entry.gp, entry.match
    live = None
    if match is not None:
        period = match.period
        live = {
            "id": match.id,
            "status": match.status,
            "period_id": period.id,
            "trust_id": period.department.trust_id,
            "department": period.department.name,
            "start_date": period.start_date,
            "end_date": period.end_date,
            "accept_by": match.accept_by,
        }
    return {
        "id": gp.id,
        "name": gp.name,
        "email": gp.user.email,
        "hpr_number": gp.hpr_number,
        "municipality": municipality_ref(gp.municipality),
        "municipality_priority": gp.municipality_priority,
        "window": window_data(entry.window, requiring) if entry.window is not None else None,
        "live_match": live,
        "progress": progress_data(gp, names),
    }


def _own_gp(gp_id: int) -> GP:
    """A GP of the caller's municipalities, else 404."""
    user = caller()
    gp = get_in_range(GP, gp_id)
    if gp is None or not access.speaks_for_gp(user, gp):
        raise NotFound("gp")
    return gp


def _window(availability_id: int):
    window = access.get_window_or_404(availability_id, caller())
    if not access.speaks_for_gp(caller(), window.gp):  # coordinators read, not endorse
        raise NotFound("window")
    return window


# ---- resources


@blp.route("/municipality/gps")
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, list_schema(MunicipalityGPSchema, "MunicipalityGPList"))
@_errors(401, 403)
@auth_required("municipality")
def list_gps(args: dict[str, Any]):
    """The GPs of your municipalities by name, each with their current window (and its
    endorsement) and their live proposal, offer or placement."""
    query = services.gps_query(caller())
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    gps = list(db.session.scalars(query.limit(args["limit"]).offset(args["offset"])))
    requiring = services.regions_requiring_endorsement()
    names = verification.verifier_names(gps)
    return {
        "items": [gp_data(e, requiring, names) for e in services.describe_gps(gps)],
        "total": total,
    }


@blp.route("/availabilities/<int:availability_id>/endorse", methods=["POST"])
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409)
@auth_required("municipality")
def endorse(availability_id: int):
    """Endorse the window of one of your GPs (who and when are recorded and audited)."""
    return window_data(services.endorse(_window(availability_id), actor=caller()))


@blp.route("/availabilities/<int:availability_id>/endorsement", methods=["DELETE"])
@blp.arguments(EndorsementWithdrawSchema, required=False)
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409, 422)
@auth_required("municipality")
def withdraw_endorsement(data: dict[str, Any] | None, availability_id: int):
    """Withdraw your endorsement, while no proposal, offer or placement rests on it."""
    window = services.withdraw_endorsement(
        _window(availability_id), actor=caller(), reason=(data or {}).get("reason")
    )
    return window_data(window)


@blp.route("/gps/<int:gp_id>/municipality_priority", methods=["PUT", "PATCH"])
@blp.arguments(PrioritySchema)
@blp.response(200, MunicipalityGPSchema)
@_errors(401, 403, 404, 422)
@auth_required("municipality")
def set_priority(data: dict[str, Any], gp_id: int):
    """State your municipality's priority of one of its GPs (1 first), or clear it (null).
    Regions whose rules use the key `municipality_priority` rank by it."""
    gp = _own_gp(gp_id)
    services.set_priority(gp, data["municipality_priority"], actor=caller())
    return gp_data(services.describe_gps([gp])[0], services.regions_requiring_endorsement())
