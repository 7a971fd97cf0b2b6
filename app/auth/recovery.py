"""Links sent by email that prove the reader holds the mailbox: a password reset, and the
confirmation of the address an account was made with.

A link carries a random secret; the database keeps only its SHA-256, the address it went
to, when it expires and when it was spent. A link works once, for its user, while the
account is active and still has that address; a newer link of the same kind, a new
password or a disabled account ends it (the database allows one unspent link per user and
kind). Asking for a reset answers the same whether or not the address has an account, and
the email goes out after the answer (app.mail).

Services change state and flush; the caller commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.extensions import db
from app.links import path_for
from app.mail import send_account_email
from app.models import EmailToken, User
from app.models.types import utcnow

from .passwords import hash_password
from .services import end_all_sessions, end_links, get_user_by_email, revoke_tokens

RESET = "password_reset"
VERIFY = "email_verification"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == RESET:
        return timedelta(minutes=config["PASSWORD_RESET_MINUTES"])
    return timedelta(days=config["EMAIL_VERIFICATION_DAYS"])


def _sent_lately(user: User, purpose: str) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(EmailToken.id)).where(
                EmailToken.user_id == user.id,
                EmailToken.purpose == purpose,
                EmailToken.created_at > utcnow() - timedelta(hours=1),
            )
        )
        or 0
    )


def _send_link(user: User, purpose: str, endpoint: str) -> bool:
    """A new link of ``purpose`` to the user's address, ending the one before; none when
    EMAIL_LINKS_PER_HOUR went out in the last hour (flushes). True if one is sent."""
    if _sent_lately(user, purpose) >= current_app.config["EMAIL_LINKS_PER_HOUR"]:
        return False
    end_links(user, purpose)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    valid_for = _lifetime(purpose)
    db.session.add(
        EmailToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(raw),
            email=user.email,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    db.session.flush()
    send_account_email(
        purpose,  # type: ignore[arg-type]
        to=user.email,
        locale=user.locale,
        path=path_for(endpoint, token=raw),
        valid_for=valid_for,
    )
    return True


def valid_link(raw: str, purpose: str) -> EmailToken | None:
    """The unspent, unexpired link of ``purpose`` with secret ``raw`` whose account is active
    and still has the address the link went to; None otherwise."""
    if not raw or len(raw) > 128:
        return None
    token = db.session.scalar(
        sa.select(EmailToken).where(
            EmailToken.token_hash == _digest(raw), EmailToken.purpose == purpose
        )
    )
    if token is None or token.spent_at is not None or token.expires_at <= utcnow():
        return None
    if not token.user.active or token.user.email != token.email:
        return None
    return token


# --- password reset ----------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Send a reset link if ``email`` is an active account's (flushes). The caller answers
    the same either way and counts the request per client address."""
    user = get_user_by_email(email[:254])
    if user is None or not user.active:
        return
    if _send_link(user, RESET, "auth.reset_password_link"):
        audit.record("user.password_reset_requested", user, actor=user)


def reset_password(token: EmailToken, new_password: str) -> User:
    """Set the new password of the link's user: the link is spent, every session, API
    token and other link of the user ends, and the address counts as confirmed (the link
    reached it) (flushes)."""
    user = token.user
    now = utcnow()
    token.spent_at = now
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    revoked = revoke_tokens(user)
    end_links(user)
    if user.email_verified_at is None:
        user.email_verified_at = now
    audit.record("user.password_reset", user, actor=user, data={"tokens_revoked": revoked})
    return user


# --- address confirmation ----------------------------------------------------------------


def send_verification(user: User) -> bool:
    """Send a link that confirms the user's address, unless it is confirmed (flushes).
    True if one is sent (False: confirmed, or enough links went out this hour)."""
    if user.email_verified_at is not None or not user.active:
        return False
    return _send_link(user, VERIFY, "auth.verify_email_link")


@dataclass(frozen=True)
class Verified:
    user: User
    already: bool  # the address had been confirmed before


def verify_email(raw: str) -> Verified | None:
    """Confirm the address a link went to (flushes); None for a link that does not work."""
    token = valid_link(raw, VERIFY)
    if token is None:
        return None
    user = token.user
    token.spent_at = utcnow()
    already = user.email_verified_at is not None
    if not already:
        user.email_verified_at = token.spent_at
        audit.record("user.email_verified", user, actor=user, data={"email": user.email})
    db.session.flush()
    return Verified(user, already)
