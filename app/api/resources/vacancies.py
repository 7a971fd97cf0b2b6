"""Public vacancies: periods that fell back to ordinary advertising and have not started
(no authentication needed). A vacancy's id is its period's id."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import url_for

from app.errors import NotFound
from app.models import Department, Period, Region, Specialty, Trust
from app.public.services import get_vacancy, vacancies_query

from ..blueprint import Blueprint
from ..common import ListArgsSchema, list_schema, paginate
from ..error_format import ErrorSchema
from .fields import ID_MAX, by_code_or_id, code_or_id
from .periods import (
    CombinedPeriodSchema,
    DepartmentRefSchema,
    SpecialtyRefSchema,
    TrustRefSchema,
)

blp = Blueprint(
    "api_vacancies",
    __name__,
    url_prefix="/vacancies",
    description="Public vacancies: periods advertised the ordinary way (no authentication)",
)


class VacancySchema(CombinedPeriodSchema):
    id = ma.fields.Integer(required=True, metadata={"description": "The period's id"})
    status = ma.fields.String(required=True, metadata={"description": "Always advertised"})
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    months = ma.fields.Integer(
        required=True, metadata={"description": "Whole calendar months the period covers"}
    )
    trust_id = ma.fields.Integer(required=True, attribute="department.trust_id")
    department_id = ma.fields.Integer(required=True)
    specialty_id = ma.fields.Integer(required=True, attribute="department.specialty_id")
    region_id = ma.fields.Integer(required=True, attribute="department.trust.region_id")
    trust = ma.fields.Nested(TrustRefSchema, required=True, attribute="department.trust")
    department = ma.fields.Nested(DepartmentRefSchema, required=True)
    specialty = ma.fields.Nested(
        SpecialtyRefSchema, required=True, attribute="department.specialty"
    )
    description = ma.fields.String(required=True)
    on_call = ma.fields.Boolean(required=True)
    contact_name = ma.fields.String(required=True, allow_none=True)
    contact_email = ma.fields.String(required=True, allow_none=True)
    published_at = ma.fields.AwareDateTime(required=True)
    url = ma.fields.Function(
        lambda period: url_for("public.vacancy", period_id=period.id, _external=True),
        required=True,
        metadata={
            "type": "string",
            "description": "The vacancy's public page (with schema.org JobPosting data)",
        },
    )


class VacancyFilterSchema(ListArgsSchema):
    region = code_or_id("A region code (e.g. helse-vest) or id")
    trust = code_or_id("A trust code (e.g. helse-bergen) or id")
    specialty = code_or_id("A specialty code (e.g. psychiatry) or id")


@blp.route("")
@blp.doc(security=[])
@blp.arguments(VacancyFilterSchema, location="query")
@blp.response(200, list_schema(VacancySchema, "VacancyList"))
def index(args):
    """Advertised periods that have not started, soonest first."""
    query = vacancies_query().join(Period.department)
    if args.get("region"):
        trusts = (
            sa.select(Trust.id)
            .join(Trust.region)
            .where(by_code_or_id(Region.id, Region.code, args["region"]))
        )
        query = query.where(Department.trust_id.in_(trusts))
    if args.get("trust"):
        trusts = sa.select(Trust.id).where(by_code_or_id(Trust.id, Trust.code, args["trust"]))
        query = query.where(Department.trust_id.in_(trusts))
    if args.get("specialty"):
        specialties = sa.select(Specialty.id).where(
            by_code_or_id(Specialty.id, Specialty.code, args["specialty"])
        )
        query = query.where(Department.specialty_id.in_(specialties))
    return paginate(query, args)


@blp.route("/<int:period_id>")
@blp.doc(security=[])
@blp.response(200, VacancySchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such vacancy (or not advertised)")
def show(period_id: int):
    """One advertised period."""
    period = get_vacancy(period_id) if 1 <= period_id <= ID_MAX else None
    if period is None:
        raise NotFound("vacancy")
    return period
