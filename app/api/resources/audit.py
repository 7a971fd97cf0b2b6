"""The audit log: who did what to which object, when and why. Coordinators see their
region's objects (and the runs), trust staff their trust's periods and matches, admins
everything (app.coordination.audit_log decides); GPs are refused."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from sqlalchemy.orm import selectinload

from app.catalogue import describe
from app.coordination.audit_log import (
    OBJECT_REF_PATTERN,
    audit_query,
    object_ref,
    parse_object_ref,
)
from app.labels import audit_action_label
from app.models import AuditEvent

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, Text, list_schema, paginate

blp = Blueprint("api_audit", __name__, url_prefix="/audit", description="The audit log")


def _object_ref(value: str) -> None:
    if not re.fullmatch(OBJECT_REF_PATTERN, value):
        raise ma.ValidationError(describe("bad_object_ref"))


class AuditFilterSchema(ListArgsSchema):
    object = ma.fields.String(
        validate=_object_ref,
        metadata={
            "pattern": OBJECT_REF_PATTERN,
            "description": "type:id, e.g. period:12, match:3 or gp:7",
        },
    )
    person = Text(
        validate=ma.validate.Length(max=254),
        metadata={"description": "Part of the actor's email or name"},
    )
    action = Text(
        validate=ma.validate.Length(max=64),
        metadata={"description": "An action code, e.g. match.assigned"},
    )


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.AwareDateTime(required=True)
    actor = ma.fields.Function(
        lambda e: e.actor.email if e.actor else None,
        required=True,
        allow_none=True,
        metadata={"type": "string", "description": "The actor's email (null: the system)"},
    )
    action = ma.fields.String(required=True, metadata={"description": "e.g. match.assigned"})
    description = ma.fields.Function(
        lambda e: audit_action_label(e.action),
        required=True,
        metadata={"type": "string", "description": "The action in words"},
    )
    object = ma.fields.Function(
        object_ref, required=True, metadata={"type": "string", "description": "type:id"}
    )
    reason = ma.fields.String(required=True, allow_none=True)
    data = ma.fields.Dict(required=True, allow_none=True)


@blp.route("")
@blp.arguments(AuditFilterSchema, location="query")
@blp.response(200, list_schema(AuditEventSchema, "AuditEventList"))
@auth_required("trust", "coordinator", "admin")
def audit_log(args: dict[str, Any]):
    """The events the caller may see, newest first, by object, person and action."""
    kind, object_id = parse_object_ref(args["object"]) if args.get("object") else (None, None)
    query = audit_query(
        caller(),
        object_type=kind,
        object_id=object_id,
        person=args.get("person"),
        action=args.get("action"),
    )
    return paginate(query.options(selectinload(AuditEvent.actor)), args)
