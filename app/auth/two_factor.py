"""Two-factor authentication for staff: time-based codes (TOTP, RFC 6238: 30-second steps,
6 digits, HMAC-SHA-1, one step of clock drift either way) and single-use recovery codes.

A code is accepted once: the last accepted time step is stored, and claiming a later one is
one conditional UPDATE, so two requests racing with the same code cannot both win. Wrong
codes count as failed logins (app/auth/services.py's throttle, per account and address).
The secret is stored encrypted (AES-GCM, a key derived from SECRET_KEY by HKDF, the user's id
bound in); recovery codes only as SHA-256.

Services change state and flush; the caller commits once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import pyotp
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from app import audit
from app.errors import Forbidden
from app.extensions import db
from app.models import RecoveryCode, User
from app.models.types import utcnow
from app.models.users import STAFF_ROLES

from .passwords import verify_password
from .services import (
    end_all_sessions,
    login_succeeded,
    login_wait_minutes,
    record_login_attempt,
    revoke_tokens,
)

ISSUER = "ALIS-portalen"  # the name authenticator apps show next to the code
DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the previous and the next step too (clocks and typing)
RECOVERY_CODES = 10
# No 0/o, 1/l/i: read aloud or copied by hand without doubt. 16 of 31 signs: 79 bits.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 16
# What a form field or the API's `code` takes: a code, or a recovery code with its dashes
# and some spaces.
CODE_MAX_LENGTH = 40
# How long a login waits for its code after the password was right.
PENDING_LOGIN_SECONDS = 300
_KEY_LABEL = b"ALIS-portalen two-factor secret v1"
_SEALED_PREFIX = "v1:"


# --- who -------------------------------------------------------------------------------


def may_use(user: User) -> bool:
    """Staff may turn two-factor authentication on; GPs are not asked."""
    return user.role in STAFF_ROLES


def required_for(user: User) -> bool:
    """Whether the user's role must use two-factor authentication (the setting)."""
    return user.role in current_app.config["TWO_FACTOR_REQUIRED_ROLES"]


def must_enrol(user: User) -> bool:
    """The user's role must use it and the user has not set it up."""
    return required_for(user) and not user.two_factor_enabled


# --- codes -----------------------------------------------------------------------------


def new_secret() -> str:
    """A new TOTP secret: 160 random bits in base32, as authenticator apps take it."""
    return pyotp.random_base32()


def time_step(when: datetime) -> int:
    return int(when.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The code of ``secret`` for time step ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address that a QR code gives an authenticator app."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, when: datetime, after: int | None = None) -> int | None:
    """The time step near ``when`` (and later than ``after``) whose code is ``code``."""
    code = _compact(code)
    if not re.fullmatch(rf"[0-9]{{{DIGITS}}}", code):
        return None
    now = time_step(when)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def _compact(code: str) -> str:
    """A code as typed, without spaces and dashes, lower-case."""
    return re.sub(r"[\s-]", "", code).lower()


# --- the secret at rest ----------------------------------------------------------------


def _key() -> bytes:
    secret_key = current_app.config["SECRET_KEY"]
    raw = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=_KEY_LABEL).derive(raw)


