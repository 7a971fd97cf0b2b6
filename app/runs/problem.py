"""Turning the database into the engine's problem JSON, one problem per region."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

import matching
from app import lottery, rounds
from app.access import seeking_region_id, sought_region
from app.extensions import db
from app.matches.queries import held_matches, is_held
from app.models import (
    GP,
    Availability,
    AvailabilitySpecialty,
    AvailabilityTrust,
    Department,
    Forbid,
    Match,
    Municipality,
    Period,
    Region,
    Trust,
)
from app.models.statuses import (
    LIVE_MATCH_STATUSES,
    MATCHABLE_PERIOD_STATUSES,
    OFFERED_OR_ACCEPTED,
    REFUSED_STATUSES,
    AvailabilityStatus,
)
from app.policy import effective_policy, region_policy
from app.progress import MEASURES as PROGRESS_MEASURES
from app.progress import ranking_value
from app.rounds import RoundPlan


@dataclass
class RegionProblem:
    """The problem of one region, and what it was built from."""

    region: Region
    problem: dict[str, Any]
    # live matches by period id: pins and placements are in the problem, free proposals
    # (not confirmed, not pinned) are what the solver may change
    free_proposals: dict[int, Match] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.problem["periods"] or not self.problem["gps"]


def policy_json(region: Region, as_of: date) -> dict[str, Any]:
    """The engine's policy for ``region``: its rules in force and the season's lottery seed."""
    policy = region_policy(region)
    return {
        "mode": policy.mode,
        "priority": list(policy.priority),
        "min_months_general_practice": policy.min_months_general_practice,
        "lottery_seed": lottery.seed_for(region, as_of),
        "shortlist_size": policy.shortlist_size,
    }


def availability_json(availability: Availability) -> dict[str, Any]:
    out = {
        "earliest_start": availability.earliest_start.isoformat(),
        "latest_end": availability.latest_end.isoformat(),
        "months": availability.months,
        "specialties": [w.specialty.code for w in availability.specialty_wishes],
        "trusts": [w.trust.code for w in availability.trust_wishes],
        "accept_other_specialty": availability.accept_other_specialty,
    }
    if availability.split_allowed:  # 3 + 3 (the field is left out otherwise, as before)
        out["split_allowed"] = True
    return out


def _held_window(period: Period) -> dict[str, Any]:
    """A window for a GP who holds ``period`` but has no current availability (accepted)."""
    return {
        "earliest_start": period.start_date.isoformat(),
        "latest_end": period.end_date.isoformat(),
        "months": 3,
        "specialties": [period.department.specialty.code],
        "trusts": [],
        "accept_other_specialty": True,
    }


def trust_policies_json(region: Region) -> dict[str, Any]:
    """The overrides of the region's trusts that have their own policy."""
    overrides = {}
    for trust in region.trusts:
        policy = effective_policy(trust)
        if policy.source == "trust":
            overrides[trust.code] = {
                "priority": list(policy.priority),
                "min_months_general_practice": policy.min_months_general_practice,
            }
    return overrides


def period_json(period: Period) -> dict[str, Any]:
    out = {
        "id": str(period.id),
        "trust": period.department.trust.code,
        "department": str(period.department_id),
        "specialty": period.department.specialty.code,
        "start": period.start_date.isoformat(),
        "end": period.end_date.isoformat(),
    }
    if period.second_department_id is not None and period.switch_date is not None:
        # a combined period: each part counts in its own department's capacity
        out["second_department"] = str(period.second_department_id)
        out["switch"] = period.switch_date.isoformat()
    return out


def gp_json(gp: GP, window: dict[str, Any], *, verified_only: bool) -> dict[str, Any]:
    """The engine's GP. The progress measures are the values that rank (``verified_only``:
    the region's verified_progress_only rule; app.gps.verification.ranking_value)."""
    home = gp.municipality.trust
    entry = {
        "id": str(gp.id),
        "home_trust": home.code if home else "none",
        **{m: ranking_value(gp, m, verified_only) for m in PROGRESS_MEASURES},
        "registered_at": gp.registered_at.isoformat(),
        "availability": window,
    }
    if gp.municipality_priority is not None:  # the municipality's own rank (issue 19)
        entry["municipality_priority"] = gp.municipality_priority
    return entry


