"""Why not? For every period a GP could have wanted: the outcome, and the reason in plain words.

Whether the GP could take a period at all is judged on today's data with the engine's own
rules (matching.pair_reasons); who got an eligible period is read from the latest committed
matching run of the GP's region (the engine's reasons it stored for the GP, app.runs.records).
Nothing here names or identifies another GP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from sqlalchemy.orm import selectinload

import matching
from app import rounds
from app.access import current_window, seeking_region_id
from app.dates import local_today
from app.extensions import db
from app.matches.blocks import months_left
from app.matches.queries import live_matches_for_gp
from app.models import GP, Availability, Department, Forbid, Match, MatchingRun, Period, Region
from app.models import Trust as TrustModel
from app.models.statuses import (
    LIVE_MATCH_STATUSES,
    REFUSED_STATUSES,
    AvailabilityStatus,
    MatchStatus,
    PeriodStatus,
)
from app.models.types import utcnow
from app.policy import effective_policy, region_policy
from app.runs import records
from app.runs.problem import (
    availability_json,
    gp_json,
    period_json,
    policy_json,
    trust_policies_json,
    window_loads,
)

from .texts import REASON_TEXTS, REASON_VARIANTS

OUTCOMES = ("placed", "proposed", "not_placed")
# Matched or filled periods stay on the page this long after their match last changed.
RECENT_DAYS = 60
# Of several reasons a pair is not eligible, the one said first.
INELIGIBLE_ORDER = (
    "forbidden",
    "not_eligible",
    "outside_window",
    "too_short",
    "too_long",
    "specialty_not_wished",
    "trust_not_wished",
)
# Reasons about who holds the period, and about the GP's own match: stale once that changed.
_ABOUT_HOLDER = ("higher_priority_candidate_placed", "period_pinned", "period_placed")
_ABOUT_OWN_MATCH = ("placed_elsewhere_preferred", "gp_pinned", "gp_placed")
# Groups on the page: the GP's own match, competition, waiting for a run, outside the wishes.
GROUPS = ("mine", "competition", "pending", "wishes")


@dataclass(frozen=True)
class Explanation:
    period: Period
    outcome: str  # placed | proposed | not_placed
    reason: str  # an engine reason code, not_yet_run, or matched (the GP's own match)
    text: str

    @property
    def group(self) -> str:
        if self.reason == "matched":
            return "mine"
        if self.reason in ("not_yet_run", "late_for_round"):
            return "pending"
        if self.reason in INELIGIBLE_ORDER:
            return "wishes"
        return "competition"


@dataclass(frozen=True)
class RunReasons:
    """What one committed run said about one GP in one region."""

    run: MatchingRun | None
    periods: frozenset[str]
    gp_included: bool
    reasons: dict[str, str]  # period id -> reason code

    def reason(self, period_id: int) -> str | None:
        if not self.gp_included or str(period_id) not in self.periods:
            return None
        return self.reasons.get(str(period_id))


def run_reasons(gp: GP, region: Region) -> RunReasons:
    """What the latest committed run that solved ``region`` said about ``gp``: read from
    the rows the run stored (app.runs.records), two indexed queries."""
    solved = records.latest_solved(region.id)
    if solved is None:
        return RunReasons(None, frozenset(), False, {})
    row = records.gp_reasons(solved, gp.id)
    return RunReasons(
        solved.run,
        frozenset(str(i) for i in solved.period_ids),
        row is not None,
        dict(row.reasons) if row is not None else {},
    )


def candidate_periods(region_id: int, today: date, owns: list[Match]) -> list[Period]:
    """Open, matched and filled periods of the region that start after today or were
    matched recently, and the periods of the GP's own live matches (two for a split)."""
    recent = sa.select(Match.period_id).where(
        Match.status.in_(LIVE_MATCH_STATUSES),
        Match.updated_at >= utcnow() - timedelta(days=RECENT_DAYS),
    )
    query = (
        sa.select(Period)
        .join(Period.department)
        .join(TrustModel, Department.trust_id == TrustModel.id)
        .options(
            selectinload(Period.department).selectinload(Department.trust),
            selectinload(Period.department).selectinload(Department.specialty),
        )
        .where(
            TrustModel.region_id == region_id,
            Period.status.in_((PeriodStatus.OPEN, PeriodStatus.MATCHED, PeriodStatus.FILLED)),
            sa.or_(Period.start_date > today, Period.id.in_(recent)),
        )
    )
    periods = {p.id: p for p in db.session.scalars(query)}
    for own in owns:
        periods.setdefault(own.period_id, own.period)
    return sorted(periods.values(), key=lambda p: (p.start_date, p.id))


