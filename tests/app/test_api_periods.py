"""JSON API: periods (publish, list, read, edit, withdraw) and who may do what."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.dates import add_months, add_months_dt, local_today
from app.extensions import db
from app.lifecycle import withdraw_period
from app.models import AuditEvent, Period

from . import factories
from .apiutil import Api, error_of

TODAY = local_today()
START = TODAY + timedelta(days=40)


def body(department_id: int, **overrides) -> dict:
    return {
        "department_id": department_id,
        "start_date": START.isoformat(),
        "end_date": (add_months(START, 6) - timedelta(days=1)).isoformat(),
        "source": "parental_leave",
        "description": "Barsel i seks måneder. Vakt i turnus.",
        "on_call": True,
    } | overrides


def login(client, role, **scope) -> Api:
    return Api.login(client, factories.make_user(role, **scope).email)


def bergen_staff(client) -> Api:
    return login(client, "trust", trust_code="helse-bergen")


def withdrawn(trust_code: str) -> Period:
    period = factories.make_period(trust_code)
    withdraw_period(period, reason="Leave cancelled", actor=None)
    db.session.commit()
    return period


# ---- publish


def test_trust_staff_publish_a_period(ctx, client):
    department = factories.department("helse-bergen")
    response = bergen_staff(client).post(
        "/periods", json=body(department.id, contact_email="Leder@Helse-Bergen.no")
    )
    assert response.status_code == 201, response.get_json()
    period = response.get_json()
    assert period["status"] == "open" and period["months"] == 6
    assert period["department_id"] == department.id
    assert period["trust_id"] == department.trust_id == period["trust"]["id"]
    assert period["specialty_id"] == department.specialty_id == period["specialty"]["id"]
    assert period["trust"]["code"] == "helse-bergen" and period["department"]["name"]
    assert period["on_call"] is True and period["contact_email"] == "leder@helse-bergen.no"
    stored = db.session.get(Period, period["id"])
    assert stored.advertise_after == add_months_dt(stored.published_at, 2)
    assert datetime.fromisoformat(period["advertise_after"]) == stored.advertise_after
    assert datetime.fromisoformat(period["published_at"]) == stored.published_at
    assert db.session.scalar(
        sa.select(AuditEvent.id).where(
            AuditEvent.action == "period.published", AuditEvent.object_id == stored.id
        )
    )


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"start_date": (TODAY - timedelta(days=1)).isoformat()}, "start_date"),
        ({"end_date": (START - timedelta(days=1)).isoformat()}, "end_date"),
        ({"end_date": (START + timedelta(days=60)).isoformat()}, "end_date"),
        ({"source": "holiday"}, "source"),
        ({"department_id": 99999999}, "department_id"),
        ({"department_id": 2**40}, "department_id"),
        ({"department_id": "1"}, "department_id"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"start_date": "9999-01-01"}, "start_date"),
        ({"description": "x" * 5001}, "description"),
        ({"description": "nul\x00"}, "description"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"on_call": "often"}, "on_call"),
        ({"status": "filled"}, "status"),
    ],
)
def test_publish_validation(ctx, client, overrides, field):
    department = factories.department("helse-bergen")
    response = bergen_staff(client).post("/periods", json=body(department.id) | overrides)
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_failed" and field in error["fields"], error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Period)) == 0


def test_publish_needs_the_required_fields(ctx, client):
    response = bergen_staff(client).post("/periods", json={})
    assert response.status_code == 422
    assert {"department_id", "start_date", "end_date", "source"} <= set(
        error_of(response)["fields"]
    )


def test_publish_outside_ones_scope_is_forbidden(ctx, client):
    stavanger = factories.department("helse-stavanger")
    nord = factories.department("unn")
    cases = [
        (bergen_staff(client), stavanger.id, 403),
        (login(client, "coordinator", region_code="helse-nord"), stavanger.id, 403),
        (login(client, "gp"), stavanger.id, 403),
        (Api(client), stavanger.id, 401),
        (login(client, "coordinator", region_code="helse-vest"), stavanger.id, 201),
        (login(client, "coordinator"), nord.id, 201),  # national
        (login(client, "admin"), nord.id, 201),
    ]
    for api, department_id, status in cases:
        response = api.post("/periods", json=body(department_id))
        assert response.status_code == status, response.get_json()


def test_inactive_departments_take_no_periods(ctx, client):
    department = factories.department("helse-bergen")
    department.active = False
    db.session.commit()
    response = bergen_staff(client).post("/periods", json=body(department.id))
    assert response.status_code == 422 and "department_id" in error_of(response)["fields"]


def test_a_long_leave_is_split_into_periods(ctx, client):
    department = factories.department("helse-bergen")
    api = bergen_staff(client)
    end = (add_months(START, 9) - timedelta(days=1)).isoformat()
    response = api.post("/periods/split", json=body(department.id, end_date=end, split_months=3))
    assert response.status_code == 201, response.get_json()
    parts = response.get_json()
    assert parts["total"] == 3 and [p["months"] for p in parts["items"]] == [3, 3, 3]
    response = api.post("/periods/split", json=body(department.id, split_months=2))
    assert response.status_code == 422 and "split_months" in error_of(response)["fields"]


# ---- read


def test_who_sees_which_periods(ctx, client):
    bergen_open = factories.make_period("helse-bergen")
    bergen_closed = withdrawn("helse-bergen")
    stavanger_closed = withdrawn("helse-stavanger")
    unn_open = factories.make_period("unn")
    unn_closed = withdrawn("unn")

    def listed(api, query=""):
        response = api.get(f"/periods{query}")
        assert response.status_code == 200, response.get_json()
        return {p["id"] for p in response.get_json()["items"]}

    all_five = (bergen_open, bergen_closed, stavanger_closed, unn_open, unn_closed)
    everything = {p.id for p in all_five}
    assert listed(login(client, "gp")) == {bergen_open.id, unn_open.id}
    assert listed(bergen_staff(client)) == {bergen_open.id, bergen_closed.id, unn_open.id}
    assert listed(login(client, "coordinator", region_code="helse-vest")) == {
        bergen_open.id,
        bergen_closed.id,
        stavanger_closed.id,
        unn_open.id,
    }
    assert listed(login(client, "coordinator")) == everything
    assert listed(login(client, "admin")) == everything
    assert client.get("/api/v1/periods").status_code == 401

    gp = login(client, "gp")
    assert gp.get(f"/periods/{bergen_open.id}").status_code == 200
    for period in (bergen_closed, unn_closed):
        response = gp.get(f"/periods/{period.id}")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    nord = login(client, "coordinator", region_code="helse-nord")
    assert nord.get(f"/periods/{bergen_closed.id}").status_code == 404
    assert nord.get(f"/periods/{unn_closed.id}").status_code == 200
    assert nord.get(f"/periods/{bergen_open.id}").status_code == 200
    assert nord.get("/periods/99999999999").status_code == 404
    assert client.get(f"/api/v1/periods/{bergen_open.id}").status_code == 401


def test_period_filters(ctx, client):
    early = factories.make_period("helse-bergen", start=TODAY + timedelta(days=30))
    late = factories.make_period("helse-bergen", start=TODAY + timedelta(days=200))
    unn = factories.make_period("unn", start=TODAY + timedelta(days=30))
    closed = withdrawn("helse-bergen")
    api = login(client, "admin")

    def ids(query):
        response = api.get(f"/periods?{query}")
        assert response.status_code == 200, response.get_json()
        return [p["id"] for p in response.get_json()["items"]]

    assert set(ids("trust=helse-bergen")) == {early.id, late.id, closed.id}
    assert set(ids(f"trust={factories.trust('unn').id}")) == {unn.id}
    assert set(ids("region=helse-nord")) == {unn.id}
    assert ids("status=withdrawn") == [closed.id]
    assert ids("trust=helse-bergen&status=open") == [early.id, late.id]  # by start
    after = (TODAY + timedelta(days=100)).isoformat()
    assert ids(f"starts_after={after}") == [late.id]
    assert set(ids(f"starts_before={after}&status=open")) == {early.id, unn.id}
    specialty = early.department.specialty
    assert early.id in ids(f"specialty={specialty.code}")
    assert set(ids(f"specialty={specialty.id}")) == set(ids(f"specialty={specialty.code}"))
    assert ids("trust=no-such-trust") == [] and ids("trust=99999999999999") == []
    assert ids(f"department={early.department_id}&limit=1") == [early.id]
    for bad in ("status=lost", "starts_after=yesterday", "limit=0", "department=0"):
        response = api.get(f"/periods?{bad}")
        assert response.status_code == 422, bad
        assert error_of(response)["fields"]


# ---- change


def test_editing_an_open_period(ctx, client):
    period = factories.make_period("helse-bergen")
    api = bergen_staff(client)
    new_end = add_months(period.start_date, 9).isoformat()
    response = api.patch(
        f"/periods/{period.id}",
        json={"end_date": new_end, "description": "  Ny tekst  ", "contact_name": ""},
    )
    assert response.status_code == 200, response.get_json()
    updated = response.get_json()
    assert updated["end_date"] == new_end and updated["description"] == "Ny tekst"
    assert updated["contact_name"] is None and updated["source"] == period.source
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "period.updated")
    ).one()
    assert event.data["end_date"][1] == new_end
    assert api.patch(f"/periods/{period.id}", json={}).status_code == 200

    for change, field in [
        ({"end_date": period.start_date.isoformat()}, "end_date"),
        ({"start_date": (TODAY - timedelta(days=3)).isoformat()}, "start_date"),
        ({"department_id": factories.department("helse-stavanger").id}, "department_id"),
        ({"source": None}, "source"),
    ]:
        response = api.patch(f"/periods/{period.id}", json=change)
        assert response.status_code == 422, change
        assert field in error_of(response)["fields"]


def test_only_open_periods_change(ctx, client):
    period = withdrawn("helse-bergen")
    response = bergen_staff(client).patch(f"/periods/{period.id}", json={"description": "Ny"})
    assert response.status_code == 409 and error_of(response)["code"] == "period_not_open"


def test_withdrawing_a_period(ctx, client):
    period = factories.make_period("helse-bergen")
    api = login(client, "coordinator", region_code="helse-vest")
    response = api.post(f"/periods/{period.id}/withdraw", json={"reason": " "})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]
    response = api.post(f"/periods/{period.id}/withdraw", json={})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]
    response = api.post(f"/periods/{period.id}/withdraw", json={"reason": "Leave cancelled"})
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "period.withdrawn")
    ).one()
    assert event.reason == "Leave cancelled"
    response = api.post(f"/periods/{period.id}/withdraw", json={"reason": "Again"})
    assert response.status_code == 409 and error_of(response)["code"] == "not_withdrawable"


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 401),
        ("gp", 403),
        ("other_trust", 403),  # the period is open: they may see it, not change it
        ("other_region", 403),
        ("own_trust", 200),
        ("own_region", 200),
    ],
)
def test_change_matrix_on_an_open_period(ctx, client, who, status):
    period = factories.make_period("helse-bergen")
    api = {
        "anonymous": lambda: Api(client),
        "gp": lambda: login(client, "gp"),
        "other_trust": lambda: login(client, "trust", trust_code="helse-stavanger"),
        "other_region": lambda: login(client, "coordinator", region_code="helse-nord"),
        "own_trust": lambda: bergen_staff(client),
        "own_region": lambda: login(client, "coordinator", region_code="helse-vest"),
    }[who]()
    response = api.patch(f"/periods/{period.id}", json={"description": "Endret"})
    assert response.status_code == status, response.get_json()
    response = api.post(f"/periods/{period.id}/withdraw", json={"reason": "Avlyst"})
    assert response.status_code == status, response.get_json()
    if status != 200:
        assert db.session.get(Period, period.id).status == "open"


def test_periods_one_may_not_see_answer_404(ctx, client):
    period = withdrawn("helse-bergen")
    for api in (
        login(client, "trust", trust_code="helse-stavanger"),
        login(client, "coordinator", region_code="helse-nord"),
    ):
        assert api.patch(f"/periods/{period.id}", json={}).status_code == 404
        response = api.post(f"/periods/{period.id}/withdraw", json={"reason": "x"})
        assert response.status_code == 404
    assert login(client, "gp").patch(f"/periods/{period.id}", json={}).status_code == 403


def test_openapi_documents_the_period_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/periods"])
    assert {"get", "patch"} <= set(paths["/api/v1/periods/{period_id}"])
    assert "post" in paths["/api/v1/periods/{period_id}/withdraw"]
    create = paths["/api/v1/periods"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PeriodCreate"
    )
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    names = {p["name"] for p in paths["/api/v1/periods"]["get"]["parameters"]}
    assert {"status", "trust", "specialty", "starts_after", "starts_before"} <= names
    schemas = spec["components"]["schemas"]
    assert {"id", "status", "published_at", "advertise_after"} <= set(schemas["Period"]["required"])
    assert set(schemas["PeriodCreate"]["properties"]["source"]["enum"]) == {
        "parental_leave",
        "leave_of_absence",
        "vacancy",
        "earmarked_post",
        "other",
    }
