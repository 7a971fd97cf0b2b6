"""Words for the codes the coordinators' pages show, in the request's language."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.catalogue import FIELD_OF, describe, describe_field
from app.labels import AUDIT_ACTIONS
from app.models import MatchingRun
from app.policy import effective_policy
from app.runs.guard import is_stale
from matching.dates import months_covered

from .policies import RANGES


def conflict(code: str) -> tuple[str, str]:
    """(form field, words) for a MatchConflict code on the assign and forbid pages."""
    return FIELD_OF.get(code, "reason"), describe(code)


def policy_error(field: str, code: str) -> str:
    """The words for a PolicyError code on ``field``."""
    params = {}
    if code == "out_of_range" and field in RANGES:
        params = dict(zip(("low", "high"), RANGES[field], strict=True))
    return describe_field(field, code, **params)


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
STOPPED = _l("stopped without finishing")
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
# The groups of blocking pairs on a run's page, by cause.
BLOCKING_GROUPS = {
    "pin": _l("A coordinator's assignment"),
    "placed": _l("An accepted placement or offer"),
    "department_capacity": _l("Department capacity"),
}
# The same, naming the side that is held (the engine's reason for the pair).
BLOCKING_REASONS = {
    "gp_pinned": _l("a coordinator has assigned %(gp)s to another period"),
    "gp_placed": _l("%(gp)s already has an offer or a placement for another period"),
    "period_pinned": _l("a coordinator has assigned the period to %(holder)s"),
    "period_placed": _l("%(holder)s already has an offer for the period or has taken it"),
    "department_full": _l("the department has no supervision capacity left"),
}
BLOCKING_REASONS_NO_HOLDER = {
    "period_pinned": _l("a coordinator has assigned the period to another GP"),
    "period_placed": _l("another GP already has an offer for the period or has taken it"),
}


CONFIRMATIONS = {
    "automatic": _l("Automatic"),
    "coordinator": _l("By a coordinator"),
}


def blocking_text(blocking) -> str:
    """Why priority could not be followed for a pair (a stored RunBlockingPair), naming what holds
    it: the GP's own assignment or placement, the period's holder, or the department."""
    gp = blocking.gp.name if blocking.gp else "—"
    holder = blocking.holder.name if blocking.holder else None
    text = BLOCKING_REASONS.get(blocking.reason or "")
    if text is None:
        return label(BLOCKING_CAUSES, blocking.cause)
    if holder is None and blocking.reason in BLOCKING_REASONS_NO_HOLDER:
        return str(BLOCKING_REASONS_NO_HOLDER[blocking.reason])
    return str(text) % {"gp": gp, "holder": holder}


def label(table: dict, code: str | None) -> str:
    if code is None:
        return "—"
    value = table.get(code)
    return str(value) if value is not None else code


def run_stopped(run: MatchingRun) -> bool:
    """Whether the run stopped without finishing (its process died), marked failed or not."""
    return is_stale(run)


def run_status(run: MatchingRun) -> str:
    """The run's status in words; a run whose process died says so at once."""
    return str(STOPPED) if is_stale(run) else label(RUN_STATUSES, run.status)


def action_label(code: str) -> str:
    """The action in words (the filter's choices and the log say the same)."""
    value = AUDIT_ACTIONS.get(code)
    return str(value) if value is not None else code


def value_text(value) -> str:
    """An audit value as people read it: lists joined, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


# The engine's reasons a GP does not fit a period (matching.pair_reasons), said to a
# coordinator with the facts behind each; the GP's own pages word them for the GP.
FIT_REASONS = {
    "outside_window": _l("Available %(window)s; the period runs %(period)s."),
    "too_short": _l("Asks for %(wanted)d months; the period covers %(covered)d."),
    "too_long": _l("Takes two blocks of %(wanted)d months in all; the period covers %(covered)d."),
    "specialty_not_wished": _l("Wishes %(wishes)s and does not accept another specialty."),
    "trust_not_wished": _l("Wishes %(wishes)s, not %(trust)s."),
    "not_eligible": _l(
        "Has %(have)d months of general practice; the rules here require %(required)d."
    ),
    "forbidden": _l("A coordinator has forbidden this pair."),
}
REFUSALS = {
    "declined": _l("Declined this period before, so it is not proposed again."),
    "expired": _l("Did not answer an offer for this period in time, so it is not proposed again."),
}


def _span(start, end) -> str:
    return f"{format_date(start, 'short')}–{format_date(end, 'short')}"


def fit_reasons(verdict, period) -> list[str]:
    """Why the GP of ``verdict`` (app.coordination.fit.Verdict) does not fit ``period``."""
    window = verdict.window
    facts = {
        "outside_window": {
            "window": _span(window.earliest_start, window.latest_end),
            "period": _span(period.start_date, period.end_date),
        },
        "too_short": {
            "wanted": window.months,
            "covered": months_covered(period.start_date, period.end_date),
        },
        "too_long": {
            "wanted": window.months,
            "covered": months_covered(period.start_date, period.end_date),
        },
        "specialty_not_wished": {
            "wishes": ", ".join(s.name for s in window.specialties) or "—",
        },
        "trust_not_wished": {
            "wishes": ", ".join(t.short_name for t in window.trusts) or "—",
            "trust": period.department.trust.short_name,
        },
        "not_eligible": {
            "have": verdict.gp.months_general_practice,
            "required": effective_policy(period.department.trust).min_months_general_practice,
        },
    }
    out = []
    for code in verdict.reasons:
        if code == "forbidden" and verdict.refusal in REFUSALS:
            out.append(str(REFUSALS[verdict.refusal]))
        elif code in FIT_REASONS:
            out.append(str(FIT_REASONS[code]) % facts.get(code, {}))
        else:
            out.append(describe(code))
    return out


def iso_date(text: str | None) -> str:
    """A date the engine wrote (YYYY-MM-DD) in the viewer's locale."""
    if not text:
        return "—"
    try:
        return format_date(date.fromisoformat(text[:10]))
    except ValueError:
        return text
