"""The pages: subscriptions and message preferences, the inbox with its unread count, the
manage-by-link page from emails, the calendar feed page, the outbox for administrators."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.announce import notify
from app.extensions import db
from app.links import manage_token
from app.models import Notification, Specialty, Subscription

from . import factories
from .a11y import problems
from .conftest import Browser


def specialty(code: str) -> Specialty:
    return db.session.scalar(sa.select(Specialty).where(Specialty.code == code))


def page_ok(response, status=200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    assert problems(html) == [], problems(html)
    return html


def test_a_gp_subscribes_to_periods_on_the_page(ctx, browser):
    gp = factories.make_gp()
    browser.login(gp.user.email)
    html = page_ok(browser.get("/subscriptions"))
    assert "Alerts about new periods" in html or "/subscriptions/new" in html
    psychiatry = specialty("psychiatry")
    bergen = factories.trust("helse-bergen")
    response = browser.submit(
        "/subscriptions/new",
        {
            "specialties": [str(psychiatry.id)],
            "trusts": [str(bergen.id)],
            "region": "0",
            "horizon_months": "6",
            "channel": "email",
            "frequency": "daily",
        },
        page="/subscriptions",
    )
    assert response.status_code == 303
    subscription = db.session.scalar(sa.select(Subscription))
    assert subscription.user_id == gp.user.id and subscription.topic == "periods"
    assert subscription.specialty_ids == [psychiatry.id]
    assert subscription.trust_ids == [bergen.id] and subscription.region_id is None
    assert (subscription.horizon_months, subscription.channel, subscription.frequency) == (
        6,
        "email",
        "daily",
    )
    html = page_ok(browser.get("/subscriptions"))
    assert bergen.name in html

    response = browser.submit(f"/subscriptions/{subscription.id}/delete", {}, page="/subscriptions")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_invalid_subscription_keeps_the_input_and_answers_422(ctx, browser):
    gp = factories.make_gp()
    browser.login(gp.user.email)
    psychiatry = specialty("psychiatry")
    response = browser.submit(
        "/subscriptions/new",
        {
            "specialties": [str(psychiatry.id)],
            "region": "0",
            "horizon_months": "7",  # not offered
            "channel": "fax",
            "frequency": "daily",
        },
        page="/subscriptions",
    )
    html = page_ok(response, 422)
    assert re.search(rf'value="{psychiatry.id}"\s+checked', html)  # nothing typed is lost
    assert 'aria-invalid="true"' in html or "field-invalid" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_trust_staff_subscribe_to_availability_with_their_specialties_ticked(ctx, browser):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    staff.locale = "en"
    db.session.commit()
    browser.login(staff.email)
    html = page_ok(browser.get("/subscriptions"))
    assert "GPs who become available" in html
    assert 'name="trusts"' not in html
    ticked = re.findall(r'name="specialties" value="(\d+)"\s+checked', html)
    own = {d.specialty_id for d in factories.trust("helse-bergen").departments if d.active}
    assert {int(t) for t in ticked} == own
    response = browser.submit(
        "/subscriptions/new",
        {
            "specialties": ticked,
            "horizon_months": "12",
            "channel": "inbox",
            "frequency": "immediate",
        },
        page="/subscriptions",
    )
    assert response.status_code == 303
    subscription = db.session.scalar(sa.select(Subscription))
    assert subscription.topic == "availabilities" and subscription.channel == "inbox"


def test_coordinators_have_no_alerts_but_choose_how_messages_reach_them(ctx, browser):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    browser.login(coordinator.email)
    html = page_ok(browser.get("/subscriptions"))
    assert "/subscriptions/new" not in html
    response = browser.submit("/subscriptions/new", {"channel": "email"}, page="/subscriptions")
    assert response.status_code == 403
    response = browser.submit(
        "/subscriptions/messages",
        {"message_channel": "email", "message_frequency": "weekly"},
        page="/subscriptions",
    )
    assert response.status_code == 303
    db.session.refresh(coordinator)
    assert coordinator.message_frequency == "weekly"
    response = browser.submit(
        "/subscriptions/messages",
        {"message_channel": "pigeon", "message_frequency": "weekly"},
        page="/subscriptions",
    )
    page_ok(response, 422)


def test_the_inbox_counts_unread_and_marks_read(ctx, browser):
    gp = factories.make_gp()
    first = notify(gp.user, "test", subject="First message", body="Body one", link="/my/matches")
    notify(gp.user, "test", subject="Second message", body="Line one\nLine two")
    gp.user.locale = "en"
    db.session.commit()
    browser.login(gp.user.email)
    html = page_ok(browser.get("/dashboard"))
    assert "2 unread" in html
    html = page_ok(browser.get("/inbox"))
    assert "First message" in html and "Second message" in html

    html = page_ok(browser.get(f"/inbox/{first.id}"))
    assert "Body one" in html and 'href="/my/matches"' in html
    db.session.refresh(first)
    assert first.read_at is not None
    html = page_ok(browser.get("/inbox?show=unread"))
    assert "Second message" in html and "First message" not in html
    assert "1 unread" in html

    response = browser.submit("/inbox/read-all", {}, page="/inbox")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.read_at.is_(None))) == 0
    html = page_ok(browser.get("/inbox"))
    assert "unread</span>" not in html


def test_one_message_marked_read_and_others_inboxes_are_private(ctx, browser, client):
    gp = factories.make_gp()
    other = factories.make_gp()
    mine = notify(gp.user, "test", subject="Mine", body="x")
    theirs = notify(other.user, "test", subject="Theirs", body="y")
    db.session.commit()
    browser.login(gp.user.email)
    assert browser.get(f"/inbox/{theirs.id}").status_code == 404
    page = "/inbox"
    assert browser.submit(f"/inbox/{theirs.id}/read", {}, page=page).status_code == 404
    assert browser.submit(f"/inbox/{mine.id}/read", {}, page=page).status_code == 303
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert mine.read_at is not None and theirs.read_at is None


@pytest.mark.parametrize("path", ["/inbox", "/subscriptions", "/calendar"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code in (302, 401)


def test_manage_link_stops_all_email_without_login(ctx, client):
    gp = factories.make_gp()
    db.session.add(
        Subscription(user_id=gp.user.id, topic="periods", channel="email", horizon_months=12)
    )
    waiting = notify(gp.user, "test", subject="Waiting", body="x")
    db.session.commit()
    assert waiting.email_status == "pending"
    gp.user.locale = "en"  # the page speaks the recipient's language
    db.session.commit()
    browser = Browser(client)
    url = f"/subscriptions/manage/{manage_token(gp.user)}"
    html = page_ok(browser.get(url))
    assert gp.user.email in html
    response = browser.submit(url, {"action": "stop_all"})
    assert response.status_code == 303
    db.session.refresh(gp.user)
    db.session.refresh(waiting)
    assert gp.user.message_channel == "inbox"
    assert db.session.scalar(sa.select(Subscription.channel)) == "inbox"
    assert waiting.email_status == "none"  # still in the inbox, no longer emailed
    html = page_ok(browser.get(url))
    assert "no email" in html
    assert client.get("/subscriptions/manage/forged-token").status_code == 404


def test_one_click_unsubscribe_needs_no_csrf_token(ctx, client):
    gp = factories.make_gp()
    token = manage_token(gp.user)
    response = client.post(
        f"/subscriptions/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    db.session.refresh(gp.user)
    assert gp.user.message_channel == "inbox"
    assert client.post("/subscriptions/unsubscribe/nope").status_code == 404


def test_calendar_page_makes_and_revokes_an_address(ctx, browser, client):
    gp = factories.make_gp()
    browser.login(gp.user.email)
    html = page_ok(browser.get("/calendar"))
    response = browser.submit("/calendar", {"action": "create"})
    html = page_ok(response)
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', html).group(1)
    path = url.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    html = page_ok(browser.get("/calendar"))
    assert url not in html  # shown once only
    response = browser.submit("/calendar", {"action": "revoke"})
    assert response.status_code == 303
    assert client.get(path).status_code == 404


def test_the_admin_sees_and_retries_parked_emails(ctx, browser):
    admin = factories.make_user("admin")
    gp = factories.make_gp()
    parked = notify(gp.user, "test", subject="Parked one", body="x")
    db.session.flush()
    parked.email_status = "parked"
    parked.attempts = 8
    parked.last_error = "SMTPServerDisconnected: gone"
    parked.next_attempt_at = None
    db.session.commit()
    browser.login(admin.email)
    html = page_ok(browser.get("/admin/outbox"))
    assert "Parked one" in html and "SMTPServerDisconnected" in html
    response = browser.submit(
        f"/admin/outbox/notification/{parked.id}/retry", {}, page="/admin/outbox"
    )
    assert response.status_code == 303
    db.session.refresh(parked)
    assert (parked.email_status, parked.attempts) == ("pending", 0)
    assert (
        browser.submit(
            f"/admin/outbox/notification/{parked.id}/retry", {}, page="/admin/outbox"
        ).status_code
        == 404
    )


def test_only_admins_see_the_outbox(ctx, browser):
    coordinator = factories.make_user("coordinator")
    browser.login(coordinator.email)
    assert browser.get("/admin/outbox").status_code == 403


def test_admins_find_the_outbox_from_their_subscriptions_page(ctx, browser):
    admin = factories.make_user("admin")
    browser.login(admin.email)
    html = page_ok(browser.get("/subscriptions"))
    assert 'href="/admin/outbox"' in html


def test_manage_link_speaks_the_recipients_language(ctx, client):
    gp = factories.make_gp()
    gp.user.locale = "nn"
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(f"/subscriptions/manage/{manage_token(gp.user)}").get_data(as_text=True)
    assert '<html lang="nn">' in html


def test_manage_links_expire_and_can_be_ended(ctx, client, travel):
    gp = factories.make_gp()
    browser = Browser(client)
    old = f"/subscriptions/manage/{manage_token(gp.user)}"
    assert browser.get(old).status_code == 200
    # ending the links: the old one stops working, a new email's link works
    response = browser.submit(old, {"action": "end_links"})
    assert response.status_code == 303
    assert client.get(old).status_code == 404
    assert client.post(old.replace("manage", "unsubscribe")).status_code == 404
    db.session.expire_all()
    fresh = f"/subscriptions/manage/{manage_token(gp.user)}"
    assert client.get(fresh).status_code == 200
    # and every link expires
    travel(days=181)
    assert client.get(fresh).status_code == 404
