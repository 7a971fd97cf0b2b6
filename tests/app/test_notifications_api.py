"""The alerts API: /me/subscriptions, /me/notifications, /me/message-preferences."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.announce import notify
from app.extensions import db
from app.models import Notification, Specialty, Subscription

from . import factories
from .apiutil import Api, error_of


def specialty_id(code="psychiatry") -> int:
    return db.session.scalar(sa.select(Specialty.id).where(Specialty.code == code))


def test_a_gp_subscribes_lists_and_deletes(ctx, client):
    gp = factories.make_gp()
    api = Api.login(client, gp.user.email)
    bergen = factories.trust("helse-bergen")
    body = {
        "specialties": [specialty_id()],
        "trusts": [bergen.id],
        "horizon_months": 6,
        "channel": "email",
        "frequency": "weekly",
    }
    response = api.post("/me/subscriptions", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["topic"] == "periods" and created["specialties"] == [specialty_id()]
    assert created["trusts"] == [bergen.id] and created["region"] is None
    assert (created["horizon_months"], created["channel"], created["frequency"]) == (
        6,
        "email",
        "weekly",
    )
    defaults = api.post("/me/subscriptions", json={}).get_json()
    assert (defaults["channel"], defaults["frequency"], defaults["horizon_months"]) == (
        "email",
        "immediate",
        12,
    )
    listing = api.get("/me/subscriptions").get_json()
    assert listing["total"] == 2 and [s["id"] for s in listing["items"]] == [
        created["id"],
        defaults["id"],
    ]
    assert api.get(f"/me/subscriptions/{created['id']}").get_json() == created
    assert api.delete(f"/me/subscriptions/{created['id']}").status_code == 204
    response = api.get(f"/me/subscriptions/{created['id']}")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_trust_staff_subscribe_to_availability(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    api = Api.login(client, staff.email)
    response = api.post("/me/subscriptions", json={"channel": "inbox"})
    assert response.status_code == 201 and response.get_json()["topic"] == "availabilities"
    response = api.post("/me/subscriptions", json={"trusts": [factories.trust("ahus").id]})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"trusts"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"specialties": [999999]}, "specialties"),
        ({"specialties": "psychiatry"}, "specialties"),
        ({"specialties": [1, 1]}, "specialties"),
        ({"trusts": [0]}, "trusts.0"),
        ({"region": 999999}, "region"),
        ({"horizon_months": 0}, "horizon_months"),
        ({"horizon_months": 61}, "horizon_months"),
        ({"channel": "sms"}, "channel"),
        ({"frequency": "hourly"}, "frequency"),
    ],
)
def test_invalid_subscriptions_answer_422_with_the_field(ctx, client, body, field):
    gp = factories.make_gp()
    api = Api.login(client, gp.user.email)
    response = api.post("/me/subscriptions", json=body)
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"] or field.split(".")[0] in error["fields"], error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_who_may_subscribe(ctx, client):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    admin = factories.make_user("admin")
    gp = factories.make_gp()
    other = factories.make_gp()
    theirs = Api.login(client, other.user.email).post("/me/subscriptions", json={}).get_json()
    for user in (coordinator, admin):
        api = Api.login(client, user.email)
        for response in (
            api.post("/me/subscriptions", json={}),
            api.get("/me/subscriptions"),
            api.delete(f"/me/subscriptions/{theirs['id']}"),
        ):
            assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    anonymous = Api(client)
    for response in (
        anonymous.post("/me/subscriptions", json={}),
        anonymous.get("/me/subscriptions"),
        anonymous.get("/me/notifications"),
        anonymous.get("/me/message-preferences"),
    ):
        assert response.status_code == 401
    mine = Api.login(client, gp.user.email)
    assert mine.delete(f"/me/subscriptions/{theirs['id']}").status_code == 404  # not yours
    assert mine.get(f"/me/subscriptions/{2**40}").status_code == 404
    assert db.session.get(Subscription, theirs["id"]) is not None


def test_the_inbox_through_the_api(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    older = notify(staff, "test", subject="Older", body="a", link="/periods", email=False)
    db.session.flush()
    newer = notify(staff, "offer_accepted", subject="Newer", body="b")
    stranger = notify(factories.make_user("admin"), "test", subject="Not yours", body="c")
    db.session.commit()
    api = Api.login(client, staff.email)
    page = api.get("/me/notifications").get_json()
    assert page["total"] == 2 and page["unread"] == 2
    assert [n["id"] for n in page["items"]] == [newer.id, older.id]
    item = page["items"][0]
    assert set(item) >= {"id", "kind", "subject", "body", "created_at", "read_at"}
    assert item["kind"] == "offer_accepted" and item["read_at"] is None
    assert page["items"][1]["email_status"] == "none"

    response = api.post(f"/me/notifications/{older.id}/read")
    assert response.status_code == 200 and response.get_json()["read_at"] is not None
    first_read = response.get_json()["read_at"]
    assert api.post(f"/me/notifications/{older.id}/read").get_json()["read_at"] == first_read
    unread = api.get("/me/notifications?unread=true").get_json()
    assert [n["id"] for n in unread["items"]] == [newer.id] and unread["unread"] == 1
    assert api.get(f"/me/notifications/{stranger.id}").status_code == 404
    assert api.post(f"/me/notifications/{stranger.id}/read").status_code == 404
    assert api.post("/me/notifications/read-all").get_json() == {"updated": 1}
    assert api.get("/me/notifications").get_json()["unread"] == 0
    assert db.session.get(Notification, stranger.id).read_at is None
    assert api.get("/me/notifications?limit=0").status_code == 422


def test_message_preferences(ctx, client):
    coordinator = factories.make_user("coordinator")
    api = Api.login(client, coordinator.email)
    assert api.get("/me/message-preferences").get_json() == {
        "channel": "email",
        "frequency": "immediate",
    }
    response = client.put(
        "/api/v1/me/message-preferences",
        json={"channel": "email", "frequency": "daily"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200 and response.get_json()["frequency"] == "daily"
    response = client.put(
        "/api/v1/me/message-preferences",
        json={"channel": "pigeon"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"channel", "frequency"}
