"""The plain data notifications work on: who receives a message, the facts it is about, and
the message itself. The app builds these from its models; nothing here knows a database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Recipient:
    """A user who receives messages. ``channel`` and ``frequency`` are their own choice for
    messages about their own matters ("email" or "inbox"; "immediate", "daily", "weekly")."""

    id: int
    email: str
    locale: str
    channel: str
    frequency: str
    active: bool


@dataclass(frozen=True)
class PeriodFacts:
    """A hospital period. ``specialty`` names its department's specialty in each language."""

    id: int
    department: str
    trust: str
    start: date
    end: date
    specialty: Mapping[str, str]
    on_call: bool


@dataclass(frozen=True)
class MatchFacts:
    """A match between a GP and a period; ``status`` as the app records it."""

    id: int
    period: PeriodFacts
    gp_name: str
    status: str
    accept_by: date | None
    decline_reason: str | None = None  # the GP's own words, when it declined with a reason
    gp_id: int | None = None


@dataclass(frozen=True)
class AvailabilityFacts:
    """A GP's availability window, without the GP's name. ``specialties``: the wished ones,
    each named in every language, in the GP's order."""

    id: int
    earliest_start: date
    latest_end: date
    months: int
    specialties: tuple[Mapping[str, str], ...]
    accept_other_specialty: bool
    municipality: str


@dataclass(frozen=True)
class Message:
    """One message as worded for one recipient: ``kind`` and ``data`` are for machines (the
    API), ``link`` a path on the site (or an absolute URL). ``key`` and ``params`` let
    ``wording.render`` word it again in another language (None: worded by its caller, kept
    as it is)."""

    kind: str
    subject: str
    body: str
    link: str | None = None
    data: dict[str, Any] | None = None
    key: str | None = None
    params: dict[str, Any] | None = None
