"""Reference data (no authentication needed)."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from app.i18n import current_locale
from app.models import Department, Municipality, Region, Specialty, Trust

from ..blueprint import Blueprint
from ..common import ListArgsSchema, Text, list_schema, paginate

blp = Blueprint("api_reference", __name__, url_prefix="", description="Reference data")


class RegionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class TrustSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    region_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)


class SpecialtySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.Method("localised_name", required=True)

    def localised_name(self, specialty: Specialty) -> str:
        return specialty.name_in(current_locale())


class DepartmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    trust_id = ma.fields.Integer(required=True)
    site = ma.fields.Function(lambda d: d.site.name if d.site else None, allow_none=True)
    name = ma.fields.String(required=True)
    specialty_id = ma.fields.Integer(required=True)
    alis_capacity = ma.fields.Integer(required=True)


class MunicipalitySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    county = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    trust_id = ma.fields.Integer(allow_none=True)


class RegionFilterSchema(ListArgsSchema):
    region = Text(
        validate=ma.validate.Length(max=60),
        metadata={"description": "A region code, e.g. helse-vest"},
    )


class DepartmentFilterSchema(ListArgsSchema):
    trust = Text(
        validate=ma.validate.Length(max=60),
        metadata={"description": "A trust code, e.g. helse-bergen"},
    )
    specialty = Text(
        validate=ma.validate.Length(max=60),
        metadata={"description": "A specialty code, e.g. psychiatry"},
    )


@blp.route("/regions")
@blp.doc(security=[])
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, list_schema(RegionSchema, "RegionList"))
def regions(args):
    """The four regional health authorities."""
    return paginate(sa.select(Region).order_by(Region.code), args)


@blp.route("/trusts")
@blp.doc(security=[])
@blp.arguments(RegionFilterSchema, location="query")
@blp.response(200, list_schema(TrustSchema, "TrustList"))
def trusts(args):
    """Health trusts and the private non-profit hospitals with agreements, by region."""
    query = sa.select(Trust).order_by(Trust.code)
    if args.get("region"):
        query = query.join(Trust.region).where(Region.code == args["region"])
    return paginate(query, args)


@blp.route("/specialties")
@blp.doc(security=[])
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, list_schema(SpecialtySchema, "SpecialtyList"))
def specialties(args):
    """Specialties, named in the language of Accept-Language (nb by default)."""
    return paginate(sa.select(Specialty).order_by(Specialty.code), args)


@blp.route("/departments")
@blp.doc(security=[])
@blp.arguments(DepartmentFilterSchema, location="query")
@blp.response(200, list_schema(DepartmentSchema, "DepartmentList"))
def departments(args):
    """Departments that take GPs in training, with their concurrent ALIS capacity."""
    query = sa.select(Department).order_by(Department.id)
    if args.get("trust"):
        query = query.join(Department.trust).where(Trust.code == args["trust"])
    if args.get("specialty"):
        query = query.join(Department.specialty).where(Specialty.code == args["specialty"])
    return paginate(query, args)


@blp.route("/municipalities")
@blp.doc(security=[])
@blp.arguments(RegionFilterSchema, location="query")
@blp.response(200, list_schema(MunicipalitySchema, "MunicipalityList"))
def municipalities(args):
    """Municipalities (and Oslo districts) with the trust whose catchment area they lie in."""
    query = sa.select(Municipality).order_by(Municipality.number)
    if args.get("region"):
        query = (
            query.join(Trust, Municipality.trust_id == Trust.id)
            .join(Trust.region)
            .where(Region.code == args["region"])
        )
    return paginate(query, args)
