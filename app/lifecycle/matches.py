"""Transitions of matches: propose, assign, confirm, offer, accept, decline, expire, cancel,
unpin, forbid, hire, and the run's superseding of a proposal.

Each one checks the state, changes it through ``set_status``, audits and queues the
notifications, then flushes; the edge commits once. A period's status follows its live match
(``follow_match``). A broken rule raises MatchConflict (409 in the API, a message on pages).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from app import announce, audit
from app.access import current_window, period_ids_in_regions
from app.dates import local_today
from app.errors import InvalidInput, MatchConflict
from app.extensions import db
from app.gps.services import window_fits
from app.handoff.webhooks import queue_placement_event
from app.matches.blocks import blocks_problem, months_left
from app.matches.queries import free_slot, live_match_for_period, live_matches_for_gp
from app.models import GP, Availability, Forbid, Match, MatchingRun, Period, Region, User
from app.models.statuses import (
    LIVE_MATCH_STATUSES,
    OPEN_FOR_MATCHING,
    AvailabilityStatus,
    MatchStatus,
    PeriodStatus,
)
from app.models.types import utcnow
from app.policy import effective_policy

from .transitions import new, set_status

# The longest reason a GP may give for declining (pages and API check it before).
DECLINE_REASON_MAX = 1000


def follow_match(period: Period) -> None:
    """The period's status follows its live match: matched while a proposal or offer holds
    it, filled once accepted, open again when the match ends (withdrawn and advertised
    periods keep their status unless a match now holds them)."""
    live = live_match_for_period(period)
    if live is not None:
        accepted = live.status == MatchStatus.ACCEPTED
        set_status(period, PeriodStatus.FILLED if accepted else PeriodStatus.MATCHED)
    elif period.status == PeriodStatus.MATCHED:
        set_status(period, PeriodStatus.OPEN)


def _end(match: Match, status: MatchStatus) -> None:
    """End a live match: its period follows (open again, or filled)."""
    set_status(match, status)
    match.decided_at = utcnow()
    db.session.flush()
    follow_match(match.period)
    announce.match_to_municipality(match)  # placed, or the practice needs no locum now


def assign(
    period: Period,
    gp: GP,
    *,
    reason: str,
    actor: User,
    shortlist: dict[str, Any] | None = None,
) -> Match:
    """A coordinator's (or a shortlist's) choice: a pinned match that later runs keep.
    ``shortlist`` (the department's choice, see ``choose``) is kept in the explanation and
    audited as match.chosen instead of match.assigned."""
    if period.status not in OPEN_FOR_MATCHING:
        raise MatchConflict("period_not_open", "the period is no longer open")
    if period.start_date <= local_today():
        raise MatchConflict("period_started", "the period has already started")
    window = current_window(gp)
    if window is None or window.status != AvailabilityStatus.ACTIVE:
        raise MatchConflict("gp_not_available", "the GP has no active availability window")
    if not window_fits(window, period):
        raise MatchConflict("outside_window", "the period does not fit the GP's window")
    if (
        gp.months_general_practice
        < effective_policy(period.department.trust).min_months_general_practice
    ):
        raise MatchConflict(
            "not_eligible", "the GP has fewer months of general practice than the rules require"
        )
    gp_superseded = _gp_room(window, gp, period)
    period_match = live_match_for_period(period)
    if period_match is not None and (
        period_match.status != MatchStatus.PROPOSED or period_match.pinned
    ):
        raise MatchConflict("period_taken", "the period already has an offer or a placement")
    if db.session.scalar(
        sa.select(Forbid.id).where(Forbid.period_id == period.id, Forbid.gp_id == gp.id)
    ):
        raise MatchConflict("forbidden", "a coordinator has forbidden this pair")
    ended = sorted({m.id: m for m in [*gp_superseded, period_match] if m is not None}.items())
    for _id, superseded in ended:
        _end(superseded, MatchStatus.CANCELLED)  # its period follows (open again)
        audit.record("match.superseded", superseded, actor=actor, reason=reason)
    match = new(
        Match,
        MatchStatus.PROPOSED,
        period=period,
        gp=gp,
        slot=free_slot(gp.id),
        source="coordinator",
        pinned=True,
        confirmed_at=utcnow(),
        explanation={"reason": "assigned", "text": reason}
        | ({"shortlist": shortlist} if shortlist is not None else {}),
    )
    db.session.add(match)
    db.session.flush()
    follow_match(period)
    audit.record(
        "match.chosen" if shortlist is not None else "match.assigned",
        match,
        actor=actor,
        reason=reason,
        data={"period_id": period.id, "gp_id": gp.id, **(shortlist or {})},
    )
    if shortlist is not None:
        # the department chose: the GP hears the proposal's usual words (no coordinator
        # assigned them), the trust that it makes the offer
        announce.proposal_to_gp(match)
    else:
        announce.override_to_people(match, "assigned", reason)
    announce.proposal_to_trust(match)
    announce.match_to_municipality(match)
    return match


def choose(
    period: Period, gp: GP, *, position: int, candidates: int, reason: str, actor: User
) -> Match:
    """The department chooses ``gp`` (at ``position`` of a shortlist of ``candidates``):
    a confirmed, pinned match, ready for the offer (``assign``). What the engine proposed
    (``engine_gp_id``, None: nobody) stays beside what was chosen, in the match's
    explanation and the audit record (match.chosen), for the coordinators."""
    live = live_match_for_period(period)
    engine = live if live is not None and live.source == "solver" and not live.pinned else None
    shortlist = {
        "engine_gp_id": engine.gp_id if engine is not None else None,
        "chosen_gp_id": gp.id,
        "position": position,
        "candidates": candidates,
    }
    return assign(period, gp, reason=reason, actor=actor, shortlist=shortlist)


def _gp_room(window: Availability, gp: GP, period: Period) -> list[Match]:
    """The GP's live proposals that an assignment to ``period`` supersedes; a conflict if
    the GP's offers, placements and pins leave no room for it. A GP holds one period, or,
    when their window allows a split, two blocks that do not overlap and together last at
    most the window's months (app.matches.blocks)."""
    live = [m for m in live_matches_for_gp(gp.id) if m.period_id != period.id]
    kept = [m for m in live if m.status != MatchStatus.PROPOSED or m.pinned]
    if not window.split_allowed:
        if kept:
            raise MatchConflict(
                "gp_already_placed",
                "the GP already has an offer or a placement, and their window does not"
                " allow a split",
            )
        return live
    problem = blocks_problem(window, [m.period for m in kept] + [period])
    if problem is not None:
        raise MatchConflict(f"split_{problem}", _SPLIT_WORDS[problem])
    # free proposals stay while they still fit beside the kept blocks and the new one
    superseded = []
    for m in live:
        if m in kept:
            continue
        others = [x.period for x in kept] + [period]
        if blocks_problem(window, [*others, m.period]) is not None:
            superseded.append(m)
        else:
            kept.append(m)
    return superseded


# What a coordinator is told when a split window has no room for another block.
_SPLIT_WORDS = {
    "too_many_blocks": "the GP already holds two blocks",
    "blocks_overlap": "the period overlaps a block the GP already holds",
    "blocks_too_long": "the blocks would last longer than the months the GP asked for",
}


def cancel(match: Match, *, reason: str, actor: User | None) -> Match:
    """End a proposal or an open offer (a coordinator, the trust withdrawing the period, or
    the GP changing their window); the period opens again."""
    if match.status not in (MatchStatus.PROPOSED, MatchStatus.OFFERED):
        raise MatchConflict("not_cancellable", "only proposals and open offers can be cancelled")
    _end(match, MatchStatus.CANCELLED)
    audit.record("match.cancelled", match, actor=actor, reason=reason)
    if actor is not None and actor.id == match.gp.user_id:
        announce.gp_withdrew(match)
    else:
        announce.override_to_people(match, "cancelled", reason)
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
    if live is not None and live.status == MatchStatus.ACCEPTED:
        raise MatchConflict("already_accepted", "the GP has accepted this period")
    item = Forbid(period=period, gp=gp, reason=reason, created_by_id=actor.id)
    db.session.add(item)
    if live is not None:
        _end(live, MatchStatus.CANCELLED)
        audit.record("match.cancelled", live, actor=actor, reason=reason)
        announce.override_to_people(live, "cancelled", reason)
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
    if match.status != MatchStatus.PROPOSED:
        raise MatchConflict("not_proposed", "only proposals can be confirmed")
    if match.confirmed_at is not None:
        raise MatchConflict("already_confirmed", "the proposal is already confirmed")
    if awaits_choice(match):
        if effective_policy(match.period.department.trust).selection == "shortlist":
            raise MatchConflict(
                "awaits_department_choice", "the department chooses from the period's shortlist"
            )
        match.awaiting_choice = False  # the trust's rules no longer let the department choose
    match.confirmed_at = utcnow()
    audit.record("match.confirmed", match, actor=actor)
    announce.proposal_to_trust(match)
    return match


def offer(match: Match, *, accept_by: date, actor: User, today: date | None = None) -> Match:
    """Send the GP an offer that must be answered by ``accept_by`` (inclusive)."""
    today = today or local_today()
    if match.status != MatchStatus.PROPOSED:
        raise MatchConflict("not_proposed", "only a proposal can be offered")
    if match.confirmed_at is None:
        raise MatchConflict("not_confirmed", "a coordinator must confirm the proposal first")
    if accept_by < today:
        raise InvalidInput("deadline_in_past", field="accept_by")
    if accept_by >= match.period.start_date:
        raise InvalidInput("deadline_after_start", field="accept_by")
    set_status(match, MatchStatus.OFFERED)
    match.accept_by = accept_by
    match.offered_at = utcnow()
    audit.record("match.offered", match, actor=actor, data={"accept_by": accept_by.isoformat()})
    announce.offer_to_gp(match)
    announce.match_to_municipality(match)
    return match


def accept(match: Match, *, actor: User, today: date | None = None) -> Match:
    today = today or local_today()
    if match.status != MatchStatus.OFFERED:
        raise MatchConflict("not_offered", "there is no open offer to accept")
    if match.accept_by is None or today > match.accept_by:
        raise MatchConflict("offer_expired", "the acceptance deadline has passed")
    _end(match, MatchStatus.ACCEPTED)
    window = current_window(match.gp)
    if window is not None and _fulfilled(window, match.gp_id):
        set_status(window, AvailabilityStatus.FULFILLED)
    audit.record("match.accepted", match, actor=actor)
    announce.offer_answered(match)
    queue_placement_event(match, "placement.accepted")  # the trust's HR system hears of it
    return match


def _fulfilled(window: Availability, gp_id: int) -> bool:
    """The window is done once the GP accepted: for a split, once every live block is
    accepted and no months are left for another."""
    live = live_matches_for_gp(gp_id)
    if not window.split_allowed:
        return True
    done = all(m.status == MatchStatus.ACCEPTED for m in live)
    return done and months_left(window, [m.period for m in live]) == 0


def decline(
    match: Match, *, actor: User, reason: str | None = None, today: date | None = None
) -> Match:
    """The GP says no: the period is open again and this pair is never proposed again. The
    GP's optional ``reason`` stays on the match (the trust and the coordinators read it) and
    in the audit record."""
    today = today or local_today()
    if match.status not in (MatchStatus.PROPOSED, MatchStatus.OFFERED):
        raise MatchConflict("not_declinable", "there is nothing to decline")
    if match.status == MatchStatus.OFFERED and (match.accept_by is None or today > match.accept_by):
        raise MatchConflict("offer_expired", "the acceptance deadline has passed")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > DECLINE_REASON_MAX:
        raise InvalidInput("too_long", field="reason")
    _end(match, MatchStatus.DECLINED)
    match.decline_reason = reason
    audit.record("match.declined", match, actor=actor, reason=reason)
    announce.offer_answered(match)
    return match


def expire_offers(
    as_of: date, actor: User | None = None, region: Region | None = None
) -> list[Match]:
    """Offers whose deadline is before ``as_of`` (in ``region`` only, if given) expire; their
    periods open again."""
    query = sa.select(Match).where(Match.status == MatchStatus.OFFERED, Match.accept_by < as_of)
    if region is not None:
        query = query.where(Match.period_id.in_(period_ids_in_regions([region.id])))
    overdue = db.session.scalars(query.order_by(Match.id)).all()
    for match in overdue:
        _end(match, MatchStatus.EXPIRED)
        audit.record("match.expired", match, actor=actor)
        announce.offer_answered(match)
    return list(overdue)


def record_hired(match: Match, *, actor: User) -> Match:
    if match.status != MatchStatus.ACCEPTED:
        raise MatchConflict("not_accepted", "only an accepted placement can be hired")
    if match.hired_at is not None:
        raise MatchConflict("already_hired", "the hiring is already recorded")
    match.hired_at = utcnow()
    audit.record("match.hired", match, actor=actor)
    return match


def propose(
    period: Period,
    gp_id: int,
    *,
    run: MatchingRun,
    gp_rank: int | None,
    priority_position: int | None,
    explanation: dict[str, Any],
    confirmed: bool,
    awaits_choice: dict[str, int] | None = None,
) -> Match:
    """A run's new proposal: the GP hears of it, and the trust too when the rules confirm it
    at once. The period becomes matched. Under a shortlist with two or more candidates
    (``awaits_choice``: {"candidates": N}, kept as the explanation's ``shortlist``) the
    proposal is not confirmed and only marks the engine's choice on the shortlist the
    department chooses from (``choose``); the trust is told that a shortlist waits."""
    match = new(
        Match,
        MatchStatus.PROPOSED,
        period=period,
        gp_id=gp_id,
        slot=free_slot(gp_id),
        run=run,
        source="solver",
        gp_rank=gp_rank,
        priority_position=priority_position,
        explanation=explanation
        | ({"shortlist": awaits_choice} if awaits_choice is not None else {}),
        confirmed_at=utcnow() if confirmed and awaits_choice is None else None,
        awaiting_choice=awaits_choice is not None,
    )
    db.session.add(match)
    db.session.flush()
    follow_match(period)
    announce.proposal_to_gp(match)
    if awaits_choice is not None:
        announce.shortlist_to_trust(match, awaits_choice["candidates"])
    elif confirmed:
        announce.proposal_to_trust(match)
    announce.match_to_municipality(match)
    return match


def awaits_choice(match: Match) -> bool:
    """The engine's proposal on a shortlist that the department chooses from."""
    return match.status == MatchStatus.PROPOSED and match.awaiting_choice


def keep_proposal(
    match: Match,
    *,
    run: MatchingRun,
    gp_rank: int | None,
    priority_position: int | None,
    confirm_now: bool,
    awaits_choice: dict[str, int] | None = None,
) -> Match:
    """A run makes the same proposal again: it takes the run's ranks, waits for the
    department's choice or no longer does (``awaits_choice``: its shortlist, see
    ``propose``), and is confirmed now if the rules have switched to automatic confirmation
    since."""
    match.run = run
    match.gp_rank = gp_rank
    match.priority_position = priority_position
    match.awaiting_choice = awaits_choice is not None and match.confirmed_at is None
    explanation = {k: v for k, v in (match.explanation or {}).items() if k != "shortlist"}
    if match.awaiting_choice and awaits_choice is not None:
        explanation["shortlist"] = awaits_choice
    if explanation != (match.explanation or {}):
        match.explanation = explanation
    if confirm_now and match.confirmed_at is None:
        match.confirmed_at = utcnow()
        announce.proposal_to_trust(match)
    return match


def supersede(match: Match, *, run: MatchingRun) -> Match:
    """A run no longer makes this unconfirmed proposal: it ends (cancelled, the run named),
    and its period follows."""
    if match.status != MatchStatus.PROPOSED:
        raise MatchConflict("not_proposed", "only a proposal can be superseded")
    match.explanation = {**(match.explanation or {}), "superseded_by_run": run.id}
    _end(match, MatchStatus.CANCELLED)
    audit.record("match.superseded", match, data={"run_id": run.id})
    return match
