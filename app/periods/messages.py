"""The services' machine codes in words, for the pages (the API sends the codes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_ERRORS = {
    ("start_date", "in_the_past"): _l("The first day cannot be in the past."),
    ("end_date", "end_before_start"): _l("The last day must be after the first day."),
    ("end_date", "too_short"): _l("A period must last at least 3 months."),
    ("source", "unknown"): _l("Choose from the list."),
    ("department_id", "unknown"): _l("Choose a department."),
    ("department_id", "cannot_change"): _l(
        "The department cannot change. Withdraw the period and publish a new one."
    ),
    ("split_months", "too_short"): _l("Each part must last at least 3 months."),
    ("split_months", "no_split"): _l(
        "The period is too short to split into parts of this length. Leave the field empty "
        "to publish it as one period."
    ),
    ("reason", "required"): _l("Give a reason."),
}

CONFLICTS = {
    "period_not_open": _l("The period is no longer open, so this is not possible."),
    "not_withdrawable": _l("A filled or withdrawn period cannot be withdrawn."),
    "no_candidate": _l("The period has no candidate to make an offer to."),
    "not_proposed": _l("Only a proposed candidate can get an offer."),
    "not_confirmed": _l("The ALIS coordinator must confirm the proposal before you make an offer."),
    "deadline_in_past": _l("The deadline cannot be in the past."),
    "deadline_after_start": _l("The deadline must be before the period starts."),
    "not_accepted": _l("Only a period the GP has accepted can be recorded as hired."),
    "already_hired": _l("The hiring is already recorded."),
    "not_on_shortlist": _l("That GP is not on the shortlist any more."),
    "period_started": _l("The period has already started."),
    "gp_not_available": _l("The GP no longer has an active availability window."),
    "outside_window": _l("The period does not fit the GP's availability window."),
    "gp_already_placed": _l("The GP already has an offer or a placement."),
    "period_taken": _l("The period already has an offer or a placement."),
    "forbidden": _l("The ALIS coordinator has ruled out this GP for this period."),
    "not_cancellable": _l("The match can no longer be cancelled."),
}

SHORTLIST_UNAVAILABLE = {
    "solver_policy": _l("The matching proposes one candidate for this trust."),
    "chosen": _l("The period has its candidate, so no shortlist is shown."),
    "not_in_problem": _l(
        "The period is not open for matching (it has started, is advertised the ordinary way, "
        "or is closed), so there is no shortlist."
    ),
    "forbidden": _l("The period belongs to another trust."),
}


def field_error(field: str, code: str) -> str:
    return str(FIELD_ERRORS.get((field, code), _l("Check this field.")))


def conflict(code: str, fallback: str) -> str:
    text = CONFLICTS.get(code)
    return str(text) if text is not None else fallback