def eligibility_problem(
    gp: GP, window: Availability, region: Region, periods: list[Period], today: date
) -> matching.Problem:
    """A problem of this GP alone with today's window, policy and refused pairs."""
    ids = {p.id for p in periods}
    refused = db.session.scalars(
        sa.select(Match.period_id).where(Match.gp_id == gp.id, Match.status.in_(REFUSED_STATUSES))
    ).all()
    forbidden = db.session.scalars(sa.select(Forbid.period_id).where(Forbid.gp_id == gp.id)).all()
    return matching.problem_from_json(
        {
            "as_of": today.isoformat(),
            "policy": policy_json(region, today),
            "trust_policies": trust_policies_json(region),
            "periods": [period_json(p) for p in periods],
            "gps": [
                gp_json(
                    gp,
                    availability_json(window),
                    verified_only=region_policy(region).verified_progress_only,
                )
            ],
            "forbids": [
                {"gp": str(gp.id), "period": str(pid)}
                for pid in sorted(set(refused) | set(forbidden))
                if pid in ids
            ],
        }
    )


def _refusals(gp: GP, period_ids: list[int]) -> dict[int, str]:
    """declined or expired per period the GP refused (the engine calls it forbidden), the
    latest answer; a coordinator's ruling (a Forbid) is not a refusal. Two queries."""
    if not period_ids:
        return {}
    forbidden = set(
        db.session.scalars(
            sa.select(Forbid.period_id).where(
                Forbid.gp_id == gp.id, Forbid.period_id.in_(period_ids)
            )
        )
    )
    rows = db.session.execute(
        sa.select(Match.period_id, Match.status)
        .where(
            Match.gp_id == gp.id,
            Match.period_id.in_(period_ids),
            Match.status.in_(REFUSED_STATUSES),
        )
        .order_by(Match.id)
    )
    return {pid: status for pid, status in rows if pid not in forbidden}  # the latest wins


def _holders(period_ids: list[int]) -> dict[int, Match]:
    """The live match of each of the periods that has one (one query)."""
    if not period_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Match).where(
            Match.period_id.in_(period_ids), Match.status.in_(LIVE_MATCH_STATUSES)
        )
    )
    return {m.period_id: m for m in rows}


def reason_text(
    reason: str,
    *,
    gp: GP,
    period: Period,
    window: Availability | None,
    variant: str | None = None,
    own: Match | None = None,
) -> str:
    """The reason in plain words, in the current language."""
    text = REASON_VARIANTS.get((reason, variant)) or REASON_TEXTS.get(reason)
    if text is None:
        return str(REASON_TEXTS["unexplained"])
    if reason in ("too_short", "too_long"):
        return text % {"months": window.months if window else gp.hospital_months_needed}
    if reason == "not_eligible":
        required = effective_policy(period.trust).min_months_general_practice
        return text % {"required": required, "have": gp.months_general_practice}
    if reason == "matched" and variant == "offered" and own is not None:
        return text % {"deadline": format_date(own.accept_by, "long")}
    return str(text)


