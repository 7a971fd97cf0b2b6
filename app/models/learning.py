"""Learning goals (ALM-xxx) a period offers, the goals a department and a GP confirm as
reached after a placement, and the evaluation survey each side answers once.

A placement is an accepted match whose period has ended. The database keeps the rules that
do not need another table: one confirmation per placement and side, reached goals only under
a confirmation, one answer per placement and respondent role, scores from 1 to 5, one
evaluation row (the invitations went out) per placement.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .matching import Match
from .types import UTCDateTime, one_of, utcnow
from .users import User

# Who confirms the learning goals reached: the department (trust staff) and the GP.
GOAL_SIDES = ("department", "gp")
# Who answers the evaluation survey of a placement.
SURVEY_ROLES = ("gp", "department", "municipality")
# The survey's scaled questions (1-5), the same for every respondent role.
SURVEY_QUESTIONS = ("overall", "learning", "arrangements")
SCORE_MIN, SCORE_MAX = 1, 5


class LearningGoal(db.Model):
    """A learning goal of the specialty in general medicine (reference data)."""

    __tablename__ = "learning_goals"
    __table_args__ = (sa.CheckConstraint("code LIKE 'ALM-%'", name="code_alm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title_nb: Mapped[str] = mapped_column(sa.String(200))
    title_nn: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))

    def title_in(self, locale: str) -> str:
        return {"nn": self.title_nn, "en": self.title_en}.get(locale, self.title_nb)


period_learning_goals = sa.Table(
    "period_learning_goals",
    db.metadata,
    sa.Column("period_id", sa.ForeignKey("periods.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("learning_goal_id", sa.ForeignKey("learning_goals.id"), primary_key=True),
)


class GoalConfirmation(db.Model):
    """One side's statement of the learning goals reached in a placement (once per side;
    the side may correct it: the audit log keeps each version)."""

    __tablename__ = "goal_confirmations"
    __table_args__ = (one_of("side", GOAL_SIDES, "side"),)

    match_id: Mapped[int] = mapped_column(sa.ForeignKey("matches.id"), primary_key=True)
    side: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    match: Mapped[Match] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
    goals: Mapped[list[LearningGoal]] = relationship(
        secondary="reached_goals", order_by="LearningGoal.code"
    )


reached_goals = sa.Table(
    "reached_goals",
    db.metadata,
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("side", sa.String(12), primary_key=True),
    sa.Column("learning_goal_id", sa.ForeignKey("learning_goals.id"), primary_key=True),
    sa.ForeignKeyConstraint(
        ["match_id", "side"],
        ["goal_confirmations.match_id", "goal_confirmations.side"],
        ondelete="CASCADE",
    ),
)


class PlacementEvaluation(db.Model):
    """The placement ended and its survey invitations went out (one row per placement: a
    second run of the job finds it and sends nothing)."""

    __tablename__ = "placement_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("matches.id"), unique=True)
    ended_on: Mapped[date]
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    match: Mapped[Match] = relationship()


class SurveyResponse(db.Model):
    """One respondent role's answer to a placement's evaluation survey (once per role)."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        one_of("role", SURVEY_ROLES, "role"),
        *(
            sa.CheckConstraint(f"{q} BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name=f"{q}_score_range")
            for q in SURVEY_QUESTIONS
        ),
        sa.UniqueConstraint("match_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("matches.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(12))
    respondent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    overall: Mapped[int]
    learning: Mapped[int]
    arrangements: Mapped[int]
    comment: Mapped[str | None] = mapped_column(sa.Text)

    match: Mapped[Match] = relationship()
