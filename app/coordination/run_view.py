"""What a matching run changed (or, for a dry run, would change), per region, with the
periods and GPs by name, and the trade-off between the two modes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

import matching
from app.extensions import db
from app.models import GP, AuditEvent, Match, MatchingRun, Period, Region
from app.runs.services import candidates_passed_over

PAGE_TIME_LIMIT_S = 10.0
OTHER_MODE = {"strict_priority": "max_placements", "max_placements": "strict_priority"}


@dataclass(frozen=True)
class Pair:
    period: Period | None
    gp: GP | None


@dataclass(frozen=True)
class Blocking:
    period: Period | None
    gp: GP | None
    cause: str
    holder: GP | None
    full_from: str | None
    # The engine's reason for the pair, which says which side is held: gp_pinned,
    # gp_placed, period_pinned, period_placed or department_full (None in older runs).
    reason: str | None = None


@dataclass(frozen=True)
class PassedOver:
    """max_placements: a GP passed over for a period so that more GPs could be placed."""

    period: Period | None
    gp: GP | None
    holder: GP | None  # the candidate placed instead; None: the period stays empty


@dataclass(frozen=True)
class ModeOutcome:
    mode: str
    placements: int
    passed_over: int


@dataclass
class RegionChanges:
    region: Region
    solved: bool = False
    mode: str | None = None
    status: str | None = None
    placements: int = 0
    periods: int = 0
    gps: int = 0
    kept: int = 0
    new: list[Pair] = field(default_factory=list)
    dropped: list[Pair] = field(default_factory=list)
    blocking: list[Blocking] = field(default_factory=list)
    passed_over: list[PassedOver] = field(default_factory=list)
    advertised: list[Period] = field(default_factory=list)
    expired: list[Match] = field(default_factory=list)
    current: ModeOutcome | None = None
    alternative: ModeOutcome | None = None


def tradeoff(run: MatchingRun, code: str) -> tuple[ModeOutcome, ModeOutcome] | None:
    """The region's outcome in the policy's mode and in the other one: from the summary of
    a dry run, else solved again from the stored problem (the engine is deterministic)."""
    data = (run.summary or {}).get("regions", {}).get(code)
    problem = (run.problem or {}).get(code)
    result = (run.result or {}).get(code)
    if data is None:
        return None
    current_passed = data.get("passed_over")
    if current_passed is None:
        current_passed = candidates_passed_over(matching.result_from_json(result)) if result else 0
    current = ModeOutcome(data["mode"], data["placements"], current_passed)
    alternative = data.get("alternative")
    if alternative:
        return current, ModeOutcome(
            alternative["mode"], alternative["placements"], alternative["passed_over"]
        )
    if not problem:
        return None
    other_mode = OTHER_MODE[data["mode"]]
    other_problem = {**problem, "policy": {**problem["policy"], "mode": other_mode}}
    limit = min(current_app.config["MATCHING_TIME_LIMIT_S"], PAGE_TIME_LIMIT_S)
    try:
        other = matching.solve(matching.problem_from_json(other_problem), time_limit_s=limit)
    except matching.ProblemError:
        return None
    return current, ModeOutcome(other_mode, other.metrics.placed, candidates_passed_over(other))


def _by_id(model, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _lookup(rows: dict[int, Any], value: Any) -> Any:
    """The row whose id ``value`` names (an id as text or number), or None."""
    key = _int(value)
    return None if key is None else rows.get(key)


def run_changes(run: MatchingRun, regions: list[Region]) -> list[RegionChanges]:
    """The changes of ``run`` in each of ``regions`` that it touched."""
    summary = run.summary or {}
    solved = summary.get("regions", {})
    results = run.result or {}
    period_ids: set[int] = set(summary.get("advertised_periods", []))
    gp_ids: set[int] = set()
    for data in solved.values():
        for item in [
            *data.get("new", []),
            *data.get("dropped", []),
            *data.get("blocking_pairs", []),
            *data.get("passed_over_pairs", []),
        ]:
            period_ids.add(_int(item["period"]))
            gp_ids.add(_int(item["gp"]))
            holder = _int(item.get("holder"))
            if holder is not None:
                gp_ids.add(holder)
    for result in results.values():
        for item in result.get("blocking_pairs", []):
            if item.get("holder"):
                gp_ids.add(_int(item["holder"]))
    periods = _by_id(Period, period_ids - {None})
    gps = _by_id(GP, gp_ids - {None})
    expired = list(_by_id(Match, set(summary.get("expired_matches", []))).values())

    out = []
    for region in regions:
        changes = RegionChanges(region=region)
        data = solved.get(region.code)
        if data is not None:
            changes.solved = True
            for name in ("mode", "status", "placements", "periods", "gps", "kept"):
                setattr(changes, name, data.get(name, getattr(changes, name)))

            def pair(item):
                return Pair(periods.get(_int(item["period"])), gps.get(_int(item["gp"])))

            changes.new = [pair(i) for i in data.get("new", [])]
            changes.dropped = [pair(i) for i in data.get("dropped", [])]
            result = results.get(region.code, {})
            detail = {(b["gp"], b["period"]): b for b in result.get("blocking_pairs", [])}
            reasons = {
                (entry["gp"], r["period"]): r["reason"]
                for entry in [
                    *result.get("unplaced_gps", []),
                    *result.get("placed_gp_reasons", []),
                ]
                for r in entry.get("reasons", [])
            }
            for item in data.get("blocking_pairs", []):
                extra = detail.get((str(item["gp"]), str(item["period"])), {})
                changes.blocking.append(
                    Blocking(
                        period=periods.get(_int(item["period"])),
                        gp=gps.get(_int(item["gp"])),
                        cause=item["cause"],
                        holder=gps.get(_int(extra.get("holder"))),
                        full_from=extra.get("full_from"),
                        reason=reasons.get((str(item["gp"]), str(item["period"]))),
                    )
                )
            changes.passed_over = [
                PassedOver(
                    period=_lookup(periods, item["period"]),
                    gp=_lookup(gps, item["gp"]),
                    holder=_lookup(gps, item.get("holder")),
                )
                for item in data.get("passed_over_pairs", [])
            ]
            outcomes = tradeoff(run, region.code)
            if outcomes:
                changes.current, changes.alternative = outcomes
        changes.advertised = sorted(
            (p for p in (periods.get(i) for i in summary.get("advertised_periods", [])) if p),
            key=lambda p: (p.start_date, p.id),
        )
        changes.advertised = [
            p for p in changes.advertised if p.department.trust.region_id == region.id
        ]
        changes.expired = [m for m in expired if m.period.department.trust.region_id == region.id]
        if changes.solved or changes.advertised or changes.expired:
            out.append(changes)
    return out


def changes_since(run: MatchingRun) -> int:
    """Audited changes made after ``run`` finished (a committed run would see them)."""
    if run.finished_at is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.at > run.finished_at, AuditEvent.action != "matching.run")
    )
