"""Configuration read from the environment (see ../shared/spec/api.md, Configuration)."""

from __future__ import annotations

import os


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    ENV_NAME = "production"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in by create_app
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    TIMEZONE = "Europe/Oslo"

    BABEL_DEFAULT_LOCALE = "nb"
    BABEL_DEFAULT_TIMEZONE = "Europe/Oslo"
    LANGUAGES = ("nb", "nn", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Email and the outbox: each setting once, with its default.
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None  # None: no login
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_TIMEOUT = 20.0  # seconds to wait for the SMTP server
    MAIL_FROM = "ALIS-portalen <no-reply@alis.example.no>"
    MAIL_BACKEND = "smtp"  # smtp, console (development) or memory (tests)
    MAIL_MESSAGE_ID_DOMAIN: str | None = None  # Message-IDs' domain; None: MAIL_FROM's domain
    MAIL_RETRY_SECONDS = 60.0  # the wait after a first failure, doubled after each (max 6 h)
    MAIL_MAX_ATTEMPTS = 8  # failures before an email is parked for an administrator
    MAIL_CLAIM_SECONDS = 300.0  # a sender's lease on claimed emails (a dead sender's expire)
    MAIL_BATCH_SIZE = 100  # emails one sender claims at a time
    DIGEST_HOUR = 7  # local hour of daily and weekly digests: before the working day starts
    OUTBOX_INTERVAL_SECONDS = 60  # the scheduler starts the delivery job this often
    OUTBOX_WATCH_SECONDS = 50.0  # the job keeps watching the outbox this long
    OUTBOX_POLL_SECONDS = 2.0  # ... with a look this often
    WEBHOOK_TIMEOUT_SECONDS = 10.0  # a trust's receiver must answer within this
    WEBHOOK_ALLOW_LOOPBACK = False  # http://127.0.0.1 webhooks (development and tests only)
    # The site's public address, for links in emails and feeds made outside a request.
    BASE_URL = "http://127.0.0.1:5000"
    SCHEDULER_ENABLED = False
    # Development: the folder where `dev.py run`'s mail catcher writes what it catches, for
    # the administrators' "Caught emails" page (None: no such page).
    CAUGHT_MAIL_DIR: str | None = None
    PROXY_FIX_X_FOR = 0  # reverse proxies in front of the app (X-Forwarded-For hops)

    # Login throttling. An account is locked from one address after this many failures from
    # that address (other addresses, the owner's, still get in), for LOGIN_WINDOW_MINUTES,
    # doubling with every further batch; an address is stopped after
    # LOGIN_MAX_FAILURES_PER_ADDRESS failures on any accounts in the window.
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    # Self-registration: at most this many accounts per client address in the window.
    REGISTRATION_WINDOW_MINUTES = 60
    REGISTRATION_MAX_PER_ADDRESS = 10
    # argon2id cost for new password hashes (older hashes are upgraded at the next login).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4
    API_TOKEN_HOURS = 12  # how long an API token lives
    # Links sent by email: a password reset works once within this many minutes, an address
    # confirmation within this many days. At most PASSWORD_RESET_MAX_PER_ADDRESS reset
    # requests per client address in REGISTRATION_WINDOW_MINUTES, and at most
    # EMAIL_LINKS_PER_HOUR links of one kind sent to one account in an hour.
    PASSWORD_RESET_MINUTES = 60
    PASSWORD_RESET_MAX_PER_ADDRESS = 5
    EMAIL_VERIFICATION_DAYS = 7
    EMAIL_LINKS_PER_HOUR = 3
    # Staff roles (trust, coordinator, admin) that must use two-factor authentication: a
    # user in one is sent to set it up before anything else, and gets no API token without
    # it. Any staff user may turn it on. Empty: nobody must (development, the demo).
    TWO_FACTOR_REQUIRED_ROLES: tuple[str, ...] = ()

    # The matching engine's time limit for one region's problem, in seconds.
    MATCHING_TIME_LIMIT_S = 60.0
    # On SQLite, a run still marked running after this many minutes has stopped without
    # finishing (its process was killed). A run takes minutes: a few regions at
    # MATCHING_TIME_LIMIT_S each. PostgreSQL knows at once, from the run's advisory lock.
    RUN_STALE_MINUTES = 60

    # Days a manage-your-email link in an email works (the user can end them sooner).
    MANAGE_LINK_DAYS = 180

    # Data protection (app.privacy): a matching run is reduced to its counts once this many
    # months have passed since both its date and the end of the last period in its problem
    # (the candidate lists are destroyed after use, as Ahus does).
    RUN_RETENTION_MONTHS = 12
    # Audit events are deleted this many years after they happened: a specialisation takes
    # about five years, and a placement decision must be traceable (complaints, the
    # specialist approval's documentation of hospital service) until it is done.
    AUDIT_RETENTION_YEARS = 5

    # The JSON API's OpenAPI document (flask-smorest).
    API_TITLE = "ALIS-portalen API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_JSON_PATH = "openapi.json"  # under the API's prefix, /api/v1

    @classmethod
    def from_environment(cls) -> dict:
        env = os.environ
        values: dict = {}
        if env.get("SECRET_KEY"):
            values["SECRET_KEY"] = env["SECRET_KEY"]
        if env.get("DATABASE_URL"):
            values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
        if env.get("TIMEZONE"):
            values["TIMEZONE"] = env["TIMEZONE"]
            values["BABEL_DEFAULT_TIMEZONE"] = env["TIMEZONE"]
        for key in (
            "SMTP_HOST",
            "SMTP_USERNAME",
            "SMTP_PASSWORD",
            "MAIL_FROM",
            "MAIL_BACKEND",
            "BASE_URL",
            "CAUGHT_MAIL_DIR",
        ):
            if env.get(key):
                values[key] = env[key]
        if env.get("SMTP_PORT"):
            values["SMTP_PORT"] = int(env["SMTP_PORT"])
        if "SMTP_STARTTLS" in env:
            values["SMTP_STARTTLS"] = _bool(env["SMTP_STARTTLS"])
        if env.get("PROXY_FIX_X_FOR"):
            values["PROXY_FIX_X_FOR"] = int(env["PROXY_FIX_X_FOR"])
        if "SCHEDULER_ENABLED" in env:
            values["SCHEDULER_ENABLED"] = _bool(env["SCHEDULER_ENABLED"])
        for key in ("RUN_RETENTION_MONTHS", "AUDIT_RETENTION_YEARS"):
            if env.get(key):
                values[key] = _positive(key, env[key])
        if "TWO_FACTOR_REQUIRED_ROLES" in env:
            values["TWO_FACTOR_REQUIRED_ROLES"] = _staff_roles(env["TWO_FACTOR_REQUIRED_ROLES"])
        return values


def _positive(name: str, value: str) -> int:
    """A whole number of at least 1; anything else stops the start."""
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number


def _staff_roles(value: str) -> tuple[str, ...]:
    """A comma-separated list of staff roles; anything else stops the start."""
    from app.models.users import STAFF_ROLES

    roles = tuple(dict.fromkeys(r.strip().lower() for r in value.split(",") if r.strip()))
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        raise RuntimeError(
            f"TWO_FACTOR_REQUIRED_ROLES may name {', '.join(STAFF_ROLES)}, not {', '.join(unknown)}"
        )
    return roles


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_BACKEND = "console"
    WEBHOOK_ALLOW_LOOPBACK = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_BACKEND = "memory"
    WEBHOOK_ALLOW_LOOPBACK = True


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
