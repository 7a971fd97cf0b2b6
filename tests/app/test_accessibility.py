"""Every page, for every role that can see it, passes the static accessibility checks."""

import pytest

from app.demo import DEMO_PASSWORD, load_demo

from .a11y import problems
from .conftest import Browser

PAGES = {
    None: [
        "/",
        "/login",
        "/register",
        "/password/forgot",
        "/password/reset",
        "/trusts",
        "/trusts/helse-bergen",
        "/trusts/ahus",
        "/regions/helse-vest",
        "/regions/helse-sor-ost",
        "/no-such-page",
    ],
    "lege@demo.alis.no": ["/dashboard", "/profile", "/account", "/gps/1", "/my/why-not"],
    "hr.bergen@demo.alis.no": ["/dashboard", "/account", "/trusts/helse-bergen", "/placements"],
    "koordinator.vest@demo.alis.no": ["/dashboard", "/gps", "/gps/1", "/coordination/runs"],
    "admin@demo.alis.no": [
        "/dashboard",
        "/admin/users",
        "/admin/users?role=gp",
        "/admin/users?role=municipality",
    ],
    "kommune.voss@demo.alis.no": ["/dashboard", "/gps", "/account"],
}


@pytest.fixture
def demo(ctx):
    load_demo()
    from app.extensions import db

    db.session.commit()


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_pages_pass_the_static_checks(demo, client, locale):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    browser = Browser(client)
    seen = 0
    for who, paths in PAGES.items():
        if who:
            assert browser.login(who, DEMO_PASSWORD).status_code == 302
        for path in paths:
            response = client.get(path)
            assert response.status_code in (200, 404), path
            assert problems(response.get_data(as_text=True)) == [], (who, path)
            seen += 1
        if who:
            browser.logout()
    assert seen == sum(len(p) for p in PAGES.values())


def test_forms_with_errors_stay_accessible(client):
    response = Browser(client).submit("/register", {"email": "x"})
    page = response.get_data(as_text=True)
    assert problems(page) == []
    assert 'role="alert"' in page


def test_the_checker_finds_problems():
    assert "unlabelled <input name='x'>" in problems('<html><input name="x"></html>')
    assert any("lang" in p for p in problems("<html><main></main></html>"))
