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
from .a11y import problems

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
    # "Why not?" tells the late GP why, in words of their own (not a coordinator's forbid)
    from app.gps.explanations import explanations_for

    [said] = [e for e in explanations_for(late) if e.period.id == period.id]
    assert said.reason == "late_for_round" and said.group == "pending"
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


# ---- the policy page: the intake and the rounds, with refusals next to the fields


@pytest.fixture
def coordinator_browser(client):
    from .conftest import Browser

    user = factories.make_user("coordinator", region_code="helse-vest")
    user.locale = "en"
    db.session.commit()
    browser = Browser(client)
    browser.login(user.email)
    return browser


def round_form(apply_by, match_on, answer_by, reason="Vår runde"):
    return {
        "apply_by": apply_by.isoformat() if apply_by else "",
        "match_on": match_on.isoformat() if match_on else "",
        "answer_by": answer_by.isoformat() if answer_by else "",
        "round_reason": reason,
    }


def test_the_policy_page_adds_a_round_and_refuses_wrong_dates(ctx, coordinator_browser):
    from .test_coordination_policies import form_data

    vest = factories.region("helse-vest").policy
    page = f"/coordination/policies/{vest.id}"
    add = f"{page}/rounds"
    # intake in rounds without a round ahead is refused next to the field
    response = coordinator_browser.submit(page, form_data(vest, intake="rounds"))
    assert response.status_code == 422
    assert "Add a round ahead first" in response.get_data(as_text=True)
    assert db.session.get(type(vest), vest.id).intake == "continuous"

    refusals = [
        ((APPLY_BY, MATCH_ON, MATCH_ON - timedelta(days=1)), "answer date must be after"),
        ((APPLY_BY, APPLY_BY - timedelta(days=1), ANSWER_BY), "cannot be before the application"),
        ((TODAY - timedelta(days=1), MATCH_ON, ANSWER_BY), "cannot be in the past"),
        ((APPLY_BY, MATCH_ON, None), "Enter a date"),
    ]
    for dates, words in refusals:
        response = coordinator_browser.submit(add, round_form(*dates), page=page)
        assert response.status_code == 422, words
        assert words in response.get_data(as_text=True), words
    response = coordinator_browser.submit(
        add, round_form(APPLY_BY, MATCH_ON, ANSWER_BY, ""), page=page
    )
    assert response.status_code == 422 and "Give a reason" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(ApplicationRound)).all() == []

    response = coordinator_browser.submit(add, round_form(APPLY_BY, MATCH_ON, ANSWER_BY), page=page)
    assert response.status_code == 302
    overlapping = round_form(MATCH_ON, MATCH_ON + timedelta(days=5), ANSWER_BY)
    response = coordinator_browser.submit(add, overlapping, page=page)
    assert response.status_code == 422 and "overlaps another round" in response.get_data(
        as_text=True
    )

    response = coordinator_browser.submit(page, form_data(vest, intake="rounds"))
    assert response.status_code == 302
    assert effective_policy(factories.trust("helse-bergen")).intake == "rounds"
    text = coordinator_browser.get(page).get_data(as_text=True)
    assert "Application rounds" in text and "Remove the round" in text
    assert problems(text) == []  # labels, headings in order, unique ids

    # the last round ahead cannot be removed while the intake is in rounds
    [found] = db.session.scalars(sa.select(ApplicationRound)).all()
    remove = f"{page}/rounds/{found.id}/remove"
    response = coordinator_browser.submit(remove, {"reason": "Feil dato"}, page=page)
    assert response.status_code == 422 and "last round ahead" in response.get_data(as_text=True)
    assert (
        coordinator_browser.client.get(
            f"/coordination/policies/{vest.id}/rounds/999/remove"
        ).status_code
        == 405
    )
    response = coordinator_browser.submit(
        f"{page}/rounds/{found.id + 1000}/remove", {"reason": "x"}, page=page
    )
    assert response.status_code == 404


def test_rounds_of_another_region_are_404(ctx, coordinator_browser):
    nord = factories.region("helse-nord").policy
    response = coordinator_browser.submit(
        f"/coordination/policies/{nord.id}/rounds",
        round_form(APPLY_BY, MATCH_ON, ANSWER_BY),
        page="/coordination/policies",
    )
    assert response.status_code == 404


# ---- the public region page, the GP's page and the API


