"""The matching run: proposals, fallback to advertising, expired offers, dry runs, the
database guard, and that a crash changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import matching
from app import lifecycle
from app.dates import add_months, local_today
from app.errors import InvalidInput, MatchConflict
from app.extensions import db
from app.lifecycle import publish_period
from app.models import AuditEvent, Match, MatchingRun, Notification, Period
from app.periods.services import PeriodInput
from app.runs.services import RunRefused, RunRequest, execute

from . import factories

TODAY = local_today()


def period_for(department, *, start=None, months=6, published_days_ago=0):
    start = start or add_months(TODAY.replace(day=1), 3)
    period = publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=start,
            end_date=add_months(start, months) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
        published_at=datetime.now(UTC) - timedelta(days=published_days_ago),
    )
    db.session.commit()
    return period


@pytest.fixture
def market(ctx):
    """A psychiatry period in Helse Bergen and two GPs who want it (Bergen first)."""
    department = next(
        d for d in factories.trust("helse-bergen").departments if d.specialty.code == "psychiatry"
    )
    period = period_for(department)
    staff = factories.make_user("trust", trust_code="helse-bergen")
    first = factories.make_gp(municipality_number="4601", months_general_practice=60)
    second = factories.make_gp(municipality_number="4601", months_general_practice=40)
    for gp in (first, second):
        factories.make_window(
            gp, start=TODAY.replace(day=1) + timedelta(days=40), specialties=["psychiatry"]
        )
    return {"period": period, "first": first, "second": second, "staff": staff}


def live(period):
    return db.session.scalar(
        sa.select(Match).where(
            Match.period_id == period.id, Match.status.in_(("proposed", "offered", "accepted"))
        )
    )


def test_run_proposes_the_higher_priority_gp(market):
    run = execute(RunRequest(as_of=TODAY))
    match = live(market["period"])
    assert match.gp_id == market["first"].id and match.source == "solver"
    assert match.run_id == run.id and match.priority_position == 1 and match.gp_rank == 1
    assert match.confirmed_at is not None  # Helse Vest confirms automatically
    assert match.explanation["priority_keys"]["months_general_practice"] == 60
    assert db.session.get(Period, market["period"].id).status == "matched"
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(sa.select(Notification))}
    assert (market["first"].user_id, "proposal") in kinds
    assert (market["staff"].id, "proposal_confirmed") in kinds
    assert run.summary["new_proposals"] == 1 and run.solver["status"] == "optimal"


def test_a_second_run_keeps_the_proposal(market):
    execute(RunRequest(as_of=TODAY))
    first = live(market["period"])
    second_run = execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).id == first.id
    assert second_run.summary["regions"]["helse-vest"]["kept"] == 0  # held: confirmed
    assert second_run.summary["new_proposals"] == 0


def test_decline_then_the_next_run_proposes_the_next_gp(market):
    execute(RunRequest(as_of=TODAY))
    match = live(market["period"])
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=7), actor=market["staff"])
    lifecycle.decline(match, actor=market["first"].user)
    db.session.commit()
    assert db.session.get(Period, market["period"].id).status == "open"
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == market["second"].id


def test_an_unanswered_offer_expires_and_the_pair_is_not_proposed_again(market, travel):
    execute(RunRequest(as_of=TODAY))
    match = live(market["period"])
    lifecycle.offer(match, accept_by=TODAY, actor=market["staff"])
    db.session.commit()
    with pytest.raises(InvalidInput):  # the offer never expires before its deadline
        execute(RunRequest(as_of=TODAY + timedelta(days=1)))
    assert db.session.get(Match, match.id).status == "offered"
    travel(days=1)
    run = execute(RunRequest(as_of=TODAY + timedelta(days=1)))
    assert db.session.get(Match, match.id).status == "expired"
    assert run.summary["expired"] == 1
    assert live(market["period"]).gp_id == market["second"].id


def test_period_without_candidates_falls_back_after_two_months(ctx):
    department = factories.department("helse-fonna")
    staff = factories.make_user("trust", trust_code="helse-fonna")
    fresh = period_for(department, published_days_ago=10)
    old = period_for(department, published_days_ago=70)
    run = execute(RunRequest(as_of=TODAY))
    assert db.session.get(Period, old.id).status == "advertised"
    assert db.session.get(Period, fresh.id).status == "open"
    assert run.summary["advertised_periods"] == [old.id]
    assert db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == staff.id, Notification.kind == "period_advertised"
        )
    )
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "period.advertised"))


def test_dry_run_changes_nothing_but_keeps_its_summary(market):
    old = period_for(factories.department("helse-fonna"), published_days_ago=70)
    run = execute(RunRequest(as_of=TODAY, dry_run=True))
    assert live(market["period"]) is None
    assert db.session.get(Period, old.id).status == "open"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    region = run.summary["regions"]["helse-vest"]
    assert region["new"] == [{"period": market["period"].id, "gp": market["first"].id}]
    assert region["alternative"]["mode"] == "max_placements"
    assert run.summary["advertised_periods"] == [old.id]
    assert run.dry_run and run.status == "succeeded" and run.problem["helse-vest"]["gps"]


def test_a_crash_leaves_the_database_as_before(market, monkeypatch):
    old = period_for(factories.department("helse-fonna"), published_days_ago=70)

    def explode(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(matching, "solve", explode)
    with pytest.raises(RuntimeError):
        execute(RunRequest(as_of=TODAY))
    assert db.session.get(Period, old.id).status == "open"  # the fallback was rolled back
    assert live(market["period"]) is None
    runs = db.session.scalars(sa.select(MatchingRun)).all()
    assert [(r.status, r.error) for r in runs] == [("failed", "RuntimeError: solver crashed")]


def test_one_nightly_run_per_date(market):
    execute(RunRequest(as_of=TODAY, trigger="nightly"))
    with pytest.raises(RunRefused):
        execute(RunRequest(as_of=TODAY, trigger="nightly"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchingRun)) == 1


def test_pins_survive_and_forbids_hold(market):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    lifecycle.assign(market["period"], market["second"], reason="Needs it now", actor=coordinator)
    db.session.commit()
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == market["second"].id
    lifecycle.forbid(
        market["period"], market["second"], reason="Conflict of interest", actor=coordinator
    )
    db.session.commit()
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == market["first"].id


def test_export_writes_a_solvable_problem(app, market):
    run = execute(RunRequest(as_of=TODAY))
    result = app.test_cli_runner().invoke(args=["matching", "export", str(run.id)])
    assert result.exit_code == 0, result.output
    problem = matching.problem_from_json(__import__("json").loads(result.output))
    assert matching.solve(problem).metrics.placed == 1


def test_matching_run_command(app, market):
    result = app.test_cli_runner().invoke(args=["matching", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "helse-vest" in result.output
    assert live(market["period"]) is None


def test_assigning_a_gp_below_the_minimum_is_refused(market):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    junior = factories.make_gp(municipality_number="4601", months_general_practice=20)
    factories.make_window(
        junior, start=TODAY.replace(day=1) + timedelta(days=40), specialties=["psychiatry"]
    )
    with pytest.raises(MatchConflict) as refused:
        lifecycle.assign(market["period"], junior, reason="x", actor=coordinator)
    assert refused.value.code == "not_eligible"


def test_a_pin_that_no_longer_fits_is_kept_and_the_run_goes_on(market):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    lifecycle.assign(market["period"], market["second"], reason="Needs it now", actor=coordinator)
    db.session.commit()
    market["second"].months_general_practice = 10  # corrected after the decision
    db.session.commit()
    run = execute(RunRequest(as_of=TODAY))
    assert run.status == "succeeded"
    assert live(market["period"]).gp_id == market["second"].id
    assert {"gp": str(market["second"].id), "period": str(market["period"].id)} in (
        run.problem["helse-vest"]["placed"]
    )


def test_a_coordinator_may_assign_a_pair_the_gp_once_declined(market):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    execute(RunRequest(as_of=TODAY))
    match = live(market["period"])
    lifecycle.decline(match, actor=market["first"].user)
    db.session.commit()
    lifecycle.assign(market["period"], market["first"], reason="Agreed by phone", actor=coordinator)
    db.session.commit()
    run = execute(RunRequest(as_of=TODAY))
    assert run.status == "succeeded"
    assert live(market["period"]).gp_id == market["first"].id
