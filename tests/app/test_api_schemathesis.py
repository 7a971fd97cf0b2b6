"""schemathesis against the OpenAPI document, with every check it has (the CLI's
``--checks all``), its coverage phase (boundary values, missing bodies and parameters,
undeclared methods and media types), its fuzzing phase and its stateful phase (the links it
infers between operations), for each role: a bounded number of requests per operation must
get no 5xx, only documented statuses, media types, headers and bodies; what the document
allows must be accepted and what it forbids refused; a 405 must say what is allowed; a
protected operation must refuse a request without its token.

The run is schemathesis's own engine (what ``schemathesis run`` drives), in-process against
the WSGI app and the test's database transaction. object_level_authorization is on, but has
nothing to compare: it needs several identities of one role configured as peers (WFC auth)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import events, from_schema
from schemathesis.openapi.checks import EnsureResourceAvailability, RejectedPositiveData
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from app.dates import local_today
from app.extensions import db

from . import factories
from .apiutil import Api

load_all_checks()
CHECKS_ALL = CHECKS.get_all_names()  # what ``--checks all`` runs
assert len(CHECKS_ALL) >= 14, CHECKS_ALL
ROLES = ("gp", "trust", "coordinator", "admin", "municipality", "anonymous")
# Fuzzing examples per operation (the coverage phase adds its own, one per boundary and
# refusal it derives from the document): enough to find the usual holes, fast enough to keep.
EXAMPLES = 5
REVOKE = ("DELETE", "/api/v1/auth/tokens/current")
# Rules the document states in words because JSON Schema cannot (time, other fields, what the
# database holds): a schema-valid request may be refused for them with 422 naming the field.
# positive_data_acceptance, for these operations and fields only, accepts that refusal.
EXISTING = "ids of rows that exist (the document cannot know which)"
WINDOW = {
    "earliest_start": "not in the past (today moves)",
    "latest_end": "after earliest_start, covering `months` months from it",
    "specialties": EXISTING + "; empty only with accept_other_specialty",
    "trusts": EXISTING + ", in one region",
    "split_allowed": "only with `months` of at least 6",
}
PERIOD = {
    "start_date": "not in the past (today moves)",
    "end_date": "at least 3 months after start_date",
    "department_id": EXISTING + ", active",
    "second_department_id": "with switch_date; another department of the same trust",
    "switch_date": "with second_department_id; at least 3 months in each department",
}
PROFILE = {"municipality_id": EXISTING}
RULES_IN_WORDS: dict[str, dict[str, str]] = {
    "POST /api/v1/gps": {
        **PROFILE,
        "password": "the password policy past its length: not common, 5 different "
        "characters, not the email's name",
    },
    "PATCH /api/v1/me": PROFILE,
    "POST /api/v1/me/erase": {"password": "the account's own password"},
    "POST /api/v1/me/availabilities": WINDOW,
    "PATCH /api/v1/me/availabilities/{availability_id}": WINDOW,
    "POST /api/v1/periods": PERIOD,
    "POST /api/v1/periods/split": {
        **PERIOD,
        "split_months": "the period must make at least two parts; not with a second department",
    },
    "PATCH /api/v1/periods/{period_id}": {
        **PERIOD,
        "department_id": "the period's own department (it cannot change)",
    },
    "POST /api/v1/matching/runs": {"as_of": "from today; after today only for a dry run"},
    "POST /api/v1/matches/{match_id}/offer": {"accept_by": "from today, before the period starts"},
    "PUT /api/v1/periods/{period_id}/learning-goals": {
        "learning_goals": "codes of the reference list of learning goals (the document cannot "
        "know which)"
    },
    "POST /api/v1/matches/{match_id}/learning-goals": {
        "reached": "among the learning goals the period offered"
    },
    "POST /api/v1/me/subscriptions": {
        "specialties": EXISTING,
        "trusts": EXISTING + "; GPs only",
        "region": EXISTING + "; GPs only",
        "_schema": "at most a number of subscriptions per person",
    },
}


def seed(client) -> tuple[dict[str, str], list[int]]:
    """The callers' tokens, and the ids of some objects for the path ids to land on."""
    admin = factories.make_user("admin")
    trust = factories.make_user("trust", trust_code="helse-bergen")
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    municipality = factories.make_user("municipality", municipality_numbers=["4601"])
    gp = factories.make_gp()  # in Bergen (4601): one of the municipality user's GPs
    window = factories.make_window(gp)
    period = factories.make_period()
    other = factories.make_period("ahus", start=local_today() + timedelta(days=120))
    match = factories.make_proposal(period, gp)
    db.session.commit()
    users = {
        "admin": admin,
        "trust": trust,
        "coordinator": coordinator,
        "municipality": municipality,
        "gp": gp.user,
    }
    tokens = {role: Api.login(client, user.email).token for role, user in users.items()}
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


