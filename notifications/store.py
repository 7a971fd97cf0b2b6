"""Where the outbox is kept: the interface notifications needs, which the app implements on
its database (one table of notifications, which are also the inbox, and one of digests).

The store only runs statements; notifications says when a transaction ends (``commit``), so
that the rules of delivery (a claim in a transaction of its own, one commit per message sent)
are written once, in ``notifications.delivery``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .data import Recipient

# The two kinds of email in the outbox: a notification's own, and a digest of several.
NOTIFICATION = "notification"
DIGEST = "digest"


@dataclass(frozen=True)
class NewNotification:
    """A notification to add, with its email's plan (see ``queueing.email_plan``)."""

    recipient_id: int
    kind: str
    subject: str
    body: str
    link: str | None
    data: dict[str, Any] | None
    created_at: datetime
    email_status: str  # none, pending or digest
    digest_frequency: str | None
    next_attempt_at: datetime | None
    message_id: str
    dedupe_key: str | None
    key: str | None = None  # wording.render's key and parameters (None: keep the text)
    params: dict[str, Any] | None = None


@dataclass(frozen=True)
class Item:
    """A notification as an email shows it: the stored words, and the key and parameters
    that word it again in the recipient's language when the email is built."""

    subject: str
    body: str
    link: str | None
    created_at: datetime
    key: str | None = None
    params: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutboxEmail:
    """An email claimed for sending: a notification's (one item) or a digest's (the items it
    gathered, oldest first; ``frequency`` daily or weekly)."""

    kind: str  # NOTIFICATION or DIGEST
    id: int
    message_id: str
    attempts: int
    recipient: Recipient
    items: tuple[Item, ...]
    frequency: str | None = None


@dataclass(frozen=True)
class DigestGroup:
    """The notifications one digest gathers: a recipient's, of one frequency and due time."""

    recipient_id: int
    frequency: str
    due: datetime


class OutboxStore(Protocol):
    def add(self, notification: NewNotification) -> Any:
        """Add to the current transaction (flush nothing); returns the app's record."""

    def commit(self) -> None:
        """End the current transaction."""

    def due_digest_groups(self, now: datetime) -> list[DigestGroup]:
        """The distinct groups of digest notifications due at ``now`` not yet in a digest."""

    def digest_for(self, group: DigestGroup, *, now: datetime, message_id: str) -> tuple[int, bool]:
        """The id of the group's digest email, created (pending, due ``now``, with
        ``message_id``) if missing, and whether it was created. One per recipient,
        frequency and due time, even when two senders make it at once."""

    def gather(self, group: DigestGroup, digest_id: int) -> None:
        """Put the group's notifications that are in no digest yet into the digest."""

    def anything_due(self, kind: str, now: datetime) -> bool:
        """Whether an email of ``kind`` is pending and due at ``now`` (a read only)."""

    def claim(self, kind: str, now: datetime, limit: int, until: datetime) -> list[int]:
        """Move up to ``limit`` due pending emails of ``kind`` (the earliest first) to
        ``until`` and return their ids, ascending. Rows another transaction is claiming are
        skipped, never waited for or claimed twice (``FOR UPDATE SKIP LOCKED``)."""

    def load(self, kind: str, ids: Sequence[int]) -> list[OutboxEmail]:
        """The emails of ``kind`` with these ids, by id, as stored now."""

    def mark_sent(self, kind: str, id: int, at: datetime) -> None:
        """The email went out at ``at``: sent, never due again."""

    def mark_retry(self, kind: str, id: int, *, attempts: int, error: str, at: datetime) -> None:
        """The email failed ``attempts`` times so far, the last with ``error``; try at
        ``at``."""

    def mark_parked(self, kind: str, id: int, *, attempts: int, error: str) -> None:
        """The email failed for good: parked for an administrator, never due by itself."""

    def requeue(self, kind: str, id: int, now: datetime) -> None:
        """A parked email is pending again, due ``now`` with no attempts (anything else is
        left alone)."""