def test_the_region_page_the_gps_page_and_the_api_show_the_rounds(ctx, client):
    from .conftest import Browser

    rounds_override()
    gp = psychiatry_gp()
    text = client.get("/regions/helse-vest", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Application rounds" in text and "next round" in text
    assert "Helse Bergen" in text
    assert problems(text) == []

    browser = Browser(client)
    gp.user.locale = "en"
    db.session.commit()
    browser.login(gp.user.email)
    page = browser.get("/availability").get_data(as_text=True)
    assert "your window enters the round with application deadline" in page
    assert problems(page) == []

    body = client.get("/api/v1/regions/helse-vest/rounds").get_json()
    assert body["intake"] == "continuous"
    assert {"code": "helse-bergen", "intake": "rounds"} in body["trusts"]
    [item] = body["rounds"]
    assert item["trust"] == "helse-bergen" and item["next"] is True
    assert (item["apply_by"], item["match_on"], item["answer_by"]) == (
        APPLY_BY.isoformat(),
        MATCH_ON.isoformat(),
        ANSWER_BY.isoformat(),
    )
    assert client.get("/api/v1/regions/nowhere/rounds").status_code == 404
    assert client.get("/api/v1/regions/nowhere/rounds").get_json()["error"]


def test_a_late_window_is_told_it_waits_for_the_next_round(ctx, client, travel):
    from .conftest import Browser

    rounds_override(dates=((APPLY_BY, MATCH_ON, ANSWER_BY),))
    travel(days=11)
    gp = psychiatry_gp()
    gp.user.locale = "en"
    db.session.commit()
    browser = Browser(client)
    browser.login(gp.user.email)
    page = browser.get("/availability").get_data(as_text=True)
    assert "no round is scheduled for your window yet" in page


# ---- reminders before the deadline, once per round and GP


def test_a_reminder_before_the_deadline_once_per_round_and_gp(ctx, app, mailbox):
    from app import mail as delivery
    from app.announce import remind_rounds
    from app.jobs import round_reminders
    from app.models import Notification, Subscription

    rounds_override()
    with_window = psychiatry_gp()
    subscriber = factories.make_gp(municipality_number="4601")
    db.session.add(
        Subscription(
            user_id=subscriber.user.id, topic="periods", region_id=factories.region("helse-vest").id
        )
    )
    elsewhere = factories.make_gp(municipality_number="5001")  # Trondheim: Helse Midt-Norge
    db.session.commit()
    assert remind_rounds(APPLY_BY - timedelta(days=15)) == 0  # too early
    assert remind_rounds(TODAY) == 2
    db.session.commit()
    assert remind_rounds(TODAY) == 0  # once
    assert round_reminders(app, TODAY + timedelta(days=1)) == "0 round reminders"
    reminded = {
        n.user_id
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == "round_reminder")
        )
    }
    assert reminded == {with_window.user.id, subscriber.user.id}
    assert elsewhere.user.id not in reminded
    report = delivery.send_due()
    assert report.sent == 2
    subjects = {m["To"]: m["Subject"] for m in mailbox.messages}
    assert "Helse Bergen" in subjects[with_window.user.email]


def test_a_region_in_rounds_its_trusts_follow_and_an_override_copies_the_rounds(ctx, client):
    vest = factories.region("helse-vest").policy
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    policies.add_round(
        vest,
        apply_by=APPLY_BY,
        match_on=MATCH_ON,
        answer_by=ANSWER_BY,
        reason="Runde",
        actor=coordinator,
    )
    policies.update_policy(vest, {"intake": "rounds"}, "Runder", coordinator)
    db.session.commit()
    assert effective_policy(factories.trust("helse-fonna")).intake == "rounds"
    own = policies.create_override(factories.trust("helse-fonna"), reason="Egen", actor=coordinator)
    db.session.commit()
    assert [(r.apply_by, r.match_on, r.answer_by) for r in own.rounds] == [
        (APPLY_BY, MATCH_ON, ANSWER_BY)
    ]
    text = client.get("/regions/helse-vest", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "The portal matches in application rounds" in text
    assert "the day after the round's matching" in text
    body = client.get("/api/v1/regions/helse-vest/rounds").get_json()
    assert body["intake"] == "rounds"
    assert [r["trust"] for r in body["rounds"]] == [None, "helse-fonna"]


def test_an_unconfirmed_proposal_of_the_round_stays_through_later_runs(ctx, travel):
    policy = rounds_override()
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    policies.update_policy(policy, {"confirmation": "coordinator"}, "Vi bekrefter", coordinator)
    db.session.commit()
    period = psychiatry_period()
    gp = psychiatry_gp()
    travel(days=20)
    nightly()
    proposal = live(period)
    assert proposal.gp_id == gp.id and proposal.confirmed_at is None
    travel(days=21)
    later = nightly()
    assert live(period).id == proposal.id  # not superseded, not matched again
    assert later.summary["new_proposals"] == 0 and later.summary["dropped_proposals"] == 0


def test_the_shortlist_of_a_round_period_leaves_out_late_registrations(ctx, travel):
    from app.models import Policy
    from app.periods.shortlist import shortlist

    from .test_periods_shortlist import LILLESTROM, _gp, _period

    ahus = factories.trust("ahus")
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    own = db.session.scalar(sa.select(Policy).where(Policy.trust_id == ahus.id))
    policies.add_round(
        own,
        apply_by=APPLY_BY,
        match_on=MATCH_ON,
        answer_by=ANSWER_BY,
        reason="Vår",
        actor=coordinator,
    )
    policies.update_policy(own, {"intake": "rounds"}, "Runder", coordinator)
    db.session.commit()
    period = _period()
    early = _gp("Tidlig Lege", LILLESTROM, 40, ["internal-medicine"])
    travel(days=11)
    late = _gp("Sen Lege", LILLESTROM, 100, ["internal-medicine"])
    entries = shortlist(period, factories.make_user("trust", trust_code="ahus"))
    assert [e.gp.id for e in entries] == [early.id]
    assert late.id not in {e.gp.id for e in entries}


def test_the_offer_form_is_filled_in_with_the_rounds_answer_date(ctx, client, travel):
    from .conftest import Browser

    rounds_override()
    period = psychiatry_period()
    psychiatry_gp()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    travel(days=20)
    nightly()
    assert live(period).confirmed_at is not None
    browser = Browser(client)
    browser.login(staff.email)
    page = browser.get(f"/periods/{period.id}").get_data(as_text=True)
    assert f'value="{ANSWER_BY.isoformat()}"' in page
