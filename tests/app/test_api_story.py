"""The whole story of the product through the JSON API alone, as an integration would live
it: reference data, a GP registers and says when they can go, a trust publishes, the
coordinator runs the matching, the trust offers, the GP accepts and the period is filled;
a period nobody wants falls back to ordinary advertising and is listed publicly.

Only the staff accounts come from the command line (the API has no endpoint for them)."""

from datetime import timedelta

from app.dates import add_months, local_today

from .apiutil import Api
from .conftest import PASSWORD

TODAY = local_today()


def staff(app, client, email, role, **scope):
    options = [f"--{name}={value}" for name, value in scope.items()]
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", email, "--password", PASSWORD, "--role", role, *options]
    )
    assert result.exit_code == 0, result.output
    return Api.login(client, email)


def one(items, **wanted):
    found = [i for i in items if all(i[k] == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, items)
    return found[0]


def period_body(department_id, start, months=6):
    return {
        "department_id": department_id,
        "start_date": start.isoformat(),
        "end_date": (add_months(start, months) - timedelta(days=1)).isoformat(),
        "source": "parental_leave",
        "description": "Foreldrepermisjon for overlege",
        "on_call": False,
    }


def test_the_whole_story_through_the_api(app, ctx, client, travel):
    public = Api(client)

    # reference data, as an integration reads it
    regions = public.get("/regions").get_json()["items"]
    vest = one(regions, code="helse-vest")
    trusts = public.get(f"/trusts?region={vest['code']}&limit=500").get_json()["items"]
    bergen = one(trusts, code="helse-bergen")
    specialties = public.get("/specialties").get_json()["items"]
    psychiatry = one(specialties, code="psychiatry")
    ent = one(specialties, code="ent")
    departments = public.get("/departments?trust=helse-bergen&limit=500").get_json()["items"]
    psychiatry_dept = next(d for d in departments if d["specialty_id"] == psychiatry["id"])
    ent_dept = next(d for d in departments if d["specialty_id"] == ent["id"])
    municipalities = public.get("/municipalities?region=helse-vest&limit=500").get_json()
    bergen_municipality = one(municipalities["items"], number="4601")
    assert bergen_municipality["trust_id"] == bergen["id"]

    trust = staff(app, client, "hr@helse-bergen.no", "trust", trust="helse-bergen")
    coordinator = staff(app, client, "alis@helse-vest.no", "coordinator", region="helse-vest")

    # a GP registers and sets a window
    response = public.post(
        "/gps",
        json={
            "email": "kari.nordmann@example.no",
            "password": PASSWORD,
            "name": "Kari Nordmann",
            "hpr_number": "9144889",
            "municipality_id": bergen_municipality["id"],
            "specialisation_started": "2023-09-01",
            "months_general_practice": 40,
            "courses_completed": 3,
            "supervision_group_months": 12,
            "scheme": "new",
        },
    )
    assert response.status_code == 201, response.get_json()
    gp_id = response.get_json()["id"]
    gp = Api.login(client, "kari.nordmann@example.no")
    assert gp.get("/me").get_json()["id"] == gp_id
    start = add_months(TODAY.replace(day=1), 3)
    response = gp.post(
        "/me/availabilities",
        json={
            "earliest_start": start.isoformat(),
            "latest_end": add_months(start, 12).isoformat(),
            "months": 6,
            "specialties": [psychiatry["id"]],
            "trusts": [bergen["id"]],
            "accept_other_specialty": False,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "active"

    # the trust publishes
    response = trust.post("/periods", json=period_body(psychiatry_dept["id"], start))
    assert response.status_code == 201, response.get_json()
    period = response.get_json()
    assert period["status"] == "open" and period["published_at"] and period["advertise_after"]

    # the coordinator runs the matching
    response = coordinator.post("/matching/runs", json={"dry_run": False})
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert run["status"] == "succeeded" and run["proposals"] == 1
    match = one(trust.get(f"/matches?period={period['id']}").get_json()["items"], gp_id=gp_id)
    assert match["status"] == "proposed" and match["source"] == "solver"
    assert trust.get(f"/periods/{period['id']}").get_json()["status"] == "matched"
    assert [m["id"] for m in gp.get("/matches").get_json()["items"]] == [match["id"]]
    if match["confirmed_at"] is None:  # a region where coordinators confirm first
        match = coordinator.post(f"/matches/{match['id']}/confirm").get_json()

    # the trust offers, the GP accepts: the period is filled
    accept_by = TODAY + timedelta(days=14)
    response = trust.post(f"/matches/{match['id']}/offer", json={"accept_by": str(accept_by)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "offered"
    response = gp.post(f"/matches/{match['id']}/accept")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "accepted"
    assert trust.get(f"/periods/{period['id']}").get_json()["status"] == "filled"
    history = trust.get(f"/audit?object=match:{match['id']}").get_json()["items"]
    assert [e["action"] for e in history][:2] == ["match.accepted", "match.offered"]
    assert history[0]["actor"] == "kari.nordmann@example.no"

    # a period nobody wants: still open after a run today, advertised two months later
    response = trust.post("/periods", json=period_body(ent_dept["id"], add_months(start, 3)))
    assert response.status_code == 201, response.get_json()
    lonely = response.get_json()
    assert coordinator.post("/matching/runs", json={}).status_code == 201
    assert trust.get(f"/periods/{lonely['id']}").get_json()["status"] == "open"
    later = TODAY + timedelta(days=62)
    refused = coordinator.post("/matching/runs", json={"as_of": later.isoformat()})
    assert refused.status_code == 422  # a run that changes anything is dated today
    travel(days=62)
    coordinator = Api.login(client, "alis@helse-vest.no")
    trust = Api.login(client, "hr@helse-bergen.no")
    response = coordinator.post("/matching/runs", json={})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["advertised"] == 1
    assert trust.get(f"/periods/{lonely['id']}").get_json()["status"] == "advertised"
    vacancies = public.get("/vacancies").get_json()
    assert lonely["id"] in {v["id"] for v in vacancies["items"]}
    assert period["id"] not in {v["id"] for v in vacancies["items"]}
    assert trust.get(f"/periods/{period['id']}").get_json()["status"] == "filled"
