"""People: user accounts, GP profiles, and the login-attempt log used for throttling."""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .reference import Municipality, Region, Trust
from .types import UTCDateTime, one_of, utcnow

ROLES = ("gp", "trust", "coordinator", "admin", "municipality")
# The roles that work for trusts and regions (GPs register themselves): they may turn on
# two-factor authentication, and TWO_FACTOR_REQUIRED_ROLES can make some of them.
STAFF_ROLES = ("trust", "coordinator", "admin", "municipality")
SCHEMES = ("new", "old")
LOCALES = ("nb", "nn", "en")
# How a user gets the messages about their own matters (proposals, offers, runs).
MESSAGE_CHANNELS = ("email", "inbox")
MESSAGE_FREQUENCIES = ("immediate", "daily", "weekly")
# Hospital months each scheme requires (domain.md: new scheme 6, old scheme 12).
SCHEME_MONTHS = {"new": 6, "old": 12}


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES, "role"),
        one_of("locale", LOCALES, "locale"),
        # Emails are unique case-insensitively: stored lower-case, and the database checks it.
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.CheckConstraint(
            "(role = 'trust' AND trust_id IS NOT NULL AND region_id IS NULL)"
            " OR (role = 'coordinator' AND trust_id IS NULL)"
            " OR (role IN ('gp', 'admin', 'municipality') AND trust_id IS NULL"
            " AND region_id IS NULL)",
            name="role_scope",
        ),
        one_of("message_channel", MESSAGE_CHANNELS, "message_channel"),
        one_of("message_frequency", MESSAGE_FREQUENCIES, "message_frequency"),
        # Two-factor authentication is on exactly when there is a secret; a used time step
        # only with a secret.
        sa.CheckConstraint(
            "(totp_secret_encrypted IS NULL AND totp_enabled_at IS NULL"
            " AND totp_last_step IS NULL)"
            " OR (totp_secret_encrypted IS NOT NULL AND totp_enabled_at IS NOT NULL)",
            name="two_factor_whole",
        ),
        # An erased account (app.privacy.erase) never logs in again.
        sa.CheckConstraint("erased_at IS NULL OR active = false", name="erased_inactive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="nb")
    # Part of the session id: rotating it logs the user out everywhere.
    session_nonce: Mapped[str] = mapped_column(sa.String(32), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_channel: Mapped[str] = mapped_column(
        sa.String(10), default="email", server_default="email"
    )
    message_frequency: Mapped[str] = mapped_column(
        sa.String(10), default="immediate", server_default="immediate"
    )
    # The private calendar feed: only the SHA-256 of its secret is kept (None: no feed).
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    calendar_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every manage-your-email link sent to the user: a new value ends the old links.
    manage_link_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    # When the user proved they read mail at ``email`` (a link sent to it); None: not yet.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor authentication (app/auth/two_factor.py): the TOTP secret, encrypted with a
    # key derived from SECRET_KEY; when it was turned on; the last time step whose code was
    # accepted (a code is accepted once).
    totp_secret_encrypted: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]
    # When the person erased the account (app.privacy.erase): the row stays, without the
    # person, so that placements and audit events keep pointing at someone.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trust: Mapped[Trust | None] = relationship()
    region: Mapped[Region | None] = relationship()
    gp: Mapped[GP | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="GP.user_id"
    )
    # A municipality user's scope (role municipality): the municipalities they speak for.
    municipalities: Mapped[list[Municipality]] = relationship(
        secondary="user_municipalities", order_by="Municipality.name"
    )

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def display_name(self) -> str:
        return self.gp.name if self.gp else self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class GP(db.Model):
    """The profile of a GP in specialist training (ALIS)."""

    __tablename__ = "gps"
    __table_args__ = (
        one_of("scheme", SCHEMES, "scheme"),
        sa.CheckConstraint("length(hpr_number) BETWEEN 7 AND 9", name="hpr_number_length"),
        sa.CheckConstraint("months_general_practice >= 0", name="months_gp_nonnegative"),
        sa.CheckConstraint("courses_completed >= 0", name="courses_nonnegative"),
        sa.CheckConstraint("supervision_group_months >= 0", name="supervision_nonnegative"),
        sa.CheckConstraint(
            "municipality_priority IS NULL OR municipality_priority BETWEEN 1 AND 9999",
            name="municipality_priority_range",
        ),
        # A verification is whole: the verified value, who and when, or none of them.
        *(
            sa.CheckConstraint(
                f"({m}_verified IS NULL AND {m}_verified_by_id IS NULL AND {m}_verified_at IS NULL)"
                f" OR ({m}_verified >= 0 AND {m}_verified_by_id IS NOT NULL"
                f" AND {m}_verified_at IS NOT NULL)",
                name=f"{short}_verification_whole",
            )
            for m, short in (
                ("months_general_practice", "months_gp"),
                ("courses_completed", "courses"),
                ("supervision_group_months", "supervision"),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    hpr_number: Mapped[str] = mapped_column(sa.String(9), unique=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    specialisation_started: Mapped[date | None]
    months_general_practice: Mapped[int] = mapped_column(default=0)
    courses_completed: Mapped[int] = mapped_column(default=0)
    supervision_group_months: Mapped[int] = mapped_column(default=0)
    scheme: Mapped[str] = mapped_column(sa.String(5), default="new")
    # When the municipality registered the GP for hospital service (Vestre Viken's priority).
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The municipality's own priority among its GPs (1 first; None: not stated), set by a
    # municipality user; the engine's priority key municipality_priority.
    municipality_priority: Mapped[int | None]
    # Verified progress measures (issue 19): the value a municipality user or a coordinator
    # verified, who and when (app/gps/verification.py). The declared value above is the GP's.
    months_general_practice_verified: Mapped[int | None]
    months_general_practice_verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id")
    )
    months_general_practice_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    courses_completed_verified: Mapped[int | None]
    courses_completed_verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    courses_completed_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervision_group_months_verified: Mapped[int | None]
    supervision_group_months_verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id")
    )
    supervision_group_months_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="gp", foreign_keys=[user_id])
    municipality: Mapped[Municipality] = relationship()

    @property
    def hospital_months_needed(self) -> int:
        return SCHEME_MONTHS[self.scheme]

    @property
    def home_trust(self) -> Trust | None:
        return self.municipality.trust


class UserMunicipality(db.Model):
    """A municipality user's scope: one row per municipality they speak for."""

    __tablename__ = "user_municipalities"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipalities.id"), primary_key=True, index=True
    )


class LoginAttempt(db.Model):
    """One login attempt; failures in a recent window throttle an account and an address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "at"),
        sa.Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


EMAIL_TOKEN_PURPOSES = ("password_reset", "email_verification")


class EmailToken(db.Model):
    """A single-use secret sent by email (password reset, address verification). Only its
    SHA-256 is kept; it binds the address it was sent to, expires, and is spent once. The
    database keeps at most one unspent token per user and purpose: asking for a new one
    ends the old."""

    __tablename__ = "email_tokens"
    __table_args__ = (
        one_of("purpose", EMAIL_TOKEN_PURPOSES, "purpose"),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.CheckConstraint(
            "spent_at IS NULL OR spent_at >= created_at", name="spent_after_creation"
        ),
        sa.Index(
            "uq_email_tokens_one_unspent",
            "user_id",
            "purpose",
            unique=True,
            sqlite_where=sa.text("spent_at IS NULL"),
            postgresql_where=sa.text("spent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The address the link went to: a verification only counts for that address.
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Used, or ended by a newer token, a password change or a disabled account.
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that stands in for a two-factor code (a lost phone). Only its
    SHA-256 is kept: the codes have enough entropy that a slow hash adds nothing."""

    __tablename__ = "recovery_codes"
    __table_args__ = (
        sa.CheckConstraint("used_at IS NULL OR used_at >= created_at", name="used_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
