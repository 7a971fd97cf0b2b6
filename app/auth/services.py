"""Account rules: creating users, registering GPs, authenticating with throttling.

Services change state and flush; the caller commits once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.errors import BrokenRule, Conflict, NotFound
from app.extensions import db
from app.models import GP, ApiToken, EmailToken, LoginAttempt, Municipality, Region, Trust, User
from app.models.types import utcnow
from app.models.users import ROLES, new_session_nonce

from .passwords import hash_password, needs_rehash, verify_password

# Verified against when the email is unknown, so that the response time does not tell
# whether an account exists.
_DUMMY_HASH: str | None = None


class AccountError(BrokenRule):
    """A rule about accounts or profiles was broken on input ``field`` (words:
    app.catalogue). An email or HPR number that is taken is a conflict (409); the rest is
    wrong input (422)."""

    def __init__(self, field: str, code: str):
        super().__init__(code, field=field)
        taken = code in ("email_taken", "hpr_taken")
        self.status = 409 if taken else 422
        self.api_code = None if taken else "validation_failed"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    password: str,
    role: str,
    *,
    trust: Trust | None = None,
    region: Region | None = None,
    municipalities: list[Municipality] | None = None,
    locale: str = "nb",
    actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """Add a user (flushes); the email must be new. ``password_hash``: the password's hash
    made once already (the demo loaders give every demo login the same password). A
    municipality user speaks for one or more ``municipalities``."""
    if role not in ROLES:
        raise AccountError("role", "unknown_role")
    if role == "municipality" and not municipalities:
        raise AccountError("municipalities", "municipality_needed")
    if role != "municipality" and municipalities:
        raise AccountError("municipalities", "municipalities_for_municipality_users_only")
    if role == "trust" and trust is None:
        raise AccountError("trust", "trust_needed")
    if role != "trust" and trust is not None:
        raise AccountError("trust", "trust_for_staff_only")
    if role != "coordinator" and region is not None:
        raise AccountError("region", "region_for_coordinators_only")
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise AccountError("email", "email_taken")
    user = User(
        email=email,
        password_hash=password_hash or hash_password(password),
        role=role,
        trust=trust,
        region=region,
        locale=locale,
        municipalities=list(municipalities or []),
    )
    db.session.add(user)
    db.session.flush()
    data: dict = {"role": role, "email": email}
    if municipalities:
        data["municipalities"] = sorted(m.number for m in municipalities)
    audit.record("user.created", user, actor=actor, data=data)
    return user


def set_user_municipalities(
    user: User, municipalities: list[Municipality], *, actor: User | None
) -> dict[str, list]:
    """Change the municipalities a municipality user speaks for (at least one); audited as
    user.municipalities_changed with the numbers before and after. Flushes."""
    if user.role != "municipality":
        raise AccountError("municipalities", "municipalities_for_municipality_users_only")
    if not municipalities:
        raise AccountError("municipalities", "municipality_needed")
    before = sorted(m.number for m in user.municipalities)
    after = sorted({m.number for m in municipalities})
    if before == after:
        return {}
    user.municipalities = sorted(set(municipalities), key=lambda m: m.number)
    db.session.flush()
    change = {"municipalities": [before, after]}
    audit.record("user.municipalities_changed", user, actor=actor, data=change)
    return change


@dataclass(frozen=True)
class GPRegistration:
    email: str
    password: str
    name: str
    hpr_number: str
    municipality_id: int
    specialisation_started: date | None
    months_general_practice: int
    courses_completed: int
    supervision_group_months: int
    scheme: str
    locale: str = "nb"


def register_gp(data: GPRegistration, *, password_hash: str | None = None) -> GP:
    """Create a GP's user and profile (flushes); ``password_hash`` as for create_user."""
    municipality = db.session.get(Municipality, data.municipality_id)
    if municipality is None:
        raise AccountError("municipality_id", "unknown_municipality")
    if db.session.scalar(sa.select(GP.id).where(GP.hpr_number == data.hpr_number)):
        raise AccountError("hpr_number", "hpr_taken")
    user = create_user(
        data.email, data.password, "gp", locale=data.locale, password_hash=password_hash
    )
    gp = GP(
        user=user,
        name=data.name.strip(),
        hpr_number=data.hpr_number,
        municipality=municipality,
        specialisation_started=data.specialisation_started,
        months_general_practice=data.months_general_practice,
        courses_completed=data.courses_completed,
        supervision_group_months=data.supervision_group_months,
        scheme=data.scheme,
    )
    db.session.add(gp)
    db.session.flush()
    audit.record("gp.registered", gp, actor=user)
    return gp


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    wait_minutes: int = 0  # > 0 when throttled
    # The password is right, but the user has two-factor authentication on: the login is
    # not done (nor counted as a success) until a code is right (app/auth/two_factor.py).
    code_needed: bool = False

    @property
    def throttled(self) -> bool:
        return self.wait_minutes > 0


