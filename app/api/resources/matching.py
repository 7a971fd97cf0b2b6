"""Matching runs (coordinators and admins): start one, today for real or as a dry run (which
may look ahead); list and read them. A regional coordinator's run covers their region; a
national coordinator's run covers every region, or the one named. A regional coordinator sees
the runs that cover their region, with the per-region summary of their own region only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.access import (
    choose_region,
    get_run_or_404,
    is_national,
    regions_in_scope,
    run_region,
    runs_in_scope,
)
from app.dates import local_today
from app.models import MatchingRun, User
from app.models.matching import RUN_STATUSES, RUN_TRIGGERS
from app.models.run_records import BLOCKING_CAUSES
from app.models.types import utcnow
from app.runs import records
from app.runs.guard import is_stale, stale_error
from app.runs.services import RunRefused, RunRequest, check_run_date, execute
from matching.model import MODES

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, list_schema, paginate
from ..error_format import ErrorSchema

blp = Blueprint(
    "api_matching", __name__, url_prefix="/matching", description="Matching runs (coordinators)"
)


class MatchingRunRequestSchema(ma.Schema):
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Work out what would change without changing anything"},
    )
    as_of = ma.fields.Date(
        metadata={
            "description": "The day the run treats as today (default today): offers past "
            "their deadline expire, periods past their fallback date are advertised. Not "
            "before today; a run that is not a dry run may not be dated after today; a dry "
            "run may look ahead, within five years (422 on as_of otherwise)."
        }
    )
    region = ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={
            "description": "A region code: the region the run covers (national coordinators; "
            "default every region). A regional coordinator's run covers their own region."
        },
    )


class MatchingSolverSchema(ma.Schema):
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["optimal", "feasible", "infeasible"])
    )
    objective = ma.fields.Float(
        required=True, metadata={"description": "Placements made (summed over the regions)"}
    )
    wall_time_s = ma.fields.Float(required=True)


class MatchingRunPairSchema(ma.Schema):
    period = ma.fields.Integer(required=True)
    gp = ma.fields.Integer(required=True)


class MatchingBlockingCountsSchema(ma.Schema):
    pin = ma.fields.Integer(required=True, metadata={"description": "Held by a pin"})
    placed = ma.fields.Integer(
        required=True, metadata={"description": "Held by an accepted placement or offer"}
    )
    department_capacity = ma.fields.Integer(
        required=True, metadata={"description": "The department has no capacity left"}
    )


class MatchingBlockingPairSchema(ma.Schema):
    region = ma.fields.String(required=True, metadata={"description": "The region code"})
    gp = ma.fields.Integer(required=True)
    period = ma.fields.Integer(required=True)
    department = ma.fields.Integer(required=True, metadata={"description": "The period's"})
    cause = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(BLOCKING_CAUSES),
        metadata={"description": "Why priority could not be followed for this pair"},
    )
    reason = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The engine's reason for the pair, naming the side that is held "
            "(gp_pinned, gp_placed, period_pinned, period_placed, department_full)"
        },
    )
    holder = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "The GP holding the period"}
    )
    full_from = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "department_capacity: the first day the department is full"},
    )


class MatchingBlockingFilterSchema(ListArgsSchema):
    region = ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={"description": "A region code (default: every region in your scope)"},
    )
    cause = ma.fields.String(validate=ma.validate.OneOf(BLOCKING_CAUSES))
    department = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))


class MatchingPassedOverSchema(ma.Schema):
    gp = ma.fields.String(
        required=True, metadata={"description": "The GP passed over (its id as text)"}
    )
    period = ma.fields.String(required=True, metadata={"description": "The period (id as text)"})
    holder = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The candidate placed instead, of lower priority for the period "
            "(id as text); null: the period stays empty"
        },
    )


class MatchingModeOutcomeSchema(ma.Schema):
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(MODES))
    placements = ma.fields.Integer(required=True)
    passed_over = ma.fields.Integer(
        required=True, metadata={"description": "Candidates with higher priority passed over"}
    )


class MatchingRegionSummarySchema(ma.Schema):
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(MODES))
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["optimal", "feasible", "infeasible"])
    )
    placements = ma.fields.Integer(required=True)
    periods = ma.fields.Integer(required=True, metadata={"description": "Periods in the problem"})
    gps = ma.fields.Integer(required=True, metadata={"description": "GPs in the problem"})
    new = ma.fields.List(ma.fields.Nested(MatchingRunPairSchema), required=True)
    dropped = ma.fields.List(ma.fields.Nested(MatchingRunPairSchema), required=True)
    kept = ma.fields.Integer(required=True, metadata={"description": "Proposals kept"})
    blocking_pairs_by_cause = ma.fields.Nested(
        MatchingBlockingCountsSchema,
        required=True,
        metadata={
            "description": "strict_priority: how many pairs priority could not be followed "
            "for, by cause (the pairs: GET /matching/runs/{id}/blocking-pairs)"
        },
    )
    passed_over = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Candidates with higher priority passed over: the GPs of "
            "passed_over_pairs"
        },
    )
    passed_over_pairs = ma.fields.List(
        ma.fields.Nested(MatchingPassedOverSchema),
        metadata={
            "description": "max_placements: every GP passed over for a period so that more "
            "GPs are placed, with the candidate placed instead (absent in runs made before "
            "they were recorded)"
        },
    )
    wall_time_s = ma.fields.Float(required=True)
    alternative = ma.fields.Nested(
        MatchingModeOutcomeSchema,
        metadata={
            "description": "What the other mode would do with the same problem, solved at "
            "run time (absent in committed runs made before it was)"
        },
    )


class MatchingRunSummarySchema(ma.Schema):
    run_id = ma.fields.Integer(required=True)
    as_of = ma.fields.String(required=True, metadata={"description": "The run's day (ISO date)"})
    region = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The region code; null: all"}
    )
    regions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(MatchingRegionSummarySchema),
        required=True,
        metadata={"description": "Per region code (a regional coordinator sees their own)"},
    )
    new_proposals = ma.fields.Integer(required=True)
    dropped_proposals = ma.fields.Integer(required=True)
    expired = ma.fields.Integer(required=True)
    advertised = ma.fields.Integer(required=True)
    advertised_periods = ma.fields.List(ma.fields.Integer(), required=True)
    expired_matches = ma.fields.List(ma.fields.Integer(), required=True)


class MatchingRunSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(RUN_STATUSES))
    as_of = ma.fields.Date(required=True)
    dry_run = ma.fields.Boolean(required=True)
    region = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The code of the region the run covers; null: every region"},
    )
    triggered_by = ma.fields.String(required=True, validate=ma.validate.OneOf(RUN_TRIGGERS))
    started_at = ma.fields.AwareDateTime(required=True)
    finished_at = ma.fields.AwareDateTime(required=True, allow_none=True)
    solver = ma.fields.Nested(MatchingSolverSchema, required=True, allow_none=True)
    proposals = ma.fields.Integer(required=True, metadata={"description": "New proposals"})
    advertised = ma.fields.Integer(
        required=True, metadata={"description": "Periods that fell back to advertising"}
    )
    expired = ma.fields.Integer(required=True, metadata={"description": "Offers that expired"})
    error = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Why a failed run failed"}
    )
    created_by = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Who started the run (null: the scheduler or a command)"},
    )
    summary = ma.fields.Nested(
        MatchingRunSummarySchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "Per region: mode, solver status, placements, new and dropped "
            "proposals, blocking pairs counted by cause, who was passed over, and the other "
            "mode's trade-off (once reduced_at is set: the counts only, new and dropped empty)"
        },
    )
    reduced_at = ma.fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "When the run was reduced after retention (RUN_RETENTION_MONTHS "
            "after the later of its date and the end of the last period it covered): its "
            "problem, result, blocking pairs and per-GP reasons are deleted, its counts "
            "kept. Null: not reduced"
        },
    )


class MatchingRunFilterSchema(ListArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(RUN_STATUSES))
    dry_run = ma.fields.Boolean()


def shown(run: MatchingRun, user: User) -> dict[str, Any]:
    """The run as ``user`` may read it: a regional coordinator's summary keeps only the
    per-region details of their own region."""
    summary = run.summary
    if summary and not is_national(user):
        codes = {r.code for r in regions_in_scope(user)}
        regions = {k: v for k, v in (summary.get("regions") or {}).items() if k in codes}
        summary = {**summary, "regions": regions}
    stopped = run.status == "running" and is_stale(run)  # its process ended: as the page says
    return {
        "id": run.id,
        "status": "failed" if stopped else run.status,
        "as_of": run.as_of,
        "dry_run": run.dry_run,
        "region": run.region.code if run.region else None,
        "triggered_by": run.triggered_by,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "solver": run.solver,
        "proposals": run.proposals,
        "advertised": run.advertised,
        "expired": run.expired,
        "error": stale_error(run, utcnow()) if stopped else run.error,
        "created_by": run.created_by.email if run.created_by else None,
        "summary": summary,
        "reduced_at": run.reduced_at,
    }


@blp.route("/runs", methods=["POST"])
@blp.arguments(MatchingRunRequestSchema)
@blp.response(201, MatchingRunSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such region in your scope")
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="run_refused: another run is in progress, or this date has already run",
)
@auth_required("coordinator", "admin")
def start_run(data: dict[str, Any]):
    """Run the matching for the caller's region, or every region (it also expires offers and
    falls back to ordinary advertising there)."""
    user = caller()
    as_of = data.get("as_of") or local_today()
    check_run_date(as_of, dry_run=data["dry_run"])
    request_ = RunRequest(
        as_of=as_of,
        dry_run=data["dry_run"],
        trigger="api",
        actor=user,
        region=run_region(user, data.get("region")),
    )
    try:
        run = execute(request_)
    except RunRefused:
        raise  # 409 run_refused, in the error format
    except Exception as error:
        # execute() has rolled back, logged the error and recorded the failed run
        run = getattr(error, "failed_run", None)
        if run is None:
            raise
    return shown(run, user)


@blp.route("/runs")
@blp.arguments(MatchingRunFilterSchema, location="query")
@blp.response(200, list_schema(MatchingRunSchema, "MatchingRunList"))
@auth_required("coordinator", "admin")
def list_runs(args: dict[str, Any]):
    """The matching runs, newest first."""
    user = caller()
    query = runs_in_scope(user).order_by(MatchingRun.started_at.desc(), MatchingRun.id.desc())
    if args.get("status"):
        query = query.where(MatchingRun.status == args["status"])
    if "dry_run" in args:
        query = query.where(MatchingRun.dry_run.is_(args["dry_run"]))
    page = paginate(query, args)
    return {**page, "items": [shown(run, user) for run in page["items"]]}


@blp.route("/runs/<int:run_id>")
@blp.response(200, MatchingRunSchema)
@auth_required("coordinator", "admin")
def get_run(run_id: int):
    """One matching run."""
    user = caller()
    return shown(get_run_or_404(run_id, user), user)


@blp.route("/runs/<int:run_id>/blocking-pairs")
@blp.arguments(MatchingBlockingFilterSchema, location="query")
@blp.response(200, list_schema(MatchingBlockingPairSchema, "MatchingBlockingPairList"))
@blp.alt_response(404, schema=ErrorSchema, description="No such run or region in your scope")
@auth_required("coordinator", "admin")
def list_blocking_pairs(args: dict[str, Any], run_id: int):
    """The pairs a run could not give by priority (strict_priority), in the caller's
    regions, ordered by region, cause, department; the summary has their counts."""
    user = caller()
    run = get_run_or_404(run_id, user)
    if args.get("region"):
        regions = [choose_region(user, args["region"])]
    else:
        regions = regions_in_scope(user)
    items, total = records.blocking_page(
        run.id,
        [r.id for r in regions],
        cause=args.get("cause"),
        department_id=args.get("department"),
        limit=args["limit"],
        offset=args["offset"],
    )
    codes = {r.id: r.code for r in regions}
    return {
        "items": [
            {
                "region": codes[b.region_id],
                "gp": b.gp_id,
                "period": b.period_id,
                "department": b.department_id,
                "cause": b.cause,
                "reason": b.reason,
                "holder": b.holder_id,
                "full_from": b.full_from,
            }
            for b in items
        ],
        "total": total,
    }
