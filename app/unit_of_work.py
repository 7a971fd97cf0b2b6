"""One unit of work at each edge: a request, a scheduled job, a command.

Services change objects and flush; they never commit. The edge commits once when it is done
and rolls everything back when anything raises. A page that shows a refusal next to a field
runs the service in ``attempt()``: a savepoint that undoes that call's changes when it raises
a BrokenRule, so the rest of the request still commits. A refusal that must keep what it
recorded (a failed login attempt counts) says so with ``commit_anyway``.

What must happen only once the changes are kept (an email with a secret link in it) is
handed to ``after_commit``: it runs after the commit, and never if the unit rolls back.

The database's own refusals (a unique index that two requests raced for, a PostgreSQL
deadlock or serialisation failure) become ``Conflict("conflict")``: 409 in the API, a
message on the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from .errors import BrokenRule, Conflict
from .extensions import db

# PostgreSQL: deadlock detected, serialization failure, lock not available.
RETRYABLE_SQLSTATES = ("40P01", "40001", "55P03")


def database_conflict(error: BaseException) -> Conflict | None:
    """The conflict a database error stands for, or None if it is not one."""
    if isinstance(error, sa.exc.IntegrityError):
        return Conflict("conflict")
    retryable = getattr(getattr(error, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES
    if isinstance(error, sa.exc.OperationalError) and retryable:
        return Conflict("conflict")
    return None


_AFTER_COMMIT = "after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` when this unit of work has committed; drop it if it rolls back.
    The callback must not use the session (its objects are expired by then): give it plain
    values."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _forget_after_commit() -> None:
    db.session.info.pop(_AFTER_COMMIT, None)


def finish() -> None:
    """Commit the unit of work; a database refusal at the commit is a Conflict. Then run
    what waited for the commit."""
    try:
        db.session.commit()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        _forget_after_commit()
        conflict = database_conflict(error)
        if conflict is None:
            raise
        raise conflict from error
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        callback()


def restart() -> None:
    """Undo everything the unit of work did, to run it again from the start."""
    db.session.rollback()
    _forget_after_commit()


def abandon(error: BaseException) -> None:
    """Roll the unit of work back (keeping it if the refusal says so) and turn a database
    refusal into a Conflict."""
    if isinstance(error, BrokenRule) and error.commit_anyway:
        finish()
        return
    db.session.rollback()
    _forget_after_commit()
    conflict = database_conflict(error)
    if conflict is not None:
        raise conflict from error


@contextmanager
def unit_of_work() -> Iterator[None]:
    """For jobs and commands: commit once at the end, roll back on any error."""
    try:
        yield
    except BaseException as error:
        abandon(error)
        raise
    finish()


@contextmanager
def attempt() -> Iterator[None]:
    """Around one service call whose refusal a page shows: the call's changes are undone if
    it raises (with what it left for after the commit), and the error goes on to the view."""
    waiting = db.session.info.setdefault(_AFTER_COMMIT, [])
    before = len(waiting)
    try:
        with db.session.begin_nested():
            yield
    except BaseException:
        del waiting[before:]
        raise
