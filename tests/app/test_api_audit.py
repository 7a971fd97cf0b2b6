"""The API's audit log: who did what, when and why, in each caller's scope."""

from datetime import timedelta

import pytest

from app.dates import local_today

from . import factories
from .apiutil import Api, error_of

TODAY = local_today()


@pytest.fixture
def story(ctx, client):
    """A coordinator assigns a Bergen GP and the trust offers; an Oslo period is published."""
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    trust = factories.make_user("trust", trust_code="helse-bergen")
    gp = factories.make_gp(name="Kari Nordmann")
    factories.make_window(gp)
    period = factories.make_period()
    api = Api.login(client, coordinator.email)
    match = api.post(
        "/matches", json={"period_id": period.id, "gp_id": gp.id, "reason": "Kjent for dei"}
    ).get_json()
    trust_api = Api.login(client, trust.email)
    trust_api.post(
        f"/matches/{match['id']}/offer",
        json={"accept_by": (TODAY + timedelta(days=7)).isoformat()},
    )
    other = factories.make_period("ahus")
    return {
        "coordinator": api,
        "coordinator_email": coordinator.email,
        "trust": trust_api,
        "trust_email": trust.email,
        "gp": Api.login(client, gp.user.email),
        "match": match,
        "period": period,
        "gp_id": gp.id,
        "other_period": other,
        "client": client,
    }


def test_events_of_a_match(story):
    match_id = story["match"]["id"]
    body = story["coordinator"].get(f"/audit?object=match:{match_id}").get_json()
    assert [e["action"] for e in body["items"]] == ["match.offered", "match.assigned"]
    assert body["total"] == 2
    offered, assigned = body["items"]
    assert assigned["actor"] == story["coordinator_email"]
    assert assigned["reason"] == "Kjent for dei" and assigned["object"] == f"match:{match_id}"
    assert assigned["data"] == {"period_id": story["period"].id, "gp_id": story["gp_id"]}
    assert offered["actor"] == story["trust_email"] and offered["data"]["accept_by"]
    assert offered["at"] >= assigned["at"] and offered["description"]


def test_filters(story):
    api = story["coordinator"]
    period_events = api.get(f"/audit?object=period:{story['period'].id}").get_json()
    assert {e["action"] for e in period_events["items"]} == {"period.published"}
    by_trust = api.get(f"/audit?person={story['trust_email'][:6].upper()}").get_json()
    assert {e["action"] for e in by_trust["items"]} == {"match.offered"}
    assigned = api.get("/audit?action=match.assigned").get_json()
    assert [e["object"] for e in assigned["items"]] == [f"match:{story['match']['id']}"]
    gp_events = api.get(f"/audit?object=gp:{story['gp_id']}").get_json()
    assert [e["action"] for e in gp_events["items"]] == ["gp.registered"]
    assert api.get("/audit?limit=1").get_json()["total"] > 1


@pytest.mark.parametrize("value", ["match", "match:", "thing:3", "match:x", "3", "a" * 61])
def test_a_malformed_object_is_a_validation_error(story, value):
    response = story["coordinator"].get("/audit", query_string={"object": value})
    assert response.status_code == 422
    assert "object" in error_of(response)["fields"]


def test_scope(story):
    client = story["client"]
    match_ref = f"object=match:{story['match']['id']}"
    assert story["trust"].get(f"/audit?{match_ref}").get_json()["total"] == 2
    other_trust = Api.login(client, factories.make_user("trust", trust_code="ahus").email)
    assert other_trust.get(f"/audit?{match_ref}").get_json()["total"] == 0
    seen = other_trust.get("/audit").get_json()["items"]
    assert [e["object"] for e in seen] == [f"period:{story['other_period'].id}"]
    other_region = Api.login(
        client, factories.make_user("coordinator", region_code="helse-sor-ost").email
    )
    assert other_region.get(f"/audit?{match_ref}").get_json()["total"] == 0
    admin = Api.login(client, factories.make_user("admin").email)
    assert admin.get(f"/audit?{match_ref}").get_json()["total"] == 2

    response = story["gp"].get("/audit")
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    response = Api(client).get("/audit")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
