"""The availability window form: dates, months, ranked wishes as one select per rank."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from app.extensions import db
from app.forms import BaseForm, choices
from app.lifecycle.matches import DECLINE_REASON_MAX
from app.models import Availability, Region, Specialty

from .services import MAX_WISHES, AvailabilityInput
from .texts import SPECIALTY_RANK_LABELS, TRUST_RANK_LABELS

SPECIALTY_FIELDS = tuple(f"specialty_{i}" for i in range(1, MAX_WISHES + 1))
TRUST_FIELDS = tuple(f"trust_{i}" for i in range(1, MAX_WISHES + 1))
NONE_CHOSEN = 0


class AvailabilityForm(BaseForm):
    earliest_start = DateField(
        _l("Earliest start"),
        validators=[Optional()],
        description=_l("The first day you can leave your practice for hospital service."),
    )
    latest_end = DateField(
        _l("Latest end"),
        validators=[Optional()],
        description=_l("The last day you can be away from your practice."),
    )
    months = IntegerField(
        _l("Months of hospital service"),
        validators=[Optional()],
        description=_l(
            "Between 3 and 24. The default is what your scheme requires. With two blocks, "
            "the months of both together."
        ),
    )
    accept_other_specialty = BooleanField(
        _l("I also accept a period in a specialty I have not listed")
    )
    split_allowed = BooleanField(
        _l("I can take two blocks of 3 months"),
        description=_l(
            "Two periods of at least 3 months each that do not overlap and together last at "
            "most the months above (at least 6), e.g. 3 + 3 months."
        ),
    )


class AnswerForm(BaseForm):
    """Accept or decline, confirmed on a page of its own; a decline may say why."""

    reason = TextAreaField(
        _l("Why you decline (optional)"),
        validators=[Optional(), Length(max=DECLINE_REASON_MAX)],
        description=_l(
            "The trust and the ALIS coordinator see what you write here. Leave it empty if "
            "you prefer."
        ),
    )


for _i, _name in enumerate(SPECIALTY_FIELDS):
    setattr(
        AvailabilityForm,
        _name,
        SelectField(SPECIALTY_RANK_LABELS[_i], coerce=int, default=NONE_CHOSEN),
    )
for _i, _name in enumerate(TRUST_FIELDS):
    setattr(
        AvailabilityForm,
        _name,
        SelectField(TRUST_RANK_LABELS[_i], coerce=int, default=NONE_CHOSEN),
    )


def specialty_choices():
    specialties = db.session.scalars(sa.select(Specialty)).all()
    locale = str(get_locale() or "nb")
    ordered = sorted(specialties, key=lambda s: s.name_in(locale).casefold())
    return choices([(NONE_CHOSEN, _l("No choice")), *((s.id, s.name_in(locale)) for s in ordered)])


def trust_choices(home_region_id: int | None = None):
    """Trusts grouped by region (the GP's home region first): the one-region rule shows."""
    out = choices([(NONE_CHOSEN, _l("No choice"))])
    regions = db.session.scalars(sa.select(Region).order_by(Region.name)).all()
    for region in sorted(regions, key=lambda r: r.id != home_region_id):
        out += choices(((t.id, t.name) for t in region.trusts), optgroup=region.name)
    return out


def window_form(
    window: Availability | None = None, *, months: int, home_region_id: int | None = None
) -> AvailabilityForm:
    """The form with its choices, prefilled from ``window`` (or the scheme's months)."""
    form = AvailabilityForm(obj=window)
    specialty_options, trust_options = specialty_choices(), trust_choices(home_region_id)
    for name in SPECIALTY_FIELDS:
        form[name].choices = specialty_options
    for name in TRUST_FIELDS:
        form[name].choices = trust_options
    if not form.is_submitted():
        if window is None:
            form.months.data = months
        else:
            for name, wish in zip(SPECIALTY_FIELDS, window.specialty_wishes, strict=False):
                form[name].data = wish.specialty_id
            for name, wish in zip(TRUST_FIELDS, window.trust_wishes, strict=False):
                form[name].data = wish.trust_id
    return form


def _chosen(form: AvailabilityForm, names: tuple[str, ...]) -> list[tuple[str, int]]:
    """(field name, id) of the selects that have a choice, in rank order."""
    return [(n, form[n].data) for n in names if form[n].data and form[n].data != NONE_CHOSEN]


def form_input(form: AvailabilityForm) -> AvailabilityInput:
    return AvailabilityInput(
        earliest_start=form.earliest_start.data,
        latest_end=form.latest_end.data,
        months=form.months.data,
        specialty_ids=tuple(i for _, i in _chosen(form, SPECIALTY_FIELDS)),
        trust_ids=tuple(i for _, i in _chosen(form, TRUST_FIELDS)),
        accept_other_specialty=bool(form.accept_other_specialty.data),
        split_allowed=bool(form.split_allowed.data),
    )


def show_errors(form: AvailabilityForm, fields: dict[str, str]) -> None:
    """Put the service's errors next to their fields (a field keeps its own first error)."""
    specialties = [n for n, _ in _chosen(form, SPECIALTY_FIELDS)]
    trusts = [n for n, _ in _chosen(form, TRUST_FIELDS)]
    for key, message in fields.items():
        name = key
        if key == "specialties":
            name = specialties[0] if specialties else SPECIALTY_FIELDS[0]
        elif key == "trusts":
            name = trusts[0] if trusts else TRUST_FIELDS[0]
        elif key.startswith(("specialties[", "trusts[")):
            index = int(key[key.index("[") + 1 : -1])
            chosen = specialties if key.startswith("specialties") else trusts
            name = chosen[index] if index < len(chosen) else None
        field = form[name] if name and name in form else None
        if field is not None and not field.errors:
            field.errors = [*field.errors, message]
