"""The portal's one error type, and how the edge answers it.

A service that refuses raises ``BrokenRule`` (or one of its kinds) with a machine code, the
input field it concerns if any, and parameters for the words. The words come from one
catalogue (app/catalogue.py) in the reader's language. Pages show them next to the field or
on an error page, the API answers ``{"error": {"code", "message", "fields", "request_id"}}``
with the kind's status (404, 409, 422, 403), and the command line prints one line and exits 2.
Every error page and API error carries the request's id (app.request_log).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class BrokenRule(Exception):
    """A rule that the input or the current state breaks (HTTP 409 unless a kind says
    otherwise). ``fields`` maps further input fields to codes of their own."""

    status = 409
    # The code the API answers with, where a kind has one of its own (forbidden, not_found,
    # validation_failed, ...); None: the rule's own code.
    api_code: str | None = None
    # Keep what the request recorded although it is refused (a failed login attempt).
    commit_anyway = False

    def __init__(
        self,
        code: str,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
        fields: dict[str, str] | None = None,
    ):
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params or {}
        self.fields = dict(fields or {})

    @property
    def message(self) -> str:
        """The rule in words, in the current language."""
        from .catalogue import describe

        return describe(self.code, **self.params)

    def field_messages(self) -> dict[str, str]:
        """{field: words} for every field the error concerns."""
        from .catalogue import describe_field

        out = {name: describe_field(name, code) for name, code in self.fields.items()}
        if self.field is not None:
            out.setdefault(self.field, describe_field(self.field, self.code, **self.params))
        return out

    def __str__(self) -> str:
        return self.code


class InvalidInput(BrokenRule):
    """The input is wrong (422)."""

    status = 422
    api_code: str | None = "validation_failed"


class Conflict(BrokenRule):
    """The action does not fit the current state (409)."""

    status = 409


class MatchConflict(Conflict):
    """A transition that does not fit the state of a match or a period."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.detail = detail  # for logs: what the rule saw, in plain English


class Forbidden(BrokenRule):
    """The user may see the object but not do this to it, or their role may not (403)."""

    status = 403
    api_code: str | None = "forbidden"


class Unauthorized(BrokenRule):
    """No valid credentials (401)."""

    status = 401
    api_code: str | None = "unauthorized"


class WrongCredentials(Unauthorized):
    """A wrong email or password (401, ``invalid_credentials``); the attempt is recorded."""

    api_code = None
    commit_anyway = True

    def __init__(self) -> None:
        super().__init__("invalid_credentials")


class SecondFactorNeeded(Unauthorized):
    """The password is right, but the user has two-factor authentication on and gave no
    code (401, ``two_factor_required``): ask for one and try again."""

    api_code = None

    def __init__(self) -> None:
        super().__init__("two_factor_required", field="code")


class SecondFactorNotSetUp(Forbidden):
    """The user's role must use two-factor authentication and the user has not set it up
    (403, ``two_factor_not_set_up``): they set it up on the account page first."""

    api_code = None

    def __init__(self) -> None:
        super().__init__("two_factor_not_set_up")


class TooManyRequests(BrokenRule):
    """Throttled: try again in ``minutes`` (429); the attempt is recorded."""

    status = 429
    api_code: str | None = "too_many_requests"
    commit_anyway = True

    def __init__(self, code: str, *, minutes: int):
        super().__init__(code, params={"minutes": minutes})


class UnsupportedMediaType(BrokenRule):
    """A request body in a media type the endpoint does not read (415)."""

    status = 415
    api_code: str | None = "unsupported_media_type"


class NotFound(BrokenRule):
    """No such object, or one the user may not see (404: the two look the same)."""

    status = 404
    api_code: str | None = "not_found"

    def __init__(self, what: str = "object", *, field: str | None = None):
        super().__init__(f"not_found.{what}", field=field)
        self.what = what


def register_error_handlers(app: Flask) -> None:
    """HTML pages for the site; the documented JSON error format under /api/."""
    from .api.error_format import (
        error_response,
        from_broken_rule,
        from_http_exception,
        is_api_request,
    )
    from .request_log import request_id

    @app.errorhandler(BrokenRule)
    def broken_rule(error: BrokenRule):
        if is_api_request():
            return from_broken_rule(error)
        return render_template(
            "errors/error.html", code=error.status, message=error.message
        ), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # The exception's own headers (Allow on a 405, Retry-After, WWW-Authenticate) belong
        # to the answer whatever its body; the body's Content-Type is ours.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if is_api_request():
            response = from_http_exception(error)
            response.headers.extend(headers)
            return response
        code = error.code or 500
        return render_template("errors/error.html", code=code), code, headers

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error (request %s)", request_id())
        if is_api_request():
            return error_response(500, "internal_error", "Something went wrong on our side.")
        return render_template("errors/error.html", code=500), 500
