"""The readable API reference at /api/v1/docs."""

import re

from .a11y import problems


def test_the_reference_lists_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    html = response.get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method in ("get", "post", "patch", "put", "delete"):
            if method in item:
                assert f"<code>{method.upper()} {path}</code>" in html, (method, path)
                summary = item[method].get("summary")
                if summary:
                    assert summary.replace("'", "&#39;") in html, summary
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in html, name
    anchors = set(re.findall(r'id="([^"]+)"', html))
    for target in re.findall(r'href="#([^"]+)"', html):
        assert target in anchors, target  # every link on the page leads somewhere


def test_the_reference_shows_fields_auth_and_statuses(client):
    html = client.get("/api/v1/docs", headers={"Accept-Language": "en"}).get_data(as_text=True)
    section = html[html.index('id="op-post-api-v1-periods"') :]
    section = section[: section.index("</article>")]
    assert "bearer token" in section
    for text in ("department_id", "start_date", "parental_leave", "201", "403", "422"):
        assert text in section, text
    gps = html[html.index('id="op-post-api-v1-gps"') :]
    assert "public, no token" in gps[: gps.index("</article>")]


def test_the_reference_is_accessible_and_needs_no_script(client):
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert problems(html) == []
    assert "<script" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
