"""The evaluation survey of an ended placement: the GP, the department and the
municipality each answer once (a few scores from 1 to 5 and free text); the daily job
invites them when the placement ends and reminds those who have not answered after
REMINDER_DAYS days, once. Pages, the API, the job and the demo call these functions; each
flushes, the edge commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app import announce, audit
from app.dates import local_today, local_zone
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import Match, Period, PlacementEvaluation, SurveyResponse, User
from app.models.learning import SCORE_MAX, SCORE_MIN, SURVEY_QUESTIONS, SURVEY_ROLES
from app.models.statuses import MatchStatus

from .services import check_ended

COMMENT_MAX = 2000
# Days after the invitation before the one reminder to those who have not answered.
REMINDER_DAYS = 14
# Placements that ended longer ago than this get no invitation (a first run of the job, or
# one after a long pause, does not survey placements long past).
INVITE_WITHIN_DAYS = 60


@dataclass(frozen=True)
class SurveyAnswers:
    overall: int
    learning: int
    arrangements: int
    comment: str | None = None


def response_of(match: Match, role: str) -> SurveyResponse | None:
    return db.session.scalar(
        sa.select(SurveyResponse).where(
            SurveyResponse.match_id == match.id, SurveyResponse.role == role
        )
    )


def submit(
    match: Match, role: str, answers: SurveyAnswers, *, actor: User, today: date | None = None
) -> SurveyResponse:
    """Store ``role``'s answer to the placement's survey (once: a second answer is refused;
    the database refuses one that races it). The audit log records that the role answered,
    not what it answered."""
    if role not in SURVEY_ROLES:
        raise InvalidInput("invalid_input", field="role")
    check_ended(match, today)
    errors = {
        q: "score_range"
        for q in SURVEY_QUESTIONS
        if not isinstance(getattr(answers, q), int)
        or not SCORE_MIN <= getattr(answers, q) <= SCORE_MAX
    }
    comment = (answers.comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        errors["comment"] = "too_long"
    if errors:
        raise InvalidInput("invalid_survey", fields=errors)
    if response_of(match, role) is not None:
        raise Conflict("survey_answered")
    response = SurveyResponse(
        match_id=match.id,
        role=role,
        respondent_id=actor.id,
        overall=answers.overall,
        learning=answers.learning,
        arrangements=answers.arrangements,
        comment=comment,
    )
    db.session.add(response)
    db.session.flush()
    audit.record("survey.answered", match, actor=actor, data={"respondent": role})
    return response


# ---- the daily job


def invite_ended(today: date | None = None) -> int:
    """Invite the GP, the department and the municipality to the survey of every placement
    that ended (its last day before ``today``, at most INVITE_WITHIN_DAYS ago) and has no
    evaluation row yet; the row, unique per placement, makes a second run send nothing
    (flushes). Returns how many placements."""
    today = today or local_today()
    ended = db.session.scalars(
        sa.select(Match)
        .join(Period, Match.period_id == Period.id)
        .outerjoin(PlacementEvaluation, PlacementEvaluation.match_id == Match.id)
        .where(
            Match.status == MatchStatus.ACCEPTED,
            Period.end_date < today,
            Period.end_date >= today - timedelta(days=INVITE_WITHIN_DAYS),
            PlacementEvaluation.id.is_(None),
        )
        .order_by(Match.id)
    ).all()
    for match in ended:
        db.session.add(PlacementEvaluation(match_id=match.id, ended_on=match.period.end_date))
        db.session.flush()
        announce.survey_invitations(match)
    db.session.flush()
    return len(ended)


def remind_unanswered(today: date | None = None, days: int = REMINDER_DAYS) -> int:
    """Remind, once, each respondent role that has not answered ``days`` days after the
    invitation (the notifications' dedupe keys, unique in the database, make it once).
    Returns how many reminders were queued."""
    today = today or local_today()
    zone = local_zone()
    # Invited on or before today - days (local dates), and not long before that.
    cutoff = datetime.combine(today - timedelta(days=days - 1), time(), zone)
    oldest = cutoff - timedelta(days=INVITE_WITHIN_DAYS)
    due = db.session.scalars(
        sa.select(Match)
        .join(PlacementEvaluation, PlacementEvaluation.match_id == Match.id)
        .where(
            Match.status == MatchStatus.ACCEPTED,
            PlacementEvaluation.invited_at < cutoff,
            PlacementEvaluation.invited_at >= oldest,
        )
        .order_by(Match.id)
    ).all()
    if not due:
        return 0
    answered = set(
        db.session.execute(
            sa.select(SurveyResponse.match_id, SurveyResponse.role).where(
                SurveyResponse.match_id.in_([m.id for m in due])
            )
        ).tuples()
    )
    count = 0
    for match in due:
        roles = [r for r in SURVEY_ROLES if (match.id, r) not in answered]
        count += announce.survey_reminders(match, roles)
    db.session.flush()
    return count
