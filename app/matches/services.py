"""The rules for matches, shared by the pages, the API and the nightly run.

Each action checks its state, changes it, writes the audit record and queues the
notifications, then flushes; the caller commits once. A broken rule raises MatchConflict
(HTTP 409 in the API, a message on the pages).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app import announce as messages
from app import audit
from app.access import period_ids_in_regions
from app.dates import covers_months, local_today
from app.extensions import db
from app.models import GP, Availability, Forbid, Match, Period, Region, User
from app.models.availability import CURRENT_AVAILABILITY
from app.models.matching import LIVE_MATCH_STATUSES
from app.models.types import utcnow
from app.policy import effective_policy

OPEN_FOR_MATCHING = ("open", "matched", "advertised")


class MatchConflict(Exception):
    """The action does not fit the current state. ``code`` is machine-readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def live_match_for_period(period: Period) -> Match | None:
    return db.session.scalar(
        sa.select(Match).where(Match.period_id == period.id, Match.status.in_(LIVE_MATCH_STATUSES))
    )


def live_match_for_gp(gp: GP) -> Match | None:
    return db.session.scalar(
        sa.select(Match).where(Match.gp_id == gp.id, Match.status.in_(LIVE_MATCH_STATUSES))
    )


def current_availability(gp: GP) -> Availability | None:
    return db.session.scalar(
        sa.select(Availability).where(
            Availability.gp_id == gp.id, Availability.status.in_(CURRENT_AVAILABILITY)
        )
    )


def refresh_period_status(period: Period) -> None:
    """Derive open/matched/filled from the period's live match (withdrawn and advertised
    periods keep their status unless a match now holds them)."""
    live = live_match_for_period(period)
    if live is not None:
        period.status = "filled" if live.status == "accepted" else "matched"
    elif period.status in ("matched", "filled"):
        period.status = "open"


def _end(match: Match, status: str) -> None:
    match.status = status
    match.decided_at = utcnow()
    db.session.flush()
    refresh_period_status(match.period)


def assign(period: Period, gp: GP, *, reason: str, actor: User) -> Match:
    """A coordinator's (or a shortlist's) choice: a pinned match that later runs keep."""
    if period.status not in OPEN_FOR_MATCHING:
        raise MatchConflict("period_not_open", "the period is no longer open")
    if period.start_date <= local_today():
        raise MatchConflict("period_started", "the period has already started")
    window = current_availability(gp)
    if window is None or window.status != "active":
        raise MatchConflict("gp_not_available", "the GP has no active availability window")
    if not (
        window.earliest_start <= period.start_date
        and period.end_date <= window.latest_end
        and covers_months(period.start_date, period.end_date, window.months)
    ):
        raise MatchConflict("outside_window", "the period does not fit the GP's window")
    if (
        gp.months_general_practice
        < effective_policy(period.department.trust).min_months_general_practice
    ):
        raise MatchConflict(
            "not_eligible", "the GP has fewer months of general practice than the rules require"
        )
    gp_match = live_match_for_gp(gp)
    if gp_match is not None and (gp_match.status != "proposed" or gp_match.pinned):
        raise MatchConflict("gp_already_placed", "the GP already has an offer or a placement")
    period_match = live_match_for_period(period)
    if period_match is not None and (period_match.status != "proposed" or period_match.pinned):
        raise MatchConflict("period_taken", "the period already has an offer or a placement")
    if db.session.scalar(
        sa.select(Forbid.id).where(Forbid.period_id == period.id, Forbid.gp_id == gp.id)
    ):
        raise MatchConflict("forbidden", "a coordinator has forbidden this pair")
    for superseded in {m for m in (gp_match, period_match) if m is not None}:
        superseded.status = "cancelled"
        superseded.decided_at = utcnow()
        audit.record("match.superseded", superseded, actor=actor, reason=reason)
    db.session.flush()
    match = Match(
        period=period,
        gp=gp,
        status="proposed",
        source="coordinator",
        pinned=True,
        confirmed_at=utcnow(),
        explanation={"reason": "assigned", "text": reason},
    )
    db.session.add(match)
    db.session.flush()
    refresh_period_status(period)
    audit.record(
        "match.assigned",
        match,
        actor=actor,
        reason=reason,
        data={"period_id": period.id, "gp_id": gp.id},
    )
    messages.override_to_people(match, "assigned", reason)
    messages.proposal_to_trust(match)
    return match


def cancel(match: Match, *, reason: str, actor: User) -> Match:
    if match.status not in ("proposed", "offered"):
        raise MatchConflict("not_cancellable", "only proposals and open offers can be cancelled")
    _end(match, "cancelled")
    audit.record("match.cancelled", match, actor=actor, reason=reason)
    if actor.id == match.gp.user_id:
        messages.gp_withdrew(match)
    else:
        messages.override_to_people(match, "cancelled", reason)
    return match


