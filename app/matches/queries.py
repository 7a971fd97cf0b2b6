"""Reading matches: the live match that holds a period or a GP."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import GP, Match, Period
from app.models.statuses import LIVE_MATCH_STATUSES, OFFERED_OR_ACCEPTED, MatchStatus

CONFIRMED = "confirmed"  # a proposal that is confirmed, waiting for the trust's offer
AWAITING_CHOICE = "awaiting_choice"  # the engine's proposal on a shortlist: the department chooses


def live_match_for_period(period: Period) -> Match | None:
    return db.session.scalar(
        sa.select(Match).where(Match.period_id == period.id, Match.status.in_(LIVE_MATCH_STATUSES))
    )


def live_match_for_gp(gp: GP) -> Match | None:
    """The GP's first live match (by slot); a GP whose window allows a split may hold a
    second (``live_matches_for_gp``)."""
    return db.session.scalar(
        sa.select(Match)
        .where(Match.gp_id == gp.id, Match.status.in_(LIVE_MATCH_STATUSES))
        .order_by(Match.slot)
        .limit(1)
    )


def live_matches_for_gp(gp_id: int) -> list[Match]:
    """The GP's live matches (at most two: a split's blocks), earliest period first."""
    return list(
        db.session.scalars(
            sa.select(Match)
            .join(Match.period)
            .where(Match.gp_id == gp_id, Match.status.in_(LIVE_MATCH_STATUSES))
            .order_by(Period.start_date, Match.id)
        )
    )


def free_slot(gp_id: int) -> int:
    """The slot a new live match of the GP takes: 1, or 2 when 1 is held (the database
    refuses a third, and a second without a split: migration 0016)."""
    taken = {m.slot for m in live_matches_for_gp(gp_id)}
    return 1 if 1 not in taken else 2


def is_held(match: Match) -> bool:
    """A match later runs keep as it is: an offer, a placement, a coordinator's pin or a
    confirmed proposal. Only unconfirmed proposals are the engine's to redo."""
    return match.status in OFFERED_OR_ACCEPTED or match.pinned or match.confirmed_at is not None


def held_matches() -> sa.ColumnElement[bool]:
    """The query form of ``is_held``: live matches later runs keep as they are."""
    return sa.and_(
        Match.status.in_(LIVE_MATCH_STATUSES),
        sa.or_(
            Match.status.in_(OFFERED_OR_ACCEPTED),
            Match.pinned.is_(True),
            Match.confirmed_at.is_not(None),
        ),
    )


def stage(match: Match) -> str:
    """How far the match has come, as every page words it: its status, except that a
    confirmed proposal is ``confirmed`` (so that no page calls it merely proposed) and the
    engine's proposal on a shortlist is ``awaiting_choice``."""
    if match.status == MatchStatus.PROPOSED and match.confirmed_at is not None:
        return CONFIRMED
    if match.status == MatchStatus.PROPOSED and match.awaiting_choice:
        return AWAITING_CHOICE
    return str(match.status)
