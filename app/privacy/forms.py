"""The erase form: the password and the account's address typed again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.auth.passwords import MAX_LENGTH
from app.forms import BaseForm as FlaskForm


class EraseForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    confirmation = StringField(
        _l("Type your email address to confirm"),
        description=_l("The address you log in with. This cannot be undone."),
        validators=[DataRequired(), Length(max=254)],
    )
    account_email = ""  # set by the view

    def validate_confirmation(self, field) -> None:
        if (field.data or "").strip().lower() != self.account_email.lower():
            raise ValidationError(_l("Type the address you log in with, exactly."))
