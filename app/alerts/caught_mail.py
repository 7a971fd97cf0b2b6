"""Emails caught in development: `python3 dev.py run` points the app's SMTP settings at a
local mail catcher that writes every message it receives to CAUGHT_MAIL_DIR, one ``.eml``
file each, named by the moment it arrived (so the names sort oldest first). These functions
read them back for the administrators' page; without CAUGHT_MAIL_DIR there is nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import current_app

from app.paging import Page, page_of_list

# What the catcher names a file (dev.py, MailCatcher): UTC time to the microsecond, a random
# suffix. Any other name is not a caught email (and never a path outside the folder).
NAME = re.compile(r"^\d{8}T\d{12}-[0-9a-f]{8}$")
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class CaughtSummary:
    name: str
    to: str
    subject: str
    sent: datetime | None


@dataclass(frozen=True)
class CaughtEmail:
    name: str
    headers: list[tuple[str, str]]
    subject: str
    text: str
    html: str | None
    links: list[str]


def folder() -> Path | None:
    """The catcher's folder, when this app runs with one (development; never production)."""
    configured = current_app.config.get("CAUGHT_MAIL_DIR")
    if not configured or current_app.config["ENV_NAME"] == "production":
        return None
    return Path(configured)


def _sent(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def caught(page: int, per_page: int) -> Page[CaughtSummary]:
    """Page ``page`` (from 1) of the caught emails, newest first. Only the page's files are
    read, and only their headers."""
    where = folder()
    if where is None or not where.is_dir():
        return page_of_list([], 1, per_page)
    names = sorted(
        (p.stem for p in where.glob("*.eml") if NAME.match(p.stem)),
        reverse=True,
    )
    shown = page_of_list(names, page, per_page)
    summaries = []
    for name in shown.items:
        with open(where / f"{name}.eml", "rb") as f:
            headers = BytesHeaderParser(policy=default_policy).parse(f)
        summaries.append(
            CaughtSummary(
                name=name,
                to=str(headers.get("To", "")),
                subject=str(headers.get("Subject", "")),
                sent=_sent(headers.get("Date")),
            )
        )
    return Page(
        items=summaries,
        page=shown.page,
        pages=shown.pages,
        total=shown.total,
        per_page=shown.per_page,
    )


def read(name: str) -> CaughtEmail | None:
    """One caught email, or None if ``name`` names none."""
    where = folder()
    if where is None or not NAME.match(name) or not (where / f"{name}.eml").is_file():
        return None
    message = message_from_bytes((where / f"{name}.eml").read_bytes(), policy=default_policy)
    if not isinstance(message, EmailMessage):  # the default policy always makes one
        return None
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    text = text_part.get_content() if text_part is not None else ""
    shown = ("From", "To", "Subject", "Date", "Content-Language", "Message-ID", "List-Unsubscribe")
    return CaughtEmail(
        name=name,
        headers=[(key, str(message[key])) for key in shown if message[key] is not None],
        subject=str(message.get("Subject", "")),
        text=text,
        html=html_part.get_content() if html_part is not None else None,
        links=list(dict.fromkeys(URL.findall(text))),
    )
