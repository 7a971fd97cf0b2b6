"""Error pages: a clear page in the user's language, never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def register_error_handlers(app: Flask) -> None:
    """HTML pages for the site; the documented JSON error format under /api/."""
    from .api.errors import (
        ApiError,
        error_response,
        from_api_error,
        from_http_exception,
        is_api_request,
    )

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return from_api_error(error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():
            return from_http_exception(error)
        code = error.code or 500
        return render_template("errors/error.html", code=code), code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        if is_api_request():
            return error_response(500, "internal_error", "Something went wrong on our side.")
        return render_template("errors/error.html", code=500), 500