def window_loads(gp: bool = True) -> tuple[Any, ...]:
    """What the engine reads of a window, loaded with it: the ranked wishes and (``gp``) the
    GP with their home trust. Every query of windows for a problem or a page of them uses it."""
    wishes = (
        selectinload(Availability.specialty_wishes).selectinload(AvailabilitySpecialty.specialty),
        selectinload(Availability.trust_wishes).selectinload(AvailabilityTrust.trust),
    )
    if not gp:
        return wishes
    # One GP, municipality and trust per window: joined into the windows' own query (a
    # selectin per step costs three more round trips with the whole region's ids).
    home = joinedload(Availability.gp).joinedload(GP.municipality)
    return (home.joinedload(Municipality.trust), *wishes)


def build_problems(
    as_of: date,
    region_ids: list[int] | None = None,
    *,
    period_ids: list[int] | None = None,
    round_plan: RoundPlan | None = None,
) -> list[RegionProblem]:
    """One problem per region (or for ``region_ids`` only), from the open periods, active
    windows and live matches. The regions' rows are read in SQL, by region.

    ``period_ids`` narrows each problem to what ranking candidates for those periods needs
    (a period's shortlist): the periods, the live matches on them, the windows that could
    hold one of them (``earliest_start``/``latest_end`` around the period, the engine's
    outside_window rule) and the GPs of those matches, with their refusals and forbids.
    A period's ranking in the narrowed problem is its ranking in the full one
    (tests/app/test_periods_shortlist.py).

    ``round_plan`` (a run's, app.rounds): the periods of trusts under rounds are left out
    unless the run matches their round; their live proposals are kept as facts; windows
    registered after the round's deadline are not paired with the round's periods."""
    query = sa.select(Region).order_by(Region.code)
    if region_ids is not None:
        query = query.where(Region.id.in_(region_ids))
    regions = db.session.scalars(query).all()
    chosen_regions = [r.id for r in regions]
    in_regions = Trust.region_id.in_(chosen_regions)
    period_query = (
        sa.select(Period)
        .join(Period.department)
        .join(Department.trust)
        .options(selectinload(Period.department).selectinload(Department.trust))
        .where(Period.status.in_(MATCHABLE_PERIOD_STATUSES), Period.start_date > as_of)
    )
    live_query = (
        sa.select(Match)
        .join(Match.period)
        .join(Period.department)
        .join(Department.trust)
        .options(selectinload(Match.period).selectinload(Period.department))
        .where(Match.status.in_(LIVE_MATCH_STATUSES))
    )
    if region_ids is not None:
        period_query = period_query.where(in_regions)
        live_query = live_query.where(in_regions)
    if period_ids is not None:
        period_query = period_query.where(Period.id.in_(period_ids))
        live_query = live_query.where(Match.period_id.in_(period_ids))
    periods = db.session.scalars(period_query).all()
    if round_plan is not None:
        periods = [p for p in periods if round_plan.takes(p)]
    live = db.session.scalars(live_query).all()
    matched_gps = sorted({m.gp_id for m in live})
    window_query = sa.select(Availability).options(*window_loads())
    window_query = window_query.where(Availability.status == AvailabilityStatus.ACTIVE)
    if region_ids is not None:
        window_query = window_query.where(
            sa.or_(
                sought_region().in_([r.id for r in regions]), Availability.gp_id.in_(matched_gps)
            )
        )
    if period_ids is not None:
        could_hold = [
            sa.and_(
                Availability.earliest_start <= p.start_date, Availability.latest_end >= p.end_date
            )
            for p in periods
        ]
        window_query = window_query.where(sa.or_(Availability.gp_id.in_(matched_gps), *could_hold))
    windows = list(db.session.scalars(window_query))
    never_query = [
        sa.select(Match.gp_id, Match.period_id).where(Match.status.in_(REFUSED_STATUSES)),
        sa.select(Forbid.gp_id, Forbid.period_id),
    ]
    if region_ids is not None or period_ids is not None:
        shown = sorted({p.id for p in periods} | {m.period_id for m in live})
        never_query = [
            never_query[0].where(Match.period_id.in_(shown)),
            never_query[1].where(Forbid.period_id.in_(shown)),
        ]
    never = [tuple(row) for q in never_query for row in db.session.execute(q)]

    window_by_gp = {w.gp_id: w for w in windows}
    # windows registered after the deadline of a period's round are not its candidates
    late_plan = round_plan if round_plan is not None else rounds.view_plan(periods)
    # A GP who holds a period (an offer, a placement, a pin, a confirmed proposal) is in that
    # period's region's problem only, whatever their window says.
    holders = set(db.session.scalars(sa.select(Match.gp_id).where(held_matches())))
    return [
        _region_problem(
            region, as_of, periods, live, window_by_gp, holders, never, round_plan, late_plan
        )
        for region in regions
    ]


