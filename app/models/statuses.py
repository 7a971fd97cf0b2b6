"""The statuses of periods, matches and availability windows, and the groups of them that
rules talk about. The database CHECKs are built from these enums; only app/lifecycle changes
a status (a guard refuses any other write)."""

from __future__ import annotations

from enum import StrEnum


class PeriodStatus(StrEnum):
    OPEN = "open"  # published, waiting for a candidate
    MATCHED = "matched"  # a live proposal or offer holds it
    FILLED = "filled"  # a GP accepted it
    ADVERTISED = "advertised"  # no match in time: ordinary advertising
    WITHDRAWN = "withdrawn"  # the trust took it back


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class AvailabilityStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"
    FULFILLED = "fulfilled"  # the GP accepted a period


# A live match holds its period and its GP: the database allows one per period and per GP.
LIVE_MATCH_STATUSES = (MatchStatus.PROPOSED, MatchStatus.OFFERED, MatchStatus.ACCEPTED)
# Matches that bind both sides for good: an offer out, or a placement.
OFFERED_OR_ACCEPTED = (MatchStatus.OFFERED, MatchStatus.ACCEPTED)
# Ended matches whose pair is never proposed again (the GP said no, or did not answer).
REFUSED_STATUSES = (MatchStatus.DECLINED, MatchStatus.EXPIRED)
# A GP has at most one current window; the engine reads one per GP.
CURRENT_AVAILABILITY = (AvailabilityStatus.ACTIVE, AvailabilityStatus.PAUSED)
# Periods every signed-in user may read: open for matching, or advertised publicly.
PUBLIC_PERIOD_STATUSES = (PeriodStatus.OPEN, PeriodStatus.ADVERTISED)
# Periods a coordinator may still assign or forbid pairs for.
OPEN_FOR_MATCHING = (PeriodStatus.OPEN, PeriodStatus.MATCHED, PeriodStatus.ADVERTISED)
# Periods the engine matches.
MATCHABLE_PERIOD_STATUSES = (PeriodStatus.OPEN, PeriodStatus.MATCHED)
