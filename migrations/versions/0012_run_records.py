"""run records: per region, blocking pairs and per-GP reasons of a run, in tables

A run's page, the run lists and why-not read these rows instead of the run's summary
lists and its problem and result JSON. Existing runs move over here: their blocking pairs,
the engine's reasons per GP, the periods of each problem and (dry runs) the other mode's
outcome go into the tables, and their summaries keep counts instead of the pair lists.
Committed runs made before this keep no trade-off (it was never stored; it is not solved
again here).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:30:00

"""

from collections import Counter
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CAUSES = ("pin", "placed", "department_capacity")

runs_t = sa.table(
    "matching_runs",
    sa.column("id", sa.Integer),
    sa.column("dry_run", sa.Boolean),
    sa.column("status", sa.String),
    sa.column("summary", sa.JSON),
    sa.column("problem", sa.JSON),
    sa.column("result", sa.JSON),
)
regions_t = sa.table("regions", sa.column("id", sa.Integer), sa.column("code", sa.String))
periods_t = sa.table("periods", sa.column("id", sa.Integer), sa.column("department_id", sa.Integer))
gps_t = sa.table("gps", sa.column("id", sa.Integer))
run_regions_t = sa.table(
    "run_regions",
    *(
        sa.column(name)
        for name in (
            "run_id",
            "region_id",
            "committed",
            "mode",
            "status",
            "placements",
            "periods",
            "gps",
            "kept",
            "passed_over",
            "wall_time_s",
            "alt_mode",
            "alt_placements",
            "alt_passed_over",
        )
    ),
    sa.column("period_ids", sa.JSON),
)
blocking_t = sa.table(
    "run_blocking_pairs",
    *(
        sa.column(name)
        for name in (
            "run_id",
            "region_id",
            "gp_id",
            "period_id",
            "department_id",
            "cause",
            "reason",
            "holder_id",
        )
    ),
    sa.column("full_from", sa.Date),
)
gp_reasons_t = sa.table(
    "run_gp_reasons",
    sa.column("run_id"),
    sa.column("region_id"),
    sa.column("gp_id"),
    sa.column("reasons", sa.JSON),
)


def _create_tables():
    op.create_table(
        "run_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("committed", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("placements", sa.Integer(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("gps", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("passed_over", sa.Integer(), nullable=False),
        sa.Column("wall_time_s", sa.Float(), nullable=False),
        sa.Column("alt_mode", sa.String(length=20), nullable=True),
        sa.Column("alt_placements", sa.Integer(), nullable=True),
        sa.Column("alt_passed_over", sa.Integer(), nullable=True),
        sa.Column("period_ids", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "alt_mode IS NULL OR (alt_placements IS NOT NULL AND alt_passed_over IS NOT NULL)",
            name=op.f("ck_run_regions_alternative_complete"),
        ),
        sa.CheckConstraint(
            "alt_mode IS NULL OR alt_mode <> mode",
            name=op.f("ck_run_regions_alternative_is_the_other_mode"),
        ),
        sa.CheckConstraint(
            "mode IN ('strict_priority', 'max_placements')", name=op.f("ck_run_regions_mode")
        ),
        sa.CheckConstraint(
            "status IN ('optimal', 'feasible', 'infeasible')", name=op.f("ck_run_regions_status")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_run_regions_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["matching_runs.id"],
            name=op.f("fk_run_regions_run_id_matching_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_regions")),
        sa.UniqueConstraint("run_id", "region_id", name=op.f("uq_run_regions_run_id_region_id")),
    )
    with op.batch_alter_table("run_regions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_regions_latest", ["region_id", "committed", "run_id"], unique=False
        )

    op.create_table(
        "run_blocking_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("gp_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("full_from", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "cause IN ('pin', 'placed', 'department_capacity')",
            name=op.f("ck_run_blocking_pairs_cause"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_run_blocking_pairs_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["gp_id"], ["gps.id"], name=op.f("fk_run_blocking_pairs_gp_id_gps")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["gps.id"], name=op.f("fk_run_blocking_pairs_holder_id_gps")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_run_blocking_pairs_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_run_blocking_pairs_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["matching_runs.id"],
            name=op.f("fk_run_blocking_pairs_run_id_matching_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_blocking_pairs")),
    )
    with op.batch_alter_table("run_blocking_pairs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_blocking_pairs_groups",
            ["run_id", "region_id", "cause", "department_id", "id"],
            unique=False,
        )

    op.create_table(
        "run_gp_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("gp_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["gp_id"], ["gps.id"], name=op.f("fk_run_gp_reasons_gp_id_gps")),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_run_gp_reasons_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["matching_runs.id"],
            name=op.f("fk_run_gp_reasons_run_id_matching_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_gp_reasons")),
        sa.UniqueConstraint(
            "run_id", "region_id", "gp_id", name=op.f("uq_run_gp_reasons_run_id_region_id_gp_id")
        ),
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _move_run(bind, run, region_ids, departments, gp_ids):
    """The records of one stored run, and its compact summary."""
    summary = dict(run.summary or {})
    solved = dict(summary.get("regions") or {})
    problems = run.problem or {}
    results = run.result or {}
    for code, data in solved.items():
        data = dict(data)
        problem = problems.get(code) or {}
        result = results.get(code) or {}
        pairs = data.pop("blocking_pairs", None) or []
        counts = Counter(p.get("cause") for p in pairs)
        data["blocking_pairs_by_cause"] = {c: counts.get(c, 0) for c in CAUSES}
        passed = data.get("passed_over")
        if passed is None:
            passed = len({x.get("gp") for x in result.get("passed_over", [])})
            data["passed_over"] = passed
        solved[code] = data
        region_id = region_ids.get(code)
        if region_id is None or run.status != "succeeded":
            continue
        reasons = {}
        for entry in [*result.get("unplaced_gps", []), *result.get("placed_gp_reasons", [])]:
            reasons.setdefault(entry["gp"], {}).update(
                {r["period"]: r["reason"] for r in entry.get("reasons", [])}
            )
        detail = {(b["gp"], b["period"]): b for b in result.get("blocking_pairs", [])}
        alternative = data.get("alternative") or {}
        bind.execute(
            run_regions_t.insert().values(
                run_id=run.id,
                region_id=region_id,
                committed=not run.dry_run,
                mode=data.get("mode") or result.get("mode") or "strict_priority",
                status=data.get("status") or result.get("status") or "optimal",
                placements=data.get("placements", 0),
                periods=data.get("periods", len(problem.get("periods", []))),
                gps=data.get("gps", len(problem.get("gps", []))),
                kept=data.get("kept", 0),
                passed_over=passed,
                wall_time_s=data.get("wall_time_s", 0.0),
                alt_mode=alternative.get("mode"),
                alt_placements=alternative.get("placements"),
                alt_passed_over=alternative.get("passed_over"),
                period_ids=[
                    i for i in (_int(p.get("id")) for p in problem.get("periods", [])) if i
                ],
            )
        )
        rows = []
        for pair in pairs:
            gp, period = str(pair.get("gp")), str(pair.get("period"))
            extra = detail.get((gp, period), {})
            holder = _int(extra.get("holder"))
            if _int(gp) not in gp_ids or _int(period) not in departments:
                continue  # a GP or period that no longer exists
            rows.append(
                {
                    "run_id": run.id,
                    "region_id": region_id,
                    "gp_id": int(gp),
                    "period_id": int(period),
                    "department_id": departments[int(period)],
                    "cause": pair.get("cause"),
                    "reason": reasons.get(gp, {}).get(period),
                    "holder_id": holder if holder in gp_ids else None,
                    "full_from": date.fromisoformat(extra["full_from"])
                    if extra.get("full_from")
                    else None,
                }
            )
        if rows:
            bind.execute(blocking_t.insert(), rows)
        gps = [
            {
                "run_id": run.id,
                "region_id": region_id,
                "gp_id": _int(g.get("id")),
                "reasons": reasons.get(str(g.get("id")), {}),
            }
            for g in problem.get("gps", [])
            if _int(g.get("id")) in gp_ids
        ]
        if gps:
            bind.execute(gp_reasons_t.insert(), gps)
    summary["regions"] = solved
    bind.execute(runs_t.update().where(runs_t.c.id == run.id).values(summary=summary))


