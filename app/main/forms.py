"""Forms for profiles, departments and user administration."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from app.auth.forms import GPProfileForm, PasswordRule
from app.forms import BaseForm as FlaskForm
from app.forms import choices
from app.labels import PRIORITY_LABELS, ROLE_LABELS
from app.progress import MEASURES

__all__ = [
    "CreateUserForm",
    "DepartmentCapacityForm",
    "GPProfileForm",
    "MunicipalitiesForm",
    "municipality_numbers",
]


class DepartmentCapacityForm(FlaskForm):
    alis_capacity = IntegerField(
        _l("GPs in training the department can supervise at the same time"),
        validators=[InputRequired(), NumberRange(min=0, max=20)],
    )
    reason = TextAreaField(
        _l("Reason for the change"), validators=[DataRequired(), Length(max=1000)]
    )


def municipalities_field() -> StringField:
    return StringField(
        _l("Municipality numbers (for municipality users)"),
        validators=[Optional(), Length(max=500)],
        description=_l("Four digits each, separated by commas or spaces, e.g. 4601, 4621."),
    )


def municipality_numbers(text: str | None) -> list[str]:
    """The numbers typed in a municipalities field."""
    return [n for n in re.split(r"[\s,;]+", text or "") if n]


class CreateUserForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email."))],
    )
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), PasswordRule()])
    role = SelectField(
        _l("Role"),
        choices=choices(
            (r, ROLE_LABELS[r]) for r in ("trust", "coordinator", "admin", "municipality")
        ),
    )
    trust_id = SelectField(_l("Trust (for trust staff)"), coerce=int)
    region_id = SelectField(_l("Region (for coordinators; empty means national)"), coerce=int)
    municipalities = municipalities_field()


class MunicipalitiesForm(FlaskForm):
    """The municipalities a municipality user speaks for (the admin changes them)."""

    municipalities = municipalities_field()


class VerifyProgressForm(FlaskForm):
    """A button that verifies one progress measure of a GP, or (empty) all three."""

    measure = SelectField(
        _l("Measure"),
        choices=choices([("", _l("All three")), *((m, PRIORITY_LABELS[m]) for m in MEASURES)]),
        validators=[Optional()],
    )
