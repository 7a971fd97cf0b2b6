"""The API's ground rules: tokens, the error format, reference data, the OpenAPI document."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import ApiToken
from app.models.types import utcnow

from . import factories
from .apiutil import Api, error_of
from .conftest import PASSWORD, Browser


def test_token_lifecycle(ctx, client):
    user = factories.make_user("admin")
    api = Api.login(client, user.email.upper())
    stored = db.session.query(ApiToken).one()
    assert stored.token_hash != api.token and len(stored.token_hash) == 64  # hashed
    assert stored.expires_at > utcnow()
    assert api.delete("/auth/tokens/current").status_code == 204
    response = api.delete("/auth/tokens/current")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_wrong_credentials_and_throttling(ctx, client):
    user = factories.make_user("admin")
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/tokens", json={"email": user.email, "password": "nope"}
        )
        assert response.status_code == 401
        assert error_of(response)["code"] == "invalid_credentials"
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429 and error_of(response)["code"] == "too_many_requests"


def test_expired_token_is_refused(ctx, client):
    user = factories.make_user("admin")
    api = Api.login(client, user.email)
    token = db.session.query(ApiToken).one()
    token.created_at = utcnow() - timedelta(days=2)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.delete("/auth/tokens/current").status_code == 401


def test_a_session_cookie_does_not_authenticate_the_api(ctx, client):
    user = factories.make_user("admin")
    Browser(client).login(user.email)
    assert client.get("/admin/users").status_code == 200  # the cookie works for pages
    response = client.delete("/api/v1/auth/tokens/current")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "method, path, body, status, code",
    [
        ("get", "/api/v1/no-such-thing", None, 404, "not_found"),
        ("put", "/api/v1/regions", None, 405, "method_not_allowed"),
        ("get", "/api/v1/regions?limit=501", None, 422, "validation_failed"),
        ("get", "/api/v1/regions?offset=-1", None, 422, "validation_failed"),
        ("post", "/api/v1/auth/tokens", "{not json", 400, "bad_request"),
        ("post", "/api/v1/auth/tokens", {"email": 1}, 422, "validation_failed"),
    ],
)
def test_errors_have_the_documented_format(client, method, path, body, status, code):
    kwargs = {}
    if isinstance(body, str):
        kwargs = {"data": body, "content_type": "application/json"}
    elif body is not None:
        kwargs = {"json": body}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code and error["message"]
    if status == 422:
        assert error["fields"]


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.content_type.startswith("text/html")


def test_reference_endpoints(client):
    regions = client.get("/api/v1/regions").get_json()
    assert regions["total"] == 4
    assert {r["code"] for r in regions["items"]} == {
        "helse-vest",
        "helse-sor-ost",
        "helse-midt",
        "helse-nord",
    }
    trusts = client.get("/api/v1/trusts?region=helse-vest&limit=500").get_json()
    assert "helse-bergen" in {t["code"] for t in trusts["items"]}
    page = client.get("/api/v1/trusts?limit=2&offset=2").get_json()
    assert len(page["items"]) == 2 and page["total"] > 20
    municipalities = client.get("/api/v1/municipalities?region=helse-vest&limit=500").get_json()
    bergen = next(m for m in municipalities["items"] if m["number"] == "4601")
    assert bergen["trust_id"] == next(
        t["id"] for t in trusts["items"] if t["code"] == "helse-bergen"
    )
    departments = client.get(
        "/api/v1/departments?trust=helse-bergen&specialty=psychiatry"
    ).get_json()
    assert departments["total"] >= 1 and departments["items"][0]["alis_capacity"] >= 1
    specialties = client.get("/api/v1/specialties", headers={"Accept-Language": "en"}).get_json()
    assert any(s["name"] == "Psychiatry" for s in specialties["items"])


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/regions"]["get"]["security"] == []
    assert "/api/v1/auth/tokens" in spec["paths"]
