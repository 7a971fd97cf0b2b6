"""Forms of the trust's webhook settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.forms import BaseForm

from .webhooks import URL_MAX


class WebhookForm(BaseForm):
    url = StringField(
        _l("Address (URL)"),
        validators=[InputRequired(), Length(max=URL_MAX)],
        description=_l(
            "Where the portal sends the hand-off when a GP accepts a period, e.g. "
            "https://hr.example.no/alis. It must start with https://."
        ),
    )


class ButtonForm(BaseForm):
    """A button that posts only the CSRF token."""
