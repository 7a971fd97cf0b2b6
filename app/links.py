"""Absolute links in emails and feeds, and the signed token that lets a recipient manage
their subscriptions from an email without logging in."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

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


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=MANAGE_SALT)


def manage_token(user: User | Recipient) -> str:
    """A signed token naming ``user``: it opens their subscription settings without a login.
    It never expires (old emails keep working) and grants nothing else."""
    return _serializer().dumps({"u": user.id})


def user_for_manage_token(token: str) -> User | None:
    """The active user a manage token names, or None for a forged or unknown token."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = db.session.get(User, payload["u"])
    return user if user is not None and user.active else None


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
