"""A GP's own availability windows (one current window, ranked wishes) and the why-not
explanations for the periods they could have wanted. The rules are app.gps.services."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import selectinload

from app import lifecycle
from app.errors import NotFound
from app.gps import services as windows
from app.gps.explanations import OUTCOMES
from app.models import GP, Availability
from app.models.availability import AVAILABILITY_STATUSES
from app.municipalities.services import waits_for_endorsement

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, list_schema, paginate
from .fields import day, error_docs, get_in_range, object_id
from .gps import accepted_language, own_gp

blp = Blueprint(
    "api_availabilities",
    __name__,
    url_prefix="/me",
    description="Your availability windows and why-not explanations (GPs)",
)


_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "Not allowed for this role (GPs only)",
        404: "No such availability window of yours",
        409: "A state conflict: availability_exists, has_offer, has_placement, not_current, "
        "bad_transition, or profile_required (a GP account without a profile)",
    },
)


# ---- schemas


class AvailabilityCreateSchema(ma.Schema):
    earliest_start = day(
        required=True, metadata={"description": "The first day you can start (not in the past)"}
    )
    latest_end = day(
        required=True,
        metadata={
            "description": "The last day you can serve: at least `months` months after "
            "earliest_start"
        },
    )
    months = ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(min=windows.MIN_MONTHS, max=windows.MAX_MONTHS),
        metadata={
            "description": "Months of service you seek (default: what your scheme needs). "
            "with split_allowed, the months of both blocks together"
        },
    )
    specialties = ma.fields.List(
        object_id(),
        validate=ma.validate.Length(max=windows.MAX_WISHES),
        metadata={
            "uniqueItems": True,
            "description": "Specialty ids, most wanted first; empty only if you accept "
            "another specialty",
        },
    )
    trusts = ma.fields.List(
        object_id(),
        validate=ma.validate.Length(max=windows.MAX_WISHES),
        metadata={
            "uniqueItems": True,
            "description": "Trust ids in one region, most wanted first; empty: any trust in "
            "your region",
        },
    )
    accept_other_specialty = ma.fields.Boolean(
        metadata={"description": "You accept a period in a specialty you did not list"}
    )
    split_allowed = ma.fields.Boolean(
        metadata={
            "description": "You may take two blocks (3 + 3 months): periods of at least 3 "
            "months that do not overlap and add up to at most `months` (at least 6). "
            "Default false"
        }
    )


class AvailabilityPatchSchema(AvailabilityCreateSchema):
    earliest_start = day(metadata={"description": "The first day you can start (not in the past)"})
    latest_end = day(
        metadata={
            "description": "The last day you can serve: at least `months` months after "
            "earliest_start"
        }
    )


class AvailabilityFilterSchema(ListArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(AVAILABILITY_STATUSES))


class AvailabilitySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    gp_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(AVAILABILITY_STATUSES))
    earliest_start = ma.fields.Date(required=True)
    latest_end = ma.fields.Date(required=True)
    months = ma.fields.Integer(required=True)
    specialties = ma.fields.List(
        ma.fields.Integer(), required=True, metadata={"description": "Most wanted first"}
    )
    trusts = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={"description": "Most wanted first; empty: any trust in the region"},
    )
    accept_other_specialty = ma.fields.Boolean(required=True)
    split_allowed = ma.fields.Boolean(
        required=True,
        metadata={"description": "Two blocks of at least 3 months up to `months` (3 + 3)"},
    )
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)
    endorsed_at = ma.fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the GP's municipality endorsed the window (null: not)"},
    )
    endorsed_by_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The municipality user who endorsed it"},
    )
    waits_for_endorsement = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "The region the window seeks matches only endorsed windows, and "
            "this one is not endorsed yet: the matching leaves it out"
        },
    )


class ExplanationSchema(ma.Schema):
    period_id = ma.fields.Integer(required=True)
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    reason = ma.fields.String(
        required=True,
        metadata={
            "description": "An engine reason code (spec/matching.md), not_yet_run, or matched "
            "(the period of your own proposal, offer or placement)"
        },
    )
    text = ma.fields.String(required=True, metadata={"description": "The reason in plain words"})
    period_status = ma.fields.String(required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    department_id = ma.fields.Integer(required=True)
    trust_id = ma.fields.Integer(required=True)
    specialty_id = ma.fields.Integer(required=True)


AvailabilityListSchema = list_schema(AvailabilitySchema, "AvailabilityList")
ExplanationListSchema = list_schema(ExplanationSchema, "ExplanationList")


def window_data(window: Availability, requiring: set[int] | None = None) -> dict[str, Any]:
    """The window as the API shows it; ``requiring``: the regions that require endorsement
    (municipalities.services.regions_requiring_endorsement), read once for a list."""
    return {
        "id": window.id,
        "gp_id": window.gp_id,
        "status": window.status,
        "earliest_start": window.earliest_start,
        "latest_end": window.latest_end,
        "months": window.months,
        "specialties": [w.specialty_id for w in window.specialty_wishes],
        "trusts": [w.trust_id for w in window.trust_wishes],
        "accept_other_specialty": window.accept_other_specialty,
        "split_allowed": window.split_allowed,
        "created_at": window.created_at,
        "updated_at": window.updated_at,
        "endorsed_at": window.endorsed_at,
        "endorsed_by_id": window.endorsed_by_id,
        "waits_for_endorsement": waits_for_endorsement(window, requiring),
    }


# ---- helpers


def _own_window(availability_id: int) -> Availability:
    window = get_in_range(Availability, availability_id)
    if window is None or window.gp_id != own_gp().id:
        raise NotFound("availability")
    return window


def _window_input(data: dict[str, Any], gp: GP, current: Availability | None = None):
    base = window_data(current) if current is not None else {}
    merged = base | data
    return windows.AvailabilityInput(
        earliest_start=merged.get("earliest_start"),
        latest_end=merged.get("latest_end"),
        months=merged.get("months", windows.default_months(gp)),
        specialty_ids=tuple(merged.get("specialties", ())),
        trust_ids=tuple(merged.get("trusts", ())),
        accept_other_specialty=merged.get("accept_other_specialty", False),
        split_allowed=merged.get("split_allowed", False),
    )


# ---- availability windows


@blp.route("/availabilities", methods=["POST"])
@blp.arguments(AvailabilityCreateSchema)
@blp.response(201, AvailabilitySchema)
@_errors(401, 403, 409)
@auth_required("gp")
def create_availability(data):
    """Register your availability window with ranked wishes (one current window at a time)."""
    gp = own_gp()
    window = lifecycle.create_availability(gp, _window_input(data, gp), actor=caller())
    return window_data(window)


@blp.route("/availabilities", methods=["GET"])
@blp.arguments(AvailabilityFilterSchema, location="query")
@blp.response(200, AvailabilityListSchema)
@_errors(401, 403, 409)
@auth_required("gp")
def list_availabilities(args):
    """Your availability windows, newest first."""
    gp = own_gp()
    query = (
        sa.select(Availability)
        .options(
            selectinload(Availability.specialty_wishes), selectinload(Availability.trust_wishes)
        )
        .where(Availability.gp_id == gp.id)
        .order_by(Availability.created_at.desc(), Availability.id.desc())
    )
    if args.get("status"):
        query = query.where(Availability.status == args["status"])
    page = paginate(query, args)
    return {**page, "items": [window_data(w) for w in page["items"]]}


@blp.route("/availabilities/<int:availability_id>", methods=["GET"])
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409)
@auth_required("gp")
def show_availability(availability_id: int):
    """One of your availability windows."""
    return window_data(_own_window(availability_id))


@blp.route("/availabilities/<int:availability_id>", methods=["PATCH"])
@blp.arguments(AvailabilityPatchSchema)
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409)
@auth_required("gp")
def update_availability(data, availability_id: int):
    """Change your current window (a proposal that no longer fits is cancelled)."""
    window = _own_window(availability_id)
    changed = _window_input(data, window.gp, window)
    lifecycle.update_availability(window, changed, actor=caller())
    return window_data(window)


def _set_status(availability_id: int, action: str) -> dict[str, Any]:
    window = _own_window(availability_id)
    lifecycle.set_availability_status(window, action, actor=caller())
    return window_data(window)


@blp.route("/availabilities/<int:availability_id>", methods=["DELETE"])
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409)
@auth_required("gp")
def withdraw_availability(availability_id: int):
    """Withdraw your window (status withdrawn); a live proposal is cancelled."""
    return _set_status(availability_id, "withdraw")


@blp.route("/availabilities/<int:availability_id>/pause", methods=["POST"])
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409)
@auth_required("gp")
def pause_availability(availability_id: int):
    """Pause your window: the matching leaves you out until you resume."""
    return _set_status(availability_id, "pause")


@blp.route("/availabilities/<int:availability_id>/resume", methods=["POST"])
@blp.response(200, AvailabilitySchema)
@_errors(401, 403, 404, 409)
@auth_required("gp")
def resume_availability(availability_id: int):
    """Resume a paused window."""
    return _set_status(availability_id, "resume")


# ---- explanations


@blp.route("/explanations", methods=["GET"])
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, ExplanationListSchema)
@_errors(401, 403, 409)
@auth_required("gp")
def explanations(args):
    """Why you did or did not get each period you could have wanted (text in your language)."""
    gp = own_gp()
    with force_locale(accepted_language() or caller().locale):
        found = windows.explanations_for(gp)
        items = [
            {
                "period_id": e.period.id,
                "outcome": e.outcome,
                "reason": e.reason,
                "text": str(e.text),
                "period_status": e.period.status,
                "start_date": e.period.start_date,
                "end_date": e.period.end_date,
                "department_id": e.period.department_id,
                "trust_id": e.period.department.trust_id,
                "specialty_id": e.period.department.specialty_id,
            }
            for e in found
        ]
    page = items[args["offset"] : args["offset"] + args["limit"]]
    return {"items": page, "total": len(items)}
