"""The settings notifications need, read once from the app's configuration. Every default
lives in the app's configuration, not here: a missing key is an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeliverySettings:
    mail_from: str  # the From address (MAIL_FROM)
    message_id_domain: str | None  # None: the domain of mail_from
    backend: str  # smtp, console or memory (MAIL_BACKEND)
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str | None
    smtp_password: str | None = field(repr=False)
    smtp_timeout: float
    retry_seconds: float  # the wait after the first failure; doubled after each one
    max_attempts: int  # failures before an email is parked
    claim_seconds: float  # a sender's lease on the emails it claimed
    batch_size: int  # emails claimed at a time
    timezone: str  # for digests' due times
    digest_hour: int  # local hour at which digests are due

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> DeliverySettings:
        """The settings from a Flask-style configuration (MAIL_*, SMTP_*, DIGEST_HOUR,
        TIMEZONE)."""
        return cls(
            mail_from=config["MAIL_FROM"],
            message_id_domain=config["MAIL_MESSAGE_ID_DOMAIN"],
            backend=config["MAIL_BACKEND"],
            smtp_host=config["SMTP_HOST"],
            smtp_port=int(config["SMTP_PORT"]),
            smtp_starttls=bool(config["SMTP_STARTTLS"]),
            smtp_username=config["SMTP_USERNAME"],
            smtp_password=config["SMTP_PASSWORD"],
            smtp_timeout=float(config["SMTP_TIMEOUT"]),
            retry_seconds=float(config["MAIL_RETRY_SECONDS"]),
            max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
            claim_seconds=float(config["MAIL_CLAIM_SECONDS"]),
            batch_size=int(config["MAIL_BATCH_SIZE"]),
            timezone=config["TIMEZONE"],
            digest_hour=int(config["DIGEST_HOUR"]),
        )
