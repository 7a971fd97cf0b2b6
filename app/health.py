"""Health checks for load balancers and orchestrators: ``/healthz`` (the app and its
database answer) and ``/readyz`` (the database's schema is at the migrations' head). JSON,
no login, no session, never cached. Each opens a connection of its own, outside the
request's unit of work."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from .extensions import db

bp = Blueprint("health", __name__)


def _app_version() -> str:
    try:
        return version("alis-marketplace")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _answer(status: int, body: dict[str, Any]):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _query(connection: sa.Connection, sql: str) -> list[tuple]:
    """A query on the DBAPI connection itself: SQLAlchemy would begin a transaction first,
    and on SQLite every transaction takes the write lock (app.database), so a health check
    would wait behind a matching run."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _migrations_applied(connection: sa.Connection) -> list[str]:
    try:
        rows = _query(connection, "SELECT version_num FROM alembic_version")
    except connection.dialect.loaded_dbapi.Error:  # no version table: nothing applied
        return []
    return sorted(row[0] for row in rows)


@bp.route("/healthz")
def healthz():
    """200 with versions when the database answers; 503 when it does not."""
    database: dict[str, Any] = {"backend": db.engine.dialect.name}
    body: dict[str, Any] = {
        "version": _app_version(),
        "python": platform.python_version(),
        "database": database,
    }
    try:
        with db.engine.connect() as connection:
            _query(connection, "SELECT 1")
            server = connection.dialect.server_version_info or ()
    except Exception:
        current_app.logger.exception("healthz: the database does not answer")
        database["status"] = "unreachable"
        return _answer(503, {"status": "unavailable", **body})
    database.update(status="ok", version=".".join(str(part) for part in server))
    return _answer(200, {"status": "ok", **body})


@bp.route("/readyz")
def readyz():
    """200 when the database's schema is at the migrations' head; 503 otherwise."""
    from alembic.script import ScriptDirectory

    heads = sorted(ScriptDirectory(current_app.extensions["migrate"].directory).get_heads())
    try:
        with db.engine.connect() as connection:
            applied = _migrations_applied(connection)
    except Exception:
        current_app.logger.exception("readyz: the database does not answer")
        return _answer(503, {"status": "unavailable", "database": None, "head": heads})
    ready = applied == heads
    return _answer(
        200 if ready else 503,
        {"status": "ready" if ready else "migrations_pending", "database": applied, "head": heads},
    )
