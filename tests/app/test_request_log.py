"""The request log: one JSON line per request with its id, method, path, user, status and
duration; the id in the X-Request-ID header, on the error pages and in every API error."""

import json
import logging

import pytest

from . import factories
from .apiutil import Api, error_of


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="alis.request")

    def read() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "alis.request"]

    return read


def test_one_line_per_request_with_its_id_in_the_header(client, lines):
    response = client.get("/")
    rid = response.headers["X-Request-ID"]
    assert len(rid) == 32
    [line] = lines()
    assert line["request_id"] == rid
    assert line["method"] == "GET" and line["path"] == "/" and line["status"] == 200
    assert line["user_id"] is None and line["duration_ms"] >= 0
    assert client.get("/").headers["X-Request-ID"] != rid  # a new one each time


def test_a_sane_request_id_from_the_caller_is_kept(client, lines):
    response = client.get("/", headers={"X-Request-ID": "lb-4f2a.9:c0ffee"})
    assert response.headers["X-Request-ID"] == "lb-4f2a.9:c0ffee"
    assert lines()[-1]["request_id"] == "lb-4f2a.9:c0ffee"


@pytest.mark.parametrize(
    "given", ["", "a b", "x" * 129, 'id" ,"x', "-leading-dash", "<script>", "a/b", "ø"]
)
def test_any_other_request_id_is_replaced(client, given):
    response = client.get("/", headers={"X-Request-ID": given})
    rid = response.headers["X-Request-ID"]
    assert rid != given and len(rid) == 32 and rid.isalnum()


def test_the_line_names_the_user(ctx, browser, lines):
    gp = factories.make_gp()
    browser.login(gp.user.email)
    browser.get("/dashboard")
    line = lines()[-1]
    assert line["path"] == "/dashboard" and line["user_id"] == gp.user.id


def test_the_line_names_the_api_caller(ctx, client, lines):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    Api.login(client, coordinator.email).get("/matching/runs")
    line = lines()[-1]
    assert line["path"] == "/api/v1/matching/runs" and line["user_id"] == coordinator.id


def test_a_token_in_the_path_is_masked(client, lines):
    client.get("/calendar/s3cr3t-feed-token.ics")
    line = lines()[-1]
    assert "s3cr3t" not in json.dumps(line)
    assert line["path"] == "/calendar/<token>.ics" and line["status"] == 404


def test_the_error_page_shows_the_request_id(client, lines):
    response = client.get("/no/such/page", headers={"X-Request-ID": "support-1234"})
    assert response.status_code == 404
    assert "support-1234" in response.get_data(as_text=True)
    assert lines()[-1]["status"] == 404


def test_an_unexpected_error_page_shows_it_too(client, lines):
    # tests/app/probes.py: a view that raises
    response = client.post("/_probe/crash", headers={"X-Request-ID": "crash-42"})
    assert response.status_code == 500
    assert "crash-42" in response.get_data(as_text=True)
    assert lines()[-1]["status"] == 500


def test_the_csrf_page_shows_it(client):
    response = client.post("/login", data={"email": "a@b.no"}, headers={"X-Request-ID": "csrf-7"})
    assert response.status_code == 400
    assert "csrf-7" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/api/v1/matching/runs", 401), ("get", "/api/v1/nothing", 404)],
)
def test_every_api_error_carries_the_request_id(client, method, path, status):
    response = getattr(client, method)(path, headers={"X-Request-ID": "api-err-1"})
    assert response.status_code == status
    assert error_of(response)["request_id"] == "api-err-1"
    assert response.headers["X-Request-ID"] == "api-err-1"


def test_an_api_validation_error_carries_a_generated_id(client):
    response = client.post("/api/v1/auth/tokens", json={"email": 5})
    assert response.status_code in (400, 422)
    assert error_of(response)["request_id"] == response.headers["X-Request-ID"]
