"""A token per kind of data that changes whenever that data does (app/data_version.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class DataVersion(db.Model):
    __tablename__ = "data_versions"
    __table_args__ = (sa.CheckConstraint("length(token) = 32", name="token_length"),)

    # What the token versions: "matching" (everything the engine reads).
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    # 16 random bytes as hex, drawn anew by every commit that changes the data.
    token: Mapped[str] = mapped_column(sa.String(32))
