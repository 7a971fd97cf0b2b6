"""JSON API v1 (../shared/spec/api.md): flask-smorest blueprints under /api/v1, bearer tokens,
one error format, an OpenAPI 3 document generated from the code at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from .error_format import ErrorSchema

PREFIX = "/api/v1"


class AlisApi(Api):
    """flask-smorest's Api, minus its app-wide error handler: errors in /api/v1 get the
    documented JSON body from app.errors, the pages keep their HTML error pages. No catch-all
    ``default`` response: each operation lists the statuses it gives (app/api/blueprint.py
    and its own rules), so a client, and schemathesis, can tell an undocumented one."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass


api = AlisApi()


def init_app(app: Flask) -> None:
    # Not settings: where the API lives and what its document says (the contract).
    app.config["OPENAPI_URL_PREFIX"] = PREFIX
    app.config["API_SPEC_OPTIONS"] = {
        "info": {
            "description": "The public contract for trust HR systems, municipal systems "
            "and scripts. Authenticate with `Authorization: Bearer <token>` from "
            "POST /api/v1/auth/tokens. Errors: "
            '`{"error": {"code", "message", "fields", "request_id"}}`.'
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
    }
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token"}
    )

    from app.extensions import csrf

    from . import auth, docs, resources

    auth.init_app(app)
    for blueprint in (auth.blp, *resources.blueprints()):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=f"{PREFIX}{blueprint.url_prefix or ''}")
    app.register_blueprint(docs.bp)  # the readable reference at /api/v1/docs
