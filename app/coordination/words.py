"""Words for the codes the coordinators' pages show, in the request's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.labels import AUDIT_ACTIONS

from .policies import RANGES

# MatchConflict codes (app/lifecycle) and the field each belongs to.
CONFLICTS = {
    "period_not_open": ("period_id", _l("The period is no longer open for matching.")),
    "period_started": ("period_id", _l("The period has already started.")),
    "period_taken": ("period_id", _l("The period already has an offer or a placement.")),
    "gp_not_available": ("gp_id", _l("The GP has no active availability window.")),
    "outside_window": ("gp_id", _l("The period does not fit the GP's availability window.")),
    "not_eligible": (
        "gp_id",
        _l("The GP has fewer months of general practice than the trust's rules require."),
    ),
    "gp_already_placed": ("gp_id", _l("The GP already has an offer or a placement.")),
    "forbidden": ("gp_id", _l("A coordinator has forbidden this pair.")),
    "already_forbidden": ("gp_id", _l("This pair is already forbidden.")),
    "already_accepted": ("gp_id", _l("The GP has accepted this period; it cannot be forbidden.")),
    "not_cancellable": ("reason", _l("Only proposals and open offers can be cancelled.")),
    "not_pinned": ("reason", _l("The match is not pinned.")),
    "not_proposed": ("reason", _l("Only proposals can be confirmed.")),
    "already_confirmed": ("reason", _l("The proposal is already confirmed.")),
}


def conflict(code: str, fallback: str) -> tuple[str, str]:
    """(field, message) for a MatchConflict code."""
    field, message = CONFLICTS.get(code, ("reason", None))
    return field, str(message) if message is not None else fallback


def policy_error(field: str, code: str) -> str:
    """The message for a PolicyError code on ``field``."""
    if code == "out_of_range" and field in RANGES:
        low, high = RANGES[field]
        return _("Enter a number from %(low)d to %(high)d.", low=low, high=high)
    return {
        "required": _("This field is required."),
        "too_long": _("The text is too long."),
        "empty": _("Choose at least one priority key."),
        "duplicate": _("Each key can be used once only."),
        "lottery_not_last": _("The lottery decides last: put it in the last used position."),
        "exists": _("This trust already has its own rules."),
        "region_policy": _("A region's rules cannot be removed."),
    }.get(code, _("Not a valid value."))


TRIGGERS = {
    "nightly": _l("nightly"),
    "manual": _l("by a coordinator"),
    "api": _l("through the API"),
}
RUN_STATUSES = {
    "running": _l("running"),
    "succeeded": _l("succeeded"),
    "failed": _l("failed"),
}
SOLVER_STATUSES = {
    "optimal": _l("optimal"),
    "feasible": _l("feasible (time limit reached)"),
    "infeasible": _l("infeasible"),
}
BLOCKING_CAUSES = {
    "pin": _l("a coordinator's assignment holds the GP or the period"),
    "placed": _l("an accepted placement holds the GP or the period"),
    "department_capacity": _l("the department has no supervision capacity left"),
}
CONFIRMATIONS = {
    "automatic": _l("Automatic"),
    "coordinator": _l("By a coordinator"),
}


def label(table: dict, code: str | None) -> str:
    if code is None:
        return "—"
    value = table.get(code)
    return str(value) if value is not None else code


def action_label(code: str) -> str:
    """The action in words, with its code for those who filter by it."""
    value = AUDIT_ACTIONS.get(code)
    return f"{value} ({code})" if value is not None else code


def value_text(value) -> str:
    """An audit value as people read it: lists joined, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)
