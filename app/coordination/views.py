"""Glue between the coordinators' forms and the services: choice lists, preselection,
and service errors put next to the fields they belong to."""

from __future__ import annotations

from flask import request
from flask_babel import format_date
from flask_babel import gettext as _

from app import access
from app.forms import choices
from app.labels import PERIOD_STATUS_LABELS
from app.models import GP, Period, User

from . import words
from .audit_log import actions_in
from .forms import PairForm, PolicyForm
from .policies import PolicyError


def period_choices(periods: list[Period]):
    """Periods grouped by trust, with department, dates and status."""
    out = choices([("", _("Choose a period"))])
    for period in periods:
        label = _(
            "%(department)s: %(start)s–%(end)s (%(status)s)",
            department=period.department.name,
            start=format_date(period.start_date, "short"),
            end=format_date(period.end_date, "short"),
            status=PERIOD_STATUS_LABELS.get(period.status, period.status),
        )
        out += choices([(period.id, label)], optgroup=period.department.trust.name)
    return out


def gp_choices(gps: list[GP]):
    return choices(
        [
            ("", _("Choose a GP")),
            *((gp.id, f"{gp.name} ({gp.municipality.name}, HPR {gp.hpr_number})") for gp in gps),
        ]
    )


def preselect(form: PairForm, user: User) -> None:
    """Fill the period and GP from ?period_id= and ?gp_id= (404 outside the user's scope)."""
    period_id = request.args.get("period_id", type=int)
    gp_id = request.args.get("gp_id", type=int)
    if period_id is not None:
        form.period_id.data = access.get_period_or_404(period_id, user).id
    if gp_id is not None:
        form.gp_id.data = access.get_gp_or_404(gp_id, user).id


def policy_changes(form: PolicyForm, fields: tuple[str, ...]) -> dict:
    """The submitted values of the fields that passed the form's own checks."""
    changes = {}
    for name in fields:
        if name == "priority":
            if not any(f.errors for f in form.priority_fields()):
                changes["priority"] = form.priority()
        elif name not in form:  # not offered here (a region's rule on a trust's override)
            continue
        elif not form[name].errors:
            changes[name] = form[name].data
    return changes


def apply_policy_errors(form: PolicyForm, error: PolicyError) -> None:
    """Put each service error next to its field; priority errors next to the position."""
    used = [f for f in form.priority_fields() if f.data]
    for name, code in error.fields.items():
        message = words.policy_error(name, code)
        if name != "priority":
            form[name if name in form else "reason"].errors.append(message)
        elif code == "duplicate" and error.duplicate_positions:
            for position in error.duplicate_positions:
                used[position - 1].errors.append(message)
        elif code == "lottery_not_last":
            next(f for f in used if f.data == "lottery").errors.append(message)
        else:
            form.priority_1.errors.append(message)


def audit_action_choices(visible_query):
    return choices(
        [
            ("", _("Any action")),
            *((code, words.action_label(code)) for code in actions_in(visible_query)),
        ]
    )
