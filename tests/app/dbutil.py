"""Test databases: a temporary SQLite file, or a throw-away PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from app.config import normalise_database_url


def backend_url() -> str | None:
    """The PostgreSQL server to test against (TEST_DATABASE_URL), or None for SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


@contextmanager
def fresh_database(tmp_dir: Path):
    """Yield the URL of a new, empty database; drop it afterwards."""
    server = backend_url()
    if server is None or not server.startswith("postgresql"):
        path = tmp_dir / f"alis-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    name = f"alis_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
