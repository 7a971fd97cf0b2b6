"""The API's matches: scope of the list, the coordinators' overrides with reasons,
forbidden pairs, and offers answered by the GP (deadline rules, period status)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.dates import local_today
from app.extensions import db
from app.models import AuditEvent, Match, Period

from . import factories
from .apiutil import Api, error_of

TODAY = local_today()


@dataclass
class World:
    coordinator: Api
    trust: Api
    gp: Api
    other_gp: Api
    other_trust: Api
    other_coordinator: Api
    anonymous: Api
    period: Period
    gp_id: int
    other_gp_id: int


@pytest.fixture
def world(ctx, client):
    """A Bergen period, two Bergen GPs with windows, and one user of each kind."""
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    trust = factories.make_user("trust", trust_code="helse-bergen")
    other_trust = factories.make_user("trust", trust_code="helse-stavanger")
    other_coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    gp = factories.make_gp()
    other_gp = factories.make_gp()
    factories.make_window(gp)
    factories.make_window(other_gp)
    period = factories.make_period()
    return World(
        coordinator=Api.login(client, coordinator.email),
        trust=Api.login(client, trust.email),
        gp=Api.login(client, gp.user.email),
        other_gp=Api.login(client, other_gp.user.email),
        other_trust=Api.login(client, other_trust.email),
        other_coordinator=Api.login(client, other_coordinator.email),
        anonymous=Api(client),
        period=period,
        gp_id=gp.id,
        other_gp_id=other_gp.id,
    )


def assign(world, gp_id=None, period_id=None, reason="Kjent for avdelinga"):
    return world.coordinator.post(
        "/matches",
        json={
            "period_id": period_id or world.period.id,
            "gp_id": gp_id or world.gp_id,
            "reason": reason,
        },
    )


def period_status(period_id):
    return db.session.get(Period, period_id).status


def test_assign_offer_accept_fills_the_period(world):
    response = assign(world)
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    assert match["status"] == "proposed" and match["source"] == "coordinator"
    assert match["pinned"] is True and match["period_id"] == world.period.id
    assert match["gp_id"] == world.gp_id and match["explanation"]["reason"] == "assigned"
    assert period_status(world.period.id) == "matched"
    event = db.session.query(AuditEvent).filter_by(action="match.assigned").one()
    assert event.reason == "Kjent for avdelinga" and event.object_id == match["id"]

    accept_by = TODAY + timedelta(days=10)
    response = world.trust.post(
        f"/matches/{match['id']}/offer", json={"accept_by": accept_by.isoformat()}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "offered"
    assert response.get_json()["accept_by"] == accept_by.isoformat()

    response = world.gp.post(f"/matches/{match['id']}/accept")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "accepted" and response.get_json()["decided_at"]
    assert period_status(world.period.id) == "filled"
    again = world.gp.post(f"/matches/{match['id']}/accept")
    assert again.status_code == 409 and error_of(again)["code"] == "not_offered"

    response = world.trust.post(f"/matches/{match['id']}/hired")
    assert response.status_code == 200 and response.get_json()["hired_at"]


def test_decline_opens_the_period_again(world):
    match_id = assign(world).get_json()["id"]
    world.coordinator.post(
        f"/matches/{match_id}/offer", json={"accept_by": (TODAY + timedelta(days=5)).isoformat()}
    )
    response = world.gp.post(f"/matches/{match_id}/decline")
    assert response.status_code == 200 and response.get_json()["status"] == "declined"
    assert period_status(world.period.id) == "open"


def test_accepting_after_the_deadline_is_a_conflict(world):
    match_id = assign(world).get_json()["id"]
    world.trust.post(
        f"/matches/{match_id}/offer", json={"accept_by": (TODAY + timedelta(days=5)).isoformat()}
    )
    db.session.get(Match, match_id).accept_by = TODAY - timedelta(days=1)
    db.session.commit()
    for answer in ("accept", "decline"):
        response = world.gp.post(f"/matches/{match_id}/{answer}")
        assert response.status_code == 409 and error_of(response)["code"] == "offer_expired"
    assert db.session.get(Match, match_id).status == "offered"


def test_offer_validation(world):
    match_id = assign(world).get_json()["id"]
    start = world.period.start_date
    for body, field in [
        ({}, "accept_by"),
        ({"accept_by": "tomorrow"}, "accept_by"),
        ({"accept_by": (TODAY - timedelta(days=1)).isoformat()}, "accept_by"),
        ({"accept_by": start.isoformat()}, "accept_by"),
    ]:
        response = world.trust.post(f"/matches/{match_id}/offer", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in error_of(response)["fields"]
    unconfirmed = factories.make_proposal(
        factories.make_period(start=TODAY + timedelta(days=120)),
        factories.make_gp(),
        confirmed=False,
    )
    response = world.trust.post(
        f"/matches/{unconfirmed.id}/offer",
        json={"accept_by": (TODAY + timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 409 and error_of(response)["code"] == "not_confirmed"


def test_assign_validation_and_conflicts(world):
    for body, field in [
        ({"period_id": world.period.id, "gp_id": world.gp_id}, "reason"),
        ({"period_id": world.period.id, "gp_id": world.gp_id, "reason": "   "}, "reason"),
        ({"period_id": world.period.id, "gp_id": world.gp_id, "reason": "x" * 1001}, "reason"),
        ({"period_id": "one", "gp_id": world.gp_id, "reason": "r"}, "period_id"),
        ({"period_id": world.period.id, "gp_id": 0, "reason": "r"}, "gp_id"),
        ({"period_id": world.period.id, "gp_id": world.gp_id, "reason": "a\x00b"}, "reason"),
        ({"period_id": world.period.id, "gp_id": world.gp_id, "reason": "r", "x": 1}, "x"),
    ]:
        response = world.coordinator.post("/matches", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in error_of(response)["fields"]

    ahus = factories.make_period("ahus")
    oslo_gp = factories.make_gp(municipality_number="0301")
    for period_id, gp_id, field in [
        (999_999, world.gp_id, "period_id"),
        (ahus.id, world.gp_id, "period_id"),  # another region's period
        (world.period.id, 999_999, "gp_id"),
        (world.period.id, oslo_gp.id, "gp_id"),  # another region's GP
    ]:
        response = assign(world, gp_id=gp_id, period_id=period_id)
        assert response.status_code == 404 and field in error_of(response)["fields"]

    assert assign(world).status_code == 201
    response = assign(world, gp_id=world.other_gp_id)
    assert response.status_code == 409 and error_of(response)["code"] == "period_taken"
    second = factories.make_period(start=TODAY + timedelta(days=100))
    response = assign(world, period_id=second.id)
    assert response.status_code == 409 and error_of(response)["code"] == "gp_already_placed"
    assert db.session.query(Match).count() == 1


def test_cancel_unpin_and_confirm(world):
    match_id = assign(world).get_json()["id"]
    response = world.coordinator.post(f"/matches/{match_id}/confirm")
    assert response.status_code == 409 and error_of(response)["code"] == "already_confirmed"
    response = world.coordinator.post(f"/matches/{match_id}/unpin", json={})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]
    response = world.coordinator.post(f"/matches/{match_id}/unpin", json={"reason": "Let it run"})
    assert response.status_code == 200 and response.get_json()["pinned"] is False
    response = world.coordinator.post(f"/matches/{match_id}/unpin", json={"reason": "Again"})
    assert response.status_code == 409 and error_of(response)["code"] == "not_pinned"
    response = world.coordinator.post(f"/matches/{match_id}/cancel", json={"reason": "Sick"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert period_status(world.period.id) == "open"
    response = world.coordinator.post(f"/matches/{match_id}/cancel", json={"reason": "Again"})
    assert response.status_code == 409 and error_of(response)["code"] == "not_cancellable"

    proposal = factories.make_proposal(world.period, factories.make_gp(), confirmed=False)
    response = world.coordinator.post(f"/matches/{proposal.id}/confirm")
    assert response.status_code == 200 and response.get_json()["confirmed_at"]


def test_forbids(world):
    match_id = assign(world).get_json()["id"]
    body = {"period_id": world.period.id, "gp_id": world.gp_id, "reason": "Inhabil"}
    response = world.coordinator.post("/forbids", json=body)
    assert response.status_code == 201, response.get_json()
    forbid = response.get_json()
    assert forbid["reason"] == "Inhabil" and forbid["gp_id"] == world.gp_id and forbid["id"]
    assert db.session.get(Match, match_id).status == "cancelled"  # the live proposal ends
    response = world.coordinator.post("/forbids", json=body)
    assert response.status_code == 409 and error_of(response)["code"] == "already_forbidden"
    response = world.coordinator.post("/forbids", json={**body, "reason": ""})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]
    response = assign(world)
    assert response.status_code == 409 and error_of(response)["code"] == "forbidden"

    listed = world.coordinator.get(f"/forbids?period={world.period.id}").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == forbid["id"]
    assert world.coordinator.get(f"/forbids?gp={world.other_gp_id}").get_json()["total"] == 0
    assert world.other_coordinator.get("/forbids").get_json()["total"] == 0
    response = world.other_coordinator.post("/forbids", json=body)
    assert response.status_code == 404


def test_the_list_shows_each_caller_their_scope(world):
    mine = assign(world).get_json()
    theirs = factories.make_proposal(
        factories.make_period(start=TODAY + timedelta(days=100)),
        db.session.get(factories.GP, world.other_gp_id),
    )
    ahus_gp = factories.make_gp(municipality_number="0301")
    factories.make_proposal(factories.make_period("ahus"), ahus_gp)

    def ids(api, query=""):
        body = api.get(f"/matches{query}").get_json()
        assert body["total"] == len(body["items"])
        return {m["id"] for m in body["items"]}

    assert ids(world.gp) == {mine["id"]}
    assert ids(world.other_gp) == {theirs.id}
    assert ids(world.trust) == {mine["id"], theirs.id}
    assert ids(world.coordinator) == {mine["id"], theirs.id}
    assert ids(world.other_trust) == set()
    assert len(ids(world.other_coordinator)) == 1
    assert ids(world.coordinator, f"?gp={world.gp_id}") == {mine["id"]}
    assert ids(world.coordinator, f"?period={world.period.id}") == {mine["id"]}
    assert ids(world.coordinator, "?status=offered") == set()
    page = world.coordinator.get("/matches?status=proposed&limit=1&offset=1").get_json()
    assert page["total"] == 2 and [m["id"] for m in page["items"]] == [mine["id"]]
    response = world.coordinator.get("/matches?status=maybe")
    assert response.status_code == 422 and "status" in error_of(response)["fields"]
    assert world.anonymous.get("/matches").status_code == 401

    assert world.gp.get(f"/matches/{mine['id']}").get_json()["id"] == mine["id"]
    for api in (world.other_gp, world.other_trust, world.other_coordinator):
        response = api.get(f"/matches/{mine['id']}")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert world.coordinator.get("/matches/99999999999999999999").status_code == 404


ACTIONS = [
    # (path, body, roles allowed)
    ("/matches", "pair", {"coordinator"}),
    ("/forbids", "pair", {"coordinator"}),
    ("/matches/{id}/cancel", {"reason": "r"}, {"coordinator"}),
    ("/matches/{id}/unpin", {"reason": "r"}, {"coordinator"}),
    ("/matches/{id}/confirm", {}, {"coordinator"}),
    ("/matches/{id}/offer", "offer", {"coordinator", "trust"}),
    ("/matches/{id}/hired", {}, {"coordinator", "trust"}),
    ("/matches/{id}/accept", {}, {"gp"}),
    ("/matches/{id}/decline", {}, {"gp"}),
]


@pytest.mark.parametrize("path, body, allowed", ACTIONS)
def test_who_may_act(world, path, body, allowed):
    """Anonymous: 401; a role the action is not for: 403; the right role outside its
    scope (another trust, another region, another GP): 404. Nothing changes."""
    match_id = assign(world).get_json()["id"]
    if body == "pair":
        body = {"period_id": world.period.id, "gp_id": world.other_gp_id, "reason": "r"}
    elif body == "offer":
        body = {"accept_by": (TODAY + timedelta(days=3)).isoformat()}
    url = path.format(id=match_id)
    expected = {
        "anonymous": 401,
        "other_gp": 404 if "gp" in allowed else 403,
        "other_trust": 404 if "trust" in allowed else 403,
        "other_coordinator": 404 if "coordinator" in allowed else 403,
    }
    before = db.session.get(Match, match_id).status
    for who, status in expected.items():
        response = getattr(world, who).post(url, json=body)
        assert response.status_code == status, (who, response.get_json())
        assert error_of(response)["code"] == {401: "unauthorized", 403: "forbidden"}.get(
            status, "not_found"
        )
    assert db.session.get(Match, match_id).status == before
    assert db.session.query(Match).count() == 1
