"""No input gives a 500: every form a role can reach, every <int:> route and every API
operation, fed long strings, lone surrogates, control characters, huge ids, extreme dates,
wrong types and tampered choices. Pages answer 4xx or a form with messages; the API answers
the documented error format. Runs on SQLite and PostgreSQL like the rest of tests/app."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db

from .apiutil import Api
from .conftest import Browser

# What a careless user or an attacker types into a field.
FORM_VALUES = [
    "a" * 5000,
    "x\x00y\r\nz\x1b",
    "9999-12-31",
    "0001-01-01",
    "99999999999999999999999",
    "-2147483649",
    "e\u0301\u2028<script>",
    "",
]
# ... and into a JSON body (raw JSON text, so that a lone surrogate can be sent).
JSON_VALUES = [
    '"' + "a" * 5000 + '"',
    '"a\\ud800"',
    '"x\\u0000y"',
    '"line\\r\\nbreak"',
    '"9999-12-31"',
    '"0001-01-01"',
    "99999999999999999999999",
    "-1",
    "2147483648",
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    '["a\\ud800"]',
]
ROLES = {
    None: "/",
    "lege@demo.alis.no": "/dashboard",
    "hr.bergen@demo.alis.no": "/dashboard",
    "koordinator.vest@demo.alis.no": "/dashboard",
    "admin@demo.alis.no": "/dashboard",
    "kommune.voss@demo.alis.no": "/dashboard",
}
SKIP_ACTIONS = ("/logout", "/language")  # they end the crawl's own session or locale
CRAWL_LIMIT = 60


class _Forms(HTMLParser):
    """Links and POST forms (action, field names, the values of each select) of a page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}, "choices": {}}
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            name = a["name"]
            self._form["fields"].setdefault(name, a.get("value") or "")
            if tag == "select":
                self._select = name
                self._form["choices"][name] = []
        elif tag == "option" and self._form is not None and self._select:
            self._form["choices"][self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None


def _crawl(client, start: str) -> dict[str, dict]:
    """POST forms reachable from ``start`` by links, by action and field names."""
    seen, queue, forms = set(), [start], {}
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, path
        if "text/html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = urljoin(path, form["action"]) if form["action"] else path
            if action.startswith(SKIP_ACTIONS):
                continue
            forms.setdefault((action, tuple(sorted(form["fields"]))), {**form, "page": path})
        for link in parser.links:
            parts = urlsplit(urljoin(path, link))
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and not target.startswith(("/logout", "/calendar/")):
                queue.append(target)
    return {f"{a} {k}": f for (a, k), f in forms.items()}


@pytest.fixture
def demo(ctx):
    load_demo()
    db.session.commit()


def test_no_form_input_gives_a_500(demo, client):
    browser = Browser(client)
    tried = 0
    for who, start in ROLES.items():
        if who:
            assert browser.login(who, DEMO_PASSWORD).status_code == 302
        for _key, form in _crawl(client, start).items():
            fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
            for value in FORM_VALUES:
                for name in fields:  # one field at a time, the others as the page had them
                    data = {**fields, name: value}
                    response = browser.submit(form["action"], data, page=form["page"])
                    assert response.status_code < 500, (who, form["action"], name, value[:40])
                    tried += 1
            # a tampered choice in every select at once
            tampered = {name: "999999" for name in form["choices"]} or {}
            if tampered:
                response = browser.submit(form["action"], {**fields, **tampered}, page=form["page"])
                assert response.status_code < 500, (who, form["action"], "tampered")
        if who:
            browser.logout()
    assert tried > 300  # the crawl found the forms


def test_no_id_in_a_url_gives_a_500(demo, client, app):
    Browser(client).login("admin@demo.alis.no", DEMO_PASSWORD)
    for rule in app.url_map.iter_rules():
        if "int" not in str(rule) or "GET" not in rule.methods:
            continue
        for number in ("2147483648", "99999999999999999999", "0"):
            path = re.sub(r"<int:[^>]+>", number, rule.rule)
            path = re.sub(r"<[^>]+>", "x", path)
            response = client.get(path)
            assert response.status_code < 500, path
            assert response.status_code in (302, 400, 401, 403, 404, 405), path
    for path in ("/coordination/runs", "/coordination/audit", "/inbox", "/periods", "/gps"):
        for page in ("99999999999999999999", "-5", "abc", "1e9"):
            assert client.get(f"{path}?page={page}").status_code < 500, (path, page)


def _operations(app) -> list[tuple[str, str, dict]]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    out = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "delete", "put"):
                continue
            body = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            if "$ref" in body:
                body = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            out.append((method, path, body.get("properties", {})))
    return out


def _error_format(response) -> bool:
    data = response.get_json(silent=True) or {}
    error = data.get("error") or {}
    return isinstance(error.get("code"), str) and isinstance(error.get("fields"), dict)


@pytest.mark.parametrize("who", [None, "lege@demo.alis.no", "koordinator.vest@demo.alis.no"])
def test_no_api_input_gives_a_500(demo, client, app, who):
    api = Api.login(client, who, DEMO_PASSWORD) if who else Api(client)
    headers = {"Authorization": f"Bearer {api.token}"} if who else {}
    tried = 0
    for method, template, properties in _operations(app):
        for number in ("1", "2147483648"):
            path = re.sub(r"\{[^}]+\}", number, template)
            if method in ("get", "delete"):
                response = client.open(path, method=method.upper(), headers=headers)
                assert response.status_code < 500, (method, path)
                if response.status_code >= 400:
                    assert _error_format(response), (method, path, response.get_data()[:200])
                tried += 1
                continue
            for name in properties or {"x": {}}:
                for value in JSON_VALUES:
                    body = "{" + json.dumps(name) + ": " + value + "}"
                    response = client.open(
                        path,
                        method=method.upper(),
                        data=body.encode("utf-8"),
                        headers={**headers, "Content-Type": "application/json"},
                    )
                    assert response.status_code < 500, (method, path, name, value[:40])
                    if response.status_code >= 400:
                        assert _error_format(response), (method, path, name, value[:40])
                    tried += 1
    # every operation's query arguments too
    for path in ("/api/v1/periods", "/api/v1/matches", "/api/v1/audit", "/api/v1/trusts"):
        for query in ("limit=99999999999999", "offset=-1", "status=%00", "object=period:9e99"):
            response = client.get(f"{path}?{query}", headers=headers)
            assert response.status_code < 500, (path, query)
    assert tried > 500


def test_the_fuzz_values_are_what_they_claim():
    """The payloads really hold what the tests are about."""
    assert any("\x00" in v for v in FORM_VALUES) and any(len(v) > 4000 for v in FORM_VALUES)
    assert json.loads(JSON_VALUES[1]) == "a\ud800"
