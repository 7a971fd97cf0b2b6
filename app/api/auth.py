"""Bearer tokens: issued for email and password (throttled like the login page), stored as
SHA-256, expiring, revocable. A token acts with its user's role and scope; session cookies
never authenticate an API call (so there is no CSRF hole)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_login import AnonymousUserMixin

from app.auth import two_factor
from app.auth.services import authenticate
from app.errors import (
    Forbidden,
    SecondFactorNeeded,
    SecondFactorNotSetUp,
    TooManyRequests,
    Unauthorized,
    WrongCredentials,
)
from app.extensions import db
from app.models import ApiToken, User
from app.models.types import utcnow
from app.text import text_pattern

from .blueprint import Blueprint
from .common import no_nul
from .error_format import ErrorSchema

blp = Blueprint("api_auth", __name__, url_prefix="/auth", description="API tokens")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new token for ``user`` (flushes); the raw value is shown once and never stored."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user=user,
        token_hash=_digest(raw),
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["API_TOKEN_HOURS"]),
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


def _token_from_header() -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == _digest(raw.strip()))
    )
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    if not token.user.active:
        return None
    now = utcnow()
    # When it was last used, to the minute (the account page shows it): one write a minute
    # at most, not one per call.
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        token.last_used_at = now
    return token


def _load_caller() -> None:
    """Before every API request: the token's user, or anonymous (cookies are ignored)."""
    if not request.path.startswith("/api/"):
        return
    token = _token_from_header()
    g.api_token = token
    g.api_user = token.user if token else None
    # Flask-Login reads this cache first: current_user is the token's user, never a cookie's.
    g._login_user = token.user if token else AnonymousUserMixin()
    # Check the token before the body is read, so an anonymous call answers 401, not 422.
    view = current_app.view_functions.get(request.endpoint or "")
    roles = getattr(view, "_api_roles", None)
    if roles is not None:
        _check(roles)


def _check(roles: tuple[str, ...]) -> User:
    user = caller()
    if roles and user.role not in roles:
        raise Forbidden("role_not_allowed")
    return user


def caller() -> User:
    user = g.get("api_user")
    if user is None:
        raise Unauthorized("token_required")
    return user


def auth_required(*roles: str) -> Callable:
    """401 without a valid token; 403 when the token's role is not one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            _check(roles)
            return view(*args, **kwargs)

        # functools.wraps copies this to the outer (flask-smorest) wrappers, so the check
        # runs in before_request, ahead of argument parsing, too.
        wrapped._api_roles = roles
        return wrapped

    return decorator


class TokenRequestSchema(ma.Schema):
    email = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=254), no_nul],
        metadata={"pattern": text_pattern()},
    )
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    code = ma.fields.String(
        validate=[ma.validate.Length(min=1, max=two_factor.CODE_MAX_LENGTH), no_nul],
        metadata={
            "pattern": text_pattern(),
            "description": "For an account with two-factor authentication on: the 6 digits "
            "the authenticator app shows now, or one of the account's recovery codes (each "
            f"works once). At most {two_factor.CODE_MAX_LENGTH} characters; spaces and dashes "
            "are ignored. Without it such an account gets 401 `two_factor_required`; a wrong "
            "or reused code is a failed login (401 `invalid_credentials`, throttled). Ignored "
            "for other accounts.",
        },
    )


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = ma.fields.AwareDateTime(required=True)
    recovery_codes_left = ma.fields.Integer(
        metadata={
            "description": "Only when a recovery code was given: how many unused ones the "
            "account has left (make new ones on the account page)."
        }
    )


@blp.route("/tokens", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(
    401,
    schema=ErrorSchema,
    description="`invalid_credentials`: a wrong email, password or code (counted as a failed "
    "login); `two_factor_required`: the password is right, and the account needs a `code` "
    "too",
)
@blp.alt_response(
    403,
    schema=ErrorSchema,
    description="`two_factor_not_set_up`: the account's role must use two-factor "
    "authentication and the user has not set it up (on the account page)",
)
@blp.alt_response(
    429,
    schema=ErrorSchema,
    description="`too_many_requests`: too many failed logins for this account or address",
)
def create_token(data):
    """Get a token for an email and password, and a code where two-factor authentication is
    on (throttled like the login page)."""
    address = request.remote_addr or ""
    result = authenticate(data["email"], data["password"], address)
    if result.throttled:
        raise TooManyRequests("login_throttled", minutes=result.wait_minutes)
    if result.user is None:
        raise WrongCredentials()  # the failed attempt is recorded all the same
    if two_factor.must_enrol(result.user):
        raise SecondFactorNotSetUp()
    left = None
    if result.code_needed:
        if not data.get("code"):
            raise SecondFactorNeeded()
        outcome = two_factor.complete_login(result.user, data["code"], address)
        if outcome.throttled:
            raise TooManyRequests("login_throttled", minutes=outcome.wait_minutes)
        if not outcome.ok:
            raise WrongCredentials()  # counted as a failed login
        left = outcome.recovery_codes_left
    raw, token = issue_token(result.user)
    answer = {"token": raw, "expires_at": token.expires_at}
    if left is not None:
        answer["recovery_codes_left"] = left
    return answer


@blp.route("/tokens/current", methods=["DELETE"])
@blp.response(204)
@auth_required()
def revoke_token():
    """Revoke the token used for this request."""
    g.api_token.revoked_at = utcnow()


def init_app(app: Flask) -> None:
    app.before_request(_load_caller)
