"""Words for the GP's pages and the API: reasons, outcomes, conflicts, ranks (lazy strings)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Ordinals for the ranked wishes ("1st choice", ...): MAX_WISHES of them.
SPECIALTY_RANK_LABELS = (
    _l("Specialty, 1st choice"),
    _l("Specialty, 2nd choice"),
    _l("Specialty, 3rd choice"),
    _l("Specialty, 4th choice"),
    _l("Specialty, 5th choice"),
)
TRUST_RANK_LABELS = (
    _l("Trust, 1st choice"),
    _l("Trust, 2nd choice"),
    _l("Trust, 3rd choice"),
    _l("Trust, 4th choice"),
    _l("Trust, 5th choice"),
)

OUTCOME_LABELS = {
    "placed": _l("Placed"),
    "proposed": _l("Proposed"),
    "not_placed": _l("Not placed"),
}

# The engine's reason codes (spec/matching.md and matching/result.py), and not_yet_run,
# in plain words. Never about another GP's identity.
REASON_TEXTS = {
    "outside_window": _l("The period is not within your availability window."),
    "too_short": _l("The period is shorter than the %(months)d months you asked for."),
    "too_long": _l(
        "You can take two blocks, and this period is longer than the %(months)d months you "
        "asked for in all."
    ),
    "specialty_not_wished": _l(
        "You have not wished this specialty, and you do not accept other specialties."
    ),
    "trust_not_wished": _l("You have not wished this trust."),
    "not_eligible": _l(
        "The rules here require at least %(required)d months of general practice before "
        "hospital service. You have %(have)d."
    ),
    "forbidden": _l("A coordinator has ruled out this period for you."),
    "late_for_round": _l(
        "This period was matched in an application round whose deadline had passed when you "
        "registered your window, so the round left you out. Your window waits for the next "
        "round."
    ),
    "higher_priority_candidate_placed": _l(
        "A candidate with higher priority for this period got it."
    ),
    "department_full": _l(
        "The department already supervises as many GPs in training as it can at that time."
    ),
    "placed_elsewhere_preferred": _l("You got a period that you wanted at least as much."),
    "gp_pinned": _l("A coordinator has assigned you to another period."),
    "gp_placed": _l("You already have a placement."),
    "period_pinned": _l("A coordinator has assigned this period to another candidate."),
    "period_placed": _l("Another candidate already has an offer for this period or has taken it."),
    "placements_tradeoff": _l(
        "Your region fills as many periods as possible: giving you this period would have "
        "placed fewer GPs in total."
    ),
    "unexplained": _l("The matching gave no reason. Ask your ALIS coordinator."),
    "not_yet_run": _l(
        "No matching run has considered you for this period yet. The matching runs every night."
    ),
}
# Same codes, said more precisely when we know why.
REASON_VARIANTS = {
    ("forbidden", "declined"): _l("You declined this period, so it is not proposed to you again."),
    ("forbidden", "expired"): _l(
        "You did not answer the offer for this period in time, so it is not proposed to you again."
    ),
    ("not_yet_run", "paused"): _l(
        "Your availability is paused, so the matching leaves you out. Resume it to take part "
        "in the next run."
    ),
    ("matched", "accepted"): _l("You have accepted this period."),
    ("matched", "offered"): _l("You have an offer for this period. Answer by %(deadline)s."),
    ("matched", "proposed"): _l("You are proposed for this period."),
}

# MatchConflict and availability conflict codes, translated (the services' messages are English).
# After pausing, resuming or withdrawing a window.
STATUS_MESSAGES = {
    "pause": _l("Your availability is paused. The matching leaves you out until you resume."),
    "resume": _l("Your availability is active again."),
    "withdraw": _l("Your availability is withdrawn."),
}
