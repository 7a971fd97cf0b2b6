"""A real SMTP server for tests (aiosmtpd, in this process, on 127.0.0.1) and the
``mailbox`` fixture that points the app's mail settings at it."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

BASE_URL = "https://alis.example.no"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps what it receives; ``refuse`` answers RCPT 550."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox(app, monkeypatch):
    box = Mailbox()
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": box.port,
        "SMTP_STARTTLS": False,
        "SMTP_USERNAME": None,
        "SMTP_TIMEOUT": 5,
        "BASE_URL": BASE_URL,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    box.start()
    yield box
    box.stop()
