"""Engine set-up per backend: SQLite pragmas and transactional savepoints."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request

from .extensions import db

# Requests with these methods only read, as a rule: on SQLite they begin deferred.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE_FIRST = "sqlite_write_first"
# SQLITE_BUSY and SQLITE_BUSY_SNAPSHOT: another connection holds the write lock, or wrote
# since this transaction began reading.
_BUSY_CODES = (sqlite3.SQLITE_BUSY, 517)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN, so SAVEPOINT works (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(connection) -> None:
    # A transaction that writes takes the write lock up front (IMMEDIATE): a deferred one that
    # reads and then writes fails at once with "database is locked" if another process (the
    # scheduler) committed in between; busy_timeout cannot help it. SQLite is the embedded
    # default, so serialising writers is the right trade; PostgreSQL is for real concurrency.
    # A request that only reads (a safe method) begins deferred: in WAL mode it takes no lock
    # and never queues behind a writer (under load, pages waited behind each other for the
    # lock until busy_timeout gave up with a 500). If such a request writes after all
    # (opening a notification marks it read) and SQLite refuses, the request runs again as
    # a writer (``retry_as_writer``).
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes() else "BEGIN")


def _writes() -> bool:
    if not has_request_context():
        return True  # jobs, commands, tests' own transactions
    return request.method not in SAFE_METHODS or bool(g.get(_WRITE_FIRST))


def retry_as_writer(error: BaseException) -> bool:
    """Whether a request that began as a reader should run again as a writer: SQLite refused
    its write because another connection holds the lock or wrote meanwhile. Marks the
    request so that its next transaction takes the lock first. False the second time."""
    if not has_request_context() or g.get(_WRITE_FIRST) or request.method not in SAFE_METHODS:
        return False
    orig = getattr(error, "orig", None)
    if not isinstance(error, sa.exc.OperationalError) or not isinstance(orig, sqlite3.Error):
        return False
    if getattr(orig, "sqlite_errorcode", None) not in _BUSY_CODES:
        return False
    g.setdefault(_WRITE_FIRST, True)
    return True


def configure(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