def seal(secret: str, user_id: int) -> str:
    """``secret`` encrypted for storage, bound to the user (another row cannot use it)."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), f"user:{user_id}".encode())
    return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: object, user_id: int) -> str | None:
    """The secret, or None if there is none or it cannot be read (SECRET_KEY changed)."""
    if not isinstance(sealed, str) or not sealed.startswith(_SEALED_PREFIX):
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_SEALED_PREFIX) :])
        plain = AESGCM(_key()).decrypt(raw[:12], raw[12:], f"user:{user_id}".encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


# --- recovery codes --------------------------------------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(_compact(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> tuple[str, ...]:
    """Replace the user's recovery codes with new ones (flushes); returns them, once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(raw)))
    db.session.flush()
    return tuple(codes)


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- checking a code -------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of a step that needed a code."""

    ok: bool
    wait_minutes: int = 0  # > 0: throttled, nothing was checked
    wrong: str | None = None  # the input that was wrong: "password" or "code"
    recovery_codes: tuple[str, ...] = ()  # new recovery codes, to show once
    recovery_codes_left: int | None = None  # set when a recovery code was used

    @property
    def throttled(self) -> bool:
        return self.wait_minutes > 0


def _changed(statement: sa.Update) -> int:
    """How many rows a conditional UPDATE changed: 1 where it won, 0 where the condition
    no longer held (the code was used meanwhile)."""
    return cast(sa.CursorResult, db.session.execute(statement)).rowcount


def _use_code(user: User, code: str) -> Outcome:
    """Spend ``code``: the app's code for a time step not used before, or an unused
    recovery code (flushes; a used recovery code is audited)."""
    compact = _compact(code)
    if re.fullmatch(rf"[0-9]{{{DIGITS}}}", compact):
        secret = unseal(user.totp_secret_encrypted, user.id)
        step = matching_step(secret, compact, utcnow(), user.totp_last_step) if secret else None
        if step is None:
            return Outcome(False, wrong="code")
        claimed = _changed(
            sa.update(User)
            .where(
                User.id == user.id,
                sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session="fetch")
        )
        return Outcome(claimed == 1, wrong=None if claimed == 1 else "code")
    if len(compact) != RECOVERY_LENGTH or not set(compact) <= set(RECOVERY_ALPHABET):
        return Outcome(False, wrong="code")
    claimed = _changed(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(compact),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        return Outcome(False, wrong="code")
    left = recovery_codes_left(user)
    audit.record("user.recovery_code_used", user, actor=user, data={"left": left})
    return Outcome(True, recovery_codes_left=left)


def check_code(user: User, code: str, address: str, *, password: str | None = None) -> Outcome:
    """Check a code (and the password, if given) of a user with two-factor authentication
    on, throttled like the login; a failure counts as a failed login (flushes)."""
    wait = login_wait_minutes(user.email, address)
    if wait:
        return Outcome(False, wait_minutes=wait)
    if password is not None and not verify_password(user.password_hash, password):
        outcome = Outcome(False, wrong="password")  # the code is not spent
    elif not user.two_factor_enabled:
        outcome = Outcome(False, wrong="code")
    else:
        outcome = _use_code(user, code)
    if not outcome.ok:
        record_login_attempt(user.email, address, succeeded=False)
    return outcome


def complete_login(user: User, code: str, address: str) -> Outcome:
    """The second step of a login whose password was right (flushes)."""
    outcome = check_code(user, code, address)
    if outcome.ok:
        login_succeeded(user, address)
    return outcome


# --- turning it on and off -------------------------------------------------------------


def enable(
    user: User, secret: str, code: str, *, current_code: str = "", address: str = ""
) -> Outcome:
    """Turn two-factor authentication on with the new ``secret``, proved by ``code`` from
    it. A user who has it on already moves to a new app: ``current_code`` (the old app's, or
    a recovery code) proves it, checked like a login. New recovery codes, returned once;
    the user's other sessions and API tokens end (flushes, audits)."""
    if not may_use(user):
        raise Forbidden("staff_only")
    step = matching_step(secret, code, utcnow())
    if step is None:
        return Outcome(False, wrong="code")
    replaced = user.two_factor_enabled
    if replaced:
        check = check_code(user, current_code, address)
        if not check.ok:
            return Outcome(False, wait_minutes=check.wait_minutes, wrong="current_code")
    user.totp_secret_encrypted = seal(secret, user.id)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    end_all_sessions(user)
    revoked = revoke_tokens(user)
    audit.record(
        "user.two_factor_enabled",
        user,
        actor=user,
        data={"new_app": replaced, "tokens_revoked": revoked},
    )
    return Outcome(True, recovery_codes=codes)


def renew_recovery_codes(user: User, code: str, address: str) -> Outcome:
    """New recovery codes for a current code (the old ones end; flushes, audits)."""
    check = check_code(user, code, address)
    if not check.ok:
        return check
    codes = _new_recovery_codes(user)
    audit.record("user.recovery_codes_renewed", user, actor=user)
    return Outcome(True, recovery_codes=codes, recovery_codes_left=check.recovery_codes_left)


def disable(user: User, password: str, code: str, address: str) -> Outcome:
    """Turn two-factor authentication off for the password and a current code, unless the
    user's role must use it. The user's other sessions and API tokens end (flushes, audits)."""
    if required_for(user):
        raise Forbidden("two_factor_required_for_role")
    check = check_code(user, code, address, password=password)
    if not check.ok:
        return check
    _turn_off(user, actor=user)
    return Outcome(True)


def reset(user: User) -> None:
    """The operator's way out for a user who lost both the phone and the recovery codes
    (`flask users two-factor-off`): off, whatever the role; a role that must use it sets it
    up again at the next login (flushes, audits)."""
    if user.two_factor_enabled:
        _turn_off(user, actor=None, by_operator=True)


def _turn_off(user: User, *, actor: User | None, by_operator: bool = False) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_all_sessions(user)
    data: dict[str, object] = {"tokens_revoked": revoke_tokens(user)}
    if by_operator:
        data["by_operator"] = True
    audit.record("user.two_factor_disabled", user, actor=actor, data=data)
