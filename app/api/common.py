"""Shared pieces for API resources: list arguments, list envelopes, scope helpers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from app.catalogue import describe
from app.errors import NotFound
from app.extensions import db
from app.paging import count
from app.text import normalise, text_pattern, text_problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _text_check(multiline: bool):
    def check(value: str) -> None:
        code = text_problem(value, multiline=multiline)
        if code is not None:
            raise ma.ValidationError(describe(code))

    return check


# Text of one line (names, codes, emails): no control characters, no lone surrogates
# (app/text.py, the same rule as the pages'); multi-line text may hold line breaks and tabs.
no_nul = single_line = _text_check(multiline=False)
multi_line = _text_check(multiline=True)


class Text(ma.fields.String):
    """A string checked as text (one line, or ``multiline``) and stored NFC-normalised; the
    document states the rule as a pattern (and, for ``blank=False``, that the text is not
    white space only: the field or the rule behind it refuses that)."""

    def __init__(self, *, multiline: bool = False, blank: bool = True, **kwargs: Any):
        validate = kwargs.pop("validate", None) or []
        validate = [*(validate if isinstance(validate, list) else [validate])]
        metadata = {"pattern": text_pattern(multiline=multiline, blank=blank)}
        kwargs["metadata"] = metadata | kwargs.get("metadata", {})
        super().__init__(validate=[*validate, multi_line if multiline else single_line], **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return normalise(text, multiline=self.multiline)


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
    total = count(query)
    items = db.session.scalars(query.limit(args["limit"]).offset(args["offset"])).all()
    return {"items": items, "total": total}


def not_found(what: str = "object") -> NotFound:
    return NotFound(what)


def get_or_404(model, object_id: int, what: str):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise not_found(what)
    return obj
