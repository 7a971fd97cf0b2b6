"""A GP answers a proposal or an offer on a page that asks to confirm; a decline may carry a
reason that the trust and the coordinators see (pages, API, audit). After accepting, the
GP's pages say the GP is placed and still judge the period against the wishes it answered."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import local_today
from app.extensions import db
from app.models import AuditEvent, Match, Notification, Specialty

from . import factories
from .a11y import problems
from .apiutil import Api
from .conftest import Browser

TODAY = local_today()


@pytest.fixture
def world(ctx):
    """A psychiatry period in Helse Bergen offered to a GP who wished psychiatry first (then
    internal medicine) and Helse Bergen second."""
    department = next(
        d for d in factories.trust("helse-bergen").departments if d.specialty.code == "psychiatry"
    )
    period = factories.make_period(start=TODAY + timedelta(days=60))
    period.department = department
    db.session.commit()
    gp = factories.make_gp(name="Kari Svarsen")
    factories.make_window(
        gp,
        start=TODAY + timedelta(days=30),
        specialties=["psychiatry", "internal-medicine"],
        trusts=["helse-stavanger", "helse-bergen"],
    )
    staff = factories.make_user("trust", trust_code="helse-bergen")
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    match = factories.make_proposal(period, gp)
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=7), actor=staff)
    db.session.commit()
    return {"period": period, "gp": gp, "staff": staff, "coordinator": coordinator, "match": match}


def logged_in(client, user):
    browser = Browser(client)
    assert browser.login(user.email).status_code == 302
    return browser


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:1500]
    html = response.get_data(as_text=True)
    assert problems(html) == [], problems(html)
    return html


def test_after_accepting_the_placement_is_judged_against_the_wishes_it_answered(world, client):
    match = world["match"]
    browser = logged_in(client, world["gp"].user)
    before = page(client, "/my/matches")
    assert "Fagområdet er ditt valg nummer 1." in before
    assert "Helseforetaket er ditt valg nummer 2." in before
    confirm = page(client, f"/my/matches/{match.id}/accept")
    assert "Takke ja til tilbudet?" in confirm and "Nei, gå tilbake" in confirm
    assert db.session.get(Match, match.id).status == "offered"  # asking changes nothing
    response = browser.submit(f"/my/matches/{match.id}/accept", {})
    assert response.status_code == 303
    assert db.session.get(Match, match.id).status == "accepted"
    after = page(client, "/my/matches")
    assert "Din periode" in after
    # the window is fulfilled (no longer current), and the wishes are still its wishes
    assert "Fagområdet er ditt valg nummer 1." in after
    assert "Helseforetaket er ditt valg nummer 2." in after
    assert "ikke blant ønskene dine" not in after and "alle helseforetak" not in after


def test_a_placed_gps_pages_say_so(world, client):
    browser = logged_in(client, world["gp"].user)
    browser.submit(f"/my/matches/{world['match'].id}/accept", {})
    availability = page(client, "/availability")
    assert "Du har fått en plass" in availability
    assert "/availability/new" not in availability
    dashboard = page(client, "/dashboard")
    assert "Din periode" in dashboard and "/availability/new" not in dashboard


def test_declining_asks_first_and_keeps_the_reason_for_the_trust_and_coordinator(world, client):
    match = world["match"]
    browser = logged_in(client, world["gp"].user)
    listing = page(client, "/my/matches")
    assert f'href="/my/matches/{match.id}/decline"' in listing  # a link to the question
    question = page(client, f"/my/matches/{match.id}/decline")
    assert "Takke nei til tilbudet?" in question and 'name="reason"' in question
    response = browser.submit(
        f"/my/matches/{match.id}/decline", {"reason": "  Flytter til Tromsø i mars.  "}
    )
    assert response.status_code == 303
    match = db.session.get(Match, match.id)
    assert (match.status, match.decline_reason) == ("declined", "Flytter til Tromsø i mars.")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "match.declined"))
    assert event.reason == "Flytter til Tromsø i mars." and event.object_id == match.id
    # The trust's message about the answer carries the reason too.
    told = db.session.scalar(
        sa.select(Notification).where(Notification.user_id == world["staff"].id)
        .order_by(Notification.id.desc())
    )  # fmt: skip
    assert "Flytter til Tromsø i mars." in told.body
    browser.logout()

    for user in (world["staff"], world["coordinator"]):
        logged_in(client, user)
        period_page = page(client, f"/periods/{world['period'].id}")
        assert "ALIS-legens begrunnelse for å takke nei" in period_page
        assert "Flytter til Tromsø i mars." in period_page
        Browser(client).logout()
    logged_in(client, world["coordinator"])
    assert "Flytter til Tromsø i mars." in page(client, f"/gps/{world['gp'].id}")


def test_a_decline_without_a_reason_and_a_reason_too_long(world, client):
    match = world["match"]
    browser = logged_in(client, world["gp"].user)
    response = browser.submit(f"/my/matches/{match.id}/decline", {"reason": "x" * 1001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error"' in html and problems(html) == []
    assert db.session.get(Match, match.id).status == "offered"
    assert browser.submit(f"/my/matches/{match.id}/decline", {}).status_code == 303
    match = db.session.get(Match, match.id)
    assert (match.status, match.decline_reason) == ("declined", None)
    # nothing left to answer: the question page says so, without a form to send
    for answer in ("decline", "accept"):
        response = client.get(f"/my/matches/{match.id}/{answer}")
        html = response.get_data(as_text=True)
        assert response.status_code == 409 and problems(html) == []
        assert "Det er ikke lenger noe å svare på her." in html
        assert f'action="/my/matches/{match.id}/{answer}"' not in html


def test_the_api_takes_and_shows_the_reason(world, client):
    api = Api.login(client, world["gp"].user.email)
    match_id = world["match"].id
    too_long = api.post(f"/matches/{match_id}/decline", json={"reason": "x" * 1001})
    assert too_long.status_code == 422
    response = api.post(f"/matches/{match_id}/decline", json={"reason": "Fikk fast stilling"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["decline_reason"] == "Fikk fast stilling"
    coordinator = Api.login(client, world["coordinator"].email)
    assert coordinator.get(f"/matches/{match_id}").get_json()["decline_reason"] == (
        "Fikk fast stilling"
    )


def test_the_database_keeps_a_reason_only_on_a_declined_match(world):
    match = world["match"]
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.text("UPDATE matches SET decline_reason = 'x' WHERE id = :id"), {"id": match.id}
        )


def test_the_dashboard_starts_with_the_offer(world, client):
    logged_in(client, world["gp"].user)
    html = page(client, "/dashboard")
    main = html[html.index("<main") :]
    offer = main.index("Du har et tilbud: svar innen")
    assert offer < main.index('id="window-title"') and offer < main.index('id="me-title"')


def test_the_subscription_form_starts_from_the_gps_wishes(world, client):
    logged_in(client, world["gp"].user)
    html = page(client, "/subscriptions")
    wished = [
        db.session.scalar(sa.select(Specialty.id).where(Specialty.code == code))
        for code in ("psychiatry", "internal-medicine")
    ]
    for specialty_id in wished:
        assert (
            f'id="specialties-{specialty_id}" name="specialties" value="{specialty_id}" checked'
            in html
        )
    for code in ("helse-stavanger", "helse-bergen"):
        trust_id = factories.trust(code).id
        assert f'id="trusts-{trust_id}" name="trusts" value="{trust_id}" checked' in html
    assert html.count(" checked>") == 4  # nothing else ticked
    assert html.count('<details class="choices"') == 1 + 4  # specialties, one per region
    assert '<option selected value="24">' in html  # the window ends 18 months after a month
