"""The municipality user's forms: a GP's priority, and the buttons that endorse a window."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from app.forms import BaseForm

from .services import PRIORITY_MAX, PRIORITY_MIN


class PriorityForm(BaseForm):
    """One GP's rank; each row of the start page has its own (prefix ``gp<ID>``)."""

    municipality_priority = IntegerField(
        _l("Priority"),
        validators=[
            Optional(),
            NumberRange(
                min=PRIORITY_MIN,
                max=PRIORITY_MAX,
                message=_l("Enter a whole number from 1 to 9999, or leave it empty."),
            ),
        ],
        description=_l("1 goes first; empty: no priority stated."),
    )


class ActionForm(BaseForm):
    """A button: endorse a window, or withdraw the endorsement (CSRF only)."""
