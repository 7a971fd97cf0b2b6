"""The matching run: one transaction that expires offers, falls back to ordinary
advertising, solves every region's problem and stores the proposals.

A run is guarded in the database (app.runs.guard): nightly runs have a unique key per date,
and on PostgreSQL every committed run also holds an advisory lock, so two schedulers, or a
scheduler and a coordinator, never run at once. Its row is committed as running before the
work starts, so a run whose process dies leaves a trace that the run list shows as stopped.
A dry run does all the work inside a savepoint that is rolled back, and keeps only its
summary and the records its page shows (app.runs.records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

import matching
from app import announce as messages
from app import audit, lifecycle, lottery, rounds
from app.dates import local_today
from app.errors import BrokenRule, InvalidInput
from app.extensions import db
from app.models import MatchingRun, Period, Region, User
from app.models.types import utcnow
from app.policy import department_chooses, effective_policy

from . import records
from .guard import (
    RunLocks,
    RunRefused,
    held_locks,
    nightly_key,
    reap_stale_runs,
)
from .problem import RegionProblem, build_problems

# A dry run may look this far ahead; further is surely a typing error.
HORIZON_DAYS = 5 * 366


@dataclass(frozen=True)
class RunRequest:
    as_of: date
    dry_run: bool = False
    trigger: str = "manual"
    actor: User | None = None
    # The region the run covers; None: every region (see app.access.run_region).
    region: Region | None = None


def check_run_date(as_of: date, *, dry_run: bool, today: date | None = None) -> None:
    """The rule for a run's date, for every way of starting one: not in the past (it would
    propose periods that have started); a run that changes anything not after today (offers
    would expire before their deadline, periods would be advertised early); a dry run may
    look ahead, within five years. Raises InvalidInput on ``as_of``."""
    today = today or local_today()
    if as_of < today:
        raise InvalidInput("run_in_past", field="as_of")
    if not dry_run and as_of > today:
        raise InvalidInput("run_in_future", field="as_of")
    if as_of > today + timedelta(days=HORIZON_DAYS):
        raise InvalidInput("run_too_far", field="as_of")


def _explanation(assignment, candidate_keys: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "reason": "matched",
        "gp_rank": assignment.gp_rank,
        "priority_position": assignment.priority_position,
        "priority_keys": candidate_keys or {},
    }


def _apply(
    rp: RegionProblem, problem: matching.Problem, result: matching.Result, run: MatchingRun
) -> dict[str, Any]:
    """Store the region's proposals; drop free proposals the solver no longer makes."""
    wanted = {(int(a.period), int(a.gp)): a for a in result.assignments if a.source == "match"}
    new, dropped, kept = [], [], 0
    waiting: list[int] = []  # periods whose department chooses from the shortlist
    for period_id, proposal in rp.free_proposals.items():
        assignment = wanted.pop((period_id, proposal.gp_id), None)
        if assignment is not None:
            candidates = _candidates(problem, period_id)
            awaits = _awaits_choice(proposal.period, len(candidates))
            lifecycle.keep_proposal(
                proposal,
                run=run,
                gp_rank=assignment.gp_rank,
                priority_position=assignment.priority_position,
                confirm_now=_automatic(proposal.period) and awaits is None,
                awaits_choice=awaits,
            )
            if awaits is not None:
                waiting.append(period_id)
            kept += 1
            continue
        lifecycle.supersede(proposal, run=run)
        dropped.append({"period": period_id, "gp": proposal.gp_id})
    db.session.flush()  # the ended proposals release their period and GP first
    for (period_id, gp_id), assignment in sorted(wanted.items()):
        period = db.session.get_one(Period, period_id)
        candidates = _candidates(problem, period_id)
        awaits = _awaits_choice(period, len(candidates))
        keys = next((dict(c.keys) for c in candidates if c.gp == str(gp_id)), None)
        if awaits is not None:
            waiting.append(period_id)
        lifecycle.propose(
            period,
            gp_id,
            run=run,
            gp_rank=assignment.gp_rank,
            priority_position=assignment.priority_position,
            explanation=_explanation(assignment, keys),
            confirmed=_automatic(period),
            awaits_choice=awaits,
        )
        new.append({"period": period_id, "gp": gp_id})
    return {
        "mode": result.mode,
        "status": result.status,
        "placements": result.metrics.placed,
        "periods": len(rp.problem["periods"]),
        "gps": len(rp.problem["gps"]),
        "new": new,
        "dropped": dropped,
        "kept": kept,
        "awaiting_choice": sorted(waiting),
        "blocking_pairs_by_cause": records.blocking_counts(result),
        "passed_over": candidates_passed_over(result),
        "passed_over_pairs": passed_over_pairs(result),
        "wall_time_s": result.metrics.wall_time_s,
    }


