"""Form helpers shared by the features: a base form whose built-in WTForms messages go
through our own catalogues (WTForms has no nynorsk), that checks every field's input in one
place (app/text.py: text, whole numbers, dates), and choice lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields import DateField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError

from .catalogue import describe
from .text import (
    FIRST_DAY,
    ID_MAX,
    INT_MIN,
    LAST_DAY,
    MULTI_LINE_MAX,
    SINGLE_LINE_MAX,
    normalise,
    text_problem,
)


class _CatalogueTranslations:
    """WTForms asks this for its messages and fills in their %(max)d-style values itself, so
    the translation is returned as it is (formatting it here would need those values)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


class _Text:
    """Text is Unicode scalar values without control characters (multi-line text may have
    line breaks and tabs); see app/text.py."""

    field_flags: dict[str, bool] = {}

    def __init__(self, multiline: bool):
        self.multiline = multiline

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str):
            code = text_problem(field.data, multiline=self.multiline)
            if code is not None:
                raise StopValidation(describe(code))


class _DateRange:
    field_flags: dict[str, bool] = {}

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
            raise ValidationError(describe("date_out_of_range"))


def _normalise_filter(multiline: bool):
    def normalise_text(value: Any) -> Any:
        return normalise(value, multiline=multiline) if isinstance(value, str) else value

    return normalise_text


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _CatalogueTranslations()

        def bind_field(self, form, unbound_field, options):
            """Every field gets the checks its kind needs, whatever the form says: text a
            length (its own, or a default), no lone surrogates or control characters, NFC;
            whole numbers 32-bit; dates in 2000–2100."""
            kind = unbound_field.field_class
            kwargs = unbound_field.kwargs
            validators = list(kwargs.get("validators") or ())
            filters = list(kwargs.get("filters") or ())
            if issubclass(kind, StringField):
                multiline = issubclass(kind, TextAreaField)
                validators.insert(0, _Text(multiline))
                if not any(isinstance(v, Length) and v.max not in (None, -1) for v in validators):
                    validators.append(Length(max=MULTI_LINE_MAX if multiline else SINGLE_LINE_MAX))
                if not issubclass(kind, PasswordField):
                    filters.append(_normalise_filter(multiline))
            elif issubclass(kind, IntegerField):
                if not any(isinstance(v, NumberRange) for v in validators):
                    validators.append(NumberRange(min=INT_MIN, max=ID_MAX))
            elif issubclass(kind, DateField):
                validators.append(_DateRange())
            # new lists: the unbound field is shared by every instance of the form class
            return unbound_field.bind(form=form, **options, validators=validators, filters=filters)


def choices(pairs: Iterable[tuple], optgroup: str | None = None) -> list[SelectChoice]:
    """``SelectChoice`` objects from (value, label) pairs."""
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


# The WTForms messages our forms can show, listed so that extraction puts them in the
# catalogues (WTForms fills in the %(...)s values after translation).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Field must be equal to %(other_name)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
)
