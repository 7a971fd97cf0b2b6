"""Transitions of a GP's availability window: create, change, pause, resume, withdraw
(fulfilled comes with an accepted offer, app.lifecycle.matches). Input rules are
app.gps.services; each transition validates, audits and notifies here, then flushes."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from app import announce, audit
from app.extensions import db
from app.gps.services import (
    AUDIT_TYPE,
    AvailabilityInput,
    availability_conflict,
    current_window,
    raise_if_invalid,
    snapshot,
    validate_availability,
    window_fits,
)
from app.matches.blocks import blocks_problem
from app.matches.queries import live_matches_for_gp
from app.models import GP, Availability, Match, User
from app.models.statuses import CURRENT_AVAILABILITY, AvailabilityStatus, MatchStatus
from app.municipalities.services import lapse_endorsement

from .matches import accept, cancel, decline
from .transitions import new, set_status

# action -> (statuses it applies to, new status)
_TRANSITIONS = {
    "pause": ((AvailabilityStatus.ACTIVE,), AvailabilityStatus.PAUSED),
    "resume": ((AvailabilityStatus.PAUSED,), AvailabilityStatus.ACTIVE),
    "withdraw": (CURRENT_AVAILABILITY, AvailabilityStatus.WITHDRAWN),
}
# Why the GP's live proposal ended (kept in the audit log as written).
_CANCEL_REASONS = {
    "pause": "GP paused availability",
    "withdraw": "GP withdrew availability",
    "update": "GP changed availability: the period no longer fits the window",
}


def create_availability(
    gp: GP, data: AvailabilityInput, *, actor: User, today: date | None = None
) -> Availability:
    """Add the GP's current (active) window with its ranked wishes; audits and flushes."""
    if current_window(gp) is not None:
        raise availability_conflict("availability_exists")
    checked = validate_availability(data, today=today)
    raise_if_invalid(checked)
    window = new(
        Availability,
        AvailabilityStatus.ACTIVE,
        gp_id=gp.id,  # not gp=gp: the backref would add it before the savepoint
        earliest_start=data.earliest_start,
        latest_end=data.latest_end,
        months=data.months,
        accept_other_specialty=data.accept_other_specialty,
        split_allowed=data.split_allowed,
    )
    window.set_wishes(checked.specialties, checked.trusts)
    try:
        with db.session.begin_nested():
            db.session.add(window)
            db.session.flush()
    except sa.exc.IntegrityError as error:  # a window made at the same moment elsewhere
        raise availability_conflict("availability_exists") from error
    audit.record(
        "availability.created",
        window,
        object_type=AUDIT_TYPE,
        actor=actor,
        data=snapshot(window),
    )
    announce.availability_registered(window, today)
    return window


def check_editable(window: Availability, *, keep_placements: bool = False) -> list[Match]:
    """The GP's live proposals, if the live matches allow the window to change; else a
    conflict. ``keep_placements``: an accepted block of a split stays when the GP pauses or
    withdraws the search for the other."""
    if window.status not in CURRENT_AVAILABILITY:
        raise availability_conflict("not_current")
    live = live_matches_for_gp(window.gp_id)
    if any(m.status == MatchStatus.OFFERED for m in live):
        raise availability_conflict("has_offer")
    accepted = any(m.status == MatchStatus.ACCEPTED for m in live)
    if accepted and not (keep_placements and window.split_allowed):
        raise availability_conflict("has_placement")
    return [m for m in live if m.status == MatchStatus.PROPOSED]


def update_availability(
    window: Availability, data: AvailabilityInput, *, actor: User, today: date | None = None
) -> dict[str, list[Any]]:
    """Change the window and its wishes; a live proposal that no longer fits is cancelled.
    Audits and flushes; returns the changes {field: [before, after]}."""
    proposals = check_editable(window)
    checked = validate_availability(data, current=window, today=today)
    raise_if_invalid(checked)
    before = snapshot(window)
    # validated above: none of the three is missing
    assert data.earliest_start and data.latest_end and data.months
    window.earliest_start = data.earliest_start
    window.latest_end = data.latest_end
    window.months = data.months
    window.accept_other_specialty = data.accept_other_specialty
    window.split_allowed = data.split_allowed
    if [s.id for s in window.specialties] != [s.id for s in checked.specialties] or [
        t.id for t in window.trusts
    ] != [t.id for t in checked.trusts]:
        window.set_wishes([], [])
        db.session.flush()  # the old ranks go before the new ones take their places
        window.set_wishes(checked.specialties, checked.trusts)
    db.session.flush()
    after = snapshot(window)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        audit.record(
            "availability.updated", window, object_type=AUDIT_TYPE, actor=actor, data=changes
        )
        lapse_endorsement(window, changes, actor=actor)  # it covered the old dates
    kept: list[Match] = []
    for live in proposals:
        # a proposal that no longer fits the window, or no longer beside the others
        if not window_fits(window, live.period) or blocks_problem(
            window, [m.period for m in kept] + [live.period]
        ):
            cancel(live, reason=_CANCEL_REASONS["update"], actor=actor)
        else:
            kept.append(live)
    return changes


def set_availability_status(window: Availability, action: str, *, actor: User) -> Availability:
    """Pause, resume or withdraw the window; pausing or withdrawing cancels a live proposal
    (an offer must be declined first), resuming alerts subscribed trust staff again. Audits
    and flushes."""
    if action not in _TRANSITIONS:
        raise availability_conflict("bad_transition")
    allowed, new_status = _TRANSITIONS[action]
    if window.status not in CURRENT_AVAILABILITY:
        raise availability_conflict("not_current")
    if window.status not in allowed:
        raise availability_conflict("bad_transition")
    proposals = check_editable(window, keep_placements=True) if action != "resume" else []
    old = window.status
    set_status(window, new_status)
    db.session.flush()
    audit.record(
        f"availability.{new_status}",
        window,
        object_type=AUDIT_TYPE,
        actor=actor,
        data={"status": [old, new_status]},
    )
    for live in proposals:
        cancel(live, reason=_CANCEL_REASONS[action], actor=actor)
    if action == "resume":  # available again: the trusts hear of it as of a new window
        announce.availability_registered(window)
    return window


def answer_match(match: Match, answer: str, *, actor: User, reason: str | None = None) -> Match:
    """The GP accepts or declines, with an optional reason for a decline (MatchConflict on
    conflict)."""
    if answer == "accept":
        return accept(match, actor=actor)
    return decline(match, actor=actor, reason=reason)
