"""The ended placements a user answers for, read in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.access import matches_in_scope
from app.extensions import db
from app.models import Department, GoalConfirmation, Match, Period, SurveyResponse, User
from app.models.statuses import MatchStatus

SIDE_OF_ROLE = {"gp": "gp", "trust": "department", "municipality": "municipality"}
LIST_MAX = 200  # the newest ended placements shown


@dataclass(frozen=True)
class EndedPlacement:
    match: Match
    goals_confirmed: bool | None  # None: this side does not confirm goals
    survey_answered: bool


def ended_placements(user: User, today: date) -> list[EndedPlacement]:
    side = SIDE_OF_ROLE.get(user.role)
    if side is None:
        return []
    ended = sa.select(Period.id).where(Period.end_date < today)
    matches = list(
        db.session.scalars(
            matches_in_scope(user)
            .where(Match.status == MatchStatus.ACCEPTED, Match.period_id.in_(ended))
            .options(
                selectinload(Match.period)
                .selectinload(Period.department)
                .selectinload(Department.trust),
                selectinload(Match.gp),
            )
            .order_by(Match.id.desc())
            .limit(LIST_MAX)
        )
    )
    ids = [m.id for m in matches]
    answered = set(
        db.session.scalars(
            sa.select(SurveyResponse.match_id).where(
                SurveyResponse.match_id.in_(ids), SurveyResponse.role == side
            )
        )
    )
    confirmed = set(
        db.session.scalars(
            sa.select(GoalConfirmation.match_id).where(
                GoalConfirmation.match_id.in_(ids), GoalConfirmation.side == side
            )
        )
    )
    matches.sort(key=lambda m: (m.period.end_date, m.id), reverse=True)
    return [
        EndedPlacement(
            match=m,
            goals_confirmed=(m.id in confirmed) if side != "municipality" else None,
            survey_answered=m.id in answered,
        )
        for m in matches
    ]
