"""Routes: the ended placements of the user (GP, trust staff, municipality), and one
placement's page: the learning goals reached (the department and the GP confirm) and the
evaluation survey (the GP, the department and the municipality answer once)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.alerts.forms import choice_groups
from app.auth.decorators import role_required
from app.catalogue import describe_field
from app.dates import local_today
from app.errors import BrokenRule, InvalidInput
from app.forms import choices
from app.i18n import current_locale
from app.models import Match
from app.models.learning import GOAL_SIDES, SURVEY_QUESTIONS
from app.unit_of_work import attempt

from . import bp, services, surveys
from .forms import GoalsForm, SurveyForm
from .queries import ended_placements


def _user():
    return current_user._get_current_object()


def _goal_choices(match: Match) -> list:
    locale = current_locale()
    return choices((g.code, f"{g.code} {g.title_in(locale)}") for g in match.period.learning_goals)


def _page(match: Match, side: str, *, goals_form=None, survey_form=None, status: int = 200):
    found = services.confirmations(match)
    mine = found.of(side) if side in GOAL_SIDES else None
    if goals_form is None and side in GOAL_SIDES:
        goals_form = GoalsForm(formdata=None, reached=[g.code for g in mine.goals] if mine else [])
    if goals_form is not None:
        goals_form.reached.choices = _goal_choices(match)
    answered = surveys.response_of(match, side)
    if survey_form is None and answered is None:
        survey_form = SurveyForm(formdata=None)
    context = {
        "match": match,
        "period": match.period,
        "side": side,
        "ended": services.placement_ended(match),
        "found": found,
        "goals_form": goals_form,
        "goal_groups": choice_groups(goals_form.reached) if goals_form is not None else [],
        "survey_form": survey_form if answered is None else None,
        "answered": answered,
    }
    return render_template("learning/placement.html", **context), status


@bp.route("/placements")
@role_required("gp", "trust", "municipality")
def index():
    """The user's ended placements, with what is left to confirm or answer."""
    rows = ended_placements(_user(), local_today())
    return render_template("learning/index.html", rows=rows)


@bp.route("/placements/<int:match_id>")
@login_required
def placement(match_id: int):
    """One placement: goals offered and confirmed, and the survey."""
    match, side = services.get_placement_or_404(match_id, _user())
    return _page(match, side)


@bp.route("/placements/<int:match_id>/goals", methods=["POST"])
@login_required
def confirm_goals(match_id: int):
    """The department or the GP confirms the learning goals reached."""
    match, side = services.get_placement_or_404(match_id, _user(), sides=GOAL_SIDES)
    form = GoalsForm()
    form.reached.choices = _goal_choices(match)
    if form.validate_on_submit():
        try:
            with attempt():
                services.confirm_goals(match, side, form.reached.data or [], actor=_user())
        except InvalidInput as error:
            form.reached.errors = [*form.reached.errors, error.message]
        except BrokenRule as error:
            flash(error.message, "error")
            return redirect(url_for("learning.placement", match_id=match.id))
        else:
            flash(_("The learning goals are confirmed."), "success")
            return redirect(url_for("learning.placement", match_id=match.id))
    return _page(match, side, goals_form=form, status=422)


@bp.route("/placements/<int:match_id>/survey", methods=["POST"])
@login_required
def survey(match_id: int):
    """Answer the placement's evaluation survey (once per role)."""
    match, side = services.get_placement_or_404(match_id, _user())
    form = SurveyForm()
    if form.validate_on_submit():
        answers = surveys.SurveyAnswers(
            overall=form.overall.data,
            learning=form.learning.data,
            arrangements=form.arrangements.data,
            comment=form.comment.data,
        )
        try:
            with attempt():
                surveys.submit(match, side, answers, actor=_user())
        except InvalidInput as error:
            for name, code in error.fields.items():
                if name in (*SURVEY_QUESTIONS, "comment"):
                    form[name].errors = [*form[name].errors, describe_field(name, code)]
        except BrokenRule as error:
            flash(error.message, "error")
            return redirect(url_for("learning.placement", match_id=match.id))
        else:
            flash(_("Thank you for your answer."), "success")
            return redirect(url_for("learning.placement", match_id=match.id))
    return _page(match, side, survey_form=form, status=422)
