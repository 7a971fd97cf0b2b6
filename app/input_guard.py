"""Input the whole app refuses before any view sees it: ids beyond 32 bits in URLs (404, as
for any unknown id) and JSON bodies with a lone surrogate (400, in the API's error format).
The field-by-field checks are app/forms.py (pages) and app/api/resources/fields.py (API),
both on app/text.py."""

from __future__ import annotations

import json

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .text import ID_MAX, has_lone_surrogate


def digits_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 0 .. ``limit`` (leading zeros allowed)."""
    top = str(limit)
    shorter = [f"[0-9]{{1,{len(top) - 1}}}"] if len(top) > 1 else []
    below = [
        f"{top[:i]}[0-{int(digit) - 1}][0-9]{{{len(top) - i - 1}}}"
        for i, digit in enumerate(top)
        if digit != "0"
    ]
    return "0*(?:" + "|".join([*shorter, *below, top]) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` for database ids: 0 .. 2**31-1; a larger number matches no route, for
    every method (404). The bound is in the pattern: werkzeug counts a route whose converter
    refuses the value as a match for the methods of its sibling routes (405 for PATCH
    /periods/2147483648, where GET gives 404)."""

    regex = digits_up_to(ID_MAX)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes bind their converters then."""
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def refuse_lone_surrogates():
        if not request.is_json or not request.content_length:
            return None
        try:
            data = json.loads(request.get_data(cache=True))
        except ValueError:
            return None  # malformed JSON: the API answers 400 as usual
        if has_lone_surrogate(data):
            raise BadRequest("The body holds a string that is not valid Unicode text.")
        return None