def _region_problem(
    region, as_of, periods, live, window_by_gp, holders, never, round_plan, late_plan
) -> RegionProblem:
    in_region = [p for p in periods if p.department.trust.region_id == region.id]
    rp = RegionProblem(region=region, problem={})
    verified_only = region_policy(region).verified_progress_only
    pins, placed = [], []
    chosen_periods: dict[int, Period] = {p.id: p for p in in_region}
    gp_entries: dict[int, dict[str, Any]] = {}
    for match in live:
        period = match.period
        if period.department.trust.region_id != region.id or period.end_date < as_of:
            continue
        # a free proposal of a period this run leaves to its round stays as it is, a fact
        kept = not is_held(match) and round_plan is not None and round_plan.frozen(period)
        if not is_held(match) and not kept:
            rp.free_proposals[match.period_id] = match
            continue
        chosen_periods[period.id] = period
        pair = {"gp": str(match.gp_id), "period": str(period.id)}
        (placed if match.status in OFFERED_OR_ACCEPTED or kept else pins).append(pair)
        window = window_by_gp.get(match.gp_id)
        gp_entries[match.gp_id] = gp_json(
            match.gp,
            availability_json(window) if window else _held_window(period),
            verified_only=verified_only,
        )
    # The region's rule (the Ahus and UNN practice): only windows the municipality endorsed.
    endorsed_only = region_policy(region).endorsement_required
    for gp_id, window in window_by_gp.items():
        if (
            gp_id in gp_entries
            or gp_id in holders
            or seeking_region_id(window.gp, window) != region.id
            or (endorsed_only and window.endorsed_at is None)
        ):
            continue
        gp_entries[gp_id] = gp_json(
            window.gp, availability_json(window), verified_only=verified_only
        )

    departments = {p.department for p in chosen_periods.values()} | {
        p.second_department for p in chosen_periods.values() if p.second_department is not None
    }
    gp_keys, period_keys = set(gp_entries), set(chosen_periods)
    held = {(int(x["gp"]), int(x["period"])) for x in pins + placed}
    if late_plan.taken:  # late registrations wait for the next round
        never = never + [
            (g, p) for p in period_keys for g in gp_keys if late_plan.late(window_by_gp.get(g), p)
        ]
    rp.problem = {
        "as_of": as_of.isoformat(),
        "policy": policy_json(region, as_of),
        "trust_policies": trust_policies_json(region),
        "departments": [
            {"id": str(d.id), "trust": d.trust.code, "capacity": d.alis_capacity}
            for d in sorted(departments, key=lambda d: d.id)
        ],
        "periods": [period_json(p) for p in sorted(chosen_periods.values(), key=lambda p: p.id)],
        "gps": [gp_entries[k] for k in sorted(gp_entries)],
        "pins": sorted(pins, key=lambda x: (int(x["period"]), int(x["gp"]))),
        "forbids": sorted(
            (
                {"gp": str(g), "period": str(p)}
                for g, p in set(never)
                # a coordinator's later assignment overrides an earlier decline
                if g in gp_keys and p in period_keys and (g, p) not in held
            ),
            key=lambda x: (int(x["period"]), int(x["gp"])),
        ),
        "placed": sorted(placed, key=lambda x: (int(x["period"]), int(x["gp"]))),
    }
    _hold_ineligible_pins(rp.problem)
    return rp


def _hold_ineligible_pins(problem: dict[str, Any]) -> None:
    """A pin the engine would refuse (the GP's window or months changed since the
    coordinator's decision) is kept as a fact, like a placement, instead of making the whole
    run infeasible."""
    if not problem["pins"]:
        return
    parsed = matching.problem_from_json(problem)
    refused = {"outside_window", "too_short", "too_long", "not_eligible"}
    keep, hold = [], []
    for pin in problem["pins"]:
        if refused & set(matching.pair_reasons(parsed, pin["gp"], pin["period"])):
            hold.append(pin)
        else:
            keep.append(pin)
    if hold:
        problem["pins"] = keep
        problem["placed"] = sorted(
            problem["placed"] + hold, key=lambda x: (int(x["period"]), int(x["gp"]))
        )
