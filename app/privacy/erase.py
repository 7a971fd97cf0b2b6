"""Erasing a GP's account (issue 20, data protection): the person asks, with their password;
the account and the personal data are removed or anonymised in one unit of work.

What goes: the name, email address and HPR number (replaced by a pseudonym: ``Slettet lege
<id>``, ``slettet-<user id>@erased.invalid``, ``X<id>``), the profile's dates, the inbox,
subscriptions, API tokens, emailed links, recovery codes, login attempts, two-factor and the
calendar feed, the reasons the GP gave for declining. Every session and token ends.
Proposals and open offers are cancelled through the lifecycle, so the trust is told and the
period opens again; the GP's current availability window is withdrawn.

What stays, and why: the GP's row (pseudonymised) with its scheme, municipality and
progress counts, its matches and placements, so that the statistics and the trusts' and
regions' records of who held which period still count them (anonymously); the audit events
that concern the person, with the person pseudonymised (actor and objects are ids of the
pseudonymised rows), for as long as the audit retention says. Finally every text column of
every table is searched for the name, the email address and the HPR number (including
earlier values the audit log knows of) and each occurrence is replaced by its pseudonym:
notifications to trust staff, webhook bodies, audit data, coordinators' reasons.

Only a GP erases their own account: staff accounts carry decisions others rely on and are
disabled by an administrator instead (app.auth.services.set_active).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from app import audit, lifecycle
from app.access import current_window
from app.auth.passwords import verify_password
from app.auth.services import end_all_sessions, normalise_email
from app.errors import Conflict, Forbidden, InvalidInput, TooManyRequests
from app.extensions import db
from app.matches.queries import live_match_for_gp
from app.models import (
    ApiToken,
    AuditEvent,
    EmailToken,
    LoginAttempt,
    Match,
    Notification,
    RecoveryCode,
    Subscription,
    User,
)
from app.models.notifications import EmailDigest
from app.models.statuses import MatchStatus
from app.models.types import utcnow

ERASED_DOMAIN = "erased.invalid"
# Columns that hold secrets, hashes or machine keys: never personal words, never rewritten.
_NOT_TEXT = {"seed", "seed_sha256", "message_id", "event_id", "secret", "run_key", "token_hash"}
# Other people's own identity: the erased person's row is rewritten directly, and a longer
# name or address that contains theirs ("Ola Nordmannsen") must not change.
_IDENTITY = {
    ("users", "email"),
    ("gps", "name"),
    ("gps", "hpr_number"),
    ("login_attempts", "email"),
    ("email_tokens", "email"),
}


@dataclass
class Erasure:
    matches_cancelled: int
    placements_kept: int
    rows_rewritten: int


def erased_email(user: User) -> str:
    return f"slettet-{user.id}@{ERASED_DOMAIN}"


def erased_name(gp_id: int) -> str:
    """The pseudonym that stands for the GP: stored data, in the portal's default language
    (like the reasons coordinators type)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext("Erased GP %(id)d", id=gp_id)


def erased_hpr(gp_id: int) -> str:
    """Not an HPR number (it has a letter): 7 to 9 characters, unique by the GP's id."""
    return f"X{gp_id:06d}"[:9]


def _erase_mark(user: User) -> str:
    """Wrong passwords on the erase form are counted in the login-attempt log under a marker
    of their own (no @: never an address), as succeeded so that they never lock the
    account's or the address's logins (the registration counter does the same)."""
    return f"(erase {user.id})"