def _window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _minutes_until_free(failures: list[datetime], limit: int, now: datetime) -> int:
    """Minutes until fewer than ``limit`` of ``failures`` (newest first) lie in the window."""
    if len(failures) < limit:
        return 0
    oldest_counted = failures[limit - 1]
    free_at = oldest_counted + timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    return max(1, math.ceil((free_at - now).total_seconds() / 60))


def _pair_wait_minutes(email: str, address: str, now: datetime) -> int:
    """The lock of one account from one address: after LOGIN_MAX_FAILURES_PER_ACCOUNT
    failures since its last success (within a day), a wait of LOGIN_WINDOW_MINUTES that
    doubles with every further batch of failures (at most a day). Failures from another
    address do not count, so an attacker cannot lock the owner out."""
    limit = current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    window = current_app.config["LOGIN_WINDOW_MINUTES"]
    last_success = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email,
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(True),
        )
    )
    since = now - timedelta(days=1)
    start = max(since, last_success) if last_success else since
    failures = db.session.scalars(
        sa.select(LoginAttempt.at)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > start,
        )
        .order_by(LoginAttempt.at.desc())
        .limit(limit * 8)
    ).all()
    if len(failures) < limit:
        return 0
    lock = min(window * 2 ** ((len(failures) - limit) // limit), 24 * 60)
    free_at = failures[limit - 1] + timedelta(minutes=lock)  # the latest batch's first
    return max(0, math.ceil((free_at - now).total_seconds() / 60))


def login_wait_minutes(email: str, address: str, now: datetime | None = None) -> int:
    """How long this account must wait before trying again from this address, or this
    address before trying any account (0: go ahead)."""
    now = now or utcnow()
    since = _window_start(now)
    address_failures = db.session.scalars(
        sa.select(LoginAttempt.at)
        .where(
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
        )
        .order_by(LoginAttempt.at.desc())
        .limit(current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    ).all()
    return max(
        _pair_wait_minutes(email, address, now),
        _minutes_until_free(
            list(address_failures), current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"], now
        ),
    )


# Self-registrations and password-reset requests are counted per client address in the
# login-attempt log, under a marker that is never an account's email (it has no @) and as
# succeeded, so that they never count as failed logins.
REGISTRATION_MARK = "(registration)"
PASSWORD_RESET_MARK = "(password reset)"


def _requests_wait_minutes(mark: str, address: str, limit: int, now: datetime | None) -> int:
    """How long ``address`` must wait before another request counted under ``mark``."""
    now = now or utcnow()
    window = current_app.config["REGISTRATION_WINDOW_MINUTES"]
    recent = db.session.scalars(
        sa.select(LoginAttempt.at)
        .where(
            LoginAttempt.email == mark,
            LoginAttempt.address == address[:64],
            LoginAttempt.at > now - timedelta(minutes=window),
        )
        .order_by(LoginAttempt.at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return 0
    free_at = recent[limit - 1] + timedelta(minutes=window)
    return max(1, math.ceil((free_at - now).total_seconds() / 60))


def _record_request(mark: str, address: str) -> None:
    db.session.add(LoginAttempt(email=mark, address=address[:64], succeeded=True))
    db.session.flush()


def registration_wait_minutes(address: str, now: datetime | None = None) -> int:
    """How long ``address`` must wait before another self-registration (0: go ahead)."""
    limit = current_app.config["REGISTRATION_MAX_PER_ADDRESS"]
    return _requests_wait_minutes(REGISTRATION_MARK, address, limit, now)


def record_registration_attempt(address: str) -> None:
    """Count one self-registration attempt from ``address`` (flushes)."""
    _record_request(REGISTRATION_MARK, address)


def password_reset_wait_minutes(address: str, now: datetime | None = None) -> int:
    """How long ``address`` must wait before asking for another reset link (0: go ahead)."""
    limit = current_app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
    return _requests_wait_minutes(PASSWORD_RESET_MARK, address, limit, now)


def record_password_reset_request(address: str) -> None:
    """Count one request for a reset link from ``address`` (flushes)."""
    _record_request(PASSWORD_RESET_MARK, address)


def authenticate(email: str, password: str, address: str) -> LoginResult:
    """Check credentials unless throttled; a failure is recorded, and so is a success once
    the login is whole (with two-factor on, after the code: app/auth/two_factor.py) (flushes)."""
    global _DUMMY_HASH
    email = normalise_email(email)[:254]
    wait = login_wait_minutes(email, address)
    if wait:
        return LoginResult(None, wait_minutes=wait)
    user = get_user_by_email(email)
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        verify_password(_DUMMY_HASH, password)
        ok = False
    else:
        ok = user.active and verify_password(user.password_hash, password)
    if user is None or not ok:
        record_login_attempt(email, address, succeeded=False)
        return LoginResult(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.two_factor_enabled:
        # Not a success yet: a success would reset the account's count of failures, and
        # the codes that follow must count against the same lock.
        db.session.flush()
        return LoginResult(user, code_needed=True)
    login_succeeded(user, address)
    return LoginResult(user)


def record_login_attempt(email: str, address: str, *, succeeded: bool) -> None:
    """Count one login attempt, of a password or of a two-factor code (flushes)."""
    db.session.add(
        LoginAttempt(email=normalise_email(email)[:254], address=address[:64], succeeded=succeeded)
    )
    db.session.flush()


def login_succeeded(user: User, address: str) -> None:
    """The whole login is right: count the success and note the time (flushes)."""
    user.last_login_at = utcnow()
    record_login_attempt(user.email, address, succeeded=True)


def end_all_sessions(user: User) -> None:
    """Invalidate every session of ``user`` (logout, password change)."""
    user.session_nonce = new_session_nonce()


def revoke_tokens(user: User) -> int:
    """End every live API token of ``user`` (flushes); returns how many."""
    now = utcnow()
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    db.session.flush()
    return len(tokens)


def end_links(user: User, purpose: str | None = None) -> None:
    """Spend every unspent link of ``user`` (of one kind, or all) (flushes)."""
    query = sa.update(EmailToken).where(
        EmailToken.user_id == user.id, EmailToken.spent_at.is_(None)
    )
    if purpose is not None:
        query = query.where(EmailToken.purpose == purpose)
    db.session.execute(query.values(spent_at=utcnow()))
    db.session.flush()


def change_password(user: User, new_password: str) -> None:
    """A new password ends every browser session, every API token (a token would otherwise
    outlive the password that was given to get it) and every reset link of the user."""
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    revoked = revoke_tokens(user)
    end_links(user, "password_reset")
    audit.record("user.password_changed", user, actor=user, data={"tokens_revoked": revoked})


def active_tokens(user: User) -> list[ApiToken]:
    """The user's API tokens that still work, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > utcnow(),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """End one of the user's working tokens (flushes); another's, or one that no longer
    works, is not found."""
    token = next((t for t in active_tokens(user) if t.id == token_id), None)
    if token is None:
        raise NotFound("token")
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record("user.token_revoked", user, data={"token_id": token.id})
    return token


def set_active(user: User, active: bool, *, actor: User | None) -> None:
    """Disable or enable an account (an administrator's decision, flushes). A disabled
    account is logged out everywhere, its API tokens and emailed links end, and it cannot
    log in until enabled again. Nobody disables their own account (there would be no one
    left to enable it, in the worst case). ``actor`` None: the command line."""
    if actor is not None and user.id == actor.id and not active:
        raise Conflict("cannot_disable_self")
    if user.active == active:
        return
    user.active = active
    data: dict[str, int] = {}
    if not active:
        end_all_sessions(user)
        data["tokens_revoked"] = revoke_tokens(user)
        end_links(user)
    audit.record("user.enabled" if active else "user.disabled", user, actor=actor, data=data)
