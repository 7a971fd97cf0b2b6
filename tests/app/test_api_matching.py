"""The API's matching runs: start (real or dry, as of a later day), read, list; who may."""

from datetime import timedelta

import pytest

from app.api.resources import matching as matching_resource
from app.dates import local_today
from app.extensions import db
from app.models import Match, MatchingRun
from app.runs import services as run_services
from app.runs.services import RunRefused

from . import factories
from .apiutil import Api, error_of

TODAY = local_today()


@pytest.fixture
def coordinator(ctx, client):
    return Api.login(client, factories.make_user("coordinator", region_code="helse-vest").email)


def test_a_run_proposes_and_is_recorded(coordinator):
    gp = factories.make_gp()
    factories.make_window(gp, specialties=["psychiatry"])
    psychiatry = next(
        d for d in factories.trust("helse-bergen").departments if d.specialty.code == "psychiatry"
    )
    period = factories.make_period()
    period.department = psychiatry
    db.session.commit()

    response = coordinator.post("/matching/runs", json={"dry_run": True})
    assert response.status_code == 201, response.get_json()
    dry = response.get_json()
    assert dry["status"] == "succeeded" and dry["dry_run"] is True
    assert dry["as_of"] == TODAY.isoformat() and dry["triggered_by"] == "api"
    assert dry["proposals"] == 1 and db.session.query(Match).count() == 0
    assert "alternative" in dry["summary"]["regions"]["helse-vest"]

    response = coordinator.post("/matching/runs", json={})
    run = response.get_json()
    assert response.status_code == 201 and run["dry_run"] is False
    assert set(run["solver"]) >= {"status", "objective", "wall_time_s"}
    assert run["solver"]["status"] == "optimal" and run["solver"]["objective"] == 1
    assert "alternative" in run["summary"]["regions"]["helse-vest"]  # committed runs too
    assert run["proposals"] == 1 and run["advertised"] == 0 and run["finished_at"]
    match = db.session.query(Match).one()
    assert (match.gp_id, match.period_id, match.run_id) == (gp.id, period.id, run["id"])

    listed = coordinator.get("/matching/runs").get_json()
    assert [r["id"] for r in listed["items"]] == [run["id"], dry["id"]]
    assert coordinator.get("/matching/runs?dry_run=true").get_json()["total"] == 1
    assert coordinator.get("/matching/runs?status=failed").get_json()["total"] == 0
    assert coordinator.get(f"/matching/runs/{run['id']}").get_json() == run
    response = coordinator.get("/matching/runs/424242")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_a_later_day_advertises_periods_nobody_took(coordinator, travel):
    period = factories.make_period("ahus")
    as_of = TODAY + timedelta(days=62)
    # a run that changes anything is dated today: it cannot advertise early
    early = coordinator.post("/matching/runs", json={"as_of": as_of.isoformat()})
    assert early.status_code == 422 and "as_of" in error_of(early)["fields"]
    assert db.session.get(factories.Period, period.id).status == "open"
    travel(days=62)
    coordinator = Api.login(coordinator.client, factories.make_user("coordinator").email)
    response = coordinator.post("/matching/runs", json={})
    assert response.status_code == 201
    run = response.get_json()
    assert run["as_of"] == as_of.isoformat() and run["advertised"] == 1
    assert db.session.get(factories.Period, period.id).status == "advertised"


def test_a_regional_coordinator_runs_and_reads_only_their_region(ctx, client, coordinator):
    factories.make_period("ahus")
    factories.make_gp(municipality_number="3205")  # no window: nothing to match
    factories.make_window(factories.make_gp(municipality_number="3205"))
    factories.make_window(factories.make_gp())
    factories.make_period()
    # a regional coordinator's run covers their region, whatever they ask for
    for body in ({"dry_run": True}, {"dry_run": True, "region": "helse-sor-ost"}):
        response = coordinator.post("/matching/runs", json=body)
        if "region" in body:
            assert response.status_code == 404
            continue
        run = response.get_json()
        assert run["region"] == "helse-vest" and set(run["summary"]["regions"]) == {"helse-vest"}
    admin = Api.login(client, factories.make_user("admin").email)
    national = admin.post("/matching/runs", json={"dry_run": True}).get_json()
    assert national["region"] is None
    assert set(national["summary"]["regions"]) == {"helse-vest", "helse-sor-ost"}
    one = admin.post("/matching/runs", json={"dry_run": True, "region": "helse-sor-ost"})
    assert set(one.get_json()["summary"]["regions"]) == {"helse-sor-ost"}
    # the regional coordinator reads the national run with their region's details only, and
    # does not see the run of another region at all
    mine = coordinator.get(f"/matching/runs/{national['id']}").get_json()
    assert set(mine["summary"]["regions"]) == {"helse-vest"}
    assert coordinator.get(f"/matching/runs/{one.get_json()['id']}").status_code == 404
    listed = {r["id"] for r in coordinator.get("/matching/runs").get_json()["items"]}
    assert national["id"] in listed and one.get_json()["id"] not in listed


