"""Reference data (no authentication needed)."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from app import rounds
from app.dates import local_today
from app.errors import NotFound
from app.extensions import db
from app.i18n import current_locale
from app.models import Department, Municipality, Region, Specialty, Trust
from app.policy import effective_policy, region_policy

from ..blueprint import Blueprint
from ..common import ListArgsSchema, Text, list_schema, paginate
from .fields import error_docs

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


class RoundSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    trust = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The trust whose own rules hold the round; null: the region's"},
    )
    apply_by = ma.fields.Date(
        required=True,
        metadata={"description": "Windows registered on or before this day enter the round"},
    )
    match_on = ma.fields.Date(
        required=True,
        metadata={"description": "The first run on or after this day matches the round, once"},
    )
    answer_by = ma.fields.Date(
        required=True, metadata={"description": "The acceptance deadline of the round's offers"}
    )
    matched_at = ma.fields.AwareDateTime(
        allow_none=True, required=True, metadata={"description": "When a run matched it"}
    )
    next = ma.fields.Boolean(
        required=True,
        metadata={"description": "The next round of its rules (the first not matched yet)"},
    )


class TrustIntakeSchema(ma.Schema):
    code = ma.fields.String(required=True)
    intake = ma.fields.String(
        required=True, metadata={"description": "continuous or rounds (the rules in force)"}
    )


class RegionRoundsSchema(ma.Schema):
    region = ma.fields.String(required=True)
    intake = ma.fields.String(
        required=True,
        metadata={"description": "The region's own rules: continuous (every night) or rounds"},
    )
    trusts = ma.fields.List(ma.fields.Nested(TrustIntakeSchema), required=True)
    rounds = ma.fields.List(
        ma.fields.Nested(RoundSchema),
        required=True,
        metadata={"description": "The rounds of the rules in rounds, by application deadline"},
    )


_errors = error_docs(blp, {404: "No such region"})


@blp.route("/regions/<code>/rounds")
@blp.doc(security=[])
@blp.response(200, RegionRoundsSchema)
@_errors(404)
def region_rounds(code: str):
    """A region's intake, its trusts' and the application rounds of the rules in rounds."""
    region = db.session.scalar(sa.select(Region).where(Region.code == code))
    if region is None:
        raise NotFound("region")
    today = local_today()
    items = []
    for schedule in rounds.schedules(region):
        ahead = rounds.upcoming(schedule.rounds, today)
        trust = schedule.policy.trust
        items += [
            {
                "id": r.id,
                "trust": trust.code if trust else None,
                "apply_by": r.apply_by,
                "match_on": r.match_on,
                "answer_by": r.answer_by,
                "matched_at": r.matched_at,
                "next": bool(ahead) and r is ahead[0],
            }
            for r in schedule.rounds
        ]
    return {
        "region": region.code,
        "intake": region_policy(region).intake,
        "trusts": [{"code": t.code, "intake": effective_policy(t).intake} for t in region.trusts],
        "rounds": sorted(items, key=lambda item: (item["apply_by"], item["trust"] or "")),
    }
