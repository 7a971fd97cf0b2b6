"""Forms: a subscription (GPs: new periods; trust staff: new GP availability) and the
channel and frequency of a user's other messages."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired

from app.access import current_window, seeking_region_id
from app.announce import trust_specialty_ids
from app.catalogue import describe_field
from app.dates import local_today
from app.extensions import db
from app.forms import BaseForm, choices
from app.i18n import current_locale
from app.models import GP, Region, Specialty, User

from .services import SubscriptionInput

CHANNEL_LABELS = {
    "email": _l("By email, and in my inbox"),
    "inbox": _l("Only in my inbox in the portal"),
}
FREQUENCY_LABELS = {
    "immediate": _l("At once, one email per message"),
    "daily": _l("A daily summary (the next morning)"),
    "weekly": _l("A weekly summary (on Monday morning)"),
}
HORIZONS = (3, 6, 12, 18, 24, 36)
ANYWHERE = 0

# What each service error code means next to a field.


class SubscriptionForm(BaseForm):
    specialties = SelectMultipleField(
        _l("Specialties"),
        coerce=int,
        description=_l("Leave all unticked to hear about every specialty."),
    )
    region = SelectField(_l("Region"), coerce=int, default=ANYWHERE)
    trusts = SelectMultipleField(
        _l("Trusts"),
        coerce=int,
        description=_l(
            "Tick trusts to hear about them in addition to the region. Leave the region at "
            "“anywhere” and no trust ticked to hear about the whole country."
        ),
    )
    horizon_months = SelectField(
        _l("Time horizon"),
        coerce=int,
        default=12,
        description=_l("Only periods that start within this many months from today."),
    )
    channel = RadioField(_l("How"), default="email", validators=[InputRequired()])
    frequency = RadioField(_l("How often"), default="immediate", validators=[InputRequired()])


class MessagePreferencesForm(BaseForm):
    message_channel = RadioField(_l("How"), validators=[InputRequired()])
    message_frequency = RadioField(_l("How often"), validators=[InputRequired()])


def _channel_choices():
    return choices(CHANNEL_LABELS.items())


def _frequency_choices():
    return choices(FREQUENCY_LABELS.items())


def subscription_form(user: User, formdata=None) -> SubscriptionForm:
    """The form with its choices; trust staff see their departments' specialties ticked."""
    form = SubscriptionForm(formdata=formdata)
    locale = current_locale()
    specialties = sorted(
        db.session.scalars(sa.select(Specialty)).all(), key=lambda s: s.name_in(locale).casefold()
    )
    form.specialties.choices = choices((s.id, s.name_in(locale)) for s in specialties)
    regions = db.session.scalars(sa.select(Region).order_by(Region.name)).all()
    form.region.choices = choices([(ANYWHERE, _l("Anywhere")), *((r.id, r.name) for r in regions)])
    form.trusts.choices = [
        choice
        for region in regions
        for choice in choices(((t.id, t.name) for t in region.trusts), optgroup=region.name)
    ]
    form.horizon_months.choices = choices(
        (months, _l("%(num)d months", num=months)) for months in HORIZONS
    )
    form.channel.choices = _channel_choices()
    form.frequency.choices = _frequency_choices()
    if formdata is None and user.role == "trust":
        form.specialties.data = sorted(trust_specialty_ids(user))
    if formdata is None and user.role == "gp" and user.gp is not None:
        _prefill_from_wishes(form, user.gp)
    return form


def _prefill_from_wishes(form: SubscriptionForm, gp: GP) -> None:
    """A GP's new subscription starts from their wishes: the wished specialties, the wished
    trusts (or, wishing any trust, the region they seek service in), and the shortest time
    horizon that reaches the end of their window."""
    window = current_window(gp)
    form.specialties.data = [s.id for s in window.specialties] if window else []
    if window is not None and window.trusts:
        form.trusts.data = [t.id for t in window.trusts]
    else:
        form.region.data = seeking_region_id(gp, window) or ANYWHERE
    if window is not None:
        today = local_today()
        months = (window.latest_end.year - today.year) * 12 + window.latest_end.month - today.month
        form.horizon_months.data = next((h for h in HORIZONS if h >= months), HORIZONS[-1])


def form_input(form: SubscriptionForm) -> SubscriptionInput:
    region = form.region.data if form.region.data not in (None, ANYWHERE) else None
    return SubscriptionInput(
        specialty_ids=list(form.specialties.data or []),
        trust_ids=list(form.trusts.data or []),
        region_id=region,
        horizon_months=form.horizon_months.data or 12,
        channel=form.channel.data or "",
        frequency=form.frequency.data or "",
    )


def show_errors(form: SubscriptionForm, fields: dict[str, str]) -> None:
    """Put the service's field codes next to the form's fields."""
    names = {"topic": "specialties", "region": "region"}
    for name, code in fields.items():
        field = getattr(form, names.get(name, name), None) or form.specialties
        field.errors = [*field.errors, describe_field(name, code)]


def preferences_form(user: User, formdata=None) -> MessagePreferencesForm:
    form = MessagePreferencesForm(formdata=formdata)
    form.message_channel.choices = _channel_choices()
    form.message_frequency.choices = _frequency_choices()
    if formdata is None:
        form.message_channel.data = user.message_channel
        form.message_frequency.data = user.message_frequency
    return form


def choice_groups(field) -> list[tuple[str | None, list[tuple[int, str]]]]:
    """A field's choices as [(group label or None, [(value, label), ...])], in order."""
    groups: list[tuple[str | None, list[tuple[int, str]]]] = []
    for choice in field.choices:
        if not groups or groups[-1][0] != choice.optgroup:
            groups.append((choice.optgroup, []))
        groups[-1][1].append((choice.value, choice.label))
    return groups
