"""Forms for publishing, editing, offering, withdrawing and filtering periods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, choices
from app.labels import PERIOD_SOURCE_LABELS, PERIOD_STATUS_LABELS
from app.models.periods import PERIOD_SOURCES, PERIOD_STATUSES


class PeriodFieldsForm(BaseForm):
    """What trust staff may change while a period is open."""

    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(
        _l("Last day"),
        validators=[InputRequired()],
        description=_l("A period lasts at least 3 months."),
    )
    source = SelectField(
        _l("Why the post is available"),
        choices=choices((code, PERIOD_SOURCE_LABELS[code]) for code in PERIOD_SOURCES),
    )
    on_call = BooleanField(_l("The post includes on-call duty"))
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=5000)],
        description=_l("The work, the team and the supervision. Candidates read it."),
    )
    contact_name = StringField(
        _l("Contact person's name"), validators=[Optional(), Length(max=160)]
    )
    contact_email = EmailField(
        _l("Contact person's email"),
        validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email."))],
    )
    # The choices are the reference list of learning goals (app.learning.services).
    learning_goals = SelectMultipleField(
        _l("Learning goals the period offers"),
        validators=[Optional()],
        description=_l(
            "After the placement, the department confirms which of these the GP reached."
        ),
    )


class NewPeriodForm(PeriodFieldsForm):
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    split_months = IntegerField(
        _l("Split into consecutive periods of (months)"),
        validators=[Optional(), NumberRange(min=1, max=24)],
        description=_l(
            "Optional. For a long leave: 12 months split by 6 gives two periods of 6 months. "
            "Each part lasts at least 3 months; the last part takes up a shorter remainder."
        ),
    )
    second_department_id = SelectField(
        _l("Second department"),
        coerce=int,
        default=0,
        description=_l(
            "Optional. For one period over two departments of the trust (3 + 3 months): "
            "where the GP works from the day of the move."
        ),
    )
    switch_date = DateField(
        _l("First day in the second department"),
        validators=[Optional()],
        description=_l("Each department gets at least 3 months."),
    )


class OfferForm(BaseForm):
    accept_by = DateField(
        _l("The GP must answer by"),
        validators=[InputRequired()],
        description=_l("The last day to accept, before the period starts."),
    )


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for withdrawing"), validators=[DataRequired(), Length(max=1000)]
    )


class ChooseForm(BaseForm):
    gp_id = HiddenField(validators=[DataRequired()])


class ActionForm(BaseForm):
    """A button that posts only the CSRF token."""


class PeriodFilterForm(BaseForm):
    """The list's filters, sent as GET query parameters."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=choices(
            [("", _l("All"))] + [(code, PERIOD_STATUS_LABELS[code]) for code in PERIOD_STATUSES]
        ),
        validators=[Optional()],
    )
    department = SelectField(_l("Department"), validators=[Optional()])
    specialty = SelectField(_l("Specialty"), validators=[Optional()])
    start_from = DateField(_l("Starts on or after"), validators=[Optional()])
    start_to = DateField(_l("Starts on or before"), validators=[Optional()])
