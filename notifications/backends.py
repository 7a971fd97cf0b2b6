"""Where emails go: an SMTP server (production), the console (development), or a list in
memory (tests that need no server). Each backend is a context manager holding one connection
for a batch of messages."""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage

from .settings import DeliverySettings

# The memory backend's mailbox (tests only).
memory_outbox: list[EmailMessage] = []


class DeliveryError(Exception):
    """A message could not be sent. ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


class SmtpBackend:
    """SMTP with optional STARTTLS and login (SMTP_HOST, SMTP_PORT, SMTP_STARTTLS,
    SMTP_USERNAME, SMTP_PASSWORD, SMTP_TIMEOUT)."""

    def __init__(self, settings: DeliverySettings):
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.timeout = settings.smtp_timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpBackend:
        try:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                connection.starttls(context=ssl.create_default_context())
            if self.username:
                connection.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(_describe(error)) from error
        self.connection = connection
        return self

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            raise DeliveryError("not connected")
        try:
            self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(_describe(error), permanent=all(c >= 500 for c in codes)) from error
        except smtplib.SMTPDataError as error:
            raise DeliveryError(_describe(error), permanent=error.smtp_code >= 500) from error
        except smtplib.SMTPServerDisconnected as error:
            self.connection = None
            raise DeliveryError(_describe(error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(_describe(error)) from error

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


class ConsoleBackend:
    """Writes each message to standard output (development)."""

    def __init__(self, settings: DeliverySettings):
        self.stream = sys.stdout

    def __enter__(self) -> ConsoleBackend:
        return self

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        lines = [f"{k}: {v}" for k, v in message.items() if k != "Content-Type"]
        content = text.get_content() if text else ""
        print("\n".join([*lines, "", content, "-" * 72]), file=self.stream)
        self.stream.flush()

    def __exit__(self, *exc) -> None:
        pass


class MemoryBackend:
    """Appends each message to ``memory_outbox`` (tests)."""

    def __init__(self, settings: DeliverySettings):
        pass

    def __enter__(self) -> MemoryBackend:
        return self

    def send(self, message: EmailMessage) -> None:
        memory_outbox.append(message)

    def __exit__(self, *exc) -> None:
        pass


BACKENDS = {"smtp": SmtpBackend, "console": ConsoleBackend, "memory": MemoryBackend}


def backend_for(settings: DeliverySettings):
    """The backend MAIL_BACKEND names."""
    name = settings.backend
    if name not in BACKENDS:
        raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return BACKENDS[name](settings)