def check_password(user: User, password: str, address: str) -> None:
    """The erasure is the account owner's: their password, at most
    LOGIN_MAX_FAILURES_PER_ACCOUNT wrong ones in LOGIN_WINDOW_MINUTES (a stolen session or
    token cannot guess it). Raises TooManyRequests or InvalidInput(wrong_password)."""
    window = int(current_app.config["LOGIN_WINDOW_MINUTES"])
    failures = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.email == _erase_mark(user),
            LoginAttempt.at > utcnow() - timedelta(minutes=window),
        )
    )
    if (failures or 0) >= int(current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        raise TooManyRequests("login_throttled", minutes=window)
    if not verify_password(user.password_hash, password or ""):
        db.session.add(LoginAttempt(email=_erase_mark(user), address=address[:64], succeeded=True))
        db.session.flush()
        error = InvalidInput("wrong_password", field="password")
        error.commit_anyway = True  # the wrong password counts
        raise error


def _earlier_values(user: User) -> set[str]:
    """Names, HPR numbers and addresses the person had before: the audit log's changes."""
    gp = user.gp
    about = [sa.and_(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)]
    if gp is not None:
        about.append(sa.and_(AuditEvent.object_type == "gp", AuditEvent.object_id == gp.id))
    found: set[str] = set()
    for data in db.session.scalars(sa.select(AuditEvent.data).where(sa.or_(*about))):
        for key in ("name", "hpr_number", "email"):
            value = (data or {}).get(key) if isinstance(data, dict) else None
            values = value if isinstance(value, list) else [value]
            found.update(v for v in values if isinstance(v, str) and len(v) >= 3)
    return found


def _replace(value: Any, words: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in words:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {_replace(k, words): _replace(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, words) for v in value]
    return value


def text_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every column of every table that can hold words: strings, texts and JSON."""
    out = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.name in _NOT_TEXT or column.name.endswith("_hash"):
                continue
            if (table.name, column.name) in _IDENTITY:
                continue
            if isinstance(column.type, sa.String | sa.JSON):
                out.append((table, column))
    return out


def scrub(words: dict[str, str]) -> int:
    """Replace every occurrence of each word (key) by its pseudonym (value) in every text
    column of every table (flushes first); returns the rows rewritten."""
    db.session.flush()
    pairs = sorted(((k, v) for k, v in words.items() if k), key=lambda p: -len(p[0]))
    rewritten = 0
    for table, column in text_columns():
        is_json = isinstance(column.type, sa.JSON)
        as_text = sa.cast(column, sa.Text) if is_json else column
        # JSON stores non-ASCII letters escaped: look for both spellings.
        spellings = {s for old, _ in pairs for s in (old, json.dumps(old)[1:-1])}
        match = sa.or_(*(as_text.contains(s, autoescape=True) for s in spellings))
        keys = list(table.primary_key.columns)
        rows = db.session.execute(sa.select(*keys, column).where(match)).all()
        for row in rows:
            value = row[-1]
            new = _replace(value, pairs)
            length = getattr(column.type, "length", None)
            if isinstance(new, str) and length:
                new = new[:length]
            if new == value:
                continue
            where = sa.and_(*(k == row[i] for i, k in enumerate(keys)))
            db.session.execute(table.update().where(where).values({column.name: new}))
            rewritten += 1
    return rewritten


def erase_account(user: User, password: str, *, address: str) -> Erasure:
    """Erase ``user``'s account (a GP's, by themself): see the module's docstring. Raises
    Forbidden (not a GP), Conflict (already erased), TooManyRequests or
    InvalidInput(wrong_password). Flushes; the caller commits."""
    if user.role != "gp":
        raise Forbidden("erase_for_gps_only")
    if user.erased_at is not None:
        raise Conflict("already_erased")
    check_password(user, password, address)
    gp = user.gp
    words: dict[str, str] = {}
    for earlier in _earlier_values(user):
        if "@" in earlier or gp is None:
            words[earlier] = erased_email(user)
        elif earlier.isdigit():
            words[earlier] = erased_hpr(gp.id)
        else:
            words[earlier] = erased_name(gp.id)
    words[user.email] = erased_email(user)
    cancelled = kept = 0
    if gp is not None:
        words[gp.name] = erased_name(gp.id)
        words[gp.hpr_number] = erased_hpr(gp.id)
        live = live_match_for_gp(gp)
        if live is not None and live.status in (MatchStatus.PROPOSED, MatchStatus.OFFERED):
            # Through the lifecycle: the period opens again and the trust is told.
            lifecycle.cancel(live, reason=gettext("The GP erased their account."), actor=user)
            cancelled += 1
        window = current_window(gp)
        if window is not None and live_match_for_gp(gp) is None:
            lifecycle.set_availability_status(window, "withdraw", actor=user)
        kept = int(
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Match)
                .where(Match.gp_id == gp.id, Match.status == MatchStatus.ACCEPTED)
            )
            or 0
        )
        db.session.execute(
            sa.update(Match)
            .where(Match.gp_id == gp.id, Match.decline_reason.is_not(None))
            .values(decline_reason=None)
            .execution_options(synchronize_session=False)
        )
    # Sessions and tokens end; the person's own rows go.
    end_all_sessions(user)
    old_emails = {user.email, *(w for w in words if "@" in w)}
    db.session.flush()
    for model in (ApiToken, EmailToken, RecoveryCode, Subscription, Notification, EmailDigest):
        db.session.execute(
            sa.delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.delete(LoginAttempt)
        .where(
            LoginAttempt.email.in_([normalise_email(e) for e in old_emails] + [_erase_mark(user)])
        )
        .execution_options(synchronize_session=False)
    )
    if gp is not None:
        gp.name = erased_name(gp.id)
        gp.hpr_number = erased_hpr(gp.id)
        gp.specialisation_started = None
        gp.municipality_priority = None
    user.email = erased_email(user)
    user.password_hash = "!erased"  # never a hash: no password matches it
    user.active = False
    user.erased_at = utcnow()
    user.last_login_at = None
    user.email_verified_at = None
    user.calendar_token_hash = None
    user.calendar_token_created_at = None
    user.manage_link_nonce = None
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    audit.record(
        "user.erased",
        user,
        actor=user,
        data={"matches_cancelled": cancelled, "placements_kept": kept},
    )
    rewritten = scrub(words)
    db.session.flush()
    db.session.expire_all()  # rows rewritten underneath the session
    return Erasure(cancelled, kept, rewritten)
