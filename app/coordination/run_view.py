"""What a matching run changed (or, for a dry run, would change), per region, with the
periods and GPs by name, the trade-off between the two modes, and the pairs whose priority
could not be followed, grouped by cause and department.

Everything comes from what the run stored (app.runs.records and the run's compact
summary): the page never reads the run's problem or result and never solves. Its queries
are a fixed number whatever the number of pairs: the groups are counted in SQL, and one
group at a time is shown, a page of pairs with what they name loaded in the same query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app import paging
from app.extensions import db
from app.models import GP, AuditEvent, Department, Match, MatchingRun, Period, Region
from app.models.run_records import BLOCKING_CAUSES, RunBlockingPair
from app.runs import records

PAIRS_PER_PAGE = 50


@dataclass(frozen=True)
class Pair:
    period: Period | None
    gp: GP | None


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


@dataclass(frozen=True)
class GroupChoice:
    """The group of blocking pairs the page shows (``?cause=&department=&page=``)."""

    cause: str | None = None
    department_id: int | None = None
    page: int = 1


@dataclass
class OpenGroup:
    group: records.BlockingGroup
    pairs: list[RunBlockingPair]
    page: int
    pages: int


@dataclass
class RegionChanges:
    region: Region
    solved: bool = False
    mode: str | None = None
    solver_status: str | None = None
    placements: int = 0
    periods: int = 0
    gps: int = 0
    kept: int = 0
    new: list[Pair] = field(default_factory=list)
    # Periods whose department chooses from a shortlist: the proposal only marks the engine's.
    waiting: set[int] = field(default_factory=set)
    dropped: list[Pair] = field(default_factory=list)
    groups: list[records.BlockingGroup] = field(default_factory=list)
    open_group: OpenGroup | None = None
    passed_over: list[PassedOver] = field(default_factory=list)
    advertised: list[Period] = field(default_factory=list)
    expired: list[Match] = field(default_factory=list)
    current: ModeOutcome | None = None
    alternative: ModeOutcome | None = None

    @property
    def blocking_total(self) -> int:
        return sum(g.count for g in self.groups)


@dataclass
class RunPage:
    changes: list[RegionChanges]
    gp_ids: set[int]  # every GP the page names (for one access check of them all)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _periods(ids: set[int]) -> dict[int, Period]:
    """Periods by id, with the department and trust the page names."""
    if not ids:
        return {}
    query = (
        sa.select(Period)
        .options(joinedload(Period.department).joinedload(Department.trust))
        .where(Period.id.in_(ids))
    )
    return {p.id: p for p in db.session.scalars(query)}


def _gps(ids: set[int]) -> dict[int, GP]:
    if not ids:
        return {}
    query = sa.select(GP).options(joinedload(GP.municipality)).where(GP.id.in_(ids))
    return {g.id: g for g in db.session.scalars(query)}


def _expired(ids: list[int]) -> list[Match]:
    if not ids:
        return []
    query = (
        sa.select(Match)
        .options(
            joinedload(Match.gp).joinedload(GP.municipality),
            joinedload(Match.period).joinedload(Period.department).joinedload(Department.trust),
        )
        .where(Match.id.in_(ids))
    )
    return list(db.session.scalars(query))


def _open_group(
    run: MatchingRun, groups: list[records.BlockingGroup], choice: GroupChoice
) -> OpenGroup | None:
    """The chosen group and one page of its pairs (None: no group chosen, or none such)."""
    chosen = next(
        (g for g in groups if g.cause == choice.cause and g.department.id == choice.department_id),
        None,
    )
    if chosen is None:
        return None
    page, pages = paging.clamp(choice.page, chosen.count, PAIRS_PER_PAGE)
    pairs = db.session.scalars(
        records.blocking_query(
            run.id, [chosen.region_id], cause=chosen.cause, department_id=chosen.department.id
        )
        .limit(PAIRS_PER_PAGE)
        .offset((page - 1) * PAIRS_PER_PAGE)
    ).all()
    return OpenGroup(chosen, list(pairs), page, pages)


def run_changes(
    run: MatchingRun, regions: list[Region], choice: GroupChoice | None = None
) -> RunPage:
    """The changes of ``run`` in each of ``regions`` that it touched."""
    choice = choice or GroupChoice()
    if choice.cause not in BLOCKING_CAUSES:
        choice = GroupChoice()
    summary = run.summary or {}
    solved = summary.get("regions", {})
    region_ids = [r.id for r in regions]
    stored = records.run_regions(run.id, region_ids)
    groups = records.blocking_groups(run.id, region_ids)
    open_group = _open_group(run, groups, choice)

    period_ids: set[int] = set(summary.get("advertised_periods", []))
    gp_ids: set[int] = set()
    for region in regions:
        data = solved.get(region.code) or {}
        for item in [*data.get("new", []), *data.get("dropped", [])]:
            period_ids.add(_int(item["period"]) or 0)
            gp_ids.add(_int(item["gp"]) or 0)
        for item in data.get("passed_over_pairs", []):
            period_ids.add(_int(item["period"]) or 0)
            gp_ids.update(i for i in (_int(item["gp"]), _int(item.get("holder"))) if i)
    periods = _periods(period_ids - {0})
    gps = _gps(gp_ids - {0})
    expired = _expired(summary.get("expired_matches", []))

    def period(value: Any) -> Period | None:
        return periods.get(_int(value) or 0)

    def gp(value: Any) -> GP | None:
        return gps.get(_int(value) or 0)

    out = []
    named = set(gps)
    for region in regions:
        changes = RegionChanges(region=region)
        row = stored.get(region.id)
        data = solved.get(region.code) or {}
        if row is not None:
            changes.solved = True
            changes.mode, changes.solver_status = row.mode, row.status
            changes.placements, changes.periods, changes.gps = row.placements, row.periods, row.gps
            changes.kept = row.kept
            changes.new = [Pair(period(i["period"]), gp(i["gp"])) for i in data.get("new", [])]
            changes.waiting = {_int(i) or 0 for i in data.get("awaiting_choice", [])}
            changes.dropped = [
                Pair(period(i["period"]), gp(i["gp"])) for i in data.get("dropped", [])
            ]
            changes.passed_over = [
                PassedOver(period(i["period"]), gp(i["gp"]), gp(i.get("holder")))
                for i in data.get("passed_over_pairs", [])
            ]
            changes.groups = [g for g in groups if g.region_id == region.id]
            if open_group is not None and open_group.group.region_id == region.id:
                changes.open_group = open_group
                named.update(p.gp_id for p in open_group.pairs)
            changes.current = ModeOutcome(row.mode, row.placements, row.passed_over)
            if row.alt_mode is not None:
                changes.alternative = ModeOutcome(
                    row.alt_mode, row.alt_placements or 0, row.alt_passed_over or 0
                )
        changes.advertised = sorted(
            (
                p
                for p in (periods.get(i) for i in summary.get("advertised_periods", []))
                if p and p.department.trust.region_id == region.id
            ),
            key=lambda p: (p.start_date, p.id),
        )
        changes.expired = [m for m in expired if m.period.department.trust.region_id == region.id]
        named.update(m.gp_id for m in changes.expired)
        if changes.solved or changes.advertised or changes.expired:
            out.append(changes)
    return RunPage(out, named)


def changes_since(run: MatchingRun) -> int:
    """Audited changes made after ``run`` finished (a committed run would see them)."""
    if run.finished_at is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.at > run.finished_at, AuditEvent.action != "matching.run")
    )
