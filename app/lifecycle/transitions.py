"""Which status may follow which, and the guard that lets only the lifecycle write one.

``set_status`` is the one way to change the status of a period, a match or an availability
window: it refuses a transition the table does not allow. An ORM attribute event refuses any
other write, wherever it comes from (``install_guard``, called by the app factory), so a
direct ``period.status = ...`` elsewhere fails at once, in tests and in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from app.models import Availability, Match, Period
from app.models.statuses import AvailabilityStatus, MatchStatus, PeriodStatus

P, M, A = PeriodStatus, MatchStatus, AvailabilityStatus

# status -> the statuses that may follow it; None: the status a new object starts with.
TRANSITIONS: dict[type, dict[StrEnum | None, frozenset[StrEnum]]] = {
    Period: {
        None: frozenset({P.OPEN}),
        P.OPEN: frozenset({P.MATCHED, P.ADVERTISED, P.WITHDRAWN}),
        P.MATCHED: frozenset({P.OPEN, P.FILLED}),
        P.ADVERTISED: frozenset({P.MATCHED, P.WITHDRAWN}),
        P.FILLED: frozenset(),
        P.WITHDRAWN: frozenset(),
    },
    Match: {
        None: frozenset({M.PROPOSED}),
        M.PROPOSED: frozenset({M.OFFERED, M.DECLINED, M.CANCELLED}),
        M.OFFERED: frozenset({M.ACCEPTED, M.DECLINED, M.EXPIRED, M.CANCELLED}),
        M.ACCEPTED: frozenset(),
        M.DECLINED: frozenset(),
        M.EXPIRED: frozenset(),
        M.CANCELLED: frozenset(),
    },
    Availability: {
        None: frozenset({A.ACTIVE}),
        A.ACTIVE: frozenset({A.PAUSED, A.WITHDRAWN, A.FULFILLED}),
        A.PAUSED: frozenset({A.ACTIVE, A.WITHDRAWN, A.FULFILLED}),
        A.WITHDRAWN: frozenset(),
        A.FULFILLED: frozenset(),
    },
}
ENUMS: dict[type, type[StrEnum]] = {Period: P, Match: M, Availability: A}

_writing: ContextVar[bool] = ContextVar("lifecycle_writing", default=False)


class StatusWriteOutsideLifecycle(RuntimeError):
    """A status was written somewhere other than app/lifecycle (a bug, not bad input)."""


class IllegalTransition(RuntimeError):
    """The lifecycle tried a transition the table does not allow (a bug in a rule)."""


@contextmanager
def _lifecycle_writes() -> Iterator[None]:
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def allowed(model: type, old: str | None, new: str) -> bool:
    table = TRANSITIONS[model]
    key = ENUMS[model](old) if old is not None else None
    return ENUMS[model](new) in table[key]


def set_status(obj: Period | Match | Availability, new: StrEnum) -> None:
    """Move ``obj`` to ``new`` if the table allows it (a same-status write is a no-op)."""
    model = type(obj)
    old = obj.status
    if old == new:
        return
    if not allowed(model, old, new):
        raise IllegalTransition(f"{model.__name__} {getattr(obj, 'id', None)}: {old} -> {new}")
    with _lifecycle_writes():
        obj.status = new


def new(model: type, status: StrEnum, **values: Any):
    """A new period, match or window in its first status."""
    if not allowed(model, None, status):
        raise IllegalTransition(f"a new {model.__name__} cannot start as {status}")
    with _lifecycle_writes():
        return model(status=status, **values)


def _refuse(target, value, oldvalue, initiator) -> None:
    if not _writing.get():
        raise StatusWriteOutsideLifecycle(
            f"{type(target).__name__}.status written outside app/lifecycle ({oldvalue!r} -> "
            f"{value!r}); use the lifecycle's transitions"
        )


def install_guard() -> None:
    """Refuse every write of a status that does not come through ``set_status``/``new``."""
    for attribute in (Period.status, Match.status, Availability.status):
        if not sa.event.contains(attribute, "set", _refuse):
            sa.event.listen(attribute, "set", _refuse)


@contextmanager
def fixture_writes() -> Iterator[None]:
    """Let a test build a state directly (a match already offered, a period already
    advertised) without going through the transitions. Nothing in app/ may use it: a test
    scans for it."""
    with _lifecycle_writes():
        yield
