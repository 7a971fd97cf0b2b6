"""The API's one error format: {"error": {"code", "message", "fields", "request_id"}} for
every 4xx/5xx."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from app.catalogue import describe
from app.errors import BrokenRule
from app.request_log import request_id

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "A machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "What happened, in words"})
    fields = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "What is wrong with each input field (may be empty)"},
    )
    request_id = ma.fields.String(
        required=True,
        metadata={
            "description": "The request's id, also in the X-Request-ID response header: "
            "quote it when you report a problem"
        },
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None):
    body = {"code": code, "message": message, "fields": fields or {}, "request_id": request_id()}
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """webargs/marshmallow messages ({"json": {"field": ["..."]}}) as {"field": "..."}."""
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if prefix == "" and key in ("json", "query", "form", "path", "headers", "view_args"):
                out.update(_flatten(value, ""))
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
                out.update(_flatten(value, name))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_schema"] = " ".join(messages)
        else:
            for item in messages:
                out.update(_flatten(item, prefix))
    else:
        out[prefix or "_schema"] = str(messages)
    return out


def from_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 422:
        fields = _flatten(messages) if messages else {}
        return error_response(422, "validation_failed", describe("invalid_input"), fields)
    if status == 400 and messages:  # webargs could not read the body
        return error_response(400, "bad_request", "The request body is not valid JSON.")
    message = data.get("message") or error.description or error.name
    return error_response(status, CODES.get(status, "error"), str(message))


def from_broken_rule(error: BrokenRule):
    """The error format for a broken rule: its status, code, words and field words."""
    message = describe("invalid_input") if error.status == 422 else error.message
    code = error.api_code or error.code
    return error_response(error.status, code, message, error.field_messages())
