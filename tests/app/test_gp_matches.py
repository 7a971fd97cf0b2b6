"""The GP's proposals and offers: accept before the deadline fills the period, after it
nothing changes; a decline reopens the period and the pair is never proposed again."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import local_today
from app.extensions import db
from app.models import Availability, Match, Period
from app.runs.services import RunRequest, execute

from . import factories
from .a11y import problems
from .conftest import Browser

TODAY = local_today()


def english_gp(**profile):
    gp = factories.make_gp(**profile)
    gp.user.locale = "en"
    db.session.commit()
    return gp


def live(period):
    return db.session.scalar(
        sa.select(Match).where(
            Match.period_id == period.id, Match.status.in_(("proposed", "offered", "accepted"))
        )
    )


@pytest.fixture
def market(ctx):
    """A psychiatry period in Helse Bergen; two GPs want it, the first has priority."""
    department = next(
        d for d in factories.trust("helse-bergen").departments if d.specialty.code == "psychiatry"
    )
    period = factories.make_period(start=TODAY + timedelta(days=60))
    period.department = department
    period.on_call = True
    period.description = "Akuttpsykiatri med vakt"
    db.session.commit()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    first = english_gp(months_general_practice=60, name="Første Lege")
    second = english_gp(months_general_practice=40, name="Andre Lege")
    for gp in (first, second):
        factories.make_window(gp, start=TODAY + timedelta(days=30), specialties=["psychiatry"])
    return {"period": period, "first": first, "second": second, "staff": staff}


def offer(market, accept_by=None):
    execute(RunRequest(as_of=TODAY, trigger="manual"))
    match = live(market["period"])
    assert match.gp_id == market["first"].id
    lifecycle.offer(match, accept_by=accept_by or TODAY + timedelta(days=7), actor=market["staff"])
    db.session.commit()
    return match


def logged_in(client, gp):
    browser = Browser(client)
    assert browser.login(gp.user.email).status_code == 302
    return browser


def test_proposal_shows_the_period_and_its_rank_in_the_gps_wishes(market, client):
    execute(RunRequest(as_of=TODAY, trigger="manual"))
    logged_in(client, market["first"])
    page = client.get("/my/matches").get_data(as_text=True)
    assert problems(page) == []
    assert "Your proposal" in page and "Akuttpsykiatri med vakt" in page
    assert "The specialty is your choice number 1." in page
    assert "Decline the proposal" in page and "Accept the offer" not in page


def test_accept_before_the_deadline_fills_the_period(market, client):
    match = offer(market)
    browser = logged_in(client, market["first"])
    page = client.get("/my/matches").get_data(as_text=True)
    assert problems(page) == []
    assert "Your offer" in page and "7 days left." in page and "Accept the offer" in page
    url = f"/my/matches/{match.id}/accept"
    assert browser.submit(url, {}, page="/my/matches").status_code == 303
    match = db.session.get(Match, match.id)
    assert match.status == "accepted"
    assert db.session.get(Period, market["period"].id).status == "filled"
    window = db.session.scalar(sa.select(Availability).where(Availability.gp_id == match.gp_id))
    assert window.status == "fulfilled"
    page = client.get("/my/matches").get_data(as_text=True)
    assert "Your placement" in page and problems(page) == []


def test_accept_after_the_deadline_is_refused_and_nothing_changes(market, client):
    match = offer(market)
    match.accept_by = TODAY - timedelta(days=1)  # the deadline passed before the nightly expiry
    db.session.commit()
    browser = logged_in(client, market["first"])
    response = browser.submit(f"/my/matches/{match.id}/accept", {}, page="/my/matches")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The acceptance deadline has passed" in page and problems(page) == []
    assert db.session.get(Match, match.id).status == "offered"
    assert db.session.get(Period, market["period"].id).status == "matched"
    window = db.session.scalar(sa.select(Availability).where(Availability.gp_id == match.gp_id))
    assert window.status == "active"


def test_decline_reopens_the_period_and_the_pair_is_never_proposed_again(market, client):
    match = offer(market)
    browser = logged_in(client, market["first"])
    assert (
        browser.submit(f"/my/matches/{match.id}/decline", {}, page="/my/matches").status_code == 303
    )
    assert db.session.get(Match, match.id).status == "declined"
    assert db.session.get(Period, market["period"].id).status == "open"
    page = client.get("/my/matches").get_data(as_text=True)
    assert "No proposal yet" in page and "declined" in page and problems(page) == []

    execute(RunRequest(as_of=TODAY, trigger="manual"))
    again = live(market["period"])
    assert again.gp_id == market["second"].id  # the next GP, never the one who declined
    assert db.session.get(Period, market["period"].id).status == "matched"
    lifecycle.cancel(again, reason="test", actor=market["staff"])
    db.session.commit()
    execute(RunRequest(as_of=TODAY, trigger="manual"))
    pairs = db.session.execute(
        sa.select(Match.gp_id, Match.status).where(Match.period_id == market["period"].id)
    ).all()
    assert pairs.count((market["first"].id, "declined")) == 1
    assert all(status != "proposed" for gp_id, status in pairs if gp_id == market["first"].id)


def test_a_gp_can_decline_a_proposal(market, client):
    execute(RunRequest(as_of=TODAY, trigger="manual"))
    match = live(market["period"])
    browser = logged_in(client, market["first"])
    assert (
        browser.submit(f"/my/matches/{match.id}/decline", {}, page="/my/matches").status_code == 303
    )
    assert db.session.get(Match, match.id).status == "declined"
    assert db.session.get(Period, market["period"].id).status == "open"


def test_another_gps_match_answers_404(market, client):
    match = offer(market)
    browser = logged_in(client, market["second"])
    for answer in ("accept", "decline"):
        response = browser.submit(f"/my/matches/{match.id}/{answer}", {}, page="/my/matches")
        assert response.status_code == 404
    assert db.session.get(Match, match.id).status == "offered"
    page = client.get("/my/matches").get_data(as_text=True)
    assert "Første Lege" not in page and "Akuttpsykiatri" not in page


def test_a_decision_without_a_csrf_token_changes_nothing(market, client):
    match = offer(market)
    logged_in(client, market["first"])
    assert client.post(f"/my/matches/{match.id}/accept").status_code == 400
    assert db.session.get(Match, match.id).status == "offered"