def _explain_period(
    gp: GP,
    period: Period,
    *,
    window: Availability | None,
    own: Match | None,
    failures: list[str] | None,
    run: RunReasons,
    refusals: dict[int, str],
    holders: dict[int, Match],
    late: frozenset[int] = frozenset(),
) -> tuple[str, str, str | None]:
    """(outcome, reason, variant) for one period."""
    if own is not None and own.period_id == period.id:
        outcome = "placed" if own.status == MatchStatus.ACCEPTED else "proposed"
        return outcome, "matched", own.status
    if failures:
        reason = next(code for code in INELIGIBLE_ORDER if code in failures)
        return "not_placed", reason, refusals.get(period.id) if reason == "forbidden" else None
    if own is not None and own.status in (MatchStatus.OFFERED, MatchStatus.ACCEPTED):
        return "not_placed", "gp_placed", None
    if window is None or window.status == AvailabilityStatus.PAUSED:
        return "not_placed", "not_yet_run", None if window is None else "paused"
    if period.id in late:  # registered after the deadline of the round that matched it
        return "not_placed", "late_for_round", None
    held = period.status in (PeriodStatus.MATCHED, PeriodStatus.FILLED)
    reason = run.reason(period.id)
    if reason in _ABOUT_HOLDER and not held:
        reason = None  # the period is open again: the next run decides anew
    if reason in _ABOUT_OWN_MATCH and own is None:
        reason = None  # the GP's own match has ended since
    if reason is None and held:
        holder = holders.get(period.id)
        if holder is not None and holder.status in (MatchStatus.OFFERED, MatchStatus.ACCEPTED):
            reason = "period_placed"
        elif holder is not None and holder.pinned:
            reason = "period_pinned"
    return "not_placed", reason or "not_yet_run", None


@dataclass(frozen=True)
class WhyNot:
    """What the why-not page and the API's explanations show: the items, and what they were
    judged against (the window, the region, the committed run the reasons come from)."""

    items: list[Explanation]
    window: Availability | None
    region: Region | None
    run: MatchingRun | None


def why_not(gp: GP, *, today: date | None = None) -> WhyNot:
    """For each period of the GP's region they could have wanted: outcome and reason. No
    items when the GP has neither a current window nor a live match."""
    today = today or local_today()
    window = current_window(gp, *window_loads(gp=False))
    region_id = seeking_region_id(gp, window)
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region is None:
        return WhyNot([], window, None, None)
    run = run_reasons(gp, region)
    owns = live_matches_for_gp(gp.id)  # one, or a split's two blocks
    own = owns[0] if owns else None
    if window is None and own is None:
        return WhyNot([], window, region, run.run)
    periods = candidate_periods(region.id, today, owns)
    failures: dict[str, list[str]] = {}
    if window is not None and periods:
        problem = eligibility_problem(gp, window, region, periods, today)
        failures = {
            str(p.id): matching.pair_reasons(problem, str(gp.id), str(p.id)) for p in periods
        }
    refusals = _refusals(gp, [int(pid) for pid, codes in failures.items() if "forbidden" in codes])
    held = [p.id for p in periods if p.status in (PeriodStatus.MATCHED, PeriodStatus.FILLED)]
    holders = _holders(held)
    late = rounds.late_periods(window, periods)
    items = []
    by_period = {m.period_id: m for m in owns}
    # a split window with months left still seeks a block: the GP is not "placed" for it
    room = window is not None and months_left(window, [m.period for m in owns]) > 0
    for period in periods:
        mine = by_period.get(period.id, None if room else own)
        outcome, reason, variant = _explain_period(
            gp,
            period,
            window=window,
            own=mine,
            failures=failures.get(str(period.id)),
            run=run,
            refusals=refusals,
            holders=holders,
            late=late,
        )
        text = reason_text(reason, gp=gp, period=period, window=window, variant=variant, own=mine)
        items.append(Explanation(period, outcome, reason, text))
    return WhyNot(items, window, region, run.run)


def explanations_for(gp: GP, *, today: date | None = None) -> list[Explanation]:
    """The items of ``why_not`` (the API's explanations)."""
    return why_not(gp, today=today).items
