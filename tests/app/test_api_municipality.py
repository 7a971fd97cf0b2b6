"""A municipality's whole story through the API: who it is, its GPs, endorsing a window
that the region's rules require, the run that then proposes the GP, the alerts, the
priority, and 404 for everything outside its municipalities."""

from datetime import timedelta

import pytest

from app.coordination.policies import update_policy
from app.dates import local_today
from app.extensions import db

from . import factories
from .apiutil import Api, error_of
from .test_runs import market  # noqa: F401 - the fixture

TODAY = local_today()


@pytest.fixture
def story(market):  # noqa: F811
    bergen = factories.make_user("municipality", municipality_numbers=["4601"])
    stavanger_gp = factories.make_gp(municipality_number="1103")
    factories.make_window(stavanger_gp, specialties=["psychiatry"])
    update_policy(
        factories.region("helse-vest").policy,
        {"endorsement_required": True},
        reason="the Ahus practice",
        actor=None,
    )
    db.session.commit()
    return market | {"bergen": bergen, "stavanger_gp": stavanger_gp}


def test_the_municipality_story_through_the_api(client, story):
    api = Api.login(client, story["bergen"].email)
    me = api.get("/me").get_json()
    assert me["role"] == "municipality" and me["id"] == story["bergen"].id
    assert [m["number"] for m in me["municipalities"]] == ["4601"]

    listed = api.get("/municipality/gps?limit=1").get_json()
    assert listed["total"] == 2 and len(listed["items"]) == 1
    gps = api.get("/municipality/gps").get_json()["items"]
    assert {g["id"] for g in gps} == {story["first"].id, story["second"].id}
    first = next(g for g in gps if g["id"] == story["first"].id)
    assert first["window"]["waits_for_endorsement"] is True
    assert first["window"]["endorsed_at"] is None and first["live_match"] is None

    # the region matches only endorsed windows: nobody is proposed yet
    coordinator = Api.login(client, factories.make_user("coordinator").email)
    run = coordinator.post("/matching/runs", json={"dry_run": False})
    assert run.status_code == 201 and run.get_json()["proposals"] == 0

    window_id = first["window"]["id"]
    endorsed = api.post(f"/availabilities/{window_id}/endorse")
    assert endorsed.status_code == 200, endorsed.get_json()
    assert endorsed.get_json()["endorsed_by_id"] == story["bergen"].id
    assert endorsed.get_json()["waits_for_endorsement"] is False
    again = api.post(f"/availabilities/{window_id}/endorse")
    assert again.status_code == 409 and error_of(again)["code"] == "already_endorsed"

    assert coordinator.post("/matching/runs", json={"dry_run": False}).get_json()["proposals"] == 1
    gps = api.get("/municipality/gps").get_json()["items"]
    first = next(g for g in gps if g["id"] == story["first"].id)
    match = first["live_match"]
    assert match["status"] == "proposed" and match["period_id"] == story["period"].id
    assert match["start_date"] == story["period"].start_date.isoformat()
    kinds = [n["kind"] for n in api.get("/me/notifications").get_json()["items"]]
    assert "municipality_proposed" in kinds
    assert api.get(f"/matches/{match['id']}").status_code == 200
    assert [m["id"] for m in api.get("/matches").get_json()["items"]] == [match["id"]]

    in_use = client.delete(
        f"/api/v1/availabilities/{window_id}/endorsement",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert in_use.status_code == 409 and error_of(in_use)["code"] == "endorsement_in_use"

    # the offer and the acceptance reach the municipality too
    staff = Api.login(client, story["staff"].email)
    deadline = (TODAY + timedelta(days=7)).isoformat()
    assert (
        staff.post(f"/matches/{match['id']}/offer", json={"accept_by": deadline}).status_code == 200
    )
    gp = Api.login(client, story["first"].user.email)
    assert gp.post(f"/matches/{match['id']}/accept").status_code == 200
    kinds = [n["kind"] for n in api.get("/me/notifications").get_json()["items"]]
    assert {"municipality_offered", "municipality_placed"} <= set(kinds)

    # the priority
    path = f"/gps/{story['second'].id}/municipality_priority"
    put = client.put(
        f"/api/v1{path}",
        json={"municipality_priority": 1},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert put.status_code == 200 and put.get_json()["municipality_priority"] == 1
    bad = api.patch(path, json={"municipality_priority": 0})
    assert bad.status_code == 422 and "municipality_priority" in error_of(bad)["fields"]
    cleared = api.patch(path, json={"municipality_priority": None})
    assert cleared.status_code == 200 and cleared.get_json()["municipality_priority"] is None


def test_outside_the_municipalities_is_404_and_other_roles_403(client, story):
    api = Api.login(client, story["bergen"].email)
    other = story["stavanger_gp"]
    from app.access import current_window

    other_window = current_window(other)
    for response in (
        api.post(f"/availabilities/{other_window.id}/endorse"),
        client.delete(
            f"/api/v1/availabilities/{other_window.id}/endorsement",
            headers={"Authorization": f"Bearer {api.token}"},
        ),
        api.patch(f"/gps/{other.id}/municipality_priority", json={"municipality_priority": 1}),
        api.post("/availabilities/999999/endorse"),
    ):
        assert response.status_code == 404, response.get_json()
        assert error_of(response)["code"] == "not_found"
    assert other.id not in {g["id"] for g in api.get("/municipality/gps").get_json()["items"]}

    coordinator = Api.login(client, factories.make_user("coordinator").email)
    gp = Api.login(client, story["first"].user.email)
    for caller in (coordinator, gp):
        assert caller.get("/municipality/gps").status_code == 403
        refused = caller.post(f"/availabilities/{other_window.id}/endorse")
        assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    assert Api(client).get("/municipality/gps").status_code == 401
