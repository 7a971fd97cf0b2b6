"""The API honours its OpenAPI document and the document states what the API enforces:
what schemathesis found (tests/app/test_api_schemathesis.py), pinned one rule at a time."""

from __future__ import annotations

import re
from datetime import date, timedelta

import marshmallow as ma
import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH
from app.catalogue import describe
from app.coordination.audit_log import OBJECT_REF_PATTERN
from app.text import (
    DAY_PATTERN,
    EMAIL_PATTERN,
    FIRST_DAY,
    LAST_DAY,
    normalise,
    text_pattern,
    text_problem,
)

from . import factories
from .apiutil import Api, error_of
from .test_api_gps import registration


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


def test_the_document_states_the_password_length_and_the_server_takes_its_edges(ctx, client):
    password = spec(client)["components"]["schemas"]["GPRegistration"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (MIN_LENGTH, MAX_LENGTH)
    shortest = "Fjord7-lys"  # five different characters and more, no email in it
    for n, value in enumerate([shortest, shortest[:-1], (shortest * 13)[:MAX_LENGTH], "x" * 129]):
        body = registration(email=f"edge{n}@example.no", hpr_number=f"765432{n}", password=value)
        response = client.post("/api/v1/gps", json=body)
        fits = MIN_LENGTH <= len(value) <= MAX_LENGTH
        assert response.status_code == (201 if fits else 422), (len(value), response.get_json())


def test_the_document_states_the_audit_object_pattern_and_the_server_takes_its_edges(ctx, client):
    (parameter,) = [
        p
        for p in spec(client)["paths"]["/api/v1/audit"]["get"]["parameters"]
        if p["name"] == "object"
    ]
    pattern = parameter["schema"]["pattern"]
    assert pattern == OBJECT_REF_PATTERN and pattern.startswith("^(period|match|gp|")
    api = Api.login(client, factories.make_user("admin").email)
    for value in ["period:1", "availability:999999999999", "user:0", "run:2147483647"]:
        assert re.fullmatch(pattern, value)
        response = api.get("/audit", query_string={"object": value})
        assert response.status_code == 200, (value, response.get_json())
    for value in ["period:1234567890123", "Period:1", " period:1", "thing:3", "period:"]:
        assert not re.fullmatch(pattern, value)
        response = api.get("/audit", query_string={"object": value})
        assert response.status_code == 422 and "object" in error_of(response)["fields"], value


@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("blank", [True, False])
def test_text_patterns_state_exactly_what_text_problem_accepts(multiline, blank):
    """The document's pattern for text and app/text.py's rule agree on every character."""
    pattern = re.compile(text_pattern(multiline=multiline, blank=blank))
    for point in [*range(0xD800), *range(0xE000, 0x10000), 0x1F600, 0x10FFFF]:
        char = chr(point)
        value = normalise(char, multiline=multiline)
        accepted = text_problem(value, multiline=multiline) is None and (blank or value.strip())
        assert bool(pattern.fullmatch(char)) == bool(accepted), hex(point)


def test_the_day_pattern_states_exactly_the_days_the_api_takes():
    day = date(1999, 12, 1)
    while day <= date(2101, 1, 31):
        assert bool(re.fullmatch(DAY_PATTERN, day.isoformat())) == (FIRST_DAY <= day <= LAST_DAY)
        day += timedelta(days=1)


@settings(max_examples=300, database=None, derandomize=True)
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True))
def test_an_email_the_pattern_allows_is_one_marshmallow_takes(address):
    ma.validate.Email()(address)


def test_a_422_is_worded_in_one_language_whichever_layer_refused(client):
    """The arguments' refusal used a fixed English sentence, a rule's the catalogue's words."""
    response = client.get("/api/v1/regions?limit=0", headers={"Accept-Language": "nn"})
    assert response.status_code == 422
    with force_locale("nn"):
        assert error_of(response)["message"] == describe("invalid_input")
