"""Data protection for the caller: download all their data, and (a GP) erase the account.
The rules are app.privacy's: the same builder and the same erasure as the account pages."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request

from app.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from app.privacy.erase import erase_account
from app.privacy.export import FORMAT, personal_data

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from .fields import error_docs

blp = Blueprint(
    "api_privacy",
    __name__,
    url_prefix="",
    description="Your data: download it all, or erase your account (GPs)",
)
_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "erase_for_gps_only: only GPs erase their own account",
        409: "already_erased",
        422: "wrong_password (fields.password), or the body is not valid",
        429: "Too many failed passwords or logins for this account or address",
    },
)


def _rows(description: str) -> ma.fields.List:
    return ma.fields.List(ma.fields.Dict(), required=True, metadata={"description": description})


class PersonalDataSchema(ma.Schema):
    format = ma.fields.String(required=True, metadata={"description": f"Always `{FORMAT}`"})
    exported_at = ma.fields.String(required=True, metadata={"description": "ISO 8601"})
    account = ma.fields.Dict(
        required=True,
        metadata={"description": "The account: email, role, language, dates, message settings"},
    )
    profile = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "A GP's profile: name, HPR number, municipality, scheme, progress "
            "measures declared and verified (null: no profile)"
        },
    )
    availability_windows = _rows("Every availability window with its ranked wishes")
    matches = _rows("Every proposal, offer and placement, with its period and answers")
    forbidden_pairs = _rows("Pairs a coordinator ruled out, with the reason")
    matching_run_reasons = _rows("The engine's reasons per period, per matching run kept")
    notifications = _rows("The inbox")
    subscriptions = _rows("Alert subscriptions")
    api_tokens = _rows("API tokens: dates only (never the token or its hash)")
    audit_events = _rows(
        "Audit events about you or done by you; others are named by role (`you`, "
        "`coordinator`, `system`...)"
    )


class EraseSchema(ma.Schema):
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=PASSWORD_MAX),
        metadata={"description": "The account's password (a wrong one counts as a failed login)"},
    )


class ErasedSchema(ma.Schema):
    erased = ma.fields.Boolean(required=True)
    matches_cancelled = ma.fields.Integer(
        required=True, metadata={"description": "Proposals and open offers cancelled"}
    )
    placements_kept = ma.fields.Integer(
        required=True,
        metadata={"description": "Accepted placements kept as anonymous statistics"},
    )


@blp.route("/me/export", methods=["GET"])
@blp.response(200, PersonalDataSchema)
@_errors(401)
@auth_required()
def export_me():
    """Everything the portal keeps about you, as one JSON document (the account page's
    download is the same)."""
    return personal_data(caller())


@blp.route("/me/erase", methods=["POST"])
@blp.arguments(EraseSchema)
@blp.response(200, ErasedSchema)
@_errors(401, 403, 409, 422, 429)
@auth_required()
def erase_me(data: dict[str, Any]):
    """Erase your account (GPs): name, email and HPR number are removed everywhere, every
    token and session ends, proposals and open offers are cancelled (the trust is told);
    accepted placements stay as anonymous statistics and audit events stay with you
    pseudonymised. This token stops working."""
    erasure = erase_account(caller(), data["password"], address=request.remote_addr or "")
    return {
        "erased": True,
        "matches_cancelled": erasure.matches_cancelled,
        "placements_kept": erasure.placements_kept,
    }