def upgrade():
    _create_tables()
    bind = op.get_bind()
    region_ids = {
        code: rid for rid, code in bind.execute(sa.select(regions_t.c.id, regions_t.c.code))
    }
    departments = dict(bind.execute(sa.select(periods_t.c.id, periods_t.c.department_id)).all())
    gp_ids = set(bind.execute(sa.select(gps_t.c.id)).scalars())
    run_ids = bind.execute(sa.select(runs_t.c.id).order_by(runs_t.c.id)).scalars().all()
    for run_id in run_ids:  # one run at a time: its problem and result can be megabytes
        run = bind.execute(sa.select(runs_t).where(runs_t.c.id == run_id)).one()
        if run.summary:
            _move_run(bind, run, region_ids, departments, gp_ids)


def downgrade():
    bind = op.get_bind()
    codes = dict(bind.execute(sa.select(regions_t.c.id, regions_t.c.code)).all())
    run_ids = bind.execute(sa.select(runs_t.c.id).order_by(runs_t.c.id)).scalars().all()
    for run_id in run_ids:  # the summaries get their pair lists back
        summary = bind.execute(sa.select(runs_t.c.summary).where(runs_t.c.id == run_id)).scalar()
        if not summary:
            continue
        summary = dict(summary)
        solved = {code: dict(data) for code, data in (summary.get("regions") or {}).items()}
        for data in solved.values():
            data.pop("blocking_pairs_by_cause", None)
            data["blocking_pairs"] = []
        rows = bind.execute(
            sa.select(
                blocking_t.c.region_id,
                blocking_t.c.gp_id,
                blocking_t.c.period_id,
                blocking_t.c.cause,
            ).where(blocking_t.c.run_id == run_id)
        )
        for region_id, gp_id, period_id, cause in rows:
            data = solved.get(codes.get(region_id))
            if data is not None:
                data["blocking_pairs"].append(
                    {"gp": str(gp_id), "period": str(period_id), "cause": cause}
                )
        summary["regions"] = solved
        bind.execute(runs_t.update().where(runs_t.c.id == run_id).values(summary=summary))
    op.drop_table("run_gp_reasons")
    with op.batch_alter_table("run_blocking_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_run_blocking_pairs_groups")
    op.drop_table("run_blocking_pairs")
    with op.batch_alter_table("run_regions", schema=None) as batch_op:
        batch_op.drop_index("ix_run_regions_latest")
    op.drop_table("run_regions")
