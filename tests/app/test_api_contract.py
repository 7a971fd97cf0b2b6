"""The API honours its OpenAPI document and the document states what the API enforces:
what schemathesis found (tests/app/test_api_schemathesis.py), pinned one rule at a time."""

from __future__ import annotations

import pytest

from . import factories
from .apiutil import Api, error_of


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("put", "/api/v1/regions", {"GET", "HEAD", "OPTIONS"}),
        ("trace", "/api/v1/auth/tokens", {"POST", "OPTIONS"}),
        ("delete", "/login", {"GET", "HEAD", "OPTIONS", "POST"}),
    ],
)
def test_a_405_says_which_methods_are_allowed(client, method, path, allowed):
    """RFC 9110: a 405 carries Allow, for the API and for the pages alike."""
    response = client.open(path, method=method.upper())
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    if path.startswith("/api/"):
        assert error_of(response)["code"] == "method_not_allowed"
    else:
        assert response.content_type.startswith("text/html")


def test_an_id_beyond_32_bits_is_a_404_whatever_the_method(client):
    """Such an id matches no route, for GET and for the methods of sibling routes alike."""
    for method, path in [
        ("get", "/api/v1/periods/2147483648"),
        ("patch", "/api/v1/periods/2147483648"),
        ("delete", "/api/v1/me/subscriptions/2147483648"),
        ("post", "/api/v1/matches/9999999999/accept"),
    ]:
        response = client.open(path, method=method.upper(), json={})
        assert response.status_code == 404, (method, path)
        assert error_of(response)["code"] == "not_found"


def test_a_body_the_document_requires_must_be_sent_as_json(ctx, client):
    """A missing body is a 422 and a body that is not JSON a 415, in the error format; the
    document says both (it used to read a missing body as {} and accept it)."""
    api = Api.login(client, factories.make_user("coordinator", region_code="helse-vest").email)
    for method, path in [("post", "/matching/runs"), ("patch", "/me")]:
        response = getattr(client, method)(f"/api/v1{path}", headers=api._headers())
        assert response.status_code == 422, path
        error = error_of(response)
        assert error["code"] == "validation_failed" and set(error["fields"]) == {"_schema"}
        response = getattr(client, method)(
            f"/api/v1{path}", data='{"dry_run": true}', headers=api._headers()
        )  # JSON, but not said so
        assert response.status_code == 415, path
        assert error_of(response)["code"] == "unsupported_media_type"
    assert api.post("/matching/runs", json={"dry_run": True}).status_code == 201
    operation = spec(client)["paths"]["/api/v1/matching/runs"]["post"]
    assert operation["requestBody"]["required"] is True
    assert {"400", "401", "403", "415", "422"} <= set(operation["responses"])


def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()
