"""Words for codes shown to users, in the request's language."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.matches.queries import stage
from app.models import Match, Period
from app.models.statuses import PeriodStatus

ROLE_LABELS = {
    "gp": _l("GP in specialist training"),
    "trust": _l("Trust staff"),
    "coordinator": _l("ALIS coordinator"),
    "admin": _l("Administrator"),
    "municipality": _l("Municipality"),
}
MODE_LABELS = {
    "strict_priority": _l("Strict priority"),
    "max_placements": _l("As many placements as possible"),
}
INTAKE_LABELS = {
    "continuous": _l("Continuous: matched every night"),
    "rounds": _l("In application rounds"),
}
PRIORITY_LABELS = {
    "catchment": _l("Lives in the trust's catchment area"),
    "first_choice": _l("The specialty is the first choice"),
    "months_general_practice": _l("Months of general practice"),
    "courses_completed": _l("Courses completed"),
    "supervision_group_months": _l("Months in a supervision group"),
    "registered_at": _l("Registration time (earliest first)"),
    "municipality_priority": _l("The municipality's own priority (lower first)"),
    "lottery": _l("Lottery"),
}
SCHEME_LABELS = {
    "new": _l("New scheme (6 months in hospital)"),
    "old": _l("Old scheme, transition (12 months in hospital)"),
}
MATCH_STATUS_LABELS = {
    "proposed": _l("proposed"),
    "offered": _l("offered"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "expired": _l("expired"),
    "cancelled": _l("cancelled"),
}
# A match's stage (app.matches.queries.stage): its status, with confirmed proposals apart.
MATCH_STAGE_LABELS = {
    **MATCH_STATUS_LABELS,
    "confirmed": _l("proposed and confirmed"),
    "awaiting_choice": _l("shortlist: the department chooses"),
}
PERIOD_STATUS_LABELS = {
    "open": _l("open"),
    "matched": _l("matched"),
    "filled": _l("filled"),
    "advertised": _l("advertised the ordinary way"),
    "withdrawn": _l("withdrawn"),
}
AVAILABILITY_STATUS_LABELS = {
    "active": _l("active"),
    "paused": _l("paused"),
    "withdrawn": _l("withdrawn"),
    "fulfilled": _l("fulfilled"),
}

PERIOD_SOURCE_LABELS = {
    "parental_leave": _l("Parental leave"),
    "leave_of_absence": _l("Leave of absence"),
    "vacancy": _l("Vacant post"),
    "earmarked_post": _l("Post earmarked for ALIS"),
    "other": _l("Other"),
}
# What each audit action means, for every page that shows the log.
AUDIT_ACTIONS = {
    "period.published": _l("Period published"),
    "period.updated": _l("Period changed"),
    "period.withdrawn": _l("Period withdrawn"),
    "period.advertised": _l("Period advertised the ordinary way"),
    "match.assigned": _l("Candidate assigned"),
    "match.chosen": _l("Candidate chosen from the shortlist"),
    "match.confirmed": _l("Proposal confirmed"),
    "match.superseded": _l("Proposal replaced"),
    "match.cancelled": _l("Match cancelled"),
    "match.unpinned": _l("Assignment unpinned"),
    "match.offered": _l("Offer sent"),
    "match.accepted": _l("Offer accepted"),
    "match.declined": _l("Declined"),
    "match.expired": _l("Offer expired"),
    "match.hired": _l("Hiring recorded"),
    "pair.forbidden": _l("Pair forbidden"),
    "matching.run": _l("Matching run"),
    "policy.updated": _l("Rules changed"),
    "policy.created": _l("Trust rules created"),
    "policy.removed": _l("Trust rules removed"),
    "policy.round_added": _l("Application round added"),
    "policy.round_removed": _l("Application round removed"),
    "availability.created": _l("Availability registered"),
    "availability.updated": _l("Availability changed"),
    "availability.paused": _l("Availability paused"),
    "availability.active": _l("Availability resumed"),
    "availability.withdrawn": _l("Availability withdrawn"),
    "gp.registered": _l("GP registered"),
    "gp.profile_updated": _l("Profile changed"),
    "department.capacity_changed": _l("ALIS capacity changed"),
    "user.created": _l("Account created"),
    "user.password_changed": _l("Password changed"),
    "webhook.created": _l("Webhook for HR set up"),
    "webhook.url_changed": _l("Webhook address changed"),
    "webhook.secret_rotated": _l("Webhook secret replaced"),
    "webhook.removed": _l("Webhook removed"),
    "webhook.resent": _l("Webhook event sent again"),
    "user.municipalities_changed": _l("Municipalities changed"),
    "availability.endorsed": _l("Window endorsed by the municipality"),
    "availability.endorsement_withdrawn": _l("The municipality withdrew its endorsement"),
    "availability.endorsement_lapsed": _l("Endorsement lapsed: the window changed"),
    "gp.municipality_priority_changed": _l("The municipality's priority changed"),
    "period.learning_goals_changed": _l("Learning goals of the period changed"),
    "placement.goals_confirmed": _l("Learning goals reached confirmed"),
    "survey.answered": _l("Evaluation answered"),
}


def audit_action_label(code: str) -> str:
    text = AUDIT_ACTIONS.get(code)
    return str(text) if text is not None else code


ERROR_TITLES = {
    400: _l("Something was wrong with the request"),
    401: _l("You need to log in"),
    403: _l("You do not have access to this page"),
    404: _l("We could not find the page"),
    405: _l("That is not possible here"),
    429: _l("Too many requests"),
}
ERROR_TEXTS = {
    403: _l(
        "Your role does not give access to this page. Log in with another account if you have one."
    ),
    404: _l("The page does not exist, or you do not have access to it."),
    429: _l("Wait a little and try again."),
}


def match_stage_label(match: Match) -> str:
    return str(MATCH_STAGE_LABELS.get(stage(match), match.status))


def period_state_label(period: Period, live: Match | None) -> str:
    """A period's status in words; while a live proposal or offer holds it, the words of that
    match's stage (so that the period never says "proposed" while an offer is out)."""
    if period.status == PeriodStatus.MATCHED and live is not None:
        return match_stage_label(live)
    return str(PERIOD_STATUS_LABELS.get(period.status, period.status))


