"""Application rounds: the dated rounds of a policy whose intake is ``rounds`` (app/rounds.py
holds the rules)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .reference import Policy
from .types import UTCDateTime


class ApplicationRound(db.Model):
    """One round: windows registered by ``apply_by`` enter its one matching on ``match_on``;
    its offers are answered by ``answer_by``. ``matched_run_id`` is the run that matched it
    (set once: the database guard that a round is matched exactly once)."""

    __tablename__ = "application_rounds"
    __table_args__ = (
        sa.CheckConstraint("match_on >= apply_by", name="match_after_deadline"),
        sa.CheckConstraint("answer_by > match_on", name="answer_after_match"),
        sa.CheckConstraint(
            "(matched_at IS NULL AND matched_run_id IS NULL)"
            " OR (matched_at IS NOT NULL AND matched_run_id IS NOT NULL)",
            name="matched_whole",
        ),
        sa.UniqueConstraint("policy_id", "apply_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("policies.id", ondelete="CASCADE"), index=True
    )
    apply_by: Mapped[date]
    match_on: Mapped[date]
    answer_by: Mapped[date]
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    matched_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("matching_runs.id"))

    policy: Mapped[Policy] = relationship(back_populates="rounds")

    @property
    def matched(self) -> bool:
        return self.matched_run_id is not None
