"""What a run stores for the pages that show it (app.models.run_records), and the queries
that read it back: the one place that writes and reads these rows.

The run service computes the records of each region it solves (``region_records``) and
writes them once the work is done (``store``), after a dry run's savepoint is rolled back,
so that a dry run keeps them too. The run page, the API and why-not read them here: a
fixed number of indexed queries, whatever the number of pairs, periods or runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

import matching
from app.extensions import db
from app.models import GP, Department, MatchingRun, Period, RunBlockingPair, RunGPReasons, RunRegion
from app.models.run_records import BLOCKING_CAUSES


@dataclass
class RegionRecords:
    """One region's rows, computed while the run works, written by ``store``."""

    region: dict[str, Any]
    blocking: list[dict[str, Any]] = field(default_factory=list)
    gps: list[dict[str, Any]] = field(default_factory=list)


def engine_reasons(result: matching.Result) -> dict[str, dict[str, str]]:
    """The engine's reasons per GP (id as text) and period (id as text)."""
    out: dict[str, dict[str, str]] = {}
    for entry in (*result.unplaced_gps, *result.placed_gp_reasons):
        out.setdefault(entry.gp, {}).update({r.period: r.reason for r in entry.reasons})
    return out


def blocking_counts(result: matching.Result) -> dict[str, int]:
    """Blocking pairs by cause (every cause, zero included): what the summary keeps."""
    counts = Counter(b.cause for b in result.blocking_pairs)
    return {cause: counts.get(cause, 0) for cause in BLOCKING_CAUSES}


def _departments(problem: dict[str, Any], period_ids: set[str]) -> dict[str, int]:
    """The department of each period (id as text): from the problem, else the database
    (a pair's period may be one the problem only names as placed or pinned)."""
    found = {p["id"]: int(p["department"]) for p in problem.get("periods", [])}
    missing = {int(i) for i in period_ids - set(found)}
    if missing:
        rows = db.session.execute(
            sa.select(Period.id, Period.department_id).where(Period.id.in_(missing))
        )
        found.update({str(pid): dept for pid, dept in rows})
    return found


def region_records(
    region_id: int,
    problem: dict[str, Any],
    result: matching.Result,
    numbers: dict[str, Any],
    alternative: dict[str, Any] | None,
) -> RegionRecords:
    """The rows of one solved region: ``numbers`` is the region's summary (mode, status,
    placements, periods, gps, kept, passed_over, wall_time_s), ``alternative`` the other
    mode's outcome."""
    reasons = engine_reasons(result)
    departments = _departments(problem, {b.period for b in result.blocking_pairs})
    records = RegionRecords(
        region={
            "region_id": region_id,
            **{
                k: numbers[k]
                for k in (
                    "mode",
                    "status",
                    "placements",
                    "periods",
                    "gps",
                    "kept",
                    "passed_over",
                    "wall_time_s",
                )
            },
            "alt_mode": alternative["mode"] if alternative else None,
            "alt_placements": alternative["placements"] if alternative else None,
            "alt_passed_over": alternative["passed_over"] if alternative else None,
            "period_ids": [int(p["id"]) for p in problem.get("periods", [])],
        }
    )
    records.blocking = [
        {
            "region_id": region_id,
            "gp_id": int(b.gp),
            "period_id": int(b.period),
            "department_id": departments[b.period],
            "cause": b.cause,
            "reason": reasons.get(b.gp, {}).get(b.period),
            "holder_id": int(b.holder) if b.holder else None,
            "full_from": date.fromisoformat(b.full_from) if b.full_from else None,
        }
        for b in result.blocking_pairs
    ]
    records.gps = [
        {"region_id": region_id, "gp_id": int(g["id"]), "reasons": reasons.get(g["id"], {})}
        for g in problem.get("gps", [])
    ]
    return records


def store(run: MatchingRun, records: list[RegionRecords]) -> None:
    """Write the records of ``run`` (flushes; bulk inserts, a few statements per table)."""
    committed = not run.dry_run
    regions = [{**r.region, "run_id": run.id, "committed": committed} for r in records]
    blocking = [{**b, "run_id": run.id} for r in records for b in r.blocking]
    gps = [{**g, "run_id": run.id} for r in records for g in r.gps]
    for model, rows in ((RunRegion, regions), (RunBlockingPair, blocking), (RunGPReasons, gps)):
        if rows:
            db.session.execute(sa.insert(model), rows)


# ---- reading


