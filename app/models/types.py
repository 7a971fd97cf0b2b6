"""Column types and constraint helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always timezone-aware in Python and stored as UTC.

    SQLite has no timezone type and hands back naive values; PostgreSQL has
    ``timestamptz``. Both come back aware in UTC, so comparisons never mix kinds.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    """A named CHECK that ``column`` holds one of ``values`` (portable enum)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


def live_where(column: str, values: tuple[str, ...]) -> dict:
    """Dialect keyword arguments for a partial index limited to ``column IN values``."""
    listed = ", ".join(f"'{v}'" for v in values)
    clause = sa.text(f"{column} IN ({listed})")
    return {"sqlite_where": clause, "postgresql_where": clause}
