"""schemathesis against the OpenAPI document: for every operation, a bounded number of
generated requests (valid and invalid, authenticated) must get no 5xx, only documented
status codes, and bodies that match the documented schemas."""

from __future__ import annotations

from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from app.dates import local_today
from app.extensions import db

from . import factories
from .apiutil import Api

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = 6  # per operation and mode: enough to find the usual holes, fast enough to keep
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# Revoking the token would leave the rest of the run anonymous.
SKIPPED = {("DELETE", "/api/v1/auth/tokens/current")}
GP_PATHS = ("/api/v1/me", "/api/v1/matches/{match_id}/accept", "/api/v1/matches/{match_id}/decline")


def seed(client) -> tuple[dict[str, str], list[int]]:
    """The callers' tokens, and the ids of some objects for the path ids to land on."""
    admin = factories.make_user("admin")
    gp = factories.make_gp()
    window = factories.make_window(gp)
    period = factories.make_period()
    other = factories.make_period("ahus", start=local_today() + timedelta(days=120))
    match = factories.make_proposal(period, gp)
    db.session.commit()
    tokens = {
        "admin": Api.login(client, admin.email).token,
        "gp": Api.login(client, gp.user.email).token,
    }
    run = Api(client, tokens["admin"]).post("/matching/runs", json={"dry_run": True})
    ids = [match.id, period.id, other.id, window.id, gp.id, run.get_json()["id"]]
    return tokens, ids


def known_ids(ids: list[int]):
    """Hooks: two in three generated ids (in paths, and ``*_id`` fields of bodies) become
    one of ``ids``, so that the actions meet real objects, not only 404s (deterministic,
    like the rest of the run)."""

    def known(name, value):
        is_id = name == "id" or name.endswith("_id")
        if is_id and isinstance(value, int) and not isinstance(value, bool) and value % 3:
            return ids[value % len(ids)]
        return value

    def map_path_parameters(context, path_parameters):
        return {k: known(k, v) for k, v in (path_parameters or {}).items()}

    def map_body(context, body):
        if not isinstance(body, dict):
            return body
        return {k: known(k, v) for k, v in body.items()}

    return map_path_parameters, map_body


def token_for(path: str, tokens: dict[str, str]) -> str:
    return tokens["gp"] if path.startswith(GP_PATHS) else tokens["admin"]


def exercise(operation, mode: GenerationMode, headers: dict[str, str]) -> None:
    """Send the generated requests of one operation and mode; raise on the first finding."""

    @SETTINGS
    @hypothesis.given(operation.as_strategy(generation_mode=mode))
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_the_api_keeps_its_contract(app, ctx, client):
    tokens, ids = seed(client)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for hook in known_ids(ids):
        schema.hook(hook)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        headers = {"Authorization": f"Bearer {token_for(operation.path, tokens)}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                exercise(operation, mode, headers)
            except Exception as error:  # collect every operation's findings, then fail
                failures.append(f"{operation.label} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)


HUGE_ID = "99999999999999999999"


def test_hostile_values_in_every_query_and_path_are_refused_cleanly(app, ctx, client):
    """NUL characters in every string query parameter, and ids beyond 64 bits in every path
    (PostgreSQL and SQLite raise on these if they reach the database): 4xx, never 5xx."""
    api = Api(client, seed(client)[0]["admin"])
    auth = {"Authorization": f"Bearer {api.token}"}
    spec = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters" or (method.upper(), path) in SKIPPED:
                continue
            params = shared + operation.get("parameters", [])
            url = path.removeprefix("/api/v1")
            for param in params:
                if param["in"] == "path":
                    url = url.replace("{" + param["name"] + "}", HUGE_ID)
            queries = [
                {p["name"]: "a\x00b"}
                for p in params
                if p["in"] == "query" and p["schema"].get("type") == "string"
            ]
            for query in queries or [{}]:
                response = client.open(
                    f"/api/v1{url}", method=method.upper(), headers=auth, query_string=query
                )
                assert response.status_code < 500, (method, url, query, response.get_json())
                checked += 1
    assert checked > 30
    for path, body in [
        ("/auth/tokens", {"email": "a\x00b@example.no", "password": "x"}),
        ("/matches/1/cancel", {"reason": "a\x00b"}),
        ("/forbids", {"period_id": 1, "gp_id": 1, "reason": "a\x00b"}),
    ]:
        response = api.post(path, json=body)
        assert response.status_code == 422, (path, response.get_json())