def selection_label(selection: str, size: int) -> str:
    if selection == "shortlist":
        return _("The department chooses from a shortlist of up to %(n)d candidates", n=size)
    return _("The matching proposes one candidate")


def init_app(app: Flask) -> None:
    filters = app.jinja_env.filters
    filters["format_date"] = lambda value, fmt="medium": format_date(value, fmt)
    filters["format_datetime"] = lambda value, fmt="medium": format_datetime(value, fmt)
    filters["role_label"] = lambda code: ROLE_LABELS.get(code, code)
    filters["mode_label"] = lambda code: MODE_LABELS.get(code, code)
    filters["intake_label"] = lambda code: INTAKE_LABELS.get(code, code)
    filters["priority_label"] = lambda code: PRIORITY_LABELS.get(code, code)
    filters["scheme_label"] = lambda code: SCHEME_LABELS.get(code, code)
    filters["selection_label"] = selection_label
    filters["match_status_label"] = lambda code: MATCH_STATUS_LABELS.get(code, code)
    filters["availability_status_label"] = lambda code: AVAILABILITY_STATUS_LABELS.get(code, code)
    filters["audit_action_label"] = audit_action_label
    filters["period_status_label"] = lambda code: PERIOD_STATUS_LABELS.get(code, code)
    filters["match_stage_label"] = match_stage_label
    filters["period_state_label"] = period_state_label
    filters["period_source_label"] = lambda code: PERIOD_SOURCE_LABELS.get(code, code)
    filters["error_title"] = lambda code: ERROR_TITLES.get(code, _("Something went wrong"))
    filters["error_text"] = lambda code: ERROR_TEXTS.get(
        code, _("The error is logged. Try again, or contact the ALIS coordinator.")
    )
