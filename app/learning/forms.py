"""Forms: the goals a side confirms as reached, and the evaluation survey."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.forms import BaseForm, choices

from .surveys import COMMENT_MAX

SCORES = [(n, str(n)) for n in range(1, 6)]


def learning_goals_field(label, description=None) -> SelectMultipleField:
    """A multiple choice of learning-goal codes (the choices are set by the view)."""
    return SelectMultipleField(label, description=description, validators=[Optional()])


class GoalsForm(BaseForm):
    reached = learning_goals_field(
        _l("Learning goals reached"),
        _l("Tick the goals the GP reached during the placement; leave all unticked if none."),
    )


def _score(label):
    return RadioField(
        label,
        coerce=int,
        choices=choices(SCORES),
        validators=[InputRequired()],
        description=_l("1 = very poor, 5 = very good"),
    )


class SurveyForm(BaseForm):
    overall = _score(_l("How was the placement overall?"))
    learning = _score(_l("How well did the placement support the learning goals?"))
    arrangements = _score(
        _l("How well did the practical arrangements work (hiring, information, contact)?")
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description=_l(
            "Only the ALIS coordinators read the comments, without your name, and only once "
            "at least five have answered."
        ),
    )
