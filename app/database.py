"""Engine set-up per backend: SQLite pragmas and transactional savepoints."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from .extensions import db


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
    # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
    # writes fails at once with "database is locked" if another process (the scheduler)
    # committed in between; busy_timeout cannot help it. SQLite is the embedded default, so
    # serialising writers is the right trade; PostgreSQL is for real concurrency.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
