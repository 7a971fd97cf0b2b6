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


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` for database ids: 0 .. 2**31-1; a larger number matches no route."""

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
