"""The API's Blueprint: flask-smorest's, plus the rules every operation shares, in one place.

- A JSON body is read only as JSON: a body of another media type is refused (415), and a
  body the operation declares required is refused when it is missing (422), before the
  arguments are parsed (webargs would read a missing body as ``{}``).
- Every operation documents the errors this machinery gives: 401 (and 403 for a role
  check) from ``auth_required``, 404 for an id in the path, 400, 415 and 422 for a body.
  A view documents its own rules' errors (409, 429, a 404 for an id in the body) itself;
  where it describes one of these statuses more precisely, its words win.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_smorest
from flask import request

from app.errors import InvalidInput, UnsupportedMediaType

from .error_format import ErrorSchema

SHARED_ERRORS = {
    400: "The body is not valid JSON, or holds text that is not valid Unicode",
    401: "No or bad token",
    403: "Not allowed for this role",
    404: "No such object, or one you may not see",
    415: "The body is not JSON (send Content-Type: application/json)",
}


def check_body(*, required: bool) -> None:
    """Refuse a body that is not JSON (415), and a missing body where one is required (422)."""
    if request.get_data(cache=True):
        if not request.is_json:
            raise UnsupportedMediaType("json_required")
    elif required:
        raise InvalidInput("body_required", field="_schema")


def _documented(func: Callable) -> set[int]:
    doc = getattr(func, "_apidoc", {})
    statuses = {
        *doc.get("response", {}).get("responses", {}),
        *doc.get("arguments", {}).get("responses", {}),
    }
    return {int(status) for status in statuses}


def _takes_body(func: Callable) -> bool:
    parameters = getattr(func, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p["in"] == "json" for p in parameters)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest Blueprint with the API's shared body rules and error documentation."""

    def arguments(self, schema, *, location: str = "json", required: bool = True, **kwargs):
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return parse

        def decorator(func: Callable) -> Callable:
            parsed = parse(func)

            @wraps(parsed)
            def view(*args: Any, **kw: Any):
                check_body(required=required)
                return parsed(*args, **kw)

            return view

        return decorator

    def route(self, rule: str, **options):
        register = super().route(rule, **options)

        def decorator(func: Callable) -> Callable:
            statuses = []
            roles = getattr(func, "_api_roles", None)
            if roles is not None:
                statuses += [401, 403] if roles else [401]
            if "<" in rule:
                statuses.append(404)
            if _takes_body(func):
                statuses += [400, 415]
            documented = _documented(func)
            for status in statuses:
                if status not in documented:
                    func = self.alt_response(
                        status, schema=ErrorSchema, description=SHARED_ERRORS[status]
                    )(func)
            return register(func)

        return decorator
