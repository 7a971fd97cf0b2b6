"""Forms for the coordinators' pages. Choices that depend on the user's region are set by
the routes; the rules themselves live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.errors import InvalidInput
from app.forms import BaseForm, choices
from app.labels import PRIORITY_LABELS
from app.models.reference import PRIORITY_KEYS
from app.runs.services import check_run_date

from .policies import REASON_MAX

NO_KEY = ""


def optional_int(value):
    """'' → None (the "choose" option), digits → int; anything else is not a choice."""
    if value in (None, ""):
        return None
    return int(value)


def reason_field(label=None, required=True):
    validators = [DataRequired(message=_l("Give a reason."))] if required else [Optional()]
    return TextAreaField(
        label or _l("Reason"),
        validators=[*validators, Length(max=REASON_MAX)],
        description=_l("Saved in the audit log with your name."),
    )


class RunForm(BaseForm):
    as_of = DateField(
        _l("Situation on"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l(
            "The run treats this day as today: offers past their deadline expire, periods "
            "past their fallback date are advertised."
        ),
    )

    region = SelectField(
        _l("Region"),
        choices=[],
        default="",
        validate_choice=True,
        invalid_choice_message=_l("Choose a region from the list."),
    )

    def validate_as_of(self, field):
        # The rule is the runs service's (a dry run may look ahead, within five years).
        if field.data is not None:
            try:
                check_run_date(field.data, dry_run=True)
            except InvalidInput as error:
                raise ValidationError(error.message) from error


class PairForm(BaseForm):
    """A period and a GP with a reason: a manual assignment or a forbidden pair."""

    period_id = SelectField(
        _l("Period"),
        coerce=optional_int,
        validators=[InputRequired(message=_l("Choose a period."))],
        invalid_value_message=_l("Choose a period from the list."),
        invalid_choice_message=_l("Choose a period from the list."),
    )
    gp_id = SelectField(
        _l("GP"),
        coerce=optional_int,
        validators=[InputRequired(message=_l("Choose a GP."))],
        invalid_value_message=_l("Choose a GP from the list."),
        invalid_choice_message=_l("Choose a GP from the list."),
    )
    reason = reason_field()


class ReasonForm(BaseForm):
    reason = reason_field()


class ConfirmForm(BaseForm):
    """Confirming a proposal needs no reason: it follows the policy."""


class OverrideForm(BaseForm):
    trust_id = SelectField(
        _l("Trust"),
        coerce=optional_int,
        validators=[InputRequired(message=_l("Choose a trust."))],
        invalid_value_message=_l("Choose a trust from the list."),
        invalid_choice_message=_l("Choose a trust from the list."),
    )
    reason = reason_field()


def _priority_choices():
    return choices([(NO_KEY, "—"), *((k, PRIORITY_LABELS[k]) for k in PRIORITY_KEYS)])


class PolicyForm(BaseForm):
    """Ranges and choices are checked by the policy service (the API's rules too)."""

    priority_1 = SelectField(_l("Position %(n)d", n=1), choices=_priority_choices())
    priority_2 = SelectField(_l("Position %(n)d", n=2), choices=_priority_choices())
    priority_3 = SelectField(_l("Position %(n)d", n=3), choices=_priority_choices())
    priority_4 = SelectField(_l("Position %(n)d", n=4), choices=_priority_choices())
    priority_5 = SelectField(_l("Position %(n)d", n=5), choices=_priority_choices())
    priority_6 = SelectField(_l("Position %(n)d", n=6), choices=_priority_choices())
    priority_7 = SelectField(_l("Position %(n)d", n=7), choices=_priority_choices())
    priority_8 = SelectField(_l("Position %(n)d", n=8), choices=_priority_choices())
    min_months_general_practice = IntegerField(
        _l("Minimum months of general practice"),
        validators=[InputRequired(message=_l("Enter a number."))],
        description=_l("From 0 to 120. GPs with fewer months are not matched."),
    )
    fallback_months = IntegerField(
        _l("Months before a period falls back to ordinary advertising"),
        validators=[InputRequired(message=_l("Enter a number."))],
        description=_l("From 1 to 12. Applies to periods published from now on."),
    )
    mode = RadioField(
        _l("Mode"),
        choices=choices(
            [
                (
                    "strict_priority",
                    _l("Strict priority: never pass over a GP with higher priority"),
                ),
                (
                    "max_placements",
                    _l("As many placements as possible, even if a GP with higher priority waits"),
                ),
            ]
        ),
        validators=[InputRequired(message=_l("Choose a mode."))],
    )
    selection = RadioField(
        _l("Who chooses the candidate"),
        choices=choices(
            [
                ("solver", _l("The matching proposes one candidate")),
                ("shortlist", _l("The department chooses from a ranked shortlist")),
            ]
        ),
        validators=[InputRequired(message=_l("Choose who chooses."))],
    )
    shortlist_size = IntegerField(
        _l("Candidates on a shortlist"),
        validators=[InputRequired(message=_l("Enter a number."))],
        description=_l("From 1 to 50."),
    )
    confirmation = RadioField(
        _l("Confirmation of proposals"),
        choices=choices(
            [
                ("automatic", _l("Automatic: the trust is asked to make an offer at once")),
                ("coordinator", _l("A coordinator confirms each proposal first")),
            ]
        ),
        validators=[InputRequired(message=_l("Choose how proposals are confirmed."))],
    )
    offer_days = IntegerField(
        _l("Days a GP has to answer an offer"),
        validators=[InputRequired(message=_l("Enter a number."))],
        description=_l("From 1 to 90."),
    )
    endorsement_required = BooleanField(
        _l("Match only windows the GP's municipality has endorsed"),
        description=_l(
            "A rule of the region (the Ahus and UNN practice): a window waits until a "
            "municipality user endorses it."
        ),
    )
    verified_progress_only = BooleanField(
        _l("Rank by verified progress measures only"),
        description=_l(
            "A rule of the region: months in general practice, courses and supervision-group "
            "months count as verified by a municipality user or a coordinator; a measure never "
            "verified counts as 0."
        ),
    )
    intake = RadioField(
        _l("Intake"),
        choices=choices(
            [
                ("continuous", _l("Continuous: every nightly run matches the periods")),
                (
                    "rounds",
                    _l("In application rounds: periods and windows wait for the next round"),
                ),
            ]
        ),
        validators=[InputRequired(message=_l("Choose the intake."))],
        description=_l("Add the rounds below before choosing rounds."),
    )
    reason = reason_field(_l("Reason for the change"))

    def priority_fields(self):
        return [getattr(self, f"priority_{i}") for i in range(1, len(PRIORITY_KEYS) + 1)]

    def priority(self) -> list[str]:
        return [f.data for f in self.priority_fields() if f.data]

    def fill_priority(self, keys) -> None:
        for position, f in enumerate(self.priority_fields()):
            f.data = keys[position] if position < len(keys) else NO_KEY


class RoundForm(BaseForm):
    """A new application round of a policy (app.coordination.policies.add_round)."""

    apply_by = DateField(
        _l("Application deadline"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l("Windows registered on this day or before enter the round."),
    )
    match_on = DateField(
        _l("Matching date"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l("The first nightly run on or after this day matches the round, once."),
    )
    answer_by = DateField(
        _l("Answer date"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l("The acceptance deadline of the round's offers."),
    )
    # not "reason": the rules' form on the same page has that field (ids stay unique)
    round_reason = reason_field(_l("Reason for the round"))


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    object = StringField(
        _l("Object"),
        validators=[Optional(), Length(max=40)],
        description=_l("Type and number, e.g. period:12, match:3, gp:5, policy:1, run:7."),
    )
    person = StringField(
        _l("Person"),
        validators=[Optional(), Length(max=120)],
        description=_l("Part of the email address or name of who did it."),
    )
    action = SelectField(_l("Action"), validators=[Optional()])


class WaitingFilterForm(BaseForm):
    """The waiting list's filters (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    specialty = SelectField(
        _l("Specialty"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l("GPs who wish it, wish any specialty, or accept another."),
    )
    state = SelectField(
        _l("Show"),
        choices=choices(
            [
                ("all", _l("Everyone on the list")),
                ("waiting", _l("Only those without a match")),
                ("matched", _l("Only those with a proposal, offer or placement")),
                ("below_minimum", _l("Only those below the minimum months")),
            ]
        ),
        default="all",
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Order"),
        choices=choices([("priority", _l("Priority (the region's rules)")), ("name", _l("Name"))]),
        default="priority",
        validators=[Optional()],
    )
