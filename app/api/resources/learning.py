"""Learning goals and the evaluation after a placement: the reference list of goals, the
goals a period offers (the trust sets them), and for an ended placement the goals the
department and the GP confirm as reached and the survey each respondent role answers once.
The rules are app.learning."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from app import access
from app.i18n import current_locale
from app.learning import services, surveys
from app.models import LearningGoal, Match
from app.models.learning import GOAL_SIDES, SCORE_MAX, SCORE_MIN, SURVEY_ROLES

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, Text, list_schema, paginate
from ..error_format import ErrorSchema
from .matches import in_range

blp = Blueprint(
    "api_learning",
    __name__,
    url_prefix="",
    description="Learning goals, their confirmation after a placement, and the evaluation survey",
)

conflict = blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The placement has not ended (placement_not_ended), or the survey is already "
    "answered for your role (survey_answered)",
)
GOAL_CODE = ma.validate.Regexp(r"^ALM-[0-9]{3}$", error="A learning-goal code such as ALM-055.")


def goal_codes(description: str) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=GOAL_CODE),
        required=True,
        validate=ma.validate.Length(max=50),
        metadata={"description": description},
    )


class LearningGoalSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "e.g. ALM-055"})
    title = ma.fields.Method(
        "localised_title",
        required=True,
        metadata={"description": "A short title in the language of Accept-Language"},
    )

    def localised_title(self, goal: LearningGoal) -> str:
        return goal.title_in(current_locale())


class PeriodGoalsSchema(ma.Schema):
    learning_goals = goal_codes("The codes of the learning goals the period offers")


class ReachedGoalsSchema(ma.Schema):
    reached = goal_codes(
        "The codes of the goals the GP reached, among those the period offered (may be empty)"
    )


class ConfirmationSchema(ma.Schema):
    side = ma.fields.String(required=True, validate=ma.validate.OneOf(GOAL_SIDES))
    reached = ma.fields.Function(
        lambda c: [g.code for g in c.goals], required=True, metadata={"description": "Codes"}
    )
    confirmed_at = ma.fields.AwareDateTime(required=True)


class SurveyAnswerSchema(ma.Schema):
    overall = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=SCORE_MIN, max=SCORE_MAX),
        metadata={"description": "How the placement was overall (1 very poor - 5 very good)"},
    )
    learning = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=SCORE_MIN, max=SCORE_MAX),
        metadata={"description": "How well it supported the learning goals (1-5)"},
    )
    arrangements = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=SCORE_MIN, max=SCORE_MAX),
        metadata={"description": "How well hiring, information and contact worked (1-5)"},
    )
    comment = Text(
        multiline=True,
        allow_none=True,
        validate=ma.validate.Length(max=surveys.COMMENT_MAX),
        metadata={
            "description": "Free text; only coordinators read it, without names, once at "
            "least five have answered"
        },
    )


class SurveyResponseSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(SURVEY_ROLES))
    submitted_at = ma.fields.AwareDateTime(required=True)


class EvaluationSchema(ma.Schema):
    match_id = ma.fields.Integer(required=True)
    role = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(SURVEY_ROLES),
        metadata={"description": "Whom the caller speaks for in this placement"},
    )
    ended = ma.fields.Boolean(
        required=True, metadata={"description": "The period's last day has passed"}
    )
    offered = ma.fields.List(ma.fields.String(), required=True)
    confirmations = ma.fields.List(ma.fields.Nested(ConfirmationSchema), required=True)
    survey_answered = ma.fields.Boolean(
        required=True, metadata={"description": "The caller's role has answered the survey"}
    )


def _evaluation(match: Match, side: str) -> dict[str, Any]:
    found = services.confirmations(match)
    return {
        "match_id": match.id,
        "role": side,
        "ended": services.placement_ended(match),
        "offered": [g.code for g in found.offered],
        "confirmations": [c for c in (found.department, found.gp) if c is not None],
        "survey_answered": surveys.response_of(match, side) is not None,
    }


ROLES = ("gp", "trust", "municipality")


@blp.route("/learning-goals")
@blp.doc(security=[])
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, list_schema(LearningGoalSchema, "LearningGoalList"))
def learning_goals(args):
    """The learning goals a period may offer (the reference list)."""
    return paginate(sa.select(LearningGoal).order_by(LearningGoal.code), args)


@blp.route("/periods/<int:period_id>/learning-goals")
@blp.response(200, PeriodGoalsSchema)
@auth_required()
def period_goals(period_id: int):
    """The learning goals the period offers."""
    period = access.get_period_or_404(in_range(period_id, "period"), caller(), manage=False)
    return {"learning_goals": [g.code for g in period.learning_goals]}


@blp.route("/periods/<int:period_id>/learning-goals", methods=["PUT"])
@blp.arguments(PeriodGoalsSchema)
@blp.response(200, PeriodGoalsSchema)
@blp.alt_response(
    409, schema=ErrorSchema, description="The period is no longer open (period_not_open)"
)
@auth_required("trust", "coordinator", "admin")
def set_period_goals(data: dict[str, Any], period_id: int):
    """Set the learning goals an open period offers (codes of the reference list)."""
    user = caller()
    period = access.get_period_or_404(in_range(period_id, "period"), user)
    services.set_period_goals(period, data["learning_goals"], actor=user)
    return {"learning_goals": [g.code for g in period.learning_goals]}


@blp.route("/matches/<int:match_id>/evaluation")
@blp.response(200, EvaluationSchema)
@auth_required(*ROLES)
def evaluation(match_id: int):
    """An accepted placement's learning goals (offered, and confirmed by each side) and
    whether the caller's role has answered the survey: for the GP, the trust's staff and
    the GP's municipality; 404 for anyone else."""
    match, side = services.get_placement_or_404(in_range(match_id, "match"), caller())
    return _evaluation(match, side)


@blp.route("/matches/<int:match_id>/learning-goals", methods=["POST"])
@blp.arguments(ReachedGoalsSchema)
@blp.response(200, ConfirmationSchema)
@conflict
@auth_required("gp", "trust")
def confirm_goals(data: dict[str, Any], match_id: int):
    """The department (trust staff) or the GP confirms the learning goals reached, after
    the placement has ended; a second call replaces the caller's side's confirmation."""
    user = caller()
    match, side = services.get_placement_or_404(in_range(match_id, "match"), user, sides=GOAL_SIDES)
    return services.confirm_goals(match, side, data["reached"], actor=user)


@blp.route("/matches/<int:match_id>/survey", methods=["POST"])
@blp.arguments(SurveyAnswerSchema)
@blp.response(201, SurveyResponseSchema)
@conflict
@auth_required(*ROLES)
def answer_survey(data: dict[str, Any], match_id: int):
    """Answer the placement's evaluation survey for the caller's role (once)."""
    user = caller()
    match, side = services.get_placement_or_404(in_range(match_id, "match"), user)
    answers = surveys.SurveyAnswers(
        overall=data["overall"],
        learning=data["learning"],
        arrangements=data["arrangements"],
        comment=data.get("comment"),
    )
    return surveys.submit(match, side, answers, actor=user)
