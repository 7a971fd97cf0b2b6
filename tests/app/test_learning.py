"""Issue 20 part 4: learning goals per period, their confirmation by the department and the
GP after the placement, the evaluation survey (once per respondent role), its invitations
and one reminder, and the anonymised results on the statistics pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app import mail as delivery
from app.dates import local_today
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.jobs import evaluation_surveys
from app.learning import services, surveys
from app.models import (
    AuditEvent,
    GoalConfirmation,
    LearningGoal,
    Notification,
    PlacementEvaluation,
    SurveyResponse,
)
from app.reference.loader import load_reference_data
from app.statistics.services import Span, survey_results

from . import factories
from .apiutil import Api, error_of
from .conftest import Browser

GOALS = ["ALM-055", "ALM-085"]


def ended_placement(*, trust_code="helse-bergen", municipality="4601", ended_days_ago=2):
    """An accepted match whose period ended ``ended_days_ago`` days ago."""
    gp = factories.make_gp(municipality_number=municipality)
    period = factories.make_period(trust_code)
    match = factories.make_proposal(
        period, gp, status="offered", accept_by=local_today() + timedelta(days=5)
    )
    lifecycle.accept(match, actor=gp.user)
    period.start_date = local_today() - timedelta(days=200)
    period.end_date = local_today() - timedelta(days=ended_days_ago)
    db.session.commit()
    return match


def answers(score=4, comment=None):
    return surveys.SurveyAnswers(overall=score, learning=score, arrangements=score, comment=comment)


# ---- the reference list and the goals a period offers


def test_the_reference_list_holds_the_goals_the_sources_name(ctx):
    codes = [g.code for g in db.session.scalars(sa.select(LearningGoal).order_by("code"))]
    assert codes == GOALS
    assert load_reference_data() == {}  # idempotent: a second load changes nothing


def test_a_new_period_offers_every_goal_and_the_trust_chooses(ctx):
    period = factories.make_period()
    assert [g.code for g in period.learning_goals] == GOALS
    staff = factories.make_user("trust", trust_code="helse-bergen")
    assert services.set_period_goals(period, ["alm-085"], actor=staff)
    assert not services.set_period_goals(period, ["ALM-085"], actor=staff)
    db.session.commit()
    assert [g.code for g in period.learning_goals] == ["ALM-085"]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "period.learning_goals_changed")
    )
    assert event.actor_id == staff.id
    assert event.data == {"learning_goals": [GOALS, ["ALM-085"]]}
    with pytest.raises(InvalidInput) as refused:
        services.set_period_goals(period, ["ALM-999"], actor=staff)
    assert refused.value.code == "unknown_learning_goal"
    factories.force_status(period, "withdrawn")
    with pytest.raises(Conflict) as closed:
        services.set_period_goals(period, GOALS, actor=staff)
    assert closed.value.code == "period_not_open"


def test_the_trust_ticks_the_goals_when_publishing_and_editing(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    browser.login(staff.email)
    page = browser.get("/periods/new").get_data(as_text=True)
    assert 'name="learning_goals" value="ALM-055" checked' in page
    start = local_today() + timedelta(days=60)
    response = browser.submit(
        "/periods/new",
        {
            "department_id": factories.department().id,
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=190)).isoformat(),
            "source": "parental_leave",
            "learning_goals": ["ALM-055"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    period = db.session.scalars(sa.select(factories.Period).order_by(sa.desc("id"))).first()
    assert [g.code for g in period.learning_goals] == ["ALM-055"]
    response = browser.submit(
        f"/periods/{period.id}/edit",
        {
            "start_date": period.start_date.isoformat(),
            "end_date": period.end_date.isoformat(),
            "source": "parental_leave",
            "learning_goals": GOALS,
        },
    )
    assert response.status_code == 302
    db.session.refresh(period)
    assert [g.code for g in period.learning_goals] == GOALS
    assert "ALM-085" in browser.get(f"/periods/{period.id}").get_data(as_text=True)


def test_the_api_reads_and_sets_a_periods_goals(ctx, client):
    period = factories.make_period()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    other = factories.make_user("trust", trust_code="helse-stavanger")
    api = Api.login(client, staff.email)
    assert Api(client).get("/learning-goals").get_json()["items"][0]["code"] == "ALM-055"
    path = f"/periods/{period.id}/learning-goals"
    assert api.get(path).get_json() == {"learning_goals": GOALS}
    response = api.client.put(
        f"/api/v1{path}", json={"learning_goals": ["ALM-085"]}, headers=api._headers()
    )
    assert response.status_code == 200 and response.get_json() == {"learning_goals": ["ALM-085"]}
    bad = api.client.put(
        f"/api/v1{path}", json={"learning_goals": ["ALM-999"]}, headers=api._headers()
    )
    assert bad.status_code == 422 and "learning_goals" in error_of(bad)["fields"]
    stranger = Api.login(client, other.email)
    refused = stranger.client.put(
        f"/api/v1{path}", json={"learning_goals": []}, headers=stranger._headers()
    )
    assert refused.status_code == 404


# ---- the department and the GP confirm the goals reached


def test_the_department_and_the_gp_confirm_the_goals_reached(ctx):
    match = ended_placement()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    department = services.confirm_goals(match, "department", ["ALM-055"], actor=staff)
    gp = services.confirm_goals(match, "gp", GOALS, actor=match.gp.user)
    db.session.commit()
    assert [g.code for g in department.goals] == ["ALM-055"]
    assert [g.code for g in gp.goals] == GOALS
    # the department corrects its answer: one row per side, every version audited
    services.confirm_goals(match, "department", GOALS, actor=staff)
    db.session.commit()
    rows = db.session.scalars(
        sa.select(GoalConfirmation).where(GoalConfirmation.match_id == match.id)
    ).all()
    assert len(rows) == 2
    events = db.session.scalars(
        sa.select(AuditEvent.data).where(AuditEvent.action == "placement.goals_confirmed")
    ).all()
    assert events == [
        {"side": "department", "reached": ["ALM-055"]},
        {"side": "gp", "reached": GOALS},
        {"side": "department", "reached": GOALS},
    ]


def test_goals_are_confirmed_only_after_the_end_and_among_those_offered(ctx):
    match = ended_placement(ended_days_ago=-30)  # ends in 30 days
    staff = factories.make_user("trust", trust_code="helse-bergen")
    with pytest.raises(Conflict) as early:
        services.confirm_goals(match, "department", GOALS, actor=staff)
    assert early.value.code == "placement_not_ended"
    match.period.end_date = local_today() - timedelta(days=1)
    match.period.learning_goals = [g for g in match.period.learning_goals if g.code == "ALM-055"]
    with pytest.raises(InvalidInput) as refused:
        services.confirm_goals(match, "department", ["ALM-085"], actor=staff)
    assert refused.value.code == "goal_not_offered"


def test_the_placement_page_for_the_department_and_the_gp_and_404_for_others(ctx, client):
    match = ended_placement()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    outsiders = [
        factories.make_user("trust", trust_code="helse-stavanger"),
        factories.make_user("coordinator", region_code="helse-vest"),
        factories.make_gp().user,
        factories.make_user("municipality", municipality_numbers=["1103"]),
    ]
    url = f"/placements/{match.id}"
    for user, side in ((staff, "department"), (match.gp.user, "gp")):
        browser = Browser(client)
        browser.login(user.email)
        page = browser.get(url)
        assert page.status_code == 200 and "ALM-085" in page.get_data(as_text=True)
        response = browser.submit(f"{url}/goals", {"reached": ["ALM-085"]}, page=url)
        assert response.status_code == 302
        row = db.session.get(GoalConfirmation, (match.id, side))
        assert [g.code for g in row.goals] == ["ALM-085"] and row.confirmed_by_id == user.id
        listing = browser.get("/placements").get_data(as_text=True)
        assert url in listing
        browser.logout()
    municipality = factories.make_user("municipality", municipality_numbers=["4601"])
    browser = Browser(client)
    browser.login(municipality.email)
    assert browser.get(url).status_code == 200  # the survey, not the goals
    assert browser.submit(f"{url}/goals", {"reached": []}, page=url).status_code == 404
    browser.logout()
    for user in outsiders:
        browser = Browser(client)
        browser.login(user.email)
        assert browser.get(url).status_code == 404, user.role
        browser.logout()


def test_the_api_confirms_goals_for_the_two_sides_and_404_for_others(ctx, client):
    match = ended_placement()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    stranger = factories.make_user("trust", trust_code="helse-stavanger")
    path = f"/matches/{match.id}/learning-goals"
    response = Api.login(client, staff.email).post(path, json={"reached": ["ALM-055"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["side"] == "department"
    assert response.get_json()["reached"] == ["ALM-055"]
    gp = Api.login(client, match.gp.user.email)
    assert gp.post(path, json={"reached": []}).get_json()["reached"] == []
    evaluation = gp.get(f"/matches/{match.id}/evaluation").get_json()
    assert evaluation["role"] == "gp" and evaluation["ended"] is True
    assert evaluation["offered"] == GOALS and evaluation["survey_answered"] is False
    assert {c["side"] for c in evaluation["confirmations"]} == {"department", "gp"}
    assert Api.login(client, stranger.email).post(path, json={"reached": []}).status_code == 404
    other_gp = Api.login(client, factories.make_gp().user.email)
    assert other_gp.get(f"/matches/{match.id}/evaluation").status_code == 404
    unknown = gp.post(path, json={"reached": ["ALM-999"]})
    assert unknown.status_code == 422 and error_of(unknown)["fields"] == {
        "reached": error_of(unknown)["fields"]["reached"]
    }


# ---- the survey: once per role


def test_each_role_answers_the_survey_once(ctx):
    match = ended_placement()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    municipality = factories.make_user("municipality", municipality_numbers=["4601"])
    surveys.submit(match, "gp", answers(5, "Good supervision"), actor=match.gp.user)
    surveys.submit(match, "department", answers(4), actor=staff)
    surveys.submit(match, "municipality", answers(3), actor=municipality)
    db.session.commit()
    with pytest.raises(Conflict) as again:
        surveys.submit(match, "gp", answers(1), actor=match.gp.user)
    assert again.value.code == "survey_answered"
    with pytest.raises(InvalidInput) as bad:
        surveys.submit(match, "gp", answers(6), actor=match.gp.user)
    assert set(bad.value.fields) == set(surveys.SURVEY_QUESTIONS)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "survey.answered")
    ).first()
    assert event.data == {"respondent": "gp"}  # who answered, not what


def test_the_database_keeps_one_answer_per_role_and_scores_in_range(ctx):
    match = ended_placement()

    def row(**values):
        base = {"match_id": match.id, "role": "gp", "overall": 3, "learning": 3, "arrangements": 3}
        return SurveyResponse(**(base | values))

    db.session.add(row())
    db.session.commit()
    for bad in (row(), row(role="department", overall=0), row(role="nobody")):
        with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
            db.session.add(bad)
            db.session.flush()


def test_the_survey_page_and_api_once_per_role(ctx, client):
    match = ended_placement()
    url = f"/placements/{match.id}"
    browser = Browser(client)
    browser.login(match.gp.user.email)
    missing = browser.submit(f"{url}/survey", {"overall": "4"}, page=url)
    assert missing.status_code == 422
    assert 'class="error"' in missing.get_data(as_text=True)
    done = browser.submit(
        f"{url}/survey",
        {"overall": "4", "learning": "5", "arrangements": "3", "comment": "Fine"},
        page=url,
    )
    assert done.status_code == 302
    assert surveys.response_of(match, "gp").learning == 5
    assert 'name="overall"' not in browser.get(url).get_data(as_text=True)
    municipality = factories.make_user("municipality", municipality_numbers=["4601"])
    api = Api.login(client, municipality.email)
    body = {"overall": 2, "learning": 3, "arrangements": 4, "comment": None}
    first = api.post(f"/matches/{match.id}/survey", json=body)
    assert first.status_code == 201 and first.get_json()["role"] == "municipality"
    second = api.post(f"/matches/{match.id}/survey", json=body)
    assert second.status_code == 409 and error_of(second)["code"] == "survey_answered"
    outsider = Api.login(
        client, factories.make_user("municipality", municipality_numbers=["1103"]).email
    )
    assert outsider.post(f"/matches/{match.id}/survey", json=body).status_code == 404


def test_the_survey_waits_for_the_end_of_the_placement(ctx, client):
    match = ended_placement(ended_days_ago=-10)
    api = Api.login(client, match.gp.user.email)
    body = {"overall": 2, "learning": 3, "arrangements": 4}
    response = api.post(f"/matches/{match.id}/survey", json=body)
    assert response.status_code == 409 and error_of(response)["code"] == "placement_not_ended"


# ---- invitations and the one reminder


def test_invitations_once_and_one_reminder_by_email(ctx, app, mailbox):
    match = ended_placement()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    municipality = factories.make_user("municipality", municipality_numbers=["4601"])
    not_yet = ended_placement(ended_days_ago=-5)
    today = local_today()

    assert surveys.invite_ended(today) == 1
    assert surveys.invite_ended(today) == 0  # the evaluation row guards a second run
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(PlacementEvaluation.match_id).where(
                PlacementEvaluation.match_id == not_yet.id
            )
        )
        is None
    )
    invited = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "survey_invitation")
    ).all()
    assert match.gp.user_id in invited and staff.id in invited and municipality.id in invited
    report = delivery.send_due()
    assert report.sent >= 3
    assert [m["To"] for m in mailbox.to(match.gp.user.email)] == [match.gp.user.email]

    # The GP answers; after REMINDER_DAYS the department and the municipality hear once.
    surveys.submit(match, "gp", answers(), actor=match.gp.user)
    db.session.commit()
    assert surveys.remind_unanswered(today) == 0  # too early
    later = today + timedelta(days=surveys.REMINDER_DAYS)
    assert surveys.remind_unanswered(later) >= 2
    assert surveys.remind_unanswered(later) == 0
    assert surveys.remind_unanswered(later + timedelta(days=3)) == 0
    db.session.commit()
    reminded = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "survey_reminder")
    ).all()
    assert staff.id in reminded and municipality.id in reminded
    assert match.gp.user_id not in reminded
    assert len(reminded) == len(set(reminded))
    delivery.send_due()
    sent = {m["Message-ID"] for m in mailbox.to(staff.email)}
    survey_mail = db.session.scalars(
        sa.select(Notification.message_id).where(
            Notification.user_id == staff.id,
            Notification.kind.in_(("survey_invitation", "survey_reminder")),
        )
    ).all()
    assert len(survey_mail) == 2 and set(survey_mail) <= sent  # the invitation, one reminder


def test_the_job_invites_and_is_safe_to_run_twice(app, ctx):
    match = ended_placement()
    db.session.commit()
    first = evaluation_surveys(app, local_today())
    second = evaluation_surveys(app, local_today())
    assert first.startswith("1 placements") and second.startswith("0 placements")
    keys = db.session.scalars(
        sa.select(Notification.dedupe_key).where(Notification.kind == "survey_invitation")
    ).all()
    assert f"survey_invitation:{match.id}:gp:{match.gp.user_id}" in keys


def test_placements_long_past_are_not_surveyed(ctx):
    ended_placement(ended_days_ago=surveys.INVITE_WITHIN_DAYS + 5)
    assert surveys.invite_ended(local_today()) == 0


# ---- statistics: anonymised below five answers


def _answered(n: int, role: str, trust_code="helse-bergen", score=4):
    staff = factories.make_user("trust", trust_code=trust_code)
    for k in range(n):
        match = ended_placement(trust_code=trust_code)
        actor = match.gp.user if role == "gp" else staff
        surveys.submit(match, role, answers(score, f"comment {k}"), actor=actor)
    db.session.commit()


def test_statistics_show_averages_from_five_answers_and_hide_fewer(ctx):
    _answered(5, "gp", score=4)
    _answered(2, "department")
    results = survey_results(factories.region("helse-vest"), Span.ending(local_today(), 12))
    gp, department, municipality = results.overall
    assert (gp.role, gp.answers, gp.averages) == (
        "gp",
        5,
        {"overall": 4.0, "learning": 4.0, "arrangements": 4.0},
    )
    assert department.answers == 2 and department.averages is None
    assert department.shown_answers == "<5"
    assert municipality.answers == 0 and municipality.shown_answers == 0
    assert results.comments == {"gp": [f"comment {k}" for k in range(5)]}
    [(trust, groups)] = results.by_trust
    assert trust == factories.trust("helse-bergen").short_name
    assert [g.answers for g in groups] == [5, 2, 0]
    elsewhere = survey_results(factories.region("helse-nord"), Span.ending(local_today(), 12))
    assert [g.answers for g in elsewhere.overall] == [0, 0, 0]


def test_the_statistics_pages_show_the_evaluation_to_coordinators_only(ctx, client):
    _answered(5, "gp", score=5)
    _answered(3, "department")
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    browser = Browser(client)
    browser.login(coordinator.email)
    for url in ("/coordination/statistics", "/coordination/evaluation"):
        page = browser.get(url).get_data(as_text=True)
        assert "comment 4" in page and "&lt;5" in page, url
    public = client.get("/statistics").get_data(as_text=True)
    assert "comment 4" not in public


def test_free_text_is_hidden_below_five_answers(ctx, client):
    _answered(4, "gp")
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    browser = Browser(client)
    browser.login(coordinator.email)
    page = browser.get("/coordination/statistics").get_data(as_text=True)
    assert "comment 1" not in page and "&lt;5" in page


def test_the_pages_stay_accessible_with_forms_errors_and_results(ctx, client):
    from .a11y import problems

    match = ended_placement()
    _answered(5, "gp")
    staff = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    browser.login(staff.email)
    url = f"/placements/{match.id}"
    pages = {
        "page": browser.get(url),
        "survey errors": browser.submit(f"{url}/survey", {"overall": "9"}, page=url),
        "goals errors": browser.submit(f"{url}/goals", {"reached": ["ALM-999"]}, page=url),
        "list": browser.get("/placements"),
        "new period": browser.get("/periods/new"),
    }
    browser.logout()
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    browser.login(coordinator.email)
    pages["statistics"] = browser.get("/coordination/statistics")
    pages["report"] = browser.get("/coordination/evaluation")
    for name, response in pages.items():
        assert response.status_code in (200, 422), name
        assert problems(response.get_data(as_text=True)) == [], name
    assert pages["survey errors"].status_code == 422
    assert pages["goals errors"].status_code == 422


def test_the_list_and_the_statistics_ask_as_many_questions_for_more_rows(app, ctx):
    from .statements import recorded

    staff = factories.make_user("trust", trust_code="helse-bergen")
    municipality = factories.make_user("municipality", municipality_numbers=["4601"])
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    pages = [
        (staff, "/placements"),
        (municipality, "/placements"),
        (coordinator, "/coordination/statistics"),
        (coordinator, "/coordination/evaluation"),
    ]

    def grow(n):
        for _ in range(n):
            match = ended_placement()
            services.confirm_goals(match, "department", ["ALM-055"], actor=staff)
            surveys.submit(match, "gp", answers(3, "text"), actor=match.gp.user)
            surveys.submit(match, "municipality", answers(4), actor=municipality)
        db.session.commit()

    def counts():
        found = []
        for user, url in pages:
            client = app.test_client()
            Browser(client).login(user.email)
            client.get(url)
            with recorded() as statements:
                assert client.get(url).status_code == 200, url
            found.append(len(statements))
        return found

    grow(5)  # five answers: the comments are read too (one query more, once)
    few = counts()
    grow(10)
    assert counts() == few
