"""A trust's webhook: its URL and secret (set by the trust's staff), the events it is sent
(queued in the transaction of the change they report), the delivery log and "send again".

Delivery itself is ``notifications.webhooks`` on the store of ``app.handoff.outbox``; the
scheduler's outbox job runs it with the email."""

from __future__ import annotations

import ipaddress
import json
import secrets
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.errors import InvalidInput, MatchConflict
from app.extensions import db
from app.matches.handoff import HandoffSchema, handoff
from app.models import Match, Trust, TrustWebhook, User, WebhookDelivery
from app.models.types import utcnow
from app.text import ID_MAX

URL_MAX = 500
SECRET_PREFIX = "whsec_"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOG_SIZE = 100  # the delivery log shows this many of the latest events


# ---- settings


def webhook_of(trust: Trust) -> TrustWebhook | None:
    return db.session.scalar(sa.select(TrustWebhook).where(TrustWebhook.trust_id == trust.id))


def _private(host: str) -> bool:
    """Whether ``host`` is a name or address that stays inside the server's own network."""
    if host in LOOPBACK_HOSTS or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: it is resolved when the event is sent
    return not address.is_global


def check_url(url: str) -> str:
    """The URL, stripped, if events may be sent to it: https to a public host; plain http
    to this machine (127.0.0.1) only where WEBHOOK_ALLOW_LOOPBACK is set (development and
    tests). Raises InvalidInput on the field ``url``."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("required", field="url")
    if len(url) > URL_MAX:
        raise InvalidInput("too_long", field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise InvalidInput("bad_url", field="url") from error
    if (
        parts.scheme not in ("http", "https")
        or not host
        or parts.username is not None
        or parts.fragment
        or any(c.isspace() for c in url)
    ):
        raise InvalidInput("bad_url", field="url")
    loopback_allowed = bool(current_app.config["WEBHOOK_ALLOW_LOOPBACK"])
    if loopback_allowed and host in LOOPBACK_HOSTS:
        return url
    if parts.scheme != "https":
        raise InvalidInput("https_required", field="url")
    if _private(host):
        raise InvalidInput("private_address", field="url")
    return url


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def save_url(trust: Trust, url: str, *, actor: User) -> tuple[TrustWebhook, str | None]:
    """Set the trust's webhook URL; the first time, a secret is made too. Returns the
    webhook and the new secret (None if it kept its secret): the caller shows it once."""
    url = check_url(url)
    webhook = webhook_of(trust)
    secret = None
    if webhook is None:
        secret = new_secret()
        webhook = TrustWebhook(trust=trust, url=url, secret=secret, updated_by=actor)
        db.session.add(webhook)
        audit.record("webhook.created", trust, actor=actor, data={"url": url})
    elif webhook.url != url:
        old = webhook.url
        webhook.url = url
        webhook.updated_by = actor
        audit.record("webhook.url_changed", trust, actor=actor, data={"url": [old, url]})
    db.session.flush()
    return webhook, secret


def rotate_secret(trust: Trust, *, actor: User) -> str:
    """A new secret for the trust's webhook (the old one stops signing at once)."""
    webhook = webhook_of(trust)
    if webhook is None:
        raise MatchConflict("no_webhook")
    secret = new_secret()
    webhook.secret = secret
    webhook.secret_created_at = utcnow()
    webhook.updated_by = actor
    audit.record("webhook.secret_rotated", trust, actor=actor)
    db.session.flush()
    return secret


def remove(trust: Trust, *, actor: User) -> None:
    """Remove the trust's webhook: no more events are queued, and those waiting fail."""
    webhook = webhook_of(trust)
    if webhook is None:
        raise MatchConflict("no_webhook")
    audit.record("webhook.removed", trust, actor=actor, data={"url": webhook.url})
    db.session.delete(webhook)
    db.session.flush()


# ---- events


def body_of(event: str, event_id: str, trust: Trust, data: dict[str, Any], at: datetime) -> str:
    """The JSON body of an event: compact, UTF-8, the same bytes on every attempt."""
    document = {
        "id": event_id,
        "event": event,
        "created_at": at.isoformat(),
        "trust": trust.code,
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def queue_placement_event(match: Match, event: str) -> WebhookDelivery | None:
    """Queue ``event`` about ``match`` for its trust's webhook, in the caller's transaction
    (nothing if the trust has no webhook). The body is the hand-off as it is now."""
    trust = match.period.department.trust
    if webhook_of(trust) is None:
        return None
    now = utcnow()
    event_id = f"evt_{uuid.uuid4().hex}"
    data = HandoffSchema().dump(handoff(match))
    delivery = WebhookDelivery(
        trust=trust,
        match_id=match.id,
        event=event,
        event_id=event_id,
        body=body_of(event, event_id, trust, data, now),
        delivery_status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def deliveries(trust: Trust, limit: int = LOG_SIZE) -> list[WebhookDelivery]:
    """The trust's latest events, newest first."""
    query = (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.trust_id == trust.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def get_delivery_or_none(trust: Trust, delivery_id: int) -> WebhookDelivery | None:
    if not 1 <= delivery_id <= ID_MAX:
        return None
    return db.session.scalar(
        sa.select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.trust_id == trust.id
        )
    )


def resend(delivery: WebhookDelivery, *, actor: User) -> None:
    """Send a delivered or failed event again, with its full number of attempts, starting
    now: the same body and event id, so a receiver that has it already can ignore it."""
    if delivery.delivery_status == "pending":
        raise MatchConflict("not_resendable")
    delivery.delivery_status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    audit.record(
        "webhook.resent",
        delivery.trust,
        actor=actor,
        data={"event_id": delivery.event_id, "event": delivery.event},
    )
    db.session.flush()