def callers(app) -> dict[str, tuple[str, ...]]:
    """Each operation ("METHOD /path", as schemathesis names it) and the roles that may call
    it: those of its auth_required (every signed-in role for auth_required()), or all of
    ROLES for a public one."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        roles = getattr(app.view_functions[rule.endpoint], "_api_roles", None)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[f"{method} {path}"] = ROLES if roles is None else roles or ROLES[:-1]
    return found


def per_operation(app, role: str) -> list[dict]:
    """The bounds of a role's run. The coverage phase sends every boundary and refusal the
    document implies (about a hundred requests an operation, the same whatever the caller):
    once per operation, as the first role that may call it (anonymous for a public one). An
    operation the role may not call answers 401 or 403 before it reads any input: one fuzzed
    example (ignored_auth sends every other role's requests without their token, too)."""
    bounds = []
    for label, roles in callers(app).items():
        home = "anonymous" if roles == ROLES else roles[0]
        config: dict = {"include-name": label}
        if role != home:
            config["phases"] = {"coverage": {"enabled": False}}
        if role not in roles:
            config["generation"] = {"max-examples": 1}
        if len(config) > 1:
            bounds.append(config)
    return bounds


# Self-registration is public: the GP it creates belongs to whoever registered, and a caller
# sees it only within their own scope (a municipality user: the GPs of their municipalities;
# outside it 404, as for any object the caller may not see). The stateful phase's check that
# a created resource can be read does not hold for it, by design.
SELF_REGISTRATION = "POST /api/v1/gps"


def refused_for_a_rule_in_words(context, failure: Failure, case, response) -> bool:
    """filter_failure: keep every failure but a 422 for one of RULES_IN_WORDS, and a GP
    registered by someone else found outside the caller's scope (SELF_REGISTRATION)."""
    if isinstance(failure, EnsureResourceAvailability):
        return failure.created_with != SELF_REGISTRATION
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    rules = RULES_IN_WORDS.get(f"{case.method} {case.operation.path}", {})
    fields = {name.partition("[")[0] for name in response.json()["error"]["fields"]}
    return not (fields and fields <= set(rules))


def authenticate(schema, client, role: str, tokens: dict[str, str]) -> None:
    """Every call as ``role``; revoking the token is tried with a fresh token each time, so
    that the run keeps its own."""
    if role == "anonymous":
        return
    email = Api(client, tokens[role]).get("/me").get_json()["email"]

    @schema.auth(refresh_interval=None).apply_to(method=REVOKE[0], path=REVOKE[1])
    class FreshToken:
        def get(self, case, context):
            return Api.login(client, email).token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    @schema.auth().skip_for(method=REVOKE[0], path=REVOKE[1])
    class RoleToken:
        def get(self, case, context):
            return tokens[role]

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def findings(schema) -> list[str]:
    """Run the engine; one line per distinct failure (operation, check, title)."""
    found: dict[tuple[str, str, str], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    failure = node.failure_info.failure
                    key = (event.recorder.label, node.name, failure.title)
                    interaction = event.recorder.interactions.get(case_id)
                    answer = interaction.response if interaction else None
                    found.setdefault(
                        key,
                        f"{event.phase.value} {key[0]} [{node.name}] {failure.title}\n"
                        f"{failure.message}\n{node.failure_info.code_sample}\n"
                        f"answer: {answer.status_code if answer else ''} "
                        f"{answer.content[:300].decode(errors='replace') if answer else ''}",
                    )
        elif isinstance(event, events.NonFatalError):
            found[("error", str(event.id), "")] = f"error in {event.label}: {event.value!r}"
        elif isinstance(event, events.FatalError):
            found[("error", str(event.id), "")] = f"fatal error: {event.exception!r}"
    return list(found.values())


@pytest.fixture
def wsgi_probes(monkeypatch):
    """schemathesis 4.32's WSGI transport hands ``requests``-only options (max_redirects,
    verify, cert, proxies) to werkzeug when a check's probe carries no session (ignored_auth
    does), and werkzeug refuses them: drop them there, as it does for a session's."""
    send = WSGI_TRANSPORT.send

    def without_socket_options(case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(case, session=session, **kwargs)

    monkeypatch.setattr(WSGI_TRANSPORT, "send", without_socket_options)


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_contract(app, ctx, client, wsgi_probes, role):
    tokens, ids = seed(client)
    config = SchemathesisConfig.from_dict(
        {
            "checks": {"enabled": True},
            "phases": {
                "examples": {"enabled": False},  # the document has no examples
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
            "generation": {"max-examples": EXAMPLES, "deterministic": True},
            "workers": 1,
            "operations": per_operation(app, role),
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    assert all(schema.config.checks.get_by_name(name=name).enabled for name in CHECKS_ALL)
    assert set(RULES_IN_WORDS) <= set(callers(app)), "a rule for no operation"
    for hook in known_ids(ids):
        schema.hook(hook)
    schema.hook("filter_failure")(refused_for_a_rule_in_words)
    authenticate(schema, client, role, tokens)
    found = findings(schema)
    assert not found, f"{len(found)} findings as {role}:\n\n" + "\n\n".join(found)


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
            if method == "parameters" or (method.upper(), path) == REVOKE:
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
