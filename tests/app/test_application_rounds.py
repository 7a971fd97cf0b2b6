"""Application rounds (issue 20, part 1): a trust under ``intake: rounds`` has its periods
matched once per round, with the windows registered by the round's deadline; offers
default to the round's answer date; what the round leaves goes to ordinary advertising."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle, rounds
from app.coordination import policies
from app.dates import add_months, local_today
from app.extensions import db
from app.models import ApplicationRound, AuditEvent, Match, MatchingRun, Period
from app.periods.services import default_accept_by
from app.policy import DEFAULTS, effective_policy
from app.runs.services import RunRequest, execute

from . import factories

TODAY = local_today()
APPLY_BY = TODAY + timedelta(days=10)
MATCH_ON = TODAY + timedelta(days=20)
ANSWER_BY = TODAY + timedelta(days=50)


def rounds_override(trust_code="helse-bergen", dates=((APPLY_BY, MATCH_ON, ANSWER_BY),)):
    """``trust_code`` gets rules of its own, in rounds with ``dates``."""
    trust = factories.trust(trust_code)
    coordinator = factories.make_user("coordinator", region_code=trust.region.code)
    policy = policies.create_override(trust, reason="Rounds", actor=coordinator)
    for apply_by, match_on, answer_by in dates:
        policies.add_round(
            policy,
            apply_by=apply_by,
            match_on=match_on,
            answer_by=answer_by,
            reason="The spring round",
            actor=coordinator,
        )
    policies.update_policy(policy, {"intake": "rounds"}, "Rounds from now on", coordinator)
    db.session.commit()
    return policy


def psychiatry_period(trust_code="helse-bergen", start=None):
    department = next(
        d for d in factories.trust(trust_code).departments if d.specialty.code == "psychiatry"
    )
    start = start or add_months(TODAY.replace(day=1), 3)
    from app.lifecycle import publish_period
    from app.periods.services import PeriodInput

    period = publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=start,
            end_date=add_months(start, 6) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
    )
    db.session.commit()
    return period


def psychiatry_gp(months=40):
    gp = factories.make_gp(municipality_number="4601", months_general_practice=months)
    factories.make_window(
        gp, start=TODAY.replace(day=1) + timedelta(days=40), specialties=["psychiatry"]
    )
    return gp


def live(period):
    return db.session.scalar(
        sa.select(Match).where(
            Match.period_id == period.id, Match.status.in_(("proposed", "offered", "accepted"))
        )
    )


def nightly():
    return execute(RunRequest(as_of=local_today(), trigger="nightly"))


def test_the_default_intake_is_continuous(ctx):
    assert DEFAULTS.intake == "continuous"
    assert effective_policy(factories.trust("helse-bergen")).intake == "continuous"
    assert rounds.rounds_of(effective_policy(factories.trust("helse-bergen"))) == []


def test_a_round_matches_once_with_the_windows_registered_by_its_deadline(ctx, travel):
    policy = rounds_override()
    period = psychiatry_period()
    early = psychiatry_gp(months=40)
    # the period waits for the round: its fallback is the day after the round's matching
    assert rounds.local_date(period.advertise_after) == MATCH_ON + timedelta(days=1)
    nightly()
    assert live(period) is None  # it waits for the round

    travel(days=11)  # after the deadline: a GP with more months registers, too late
    late = psychiatry_gp(months=100)
    nightly()
    assert live(period) is None

    travel(days=20)  # the round's matching date
    run = nightly()
    match = live(period)
    assert match is not None and match.gp_id == early.id  # not the late registration
    found = db.session.get(ApplicationRound, policy.rounds[0].id)
    assert found.matched_run_id == run.id and found.matched_at is not None
    assert db.session.get(Period, period.id).application_round_id == found.id
    assert run.summary["rounds_matched"] == [found.id]
    # offers of the round's matching are answered by the round's answer date
    assert default_accept_by(db.session.get(Period, period.id)) == ANSWER_BY

    # the GP declines; the next run does not match the round again: ordinary advertising
    staff = factories.make_user("trust", trust_code="helse-bergen")
    lifecycle.offer(match, accept_by=ANSWER_BY, actor=staff)
    lifecycle.decline(match, actor=early.user)
    db.session.commit()
    travel(days=21)
    again = nightly()
    assert live(period) is None and not again.summary["rounds_matched"]
    assert db.session.get(Period, period.id).status == "advertised"
    assert late.id not in {m.gp_id for m in db.session.scalars(sa.select(Match))}


def test_continuous_trusts_of_the_same_region_are_matched_every_night(ctx):
    rounds_override("helse-bergen")
    waiting = psychiatry_period("helse-bergen")
    nightly_period = psychiatry_period("helse-stavanger")
    gp = factories.make_gp(municipality_number="4601", months_general_practice=40)
    factories.make_window(
        gp,
        start=TODAY.replace(day=1) + timedelta(days=40),
        specialties=["psychiatry"],
        trusts=("helse-stavanger",),
    )
    nightly()
    assert live(waiting) is None
    assert live(nightly_period).gp_id == gp.id


def test_a_dry_run_on_the_matching_date_leaves_the_round_unmatched(ctx, travel):
    policy = rounds_override()
    psychiatry_period()
    psychiatry_gp()
    travel(days=20)
    execute(RunRequest(as_of=local_today(), dry_run=True))
    assert db.session.get(ApplicationRound, policy.rounds[0].id).matched_run_id is None


def test_the_database_matches_a_round_once(ctx, travel):
    policy = rounds_override()
    travel(days=20)
    run = nightly()
    found = db.session.get(ApplicationRound, policy.rounds[0].id)
    assert found.matched_run_id == run.id
    # a second process whose plan was read before the first run committed
    plan = rounds.RoundPlan(due=[found])
    with pytest.raises(rounds.RoundTaken):
        rounds.claim(plan, db.session.get(MatchingRun, run.id))
    db.session.rollback()


def test_a_period_no_round_reaches_before_its_start_keeps_the_ordinary_fallback(ctx):
    rounds_override()
    period = psychiatry_period(start=MATCH_ON - timedelta(days=1))
    published = rounds.local_date(period.published_at)
    assert rounds.local_date(period.advertise_after) == add_months(published, 2)


def test_policy_changes_are_audited(ctx):
    policy = rounds_override()
    actions = set(
        db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "policy"))
    )
    assert {"policy.created", "policy.round_added", "policy.updated"} <= actions
    assert effective_policy(policy.trust).intake == "rounds"
