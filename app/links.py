"""Absolute links in emails and feeds, and the signed token that lets a recipient manage
their email (subscriptions, stop all email) without logging in. The token names the user and
their current link nonce and is timestamped: it ends after MANAGE_LINK_DAYS, and at once when
the user ends their links (a new nonce). It grants nothing but managing email."""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.extensions import db
from app.models import User
from notifications.data import Recipient

MANAGE_SALT = "alis-manage-subscriptions"


def path_for(endpoint: str, **values) -> str:
    """A URL path for ``endpoint``, also outside a request (jobs, commands)."""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build(endpoint, values)


def absolute_url(path: str) -> str:
    """``path`` on the site's public address (BASE_URL)."""
    if path.startswith(("http://", "https://")):
        return path
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + (path if path.startswith("/") else "/" + path)


def url_for_absolute(endpoint: str, **values) -> str:
    return absolute_url(path_for(endpoint, **values))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=MANAGE_SALT)


def _nonce_of(user_id: int) -> str:
    user = db.session.get(User, user_id)
    return (user.manage_link_nonce or "") if user is not None else ""


def manage_token(user: User | Recipient) -> str:
    """A signed, timestamped token naming ``user`` and their link nonce."""
    return _serializer().dumps({"u": user.id, "n": _nonce_of(user.id)})


def user_for_manage_token(token: str) -> User | None:
    """The active user a manage token names, or None for a forged, expired or ended one."""
    max_age = current_app.config["MANAGE_LINK_DAYS"] * 24 * 3600
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # forged, or expired (SignatureExpired is a BadSignature)
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = db.session.get(User, payload["u"])
    if user is None or not user.active or payload.get("n") != (user.manage_link_nonce or ""):
        return None
    return user


def end_manage_links(user: User) -> None:
    """Every manage-your-email link sent to ``user`` stops working (flushes)."""
    user.manage_link_nonce = secrets.token_hex(16)
    db.session.flush()


def manage_url(user: User | Recipient) -> str:
    return url_for_absolute("alerts.manage", token=manage_token(user))


def unsubscribe_url(user: User | Recipient) -> str:
    """RFC 8058 one-click unsubscribe (POST): stops all email to ``user``."""
    return url_for_absolute("alerts.one_click_unsubscribe", token=manage_token(user))


class SiteLinks:
    """The links in emails (``notifications.emails.EmailLinks``), on BASE_URL."""

    def absolute(self, path: str) -> str:
        return absolute_url(path)

    def inbox(self) -> str:
        return url_for_absolute("alerts.inbox")

    def manage(self, recipient: Recipient) -> str:
        return manage_url(recipient)

    def unsubscribe(self, recipient: Recipient) -> str:
        return unsubscribe_url(recipient)
