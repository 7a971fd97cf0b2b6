"""What a page computed from the matching data, kept until that data changes.

The engine's view of a region (who fits which period) takes a problem of the whole region's
windows to compute, and the region coordinator's overview shows it on every view. Between two
changes of the data every view would compute the same thing, so it is computed once per
version of the data and kept in the process (``VersionedCache``).

The version is a random token in ``data_versions``, drawn anew in the same transaction as
every commit that changed a table the engine reads: every table but those listed in
``UNRELATED_TABLES`` (accounts, notifications, audit records, run records...). A listener on
the session, not the services, notices the change (a flush of such an object, or an INSERT,
UPDATE or DELETE statement on such a table), so no service can forget it: a table added later
counts as matching data until it is listed here. The token is random rather than a counter so
that a rolled-back transaction, which puts the old token back with the old data, can never
leave two different states of the data under one token. A session that has changed matching
data and not committed yet does not use the cache: it must see its own changes.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from .extensions import db
from .models import DataVersion

MATCHING = "matching"
# Tables whose changes never change what the engine reads, the order of a waiting list or
# the statistics (a run counts: the statistics read its summary).
UNRELATED_TABLES = frozenset(
    {
        "api_tokens",
        "audit_events",
        "data_versions",
        "email_digests",
        "email_tokens",
        "login_attempts",
        "matching_run_data",
        "notifications",
        "recovery_codes",
        "run_blocking_pairs",
        "run_gp_reasons",
        "run_regions",
        "subscriptions",
        "trust_webhooks",
        "user_municipalities",
        "users",
        "webhook_deliveries",
    }
)
_CHANGED = "matching_data_changed"

T = TypeVar("T")


def _matters(table_name: str | None) -> bool:
    return table_name is None or table_name not in UNRELATED_TABLES


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(_CHANGED):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if _matters(getattr(type(obj), "__tablename__", None)):
            session.info[_CHANGED] = True
            return


def _on_execute(state: ORMExecuteState) -> None:
    if state.session.info.get(_CHANGED) or not (
        state.is_insert or state.is_update or state.is_delete
    ):
        return
    table = getattr(state.statement, "table", None)
    if _matters(getattr(table, "name", None)):
        state.session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    token = secrets.token_hex(16)
    changed = session.execute(
        sa.update(DataVersion).where(DataVersion.name == MATCHING).values(token=token)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.add(DataVersion(name=MATCHING, token=token))
        session.flush()


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole unit of work ended: committed or rolled back
        session.info.pop(_CHANGED, None)


def listen() -> None:
    """Watch every session for changes to the matching data (once per process)."""
    for name, function in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not sa.event.contains(Session, name, function):
            sa.event.listen(Session, name, function)


def current() -> str | None:
    """The token of the matching data as this transaction sees it; None when this session
    has changed the data and not committed (nothing computed before applies to it)."""
    if db.session.info.get(_CHANGED):
        return None
    return db.session.scalar(sa.select(DataVersion.token).where(DataVersion.name == MATCHING))


class VersionedCache:
    """Values computed from the matching data, per key and data version, in this process;
    the ``size`` most recently used are kept. Keep plain values (ids, numbers), never
    objects of a session."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        token = current()
        if token is None:
            return compute()
        full = (token, *key)
        with self._lock:
            if full in self._values:
                self._values.move_to_end(full)
                return self._values[full]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._values[full] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