@pytest.mark.parametrize(
    "body, field",
    [
        ({"as_of": (TODAY - timedelta(days=1)).isoformat()}, "as_of"),
        ({"as_of": (TODAY + timedelta(days=6 * 366)).isoformat()}, "as_of"),
        ({"as_of": "2026-02-30"}, "as_of"),
        ({"dry_run": "perhaps"}, "dry_run"),
        ({"later": True}, "later"),
    ],
)
def test_run_validation(coordinator, body, field):
    response = coordinator.post("/matching/runs", json=body)
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert db.session.query(MatchingRun).count() == 0


def test_a_refused_run_is_a_conflict(coordinator, monkeypatch):
    def refuse(request):
        raise RunRefused("another matching run is in progress")

    monkeypatch.setattr(matching_resource, "execute", refuse)
    response = coordinator.post("/matching/runs", json={})
    assert response.status_code == 409 and error_of(response)["code"] == "run_refused"


def test_a_failed_run_is_reported_as_failed(coordinator, monkeypatch):
    def broken(as_of, region_ids=None, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(run_services, "build_problems", broken)
    response = coordinator.post("/matching/runs", json={})
    assert response.status_code == 201
    run = response.get_json()
    assert run["status"] == "failed" and "solver exploded" in run["error"]
    assert run["solver"] is None and run["proposals"] == 0


def test_who_may_run_and_read(ctx, client):
    gp = factories.make_gp()
    factories.make_user("coordinator", region_code="helse-nord")
    callers = {
        "gp": (Api.login(client, gp.user.email), 403),
        "trust": (Api.login(client, factories.make_user("trust", trust_code="unn").email), 403),
        "anonymous": (Api(client), 401),
    }
    for who, (api, status) in callers.items():
        for response in (
            api.post("/matching/runs", json={"dry_run": True}),
            api.get("/matching/runs"),
            api.get("/matching/runs/1"),
        ):
            assert response.status_code == status, who
            assert error_of(response)["code"] in ("forbidden", "unauthorized")
    assert db.session.query(MatchingRun).count() == 0
    other_region = Api.login(
        client, factories.make_user("coordinator", region_code="helse-nord").email
    )
    run = other_region.post("/matching/runs", json={"dry_run": True}).get_json()
    national = Api.login(client, factories.make_user("coordinator").email)
    assert national.get(f"/matching/runs/{run['id']}").status_code == 200  # runs are national


def test_max_placements_names_whom_it_passes_over(ctx, client, coordinator):
    """Issue 16, section 4: the summary lists every GP passed over for a period, with the
    candidate placed instead, and its count says as many; the document describes both."""
    from app.models import Policy
    from app.policy import DEFAULTS

    region = factories.region("helse-vest")
    if region.policy is None:
        region.policy = Policy(priority=list(DEFAULTS.priority))
    region.policy.mode = "max_placements"
    departments = {d.specialty.code: d for d in factories.trust("helse-bergen").departments}
    periods = {}
    for code in ("psychiatry", "paediatrics"):
        periods[code] = factories.make_period()
        periods[code].department = departments[code]
    first = factories.make_gp(months_general_practice=80)
    factories.make_window(first, specialties=["psychiatry", "paediatrics"])
    second = factories.make_gp(months_general_practice=40)
    factories.make_window(second, specialties=["psychiatry"])
    db.session.commit()

    response = coordinator.post("/matching/runs", json={"dry_run": True})
    assert response.status_code == 201, response.get_json()
    summary = response.get_json()["summary"]["regions"]["helse-vest"]
    assert summary["mode"] == "max_placements" and summary["placements"] == 2
    assert summary["blocking_pairs_by_cause"] == {"pin": 0, "placed": 0, "department_capacity": 0}
    assert summary["passed_over_pairs"] == [
        {"gp": str(first.id), "period": str(periods["psychiatry"].id), "holder": str(second.id)}
    ]
    assert summary["passed_over"] == 1

    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    region_summary = schemas["MatchingRegionSummary"]["properties"]
    assert region_summary["passed_over_pairs"]["items"]["$ref"].endswith("/MatchingPassedOver")
    assert set(schemas["MatchingPassedOver"]["required"]) == {"gp", "period", "holder"}
