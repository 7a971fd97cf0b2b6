"""The API honours its OpenAPI document and the document states what the API enforces:
what schemathesis found (tests/app/test_api_schemathesis.py), pinned one rule at a time."""

from __future__ import annotations

import pytest

from .apiutil import error_of


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
