"""Coordinators' overrides: assign, cancel, unpin, forbid and confirm, each audited with
its reason; a missing reason changes nothing; overrides survive the next run."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.models import AuditEvent, Forbid, Match, Notification
from app.periods.services import PeriodInput
from app.runs.services import RunRequest, execute

from . import factories
from .conftest import Browser

TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)
LIVE = ("proposed", "offered", "accepted")


def psychiatry_period(trust_code="helse-bergen"):
    department = next(
        d for d in factories.trust(trust_code).departments if d.specialty.code == "psychiatry"
    )
    made = publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=START,
            end_date=add_months(START, 6) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
    )
    db.session.commit()
    return made


def waiting(name, months, municipality="4601"):
    gp = factories.make_gp(name=name, months_general_practice=months, **_home(municipality))
    factories.make_window(gp, start=START - timedelta(days=10), specialties=["psychiatry"])
    return gp


def _home(municipality):
    return {"municipality_number": municipality}


def live(period):
    return db.session.scalar(
        sa.select(Match).where(Match.period_id == period.id, Match.status.in_(LIVE))
    )


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def market(ctx):
    period = psychiatry_period()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    return {
        "period": period,
        "staff": staff,
        "first": waiting("Høg Prioritet", 90),
        "second": waiting("Låg Prioritet", 40),
    }


@pytest.fixture
def browser(client):
    user = factories.make_user("coordinator", region_code="helse-vest")
    user.locale = "en"  # the tests read the English words
    db.session.commit()
    browser = Browser(client)
    browser.login(user.email)
    browser.user = user
    return browser


def assign(browser, period, gp, reason="Kjent behov i kommunen"):
    return browser.submit(
        "/coordination/assign",
        {"period_id": str(period.id), "gp_id": str(gp.id), "reason": reason},
    )


def test_assign_is_pinned_audited_and_survives_the_next_run(market, browser):
    response = assign(browser, market["period"], market["second"])
    assert response.status_code == 302
    match = live(market["period"])
    assert match.gp_id == market["second"].id and match.pinned and match.source == "coordinator"
    (event,) = events("match.assigned")
    assert event.reason == "Kjent behov i kommunen" and event.actor_id == browser.user.id
    execute(RunRequest(as_of=TODAY))  # the higher-priority GP does not take it back
    assert live(market["period"]).id == match.id


def test_assign_without_a_reason_changes_nothing(market, browser):
    response = assign(browser, market["period"], market["second"], reason="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reason-error"' in page and "Give a reason." in page
    assert live(market["period"]) is None and events("match.assigned") == []
    # what was chosen is kept
    assert f'<option selected value="{market["second"].id}"' in page or (
        f'value="{market["second"].id}" selected' in page
    )


def test_assign_conflict_is_shown_next_to_the_field(market, browser):
    late = psychiatry_period()
    late.start_date = add_months(START, 30)  # after the GP's window
    late.end_date = add_months(late.start_date, 6)
    db.session.commit()
    response = assign(browser, late, market["first"])
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="gp_id-error"' in page and "does not fit the GP" in page
    assert live(late) is None


def test_assign_preselects_from_the_query(market, browser):
    page = browser.get(
        f"/coordination/assign?period_id={market['period'].id}&gp_id={market['first'].id}"
    ).get_data(as_text=True)
    assert f'value="{market["period"].id}" selected' in page or (
        f'selected value="{market["period"].id}"' in page
    )


def test_cancel_and_unpin_need_a_reason_and_are_audited(market, browser):
    assign(browser, market["period"], market["second"])
    match = live(market["period"])
    url = f"/coordination/matches/{match.id}/unpin"
    assert browser.submit(url, {"reason": ""}, page="/coordination/").status_code == 422
    assert db.session.get(Match, match.id).pinned
    assert browser.submit(url, {"reason": "Feil person"}, page="/coordination/").status_code == 302
    assert not db.session.get(Match, match.id).pinned
    assert events("match.unpinned")[0].reason == "Feil person"

    url = f"/coordination/matches/{match.id}/cancel"
    response = browser.submit(url, {"reason": ""}, page="/coordination/")
    assert response.status_code == 422 and 'id="reason-error"' in response.get_data(as_text=True)
    assert db.session.get(Match, match.id).status == "proposed"
    assert browser.submit(url, {"reason": "Trakk seg"}, page="/coordination/").status_code == 302
    assert db.session.get(Match, match.id).status == "cancelled"
    assert [e.reason for e in events("match.cancelled")] == ["Trakk seg"]
    # cancelling again is a conflict, not a crash
    again = browser.submit(url, {"reason": "Igjen"}, page="/coordination/")
    assert again.status_code == 409 and "Only proposals and open offers" in again.get_data(
        as_text=True
    )


def test_forbid_holds_in_the_next_run(market, browser):
    response = browser.submit(
        "/coordination/forbids",
        {
            "period_id": str(market["period"].id),
            "gp_id": str(market["first"].id),
            "reason": "Inhabil",
        },
    )
    assert response.status_code == 302
    forbid = db.session.scalar(sa.select(Forbid))
    assert (forbid.gp_id, forbid.reason) == (market["first"].id, "Inhabil")
    assert events("pair.forbidden")[0].reason == "Inhabil"
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == market["second"].id
    page = browser.get("/coordination/forbids").get_data(as_text=True)
    assert "Inhabil" in page and "Høg Prioritet" in page


def test_forbid_without_a_reason_changes_nothing(market, browser):
    response = browser.submit(
        "/coordination/forbids",
        {"period_id": str(market["period"].id), "gp_id": str(market["first"].id), "reason": ""},
    )
    assert response.status_code == 422
    assert db.session.scalars(sa.select(Forbid)).all() == []


def test_confirm_asks_the_trust_to_offer(market, browser):
    market["period"].department.trust.region.policy.confirmation = "coordinator"
    db.session.commit()
    execute(RunRequest(as_of=TODAY))
    match = live(market["period"])
    assert match.confirmed_at is None
    overview = browser.get("/coordination/").get_data(as_text=True)
    pending = overview.split('id="pending-title"')[1].split('id="near-title"')[0]
    assert "Høg Prioritet" in pending
    response = browser.submit(
        f"/coordination/matches/{match.id}/confirm", {}, page="/coordination/"
    )
    assert response.status_code == 302
    assert db.session.get(Match, match.id).confirmed_at is not None
    assert events("match.confirmed")[0].actor_id == browser.user.id
    kinds = {
        n.kind
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.user_id == market["staff"].id)
        )
    }
    assert "proposal_confirmed" in kinds
    again = browser.submit(f"/coordination/matches/{match.id}/confirm", {}, page="/coordination/")
    assert again.status_code == 409


def test_objects_of_another_region_are_404(ctx, browser):
    period = psychiatry_period("ahus")
    gp = waiting("Oslo Lege", 80, municipality="0301")
    match = Match(period=period, gp=gp, source="solver")  # proposed
    db.session.add(match)
    db.session.commit()
    for action in ("cancel", "unpin", "confirm"):
        assert browser.get(f"/coordination/matches/{match.id}/{action}").status_code == 404
        response = browser.submit(
            f"/coordination/matches/{match.id}/{action}", {"reason": "x"}, page="/coordination/"
        )
        assert response.status_code == 404
    assert browser.get(f"/coordination/assign?period_id={period.id}").status_code == 404
    assert browser.get(f"/coordination/assign?gp_id={gp.id}").status_code == 404
    # not among the choices either: posting the ids is refused
    response = browser.submit(
        "/coordination/forbids",
        {"period_id": str(period.id), "gp_id": str(gp.id), "reason": "x"},
    )
    assert response.status_code == 422
    assert db.session.scalars(sa.select(Forbid)).all() == []


def test_the_forbidden_pairs_come_a_page_at_a_time(market, browser, monkeypatch):
    from app.coordination import services

    monkeypatch.setattr(services, "FORBIDS_PER_PAGE", 2)
    for n in range(3):
        gp = waiting(f"Forbudt {n}", 50)
        db.session.add(
            Forbid(
                period=market["period"], gp=gp, reason=f"Grunn {n}", created_by_id=browser.user.id
            )
        )
        db.session.commit()
    first = browser.get("/coordination/forbids").get_data(as_text=True)
    assert "3 forbidden pairs, 1–2 shown" in first and 'rel="next"' in first
    assert "Grunn 2" in first and "Grunn 1" in first and "Grunn 0" not in first  # newest first
    second = browser.get("/coordination/forbids?page=2").get_data(as_text=True)
    assert "Grunn 0" in second and "Grunn 2" not in second