def unpin(match: Match, *, reason: str, actor: User) -> Match:
    if not match.pinned:
        raise MatchConflict("not_pinned", "the match is not pinned")
    match.pinned = False
    audit.record("match.unpinned", match, actor=actor, reason=reason)
    return match


def forbid(period: Period, gp: GP, *, reason: str, actor: User) -> Forbid:
    """Rule out a pair for good; a live proposal or offer for it is cancelled."""
    existing = db.session.scalar(
        sa.select(Forbid).where(Forbid.period_id == period.id, Forbid.gp_id == gp.id)
    )
    if existing is not None:
        raise MatchConflict("already_forbidden", "this pair is already forbidden")
    live = db.session.scalar(
        sa.select(Match).where(
            Match.period_id == period.id,
            Match.gp_id == gp.id,
            Match.status.in_(LIVE_MATCH_STATUSES),
        )
    )
    if live is not None and live.status == "accepted":
        raise MatchConflict("already_accepted", "the GP has accepted this period")
    item = Forbid(period=period, gp=gp, reason=reason, created_by_id=actor.id)
    db.session.add(item)
    if live is not None:
        _end(live, "cancelled")
        audit.record("match.cancelled", live, actor=actor, reason=reason)
        messages.override_to_people(live, "cancelled", reason)
    db.session.flush()
    audit.record(
        "pair.forbidden",
        item,
        object_type="forbid",
        actor=actor,
        reason=reason,
        data={"period_id": period.id, "gp_id": gp.id},
    )
    return item


def confirm(match: Match, *, actor: User | None) -> Match:
    """Confirm a proposal so that the trust makes an offer."""
    if match.status != "proposed":
        raise MatchConflict("not_proposed", "only proposals can be confirmed")
    if match.confirmed_at is not None:
        raise MatchConflict("already_confirmed", "the proposal is already confirmed")
    match.confirmed_at = utcnow()
    audit.record("match.confirmed", match, actor=actor)
    messages.proposal_to_trust(match)
    return match


def offer(match: Match, *, accept_by: date, actor: User, today: date | None = None) -> Match:
    """Send the GP an offer that must be answered by ``accept_by`` (inclusive)."""
    today = today or local_today()
    if match.status != "proposed":
        raise MatchConflict("not_proposed", "only a proposal can be offered")
    if match.confirmed_at is None:
        raise MatchConflict("not_confirmed", "a coordinator must confirm the proposal first")
    if accept_by < today:
        raise MatchConflict("deadline_in_past", "the acceptance deadline has passed")
    if accept_by >= match.period.start_date:
        raise MatchConflict("deadline_after_start", "the deadline must be before the start")
    match.status = "offered"
    match.accept_by = accept_by
    match.offered_at = utcnow()
    audit.record("match.offered", match, actor=actor, data={"accept_by": accept_by.isoformat()})
    messages.offer_to_gp(match)
    return match


def accept(match: Match, *, actor: User, today: date | None = None) -> Match:
    today = today or local_today()
    if match.status != "offered":
        raise MatchConflict("not_offered", "there is no open offer to accept")
    if today > match.accept_by:
        raise MatchConflict("offer_expired", "the acceptance deadline has passed")
    _end(match, "accepted")
    window = current_availability(match.gp)
    if window is not None:
        window.status = "fulfilled"
    audit.record("match.accepted", match, actor=actor)
    messages.offer_answered(match)
    return match


def decline(match: Match, *, actor: User, today: date | None = None) -> Match:
    """The GP says no: the period is open again and this pair is never proposed again."""
    today = today or local_today()
    if match.status not in ("proposed", "offered"):
        raise MatchConflict("not_declinable", "there is nothing to decline")
    if match.status == "offered" and today > match.accept_by:
        raise MatchConflict("offer_expired", "the acceptance deadline has passed")
    _end(match, "declined")
    audit.record("match.declined", match, actor=actor)
    messages.offer_answered(match)
    return match


def expire_offers(
    as_of: date, actor: User | None = None, region: Region | None = None
) -> list[Match]:
    """Offers whose deadline is before ``as_of`` (in ``region`` only, if given) expire; their
    periods open again."""
    query = sa.select(Match).where(Match.status == "offered", Match.accept_by < as_of)
    if region is not None:
        query = query.where(Match.period_id.in_(period_ids_in_regions([region.id])))
    overdue = db.session.scalars(query.order_by(Match.id)).all()
    for match in overdue:
        _end(match, "expired")
        audit.record("match.expired", match, actor=actor)
        messages.offer_answered(match)
    return list(overdue)


def record_hired(match: Match, *, actor: User) -> Match:
    if match.status != "accepted":
        raise MatchConflict("not_accepted", "only an accepted placement can be hired")
    if match.hired_at is not None:
        raise MatchConflict("already_hired", "the hiring is already recorded")
    match.hired_at = utcnow()
    audit.record("match.hired", match, actor=actor)
    return match
