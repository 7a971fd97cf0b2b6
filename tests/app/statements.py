"""What SQL a piece of work runs: the one helper for tests that count queries (issue 18:
no page asks a number of questions that grows with the rows it shows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from app.extensions import db


@contextmanager
def recorded() -> Iterator[list[str]]:
    """The statements run on the app's engine inside the block, in order."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
