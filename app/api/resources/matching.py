"""Matching runs (coordinators and admins): start one, now or as of a later day, for real or
as a dry run; list and read them. Runs are national, as on the coordination pages; a
regional coordinator sees the per-region summary of their own region only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest import Blueprint

from app.coordination.scope import is_national, regions_in_scope
from app.dates import local_today
from app.extensions import db
from app.models import MatchingRun, User
from app.models.matching import RUN_STATUSES, RUN_TRIGGERS
from app.runs.services import RunRefused, RunRequest, execute

from ..auth import auth_required, caller
from ..common import ListArgsSchema, list_schema, paginate
from ..errors import ApiError
from .matches import in_range

blp = Blueprint(
    "api_matching", __name__, url_prefix="/matching", description="Matching runs (coordinators)"
)

HORIZON_DAYS = 5 * 366  # as_of further ahead than this is surely a typing error


class MatchingRunRequestSchema(ma.Schema):
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Work out what would change without changing anything"},
    )
    as_of = ma.fields.Date(
        metadata={
            "description": "The day the run treats as today (default today): offers past "
            "their deadline expire, periods past their fallback date are advertised"
        }
    )

    @ma.validates("as_of")
    def _as_of(self, value, **_kwargs):
        today = local_today()
        # A past day would propose periods that have already started.
        if value < today:
            raise ma.ValidationError("Choose today or a later day.")
        if value > today + timedelta(days=HORIZON_DAYS):
            raise ma.ValidationError("Choose a day within five years.")


class MatchingSolverSchema(ma.Schema):
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["optimal", "feasible", "infeasible"])
    )
    objective = ma.fields.Float(
        required=True, metadata={"description": "Placements made (summed over the regions)"}
    )
    wall_time_s = ma.fields.Float(required=True)


class MatchingRunSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(RUN_STATUSES))
    as_of = ma.fields.Date(required=True)
    dry_run = ma.fields.Boolean(required=True)
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
    summary = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "Per region: mode, solver status, placements, new and dropped "
            "proposals, blocking pairs (and for dry runs the other mode's trade-off)"
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
    return {
        "id": run.id,
        "status": run.status,
        "as_of": run.as_of,
        "dry_run": run.dry_run,
        "triggered_by": run.triggered_by,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "solver": run.solver,
        "proposals": run.proposals,
        "advertised": run.advertised,
        "expired": run.expired,
        "error": run.error,
        "summary": summary,
    }


@blp.route("/runs", methods=["POST"])
@blp.arguments(MatchingRunRequestSchema)
@blp.response(201, MatchingRunSchema)
@auth_required("coordinator", "admin")
def start_run(data: dict[str, Any]):
    """Run the matching for every region (it also expires offers and falls back to ads)."""
    user = caller()
    request_ = RunRequest(
        as_of=data.get("as_of") or local_today(),
        dry_run=data["dry_run"],
        trigger="api",
        actor=user,
    )
    try:
        run = execute(request_)
    except RunRefused as refused:
        raise ApiError(409, "run_refused", f"The run was refused: {refused}.") from refused
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
    query = sa.select(MatchingRun).order_by(MatchingRun.started_at.desc(), MatchingRun.id.desc())
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
    run = db.session.get(MatchingRun, in_range(run_id, "run"))
    if run is None:
        raise ApiError(404, "not_found", "No such run.")
    return shown(run, caller())
