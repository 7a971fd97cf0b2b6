"""Pieces shared by the people, availability, period and vacancy resources: input fields that
never let bad input reach the database (NUL characters, ids beyond 32 bits, dates beyond
calendar arithmetic), id/code filters, and documented error responses."""

from __future__ import annotations

import re
from collections.abc import Callable

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest import Blueprint

from app.catalogue import describe
from app.extensions import db
from app.text import DAY_PATTERN, EMAIL_PATTERN, FIRST_DAY, ID_MAX, LAST_DAY

from ..common import Text
from ..error_format import ErrorSchema

# Dates the API accepts: wide enough for any real period, narrow enough for calendar arithmetic.
NAME_MAX, EMAIL_MAX = 160, 254


def text(
    max_length: int, *, min_length: int = 0, multiline: bool = False, **kwargs
) -> ma.fields.String:
    """Text of at most ``max_length`` characters (app/text.py's rules)."""
    return Text(
        multiline=multiline,
        validate=[ma.validate.Length(min=min_length, max=max_length)],
        **kwargs,
    )


def object_id(**kwargs) -> ma.fields.Integer:
    """An id in a JSON body: a whole number the database can hold."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=ID_MAX), **kwargs)


def day(**kwargs) -> ma.fields.Date:
    """An ISO date between 2000-01-01 and 2100-12-31 (the document's pattern says so)."""
    kwargs["metadata"] = {"pattern": DAY_PATTERN} | kwargs.get("metadata", {})
    return ma.fields.Date(validate=ma.validate.Range(min=FIRST_DAY, max=LAST_DAY), **kwargs)


def _email_pattern(value: str) -> None:
    if not re.fullmatch(EMAIL_PATTERN, value):
        raise ma.ValidationError(describe("bad_email"))


def email(**kwargs) -> ma.fields.Email:
    """An email address (app/text.py's EMAIL_PATTERN, which the document states)."""
    kwargs["metadata"] = {"pattern": EMAIL_PATTERN} | kwargs.get("metadata", {})
    return ma.fields.Email(validate=[ma.validate.Length(max=EMAIL_MAX), _email_pattern], **kwargs)


def code_or_id(description: str) -> ma.fields.String:
    """A query filter that takes a code or a numeric id."""
    return text(60, metadata={"description": description})


def by_code_or_id(column_id, column_code, value: str):
    """The condition for a code_or_id filter."""
    if value.isascii() and value.isdigit():
        number = int(value)
        return column_id == number if number <= ID_MAX else sa.false()
    return column_code == value


def get_in_range(model, object_id_: int):
    """The object with this id, or None (also for ids too large to exist)."""
    if not 1 <= object_id_ <= ID_MAX:
        return None
    return db.session.get(model, object_id_)


def error_docs(blp: Blueprint, descriptions: dict[int, str]) -> Callable:
    """A decorator factory: ``errors(401, 404)`` documents those error responses of a view."""

    def errors(*statuses: int) -> Callable:
        def decorator(view):
            for status in statuses:
                view = blp.alt_response(
                    status, schema=ErrorSchema, description=descriptions[status]
                )(view)
            return view

        return decorator

    return errors
