"""Forms for accounts. Labels and messages are translated lazily."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.forms import BaseForm as FlaskForm
from app.forms import choices
from app.i18n import LANGUAGE_NAMES
from app.labels import SCHEME_LABELS

from .passwords import MAX_LENGTH, password_hint, password_problem
from .two_factor import CODE_MAX_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class PasswordRule:
    """Checks the password policy, with the email field of the same form in mind."""

    def __call__(self, form, field):
        # The form's email field, or the account's address where the form has none.
        email = getattr(form, "account_email", None) or ""
        email = getattr(getattr(form, "email", None), "data", None) or email
        problem = password_problem(field.data or "", email)
        if problem:
            raise ValidationError(problem)


class _AccountFields(FlaskForm):
    """Email and password, declared first so that they come first in error summaries."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email."))],
    )
    password = PasswordField(
        _l("Password"),
        description=LazyString(password_hint),
        validators=[DataRequired(), PasswordRule()],
    )
    password_confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class GPProfileForm(FlaskForm):
    """The GP's profile and progress measures (used to register and to edit)."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=160)])
    hpr_number = StringField(
        _l("HPR number"),
        description=_l("Your health personnel number: 7 to 9 digits."),
        validators=[
            DataRequired(),
            Regexp(r"^\d{7,9}$", message=_l("The HPR number has 7 to 9 digits.")),
        ],
    )
    municipality_id = SelectField(
        _l("Municipality you work in"),
        coerce=int,
        validators=[
            InputRequired(message=_l("Choose your municipality.")),
            NumberRange(min=1, message=_l("Choose your municipality.")),
        ],
    )
    specialisation_started = DateField(
        _l("Specialisation in general medicine started"), validators=[Optional()]
    )
    months_general_practice = IntegerField(
        _l("Months of counting service in general practice"),
        validators=[InputRequired(), NumberRange(min=0, max=600)],
    )
    courses_completed = IntegerField(
        _l("Nationally recommended courses completed"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    supervision_group_months = IntegerField(
        _l("Months in a supervision group"),
        validators=[InputRequired(), NumberRange(min=0, max=600)],
    )
    scheme = RadioField(
        _l("Training scheme"),
        choices=choices(SCHEME_LABELS.items()),
        default="new",
        validators=[InputRequired()],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), PasswordRule()])
    password_confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    account_email = ""  # the account's address, set by the view (PasswordRule reads it)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        description=_l("The address you log in with."),
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email."))],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=LazyString(password_hint),
        validators=[DataRequired(), PasswordRule()],
    )
    password_confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    account_email = ""  # the account's address, set by the view (PasswordRule reads it)


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=choices(LANGUAGE_NAMES.items()),
    )


class GPRegistrationForm(_AccountFields, GPProfileForm):
    """Self-registration: an account and a GP profile in one form."""


def _code_field(label, description=None, *, numeric: bool = True) -> StringField:
    """A two-factor code: one-time-code autofill; a numeric keyboard where only the app's
    6 digits fit (a recovery code has letters)."""
    render_kw = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
    if numeric:
        render_kw["inputmode"] = "numeric"
    return StringField(
        label,
        description=description,
        validators=[DataRequired(), Length(max=CODE_MAX_LENGTH)],
        render_kw=render_kw,
    )


class LoginCodeForm(FlaskForm):
    """The second step of a login (the page switches the field to a recovery code)."""

    code = _code_field(
        _l("Code"), _l("The 6 digits your authenticator app shows for ALIS-portalen.")
    )


class TwoFactorSetupForm(FlaskForm):
    """Confirm the new app with its code; moving to a new app also takes a current code."""

    current_code = _code_field(_l("Code from your current app, or a recovery code"), numeric=False)
    code = _code_field(_l("Code from the app"), _l("The 6 digits the app shows now."))


class RecoveryCodesForm(FlaskForm):
    code = _code_field(
        _l("Code"),
        _l("The 6 digits from your authenticator app, or a recovery code."),
        numeric=False,
    )


class TwoFactorOffForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    code = _code_field(
        _l("Code"),
        _l("The 6 digits from your authenticator app, or a recovery code."),
        numeric=False,
    )
