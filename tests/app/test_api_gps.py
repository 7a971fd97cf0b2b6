"""JSON API: GP self-registration, /me, availability windows and explanations."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import add_months, local_today
from app.extensions import db
from app.models import GP, AuditEvent, Availability, Specialty

from . import factories
from .apiutil import Api, error_of
from .conftest import PASSWORD

TODAY = local_today()


def specialty_id(code: str) -> int:
    return db.session.scalar(sa.select(Specialty.id).where(Specialty.code == code))


def registration(**overrides) -> dict:
    return {
        "email": "ny.lege@example.no",
        "password": PASSWORD,
        "name": "Ny Lege",
        "hpr_number": "9876543",
        "municipality_id": factories.municipality("4601").id,
        "specialisation_started": "2022-08-01",
        "months_general_practice": 40,
        "courses_completed": 3,
        "supervision_group_months": 12,
        "scheme": "new",
    } | overrides


def window_body(**overrides) -> dict:
    start = TODAY + timedelta(days=30)
    return {
        "earliest_start": start.isoformat(),
        "latest_end": add_months(start, 12).isoformat(),
        "specialties": [specialty_id("psychiatry"), specialty_id("paediatrics")],
        "trusts": [factories.trust("helse-bergen").id],
        "accept_other_specialty": False,
    } | overrides


# ---- registration and /me


def test_a_gp_registers_and_reads_their_profile(ctx, client):
    response = client.post("/api/v1/gps", json=registration(), headers={"Accept-Language": "en"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    gp = db.session.get(GP, body["id"])
    assert gp.name == "Ny Lege" and gp.user.email == "ny.lege@example.no"
    assert gp.user.locale == "en"  # from Accept-Language
    assert body["home_trust_id"] == factories.trust("helse-bergen").id
    assert body["hospital_months_needed"] == 6 and body["role"] == "gp"
    assert body["specialisation_started"] == "2022-08-01" and body["registered_at"]
    me = Api.login(client, "ny.lege@example.no").get("/me")
    assert me.status_code == 200
    assert me.get_json() == body


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"hpr_number": "12345"}, "hpr_number"),
        ({"hpr_number": "1234567890"}, "hpr_number"),
        ({"hpr_number": "١٢٣٤٥٦٧"}, "hpr_number"),  # digits, but not 0-9
        ({"hpr_number": "1234567\n"}, "hpr_number"),
        ({"municipality_id": 99999999}, "municipality_id"),
        ({"municipality_id": 10**12}, "municipality_id"),
        ({"municipality_id": "1"}, "municipality_id"),
        ({"scheme": "older"}, "scheme"),
        ({"name": "   "}, "name"),
        ({"name": "A\x00B"}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"months_general_practice": -1}, "months_general_practice"),
        ({"specialisation_started": "1066-10-14"}, "specialisation_started"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_registration_validation(ctx, client, overrides, field):
    response = client.post("/api/v1/gps", json=registration(**overrides))
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_failed" and field in error["fields"]
    assert db.session.scalar(sa.select(GP.id).where(GP.hpr_number == "9876543")) is None


def test_registration_missing_fields(client):
    response = client.post("/api/v1/gps", json={"email": "x@example.no"})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert {"password", "name", "hpr_number", "municipality_id", "scheme"} <= set(fields)


def test_duplicate_email_or_hpr_is_a_conflict(ctx, client):
    existing = factories.make_gp(email="taken@example.no", hpr_number="1111111")
    response = client.post("/api/v1/gps", json=registration(email="Taken@Example.no"))
    assert response.status_code == 409 and error_of(response)["code"] == "email_taken"
    response = client.post("/api/v1/gps", json=registration(hpr_number=existing.hpr_number))
    assert response.status_code == 409 and error_of(response)["code"] == "hpr_taken"


def test_registration_is_throttled_per_address(ctx, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_MAX_PER_ADDRESS", 2)
    factories.make_gp(email="taken@example.no")
    for _ in range(2):  # refused registrations count too: they tell whether an email exists
        response = client.post("/api/v1/gps", json=registration(email="taken@example.no"))
        assert response.status_code == 409
    response = client.post("/api/v1/gps", json=registration())
    assert response.status_code == 429 and error_of(response)["code"] == "too_many_requests"
    assert db.session.scalar(sa.select(GP.id).where(GP.hpr_number == "9876543")) is None


def test_me_for_staff_is_their_account(ctx, client):
    user = factories.make_user("trust", trust_code="helse-bergen")
    body = Api.login(client, user.email).get("/me").get_json()
    assert body["id"] == user.id and body["role"] == "trust"
    assert body["trust_id"] == factories.trust("helse-bergen").id
    assert body["profile_complete"] is False and "hpr_number" not in body
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    body = Api.login(client, coordinator.email).get("/me").get_json()
    assert body["region_id"] == factories.region("helse-vest").id and body["trust_id"] is None


def test_me_needs_a_token(client):
    for method in ("get", "patch"):
        response = getattr(client, method)("/api/v1/me")
        assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_a_gp_updates_part_of_their_profile(ctx, client):
    gp = factories.make_gp(months_general_practice=30)
    api = Api.login(client, gp.user.email)
    response = api.patch("/me", json={"months_general_practice": 42, "scheme": "old"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["months_general_practice"] == 42 and body["scheme"] == "old"
    assert body["hospital_months_needed"] == 12 and body["name"] == gp.name
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "gp.profile_updated")
    ).one()
    assert event.data["months_general_practice"] == [30, 42]
    assert api.patch("/me", json={"locale": "nn"}).get_json()["locale"] == "nn"


def test_profile_update_validation_and_conflicts(ctx, client):
    other = factories.make_gp()
    gp = factories.make_gp()
    api = Api.login(client, gp.user.email)
    for body, field in [
        ({"hpr_number": "12"}, "hpr_number"),
        ({"municipality_id": 99999999}, "municipality_id"),
        ({"courses_completed": 101}, "courses_completed"),
        ({"name": ""}, "name"),
        ({"locale": "de"}, "locale"),
        ({"email": "new@example.no"}, "email"),  # not a profile field
    ]:
        response = api.patch("/me", json=body)
        assert response.status_code == 422, body
        assert field in error_of(response)["fields"]
    response = api.patch("/me", json={"hpr_number": other.hpr_number})
    assert response.status_code == 409 and error_of(response)["code"] == "hpr_taken"


def test_staff_have_no_profile_to_change(ctx, client):
    user = factories.make_user("coordinator", region_code="helse-vest")
    api = Api.login(client, user.email)
    response = api.patch("/me", json={"name": "Koordinator"})
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert api.patch("/me", json={"locale": "en"}).get_json()["locale"] == "en"


def test_a_gp_account_without_a_profile_completes_it(ctx, client):
    user = factories.make_user("gp")
    api = Api.login(client, user.email)
    body = api.get("/me").get_json()
    assert body["id"] is None and body["profile_complete"] is False
    response = api.post("/me/availabilities", json=window_body())
    assert response.status_code == 409 and error_of(response)["code"] == "profile_required"
    response = api.patch("/me", json={"name": "Halv Profil"})
    assert response.status_code == 422 and "hpr_number" in error_of(response)["fields"]
    profile = {k: v for k, v in registration().items() if k not in ("email", "password")}
    response = api.patch("/me", json=profile)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == db.session.scalar(
        sa.select(GP.id).where(GP.user_id == user.id)
    )


# ---- availability windows


def test_availability_lifecycle(ctx, client):
    gp = factories.make_gp(scheme="new")
    api = Api.login(client, gp.user.email)
    response = api.post("/me/availabilities", json=window_body())
    assert response.status_code == 201, response.get_json()
    window = response.get_json()
    assert window["status"] == "active" and window["gp_id"] == gp.id
    assert window["months"] == 6  # what the new scheme needs
    assert window["specialties"] == [specialty_id("psychiatry"), specialty_id("paediatrics")]
    assert window["trusts"] == [factories.trust("helse-bergen").id]
    response = api.post("/me/availabilities", json=window_body())
    assert response.status_code == 409 and error_of(response)["code"] == "availability_exists"

    path = f"/me/availabilities/{window['id']}"
    assert api.get(path).get_json() == window
    response = api.patch(path, json={"months": 3, "trusts": []})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["months"] == 3 and response.get_json()["trusts"] == []
    assert response.get_json()["specialties"] == window["specialties"]  # unchanged
    assert api.post(f"{path}/pause").get_json()["status"] == "paused"
    assert api.post(f"{path}/pause").status_code == 409
    assert api.post(f"{path}/resume").get_json()["status"] == "active"
    response = api.delete(path)
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    response = api.delete(path)
    assert response.status_code == 409 and error_of(response)["code"] == "not_current"

    listing = api.get("/me/availabilities").get_json()
    assert listing["total"] == 1 and listing["items"][0]["status"] == "withdrawn"
    assert api.get("/me/availabilities?status=active").get_json()["total"] == 0
    assert api.post("/me/availabilities", json=window_body()).status_code == 201


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"earliest_start": (TODAY - timedelta(days=1)).isoformat()}, "earliest_start"),
        ({"latest_end": TODAY.isoformat()}, "latest_end"),
        ({"latest_end": (TODAY + timedelta(days=60)).isoformat()}, "latest_end"),
        ({"months": 2}, "months"),
        ({"months": 25}, "months"),
        ({"months": "6"}, "months"),
        ({"specialties": [99999999]}, "specialties[0]"),
        ({"specialties": [0]}, "specialties.0"),
        ({"specialties": [], "accept_other_specialty": False}, "specialties"),
        ({"trusts": [1, 1]}, "trusts[1]"),
        ({"earliest_start": "2026-02-30"}, "earliest_start"),
        ({"earliest_start": "9999-12-31"}, "earliest_start"),
        ({"earliest_start": None}, "earliest_start"),
        ({"accept_other_specialty": "maybe"}, "accept_other_specialty"),
    ],
)
def test_availability_validation(ctx, client, overrides, field):
    gp = factories.make_gp()
    response = Api.login(client, gp.user.email).post(
        "/me/availabilities", json=window_body(**overrides)
    )
    assert response.status_code == 422, response.get_json()
    assert field in error_of(response)["fields"], error_of(response)["fields"]
    assert db.session.scalar(sa.select(Availability.id).where(Availability.gp_id == gp.id)) is None


def test_trusts_must_lie_in_one_region(ctx, client):
    gp = factories.make_gp()
    body = window_body(trusts=[factories.trust("helse-bergen").id, factories.trust("unn").id])
    response = Api.login(client, gp.user.email).post("/me/availabilities", json=body)
    assert response.status_code == 422 and "trusts[1]" in error_of(response)["fields"]


def test_a_window_with_an_offer_cannot_change(ctx, client):
    gp = factories.make_gp()
    window = factories.make_window(gp, specialties=["psychiatry"], trusts=["helse-bergen"])
    period = factories.make_period("helse-bergen", start=window.earliest_start + timedelta(10))
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    match = lifecycle.assign(period, gp, reason="Best fit", actor=coordinator)
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=7), actor=coordinator)
    db.session.commit()
    api = Api.login(client, gp.user.email)
    response = api.patch(f"/me/availabilities/{window.id}", json={"months": 3})
    assert response.status_code == 409 and error_of(response)["code"] == "has_offer"
    response = api.delete(f"/me/availabilities/{window.id}")
    assert response.status_code == 409 and error_of(response)["code"] == "has_offer"


def test_windows_are_private_to_their_gp(ctx, client):
    owner = factories.make_gp()
    window = factories.make_window(owner, specialties=["psychiatry"])
    path = f"/me/availabilities/{window.id}"
    other = Api.login(client, factories.make_gp().user.email)
    for method in ("get", "patch", "delete"):
        response = getattr(other, method)(path)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert other.get("/me/availabilities").get_json()["total"] == 0
    assert other.get("/me/availabilities/99999999999").status_code == 404
    staff = Api.login(client, factories.make_user("trust", trust_code="helse-bergen").email)
    anonymous = Api(client)
    for method, url, body in [
        ("get", path, None),
        ("get", "/me/availabilities", None),
        ("post", "/me/availabilities", window_body()),
        ("patch", path, {"months": 3}),
        ("delete", path, None),
        ("post", f"{path}/pause", None),
        ("get", "/me/explanations", None),
    ]:
        kwargs = {"json": body} if body else {}
        response = getattr(staff, method)(url, **kwargs)
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
        response = getattr(anonymous, method)(url, **kwargs)
        assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    assert db.session.get(Availability, window.id).status == "active"


# ---- explanations


def test_explanations_say_why_in_the_gps_language(ctx, client):
    period = factories.make_period("helse-bergen", start=TODAY + timedelta(days=60))
    wished = period.department.specialty.code
    other = factories.make_period("helse-stavanger", start=TODAY + timedelta(days=60))
    gp = factories.make_gp()
    factories.make_window(gp, specialties=[wished], trusts=["helse-bergen", "helse-stavanger"])
    rival = factories.make_gp(name="Rival Kandidat")
    factories.make_window(rival, specialties=[wished], trusts=["helse-bergen"])
    api = Api.login(client, gp.user.email)
    response = api.get("/me/explanations", headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    item = next(i for i in body["items"] if i["period_id"] == period.id)
    assert item["outcome"] == "not_placed" and item["reason"] == "not_yet_run"
    assert item["text"].startswith("No matching run has considered you")
    assert item["start_date"] == period.start_date.isoformat()
    assert item["trust_id"] == factories.trust("helse-bergen").id
    assert any(i["period_id"] == other.id for i in body["items"])
    text = response.get_data(as_text=True)
    assert "Rival" not in text and rival.hpr_number not in text
    assert all("gp_id" not in i for i in body["items"])
    bokmal = api.get("/me/explanations").get_json()  # the GP's own language: nb
    same = next(i for i in bokmal["items"] if i["period_id"] == period.id)
    assert same["reason"] == "not_yet_run" and same["text"] != item["text"]
    page = api.get("/me/explanations?limit=1&offset=1").get_json()
    assert len(page["items"]) == 1 and page["total"] == body["total"] == 2


def test_explanations_are_empty_without_a_window(ctx, client):
    gp = factories.make_gp()
    body = Api.login(client, gp.user.email).get("/me/explanations").get_json()
    assert body == {"items": [], "total": 0}


def test_openapi_documents_the_gp_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert paths["/api/v1/gps"]["post"]["security"] == []
    register = paths["/api/v1/gps"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/GPRegistration"
    )
    assert register["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/GP"
    )
    assert {"409", "429", "422"} <= set(register["responses"])
    assert {"get", "patch"} <= set(paths["/api/v1/me"])
    assert {"get", "post"} <= set(paths["/api/v1/me/availabilities"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/me/availabilities/{availability_id}"])
    assert "get" in paths["/api/v1/me/explanations"]
    schemas = spec["components"]["schemas"]
    assert {"email", "password", "hpr_number", "scheme"} <= set(
        schemas["GPRegistration"]["required"]
    )
    assert schemas["GPRegistration"]["properties"]["hpr_number"]["pattern"] == "^[0-9]{7,9}$"
    assert {"id", "status", "earliest_start", "specialties", "trusts"} <= set(
        schemas["Availability"]["required"]
    )
    assert set(schemas["Explanation"]["properties"]["outcome"]["enum"]) == {
        "placed",
        "proposed",
        "not_placed",
    }