def _candidates(problem: matching.Problem, period_id: int) -> list[matching.Candidate]:
    """The period's eligible GPs in priority order: its shortlist as the run sees it (GPs
    who hold another period are in no other period's problem)."""
    return matching.rank_candidates(problem, str(period_id))


def _awaits_choice(period: Period, candidates: int) -> dict[str, int] | None:
    """What a proposal that waits for the department's choice says of its shortlist (how
    many candidates it shows), or None when the engine's proposal goes on by the rules."""
    policy = effective_policy(period.department.trust)
    if not department_chooses(policy, candidates):
        return None
    return {"candidates": min(candidates, policy.shortlist_size)}


def _automatic(period: Period) -> bool:
    """Whether the trust's rules send proposals to it without a coordinator's confirmation."""
    return effective_policy(period.department.trust).confirmation == "automatic"


def _alternative(rp: RegionProblem, time_limit: float) -> dict[str, Any]:
    """What the other mode would do with the same problem: the trade-off the run page
    shows, solved once at run time (every run, dry or committed) so that no page solves."""
    other = (
        "max_placements"
        if rp.problem["policy"]["mode"] == "strict_priority"
        else ("strict_priority")
    )
    problem = {**rp.problem, "policy": {**rp.problem["policy"], "mode": other}}
    result = matching.solve(matching.problem_from_json(problem), time_limit_s=time_limit)
    return {
        "mode": other,
        "placements": result.metrics.placed,
        "passed_over": candidates_passed_over(result),
    }


def passed_over_pairs(result: matching.Result) -> list[dict[str, str | None]]:
    """The pairs a max_placements result gives up so that more GPs are placed, as the engine
    names them (``result.passed_over``): the GP, the period, and the candidate placed
    instead (None: the period stays empty). The one source of what the run page and the
    API say about who was passed over."""
    return [{"gp": x.gp, "period": x.period, "holder": x.holder} for x in result.passed_over]


def candidates_passed_over(result: matching.Result) -> int:
    """How many candidates ``result`` passes over: the GPs of its passed-over pairs."""
    return len({x.gp for x in result.passed_over})


def _new_run(request: RunRequest) -> MatchingRun:
    """The run's row, running (flushes); RunRefused if this night's run exists."""
    run = MatchingRun(
        run_key=nightly_key(request.as_of)
        if request.trigger == "nightly" and not request.dry_run
        else None,
        as_of=request.as_of,
        dry_run=request.dry_run,
        region=request.region,
        triggered_by=request.trigger,
        status="running",
        started_at=utcnow(),
        created_by=request.actor,
    )
    db.session.add(run)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        raise RunRefused(f"the run for {request.as_of} already exists") from error
    return run


