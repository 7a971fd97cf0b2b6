"""Which GPs fit which periods, judged by the engine's own rules (matching.eligibility and
matching.pair_reasons) on a problem of one region's periods and windows: the overview's
timeline and the assign page ask here, so neither has an eligibility rule of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

import matching
from app.extensions import db
from app.models import (
    GP,
    Availability,
    Forbid,
    Match,
    Period,
    Region,
)
from app.models.statuses import LIVE_MATCH_STATUSES, REFUSED_STATUSES, AvailabilityStatus
from app.policy import region_policy
from app.runs.problem import (
    availability_json,
    gp_json,
    period_json,
    policy_json,
    trust_policies_json,
    window_loads,
)


@dataclass(frozen=True)
class Fit:
    problem: matching.Problem
    refused: dict[tuple[int, int], str]  # (gp id, period id) -> declined | expired

    def periods_of(self) -> dict[int, list[int]]:
        """Each GP's eligible periods (the engine's eligibility)."""
        return {
            int(gp): [int(p) for p in periods]
            for gp, periods in matching.eligibility(self.problem).items()
        }

    def reasons(self, gp_id: int, period_id: int) -> list[str]:
        """Why the pair does not fit (the engine's codes; empty when it does)."""
        return matching.pair_reasons(self.problem, str(gp_id), str(period_id))

    def ranked(self, period_id: int) -> list[matching.Candidate]:
        """The GPs who fit the period, in the priority order the matching uses."""
        return [
            c
            for c in matching.rank_candidates(self.problem, str(period_id))
            if not self.reasons(int(c.gp), period_id)  # forbidden pairs left out
        ]


def region_fit(
    region: Region, today: date, periods: list[Period], windows: list[Availability]
) -> Fit:
    """The engine's view of ``periods`` and the GPs of ``windows`` in ``region`` today,
    with forbidden and refused pairs (which the engine never proposes)."""
    period_ids = [p.id for p in periods]
    gp_ids = [w.gp_id for w in windows]
    forbidden = db.session.execute(
        sa.select(Forbid.gp_id, Forbid.period_id).where(
            Forbid.period_id.in_(period_ids), Forbid.gp_id.in_(gp_ids)
        )
    ).all()
    refused_rows = db.session.execute(
        sa.select(Match.gp_id, Match.period_id, Match.status)
        .where(
            Match.period_id.in_(period_ids),
            Match.gp_id.in_(gp_ids),
            Match.status.in_(REFUSED_STATUSES),
        )
        .order_by(Match.id)
    ).all()
    refused = {(g, p): str(status) for g, p, status in refused_rows}
    pairs = {(g, p) for g, p in forbidden} | set(refused)
    verified_only = region_policy(region).verified_progress_only
    problem = matching.problem_from_json(
        {
            "as_of": today.isoformat(),
            "policy": policy_json(region, today),
            "trust_policies": trust_policies_json(region),
            "periods": [period_json(p) for p in periods],
            "gps": [
                gp_json(w.gp, availability_json(w), verified_only=verified_only) for w in windows
            ],
            "forbids": [{"gp": str(g), "period": str(p)} for g, p in sorted(pairs)],
        }
    )
    # A coordinator's forbid wins over a refusal in the words.
    return Fit(problem, {k: v for k, v in refused.items() if k not in set(forbidden)})


@dataclass(frozen=True)
class Verdict:
    """One GP judged for one period."""

    gp: GP
    window: Availability
    position: int | None  # place among those who fit, in the matching's order for the period
    reasons: list[str]  # the engine's codes, in its order; empty when the GP fits
    refusal: str | None  # declined | expired, when the GP refused this period before
    match: Match | None  # the GP's live match, if any


def verdicts(period: Period, gps: list[GP], today: date) -> list[Verdict]:
    """Every GP of ``gps`` with an active window judged for ``period``: those who fit first,
    in the order the matching would take them for this period, then the others by name.
    One region-sized problem: the period and these GPs."""
    windows = list(
        db.session.scalars(
            sa.select(Availability)
            .options(*window_loads(gp=False))
            .where(
                Availability.gp_id.in_([gp.id for gp in gps]),
                Availability.status == AvailabilityStatus.ACTIVE,
            )
        )
    )
    gp_of = {gp.id: gp for gp in gps}
    live = {
        m.gp_id: m
        for m in db.session.scalars(
            sa.select(Match)
            .options(selectinload(Match.period).selectinload(Period.department))
            .where(Match.gp_id.in_(list(gp_of)), Match.status.in_(LIVE_MATCH_STATUSES))
        )
    }
    fit = region_fit(period.department.trust.region, today, [period], windows)
    positions = {int(c.gp): i for i, c in enumerate(fit.ranked(period.id), 1)}
    found = [
        Verdict(
            gp=gp_of[w.gp_id],
            window=w,
            position=positions.get(w.gp_id),
            reasons=[] if w.gp_id in positions else fit.reasons(w.gp_id, period.id),
            refusal=fit.refused.get((w.gp_id, period.id)),
            match=live.get(w.gp_id),
        )
        for w in windows
    ]
    return sorted(
        found,
        key=lambda v: (v.position is None, v.position or 0, v.gp.name.casefold(), v.gp.id),
    )
