"""Shared pieces for API resources: list arguments, list envelopes, scope helpers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from app.errors import NotFound
from app.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def no_nul(value: str) -> None:
    """PostgreSQL refuses NUL characters in text: refuse them as input (422), not with a 500."""
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")


class ListArgsSchema(ma.Schema):
    """?limit=&offset= on every list (default 50, at most 500)."""

    class Meta:
        unknown = ma.EXCLUDE

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=MAX_LIMIT)
    )
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=10**9))


def list_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The schema of {"items": [...], "total": N} for ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "total": ma.fields.Integer(required=True),
        },
    )


def paginate(query: sa.Select, args: dict[str, Any]) -> dict[str, Any]:
    """Run ``query`` for one page: {"items": [...], "total": N}."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    items = db.session.scalars(query.limit(args["limit"]).offset(args["offset"])).all()
    return {"items": items, "total": total}


def not_found(what: str = "object") -> NotFound:
    return NotFound(what)


def get_or_404(model, object_id: int, what: str):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise not_found(what)
    return obj
