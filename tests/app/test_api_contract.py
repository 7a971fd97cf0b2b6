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