def run_matching(request: RunRequest, run: MatchingRun | None = None) -> MatchingRun:
    """Do one run (flushes; the caller commits, or rolls back on error). ``run`` is the row
    that execute() committed at the start; without it (the demo load) the row is made here."""
    time_limit = current_app.config["MATCHING_TIME_LIMIT_S"]
    check_run_date(request.as_of, dry_run=request.dry_run)
    if run is None:  # the demo load, which holds the runs' lock itself
        run = _new_run(request)
    regions = [request.region] if request.region is not None else None
    # Seeds are drawn outside the dry run's savepoint: a dry run sees the seed that a later
    # run of the season uses, and its hash is public before the run commits.
    lottery.draw_ahead(local_today(), regions)
    for region in regions or db.session.scalars(sa.select(Region)):
        lottery.seed_for(region, request.as_of)

    savepoint = db.session.begin_nested() if request.dry_run else None
    # The application rounds due (app.rounds): claimed for this run before any work, so a
    # round is matched once; a dry run's claim is rolled back with its savepoint.
    round_plan = rounds.plan(request.as_of, regions)
    rounds.claim(round_plan, run)
    expired = lifecycle.expire_offers(request.as_of, actor=request.actor, region=request.region)
    advertised = lifecycle.advertise_due(
        request.as_of, request.region, spare=lambda p: round_plan.round_of(p) is not None
    )
    summaries: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    results: dict[str, Any] = {}
    stored: list[records.RegionRecords] = []
    problems_built = build_problems(
        request.as_of, [r.id for r in regions] if regions else None, round_plan=round_plan
    )
    rounds.record_periods(round_plan)
    for rp in problems_built:
        if rp.is_empty and not rp.free_proposals:
            continue
        problem = matching.problem_from_json(rp.problem)
        result = matching.solve(problem, time_limit_s=time_limit)
        if result.status == "infeasible":
            raise RuntimeError(
                f"{rp.region.code}: infeasible: {'; '.join(result.infeasible_reasons)}"
            )
        code = rp.region.code
        problems[code] = rp.problem
        results[code] = matching.result_to_json(result)
        summaries[code] = _apply(rp, problem, result, run)
        summaries[code]["alternative"] = _alternative(rp, time_limit)
        stored.append(
            records.region_records(
                rp.region.id, rp.problem, result, summaries[code], summaries[code]["alternative"]
            )
        )
    summary = {
        "run_id": run.id,
        "as_of": request.as_of.isoformat(),
        "region": request.region.code if request.region else None,
        "regions": summaries,
        "new_proposals": sum(len(r["new"]) for r in summaries.values()),
        "dropped_proposals": sum(len(r["dropped"]) for r in summaries.values()),
        "expired": len(expired),
        "advertised": len(advertised),
        "advertised_periods": [p.id for p in advertised],
        "expired_matches": [m.id for m in expired],
        "rounds_matched": [r.id for r in round_plan.due],
    }
    if savepoint is not None:
        savepoint.rollback()
    records.store(run, stored)  # a dry run keeps them too
    run.status = "succeeded"
    run.finished_at = utcnow()
    run.problem = problems
    run.result = results
    run.summary = summary
    run.proposals = summary["new_proposals"]
    run.advertised = summary["advertised"]
    run.expired = summary["expired"]
    run.solver = {
        "status": _worst_status([r["status"] for r in summaries.values()]),
        "objective": sum(r["placements"] for r in summaries.values()),
        "wall_time_s": round(sum(r["wall_time_s"] for r in summaries.values()), 4),
    }
    if not request.dry_run:
        audit.record(
            "matching.run",
            run,
            object_type="matching_run",
            actor=request.actor,
            data={k: v for k, v in summary.items() if k != "regions"},
        )
        messages.run_finished(_coordinators(request.region), summary)
    db.session.flush()
    return run


def _worst_status(statuses: list[str]) -> str:
    for status in ("infeasible", "feasible"):
        if status in statuses:
            return status
    return "optimal"


def _coordinators(region: Region | None) -> list[User]:
    """The coordinators a run concerns: national ones, and those of the region(s) it covers."""
    query = sa.select(User).where(User.role == "coordinator", User.active.is_(True))
    if region is not None:
        query = query.where(sa.or_(User.region_id.is_(None), User.region_id == region.id))
    return list(db.session.scalars(query))


def _start(request: RunRequest, locks: RunLocks) -> MatchingRun:
    """In a transaction of its own, before any work: mark runs whose process died as
    stopped, then commit this run's row as running, with when and by whom, and hold its
    lock. RunRefused if this night's run exists."""
    try:
        reap_stale_runs()
        run = _new_run(request)
        locks.claim(run.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return run


def _record_failure(run_id: int, error: BaseException) -> MatchingRun | None:
    """After the rollback: the run's row says it failed and why, and gives up its nightly
    key (the night may be run again). None if even that fails (the database is gone: the
    run list will show the run as stopped)."""
    try:
        run = db.session.get_one(MatchingRun, run_id)
        run.status = "failed"
        run.run_key = None
        run.finished_at = utcnow()
        run.error = f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
        return run
    except Exception:
        db.session.rollback()
        current_app.logger.exception("matching run %s: its failure could not be recorded", run_id)
        return None


def execute(request: RunRequest) -> MatchingRun:
    """Commit the run's row, run and commit; on failure roll the work back and record the
    failure on the row. Refused before it starts (its date, the lock, this night's run
    exists): nothing is recorded."""
    check_run_date(request.as_of, dry_run=request.dry_run)
    with held_locks(exclusive=not request.dry_run) as locks:
        run = _start(request, locks)
        run_id = run.id
        try:
            run_matching(request, run)
            db.session.commit()
            return run
        except BaseException as error:
            db.session.rollback()
            unexpected = isinstance(error, Exception) and not isinstance(error, BrokenRule)
            if unexpected:
                current_app.logger.exception("matching run %s failed", run_id)
            failed = _record_failure(run_id, error)
            if unexpected:
                error.failed_run = failed  # type: ignore[attr-defined]  # for callers that show it
            raise
