"""Periods: trusts publish, edit and withdraw them; every signed-in user can read the open ones.

Who sees what: staff see every period of the trusts they manage (trust staff: their trust;
coordinators: their region; national coordinators and admins: all) and the open periods of
everyone else; GPs see open periods. A single period can also be read when it is advertised
(a public vacancy) or, for a GP, when it is or was matched to them. Anything else answers 404.
Changing a period needs a manager of its trust: a period one may see but not manage answers
403, as does publishing in another trust's department. The rules are app.periods.services.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import access
from app.errors import Forbidden, InvalidInput
from app.i18n import current_locale
from app.lifecycle import publish_periods, update_period, withdraw_period
from app.models import Department, Period, Region, Specialty, Trust, User
from app.models.periods import PERIOD_SOURCES, PERIOD_STATUSES
from app.periods.services import MIN_PERIOD_MONTHS, PeriodInput, period_input

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, list_schema, paginate
from .fields import (
    ID_MAX,
    NAME_MAX,
    by_code_or_id,
    code_or_id,
    day,
    email,
    error_docs,
    get_in_range,
    object_id,
    text,
)

blp = Blueprint(
    "api_periods",
    __name__,
    url_prefix="/periods",
    description="Periods: available time that trusts publish, from planned leave",
)

STAFF = ("trust", "coordinator", "admin")
DESCRIPTION_MAX, REASON_MAX = 5000, 1000


# ---- schemas


class TrustRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    region_id = ma.fields.Integer(required=True)


class DepartmentRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    site = ma.fields.Function(
        lambda d: d.site.name if d.site else None, required=True, allow_none=True
    )


class SpecialtyRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.Method("localised_name", required=True)

    def localised_name(self, specialty: Specialty) -> str:
        return specialty.name_in(current_locale())


class CombinedPeriodSchema(ma.Schema):
    """A period over two departments (3 + 3 months): the fields a period and a vacancy share."""

    second_department_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "A combined period: the department from switch_date (null: one)"},
    )
    switch_date = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The first day in the second department (null: one department)"},
    )


class PeriodSchema(CombinedPeriodSchema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(PERIOD_STATUSES))
    department_id = ma.fields.Integer(required=True)
    trust_id = ma.fields.Integer(required=True, attribute="department.trust_id")
    specialty_id = ma.fields.Integer(required=True, attribute="department.specialty_id")
    region_id = ma.fields.Integer(required=True, attribute="department.trust.region_id")
    start_date = ma.fields.Date(required=True, metadata={"description": "The first day"})
    end_date = ma.fields.Date(required=True, metadata={"description": "The last day"})
    months = ma.fields.Integer(
        required=True, metadata={"description": "Whole calendar months the period covers"}
    )
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(PERIOD_SOURCES))
    description = ma.fields.String(required=True)
    on_call = ma.fields.Boolean(required=True, metadata={"description": "Includes on-call duty"})
    contact_name = ma.fields.String(required=True, allow_none=True)
    contact_email = ma.fields.String(required=True, allow_none=True)
    published_at = ma.fields.AwareDateTime(required=True)
    advertise_after = ma.fields.AwareDateTime(
        required=True,
        metadata={
            "description": "When the period falls back to ordinary advertising if no GP has "
            "accepted it: the publication time plus the region's fallback delay"
        },
    )
    updated_at = ma.fields.AwareDateTime(required=True)
    trust = ma.fields.Nested(TrustRefSchema, required=True, attribute="department.trust")
    department = ma.fields.Nested(DepartmentRefSchema, required=True)
    specialty = ma.fields.Nested(
        SpecialtyRefSchema, required=True, attribute="department.specialty"
    )


class _PeriodFields(ma.Schema):
    """What a trust says about a period (all optional here; required where it is created)."""

    start_date = day(metadata={"description": "The first day (not in the past)"})
    end_date = day(metadata={"description": "The last day: at least 3 months after the first"})
    source = ma.fields.String(
        validate=ma.validate.OneOf(PERIOD_SOURCES),
        metadata={"description": "Why the time is available"},
    )
    description = text(
        DESCRIPTION_MAX, multiline=True, metadata={"description": "The work, in plain words"}
    )
    on_call = ma.fields.Boolean(metadata={"description": "Includes on-call duty"})
    contact_name = text(NAME_MAX, allow_none=True)
    contact_email = email(allow_none=True)


class PeriodCreateSchema(_PeriodFields):
    department_id = object_id(
        required=True,
        metadata={
            "description": "A department (GET /departments) of a trust you manage, that takes "
            "GPs in training now"
        },
    )
    start_date = day(required=True, metadata={"description": "The first day (not in the past)"})
    end_date = day(
        required=True,
        metadata={"description": "The last day: at least 3 months after the first"},
    )
    source = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(PERIOD_SOURCES),
        metadata={"description": "Why the time is available"},
    )
    second_department_id = object_id(
        allow_none=True,
        metadata={
            "description": "A combined period (3 + 3): another department of the same trust "
            "where the GP works from switch_date (give both or neither)"
        },
    )
    switch_date = day(
        allow_none=True,
        metadata={
            "description": "The first day in the second department; each part lasts at "
            "least 3 months"
        },
    )


class PeriodSplitSchema(PeriodCreateSchema):
    split_months = ma.fields.Integer(
        strict=True,
        required=True,
        validate=ma.validate.Range(min=MIN_PERIOD_MONTHS, max=24),
        metadata={
            "description": "The length of each part in months; the period must make at least "
            "two parts (not with a second_department_id: a combined period is one period)"
        },
    )


class PeriodPatchSchema(_PeriodFields):
    department_id = object_id(
        metadata={"description": "Cannot change: withdraw and publish a new period instead"}
    )


class PeriodWithdrawSchema(ma.Schema):
    reason = text(
        REASON_MAX,
        min_length=1,
        blank=False,
        required=True,
        metadata={"description": "Why (saved in the audit log with your name)"},
    )


PeriodListSchema = list_schema(PeriodSchema, "PeriodList")


class PeriodFilterSchema(ListArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(PERIOD_STATUSES))
    trust = code_or_id("A trust code (e.g. helse-bergen) or id")
    specialty = code_or_id("A specialty code (e.g. psychiatry) or id")
    region = code_or_id("A region code (e.g. helse-vest) or id")
    department = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=ID_MAX), metadata={"description": "A department id"}
    )
    starts_after = ma.fields.Date(metadata={"description": "Starts on or after this day"})
    starts_before = ma.fields.Date(metadata={"description": "Starts on or before this day"})


# ---- scope


def load_period(period_id: int, user: User) -> Period:
    """The period if ``user`` may see it, else 404."""
    return access.get_period_or_404(period_id, user, manage=False)


def load_managed_period(period_id: int, user: User) -> Period:
    """The period if ``user`` manages its trust; 403 if they only may see it, else 404."""
    period = load_period(period_id, user)
    if not access.manages_trust(user, period.trust):
        raise Forbidden("manage_only")
    return period


def _new_period_input(data: dict, user: User) -> PeriodInput:
    department = get_in_range(Department, data["department_id"])
    if department is not None and not access.manages_trust(user, department.trust):
        raise Forbidden("department_not_managed", field="department_id")
    if department is not None and not department.active:
        raise InvalidInput("department_inactive", field="department_id")
    return PeriodInput(
        department_id=data["department_id"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        source=data["source"],
        description=(data.get("description") or "").strip(),
        on_call=data.get("on_call", False),
        contact_name=(data.get("contact_name") or "").strip() or None,
        contact_email=(data.get("contact_email") or "").strip().lower() or None,
        second_department_id=data.get("second_department_id"),
        switch_date=data.get("switch_date"),
    )


def _with_relations(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(Period.department).selectinload(Department.trust),
        selectinload(Period.department).selectinload(Department.site),
        selectinload(Period.department).selectinload(Department.specialty),
    )


# ---- endpoints

_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "Not allowed for this role or this trust",
        404: "No such period, or one you may not see",
        409: "The period's state does not allow this (period_not_open, not_withdrawable)",
    },
)


@blp.route("", methods=["POST"])
@blp.arguments(PeriodCreateSchema)
@blp.response(201, PeriodSchema)
@_errors(401, 403)
@auth_required(*STAFF)
def create(data):
    """Publish a period in a department of a trust you manage."""
    user = caller()
    (period,) = publish_periods(_new_period_input(data, user), actor=user)
    return period


@blp.route("/split", methods=["POST"])
@blp.arguments(PeriodSplitSchema)
@blp.response(201, PeriodListSchema)
@_errors(401, 403)
@auth_required(*STAFF)
def create_split(data):
    """Publish a long leave as consecutive periods of split_months months each."""
    user = caller()
    periods = publish_periods(
        _new_period_input(data, user), split_months=data["split_months"], actor=user
    )
    return {"items": periods, "total": len(periods)}


@blp.route("", methods=["GET"])
@blp.arguments(PeriodFilterSchema, location="query")
@blp.response(200, PeriodListSchema)
@_errors(401)
@auth_required()
def index(args):
    """Periods: open ones for everyone, and every period of the trusts you manage."""
    user = caller()
    query = _with_relations(access.visible_periods(user)).order_by(Period.start_date, Period.id)
    if args.get("status"):
        query = query.where(Period.status == args["status"])
    if args.get("trust"):
        trust_id = sa.select(Trust.id).where(by_code_or_id(Trust.id, Trust.code, args["trust"]))
        query = query.where(Department.trust_id.in_(trust_id))
    if args.get("region"):
        trust_id = (
            sa.select(Trust.id)
            .join(Trust.region)
            .where(by_code_or_id(Region.id, Region.code, args["region"]))
        )
        query = query.where(Department.trust_id.in_(trust_id))
    if args.get("specialty"):
        specialty_id = sa.select(Specialty.id).where(
            by_code_or_id(Specialty.id, Specialty.code, args["specialty"])
        )
        query = query.where(Department.specialty_id.in_(specialty_id))
    if args.get("department"):
        query = query.where(Period.department_id == args["department"])
    if args.get("starts_after"):
        query = query.where(Period.start_date >= args["starts_after"])
    if args.get("starts_before"):
        query = query.where(Period.start_date <= args["starts_before"])
    return paginate(query, args)


@blp.route("/<int:period_id>", methods=["GET"])
@blp.response(200, PeriodSchema)
@_errors(401, 404)
@auth_required()
def show(period_id: int):
    """One period you may see."""
    return load_period(period_id, caller())


@blp.route("/<int:period_id>", methods=["PATCH"])
@blp.arguments(PeriodPatchSchema)
@blp.response(200, PeriodSchema)
@_errors(401, 403, 404, 409)
@auth_required(*STAFF)
def patch(data, period_id: int):
    """Change an open period's dates, source, on-call, description or contact."""
    user = caller()
    period = load_managed_period(period_id, user)
    changes = dict(data)
    if "description" in changes:
        changes["description"] = changes["description"].strip()
    if "contact_name" in changes:
        changes["contact_name"] = (changes["contact_name"] or "").strip() or None
    if "contact_email" in changes:
        changes["contact_email"] = (changes["contact_email"] or "").strip().lower() or None
    update_period(period, period_input(period, **changes), actor=user)
    return period


@blp.route("/<int:period_id>/withdraw", methods=["POST"])
@blp.arguments(PeriodWithdrawSchema)
@blp.response(200, PeriodSchema)
@_errors(401, 403, 404, 409)
@auth_required(*STAFF)
def withdraw(data, period_id: int):
    """Withdraw a period that is not filled; a live proposal or offer is cancelled."""
    user = caller()
    period = load_managed_period(period_id, user)
    withdraw_period(period, reason=data["reason"], actor=user)
    return period