def run_regions(run_id: int, region_ids: list[int]) -> dict[int, RunRegion]:
    """The regions of ``region_ids`` that the run solved, by region id."""
    if not region_ids:
        return {}
    rows = db.session.scalars(
        sa.select(RunRegion).where(RunRegion.run_id == run_id, RunRegion.region_id.in_(region_ids))
    )
    return {r.region_id: r for r in rows}


def latest_solved(region_id: int) -> RunRegion | None:
    """The latest committed (hence succeeded) run that solved the region, with the run's
    id and date and the periods of its problem."""
    return db.session.scalar(
        sa.select(RunRegion)
        .options(
            joinedload(RunRegion.run).load_only(
                MatchingRun.id, MatchingRun.as_of, MatchingRun.started_at
            ),
            sa.orm.undefer(RunRegion.period_ids),
        )
        .where(RunRegion.region_id == region_id, RunRegion.committed.is_(True))
        .order_by(RunRegion.run_id.desc())
        .limit(1)
    )


def gp_reasons(run_region: RunRegion, gp_id: int) -> RunGPReasons | None:
    """The GP's row in that run and region (None: the GP was not in the problem)."""
    return db.session.scalar(
        sa.select(RunGPReasons).where(
            RunGPReasons.run_id == run_region.run_id,
            RunGPReasons.region_id == run_region.region_id,
            RunGPReasons.gp_id == gp_id,
        )
    )


@dataclass(frozen=True)
class BlockingGroup:
    region_id: int
    cause: str
    department: Department
    count: int


def blocking_groups(run_id: int, region_ids: list[int]) -> list[BlockingGroup]:
    """The run's blocking pairs in ``region_ids``, counted by cause and department (one
    query, the department and its trust loaded with it)."""
    if not region_ids:
        return []
    counted = (
        sa.select(
            RunBlockingPair.region_id,
            RunBlockingPair.cause,
            RunBlockingPair.department_id,
            sa.func.count().label("n"),
        )
        .where(RunBlockingPair.run_id == run_id, RunBlockingPair.region_id.in_(region_ids))
        .group_by(RunBlockingPair.region_id, RunBlockingPair.cause, RunBlockingPair.department_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(counted.c.region_id, counted.c.cause, Department, counted.c.n)
        .join(Department, Department.id == counted.c.department_id)
        .options(joinedload(Department.trust))
    ).all()
    groups = [BlockingGroup(r, c, d, int(n)) for r, c, d, n in rows]
    order = {cause: i for i, cause in enumerate(BLOCKING_CAUSES)}
    return sorted(
        groups,
        key=lambda g: (order.get(g.cause, 99), -g.count, g.department.name, g.department.id),
    )


def blocking_query(
    run_id: int,
    region_ids: list[int],
    *,
    cause: str | None = None,
    department_id: int | None = None,
    names: bool = True,
) -> sa.Select:
    """The run's blocking pairs in ``region_ids`` (optionally of one cause and department),
    in a stable order; ``names``: with the GPs, periods and departments a page shows loaded
    in the same query."""
    query = sa.select(RunBlockingPair)
    if names:
        query = query.options(
            joinedload(RunBlockingPair.gp).joinedload(GP.municipality),
            joinedload(RunBlockingPair.holder).load_only(GP.id, GP.name),
            joinedload(RunBlockingPair.period)
            .joinedload(Period.department)
            .joinedload(Department.trust),
        )
    query = query.where(
        RunBlockingPair.run_id == run_id, RunBlockingPair.region_id.in_(region_ids)
    ).order_by(
        RunBlockingPair.region_id,
        RunBlockingPair.cause,
        RunBlockingPair.department_id,
        RunBlockingPair.id,
    )
    if cause is not None:
        query = query.where(RunBlockingPair.cause == cause)
    if department_id is not None:
        query = query.where(RunBlockingPair.department_id == department_id)
    return query


def blocking_page(
    run_id: int,
    region_ids: list[int],
    *,
    cause: str | None = None,
    department_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[RunBlockingPair], int]:
    """One page of ``blocking_query`` (ids only, no names) and the number of pairs in all
    pages (two queries)."""
    query = blocking_query(
        run_id, region_ids, cause=cause, department_id=department_id, names=False
    )
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            query.order_by(None).with_only_columns(RunBlockingPair.id).subquery()
        )
    )
    items = list(db.session.scalars(query.limit(limit).offset(offset)))
    return items, int(total or 0)
