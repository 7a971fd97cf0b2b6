"""The main journey of every role in a real browser: each page it opens passes axe-core
(WCAG 2.1 A and AA) and does not scroll sideways, at 1,280 and at 390 pixels."""

from __future__ import annotations

import pytest

from app.demo import DEMO_PASSWORD, demo_email

from .pages import no_browser

if (reason := no_browser()) is not None:
    pytest.skip(reason, allow_module_level=True)


def test_anonymous_visitor(tab):
    tab.open("/")
    tab.follow_navigation()
    tab.follow_first("main a[href^='/trusts/']")
    tab.follow_first("main a[href^='/regions/']")
    tab.open("/regions/helse-vest")
    tab.follow_first("main table a[href^='/trusts/']")
    tab.open("/vacancies")
    tab.follow_first("main a[href^='/vacancies/']")
    for path in ("/statistics", "/statistics/helse-vest?months=24"):
        tab.open(path)
    for path in ("/login", "/password/forgot", "/api/v1/docs", "/register"):
        tab.open(path)
    tab.submit()  # an empty registration: the errors next to the fields
    assert tab.page.locator(".error-summary").is_visible()
    tab.open("/no-such-page", status=404)
    assert not tab.problems, tab.report()


def test_gp(tab):
    tab.log_in(demo_email("lege"), DEMO_PASSWORD)
    tab.follow_navigation()
    for path in ("/my/matches", "/availability", "/subscriptions", "/inbox", "/calendar"):
        tab.open(path)
    tab.open("/inbox")
    tab.follow_first("main table a[href^='/inbox/']")
    tab.open("/availability")
    tab.follow_first("main a[href$='/edit']")
    assert not tab.problems, tab.report()


def test_trust(tab):
    tab.log_in(demo_email("hr.bergen"), DEMO_PASSWORD)
    tab.follow_navigation()
    tab.open("/periods")
    tab.follow_first("main table a[href^='/periods/']")
    tab.open("/periods?status=advertised")
    tab.follow_first("main table a[href^='/periods/']")
    tab.follow_first("main a[href$='/advert']")
    tab.open("/periods/new")
    tab.open("/trusts/helse-bergen")
    tab.follow_first("main a[href^='/departments/']")
    assert not tab.problems, tab.report()


def test_trust_chooses_from_its_shortlist(tab):
    """Ahus's department chooses its candidate from the shortlist the demo's run left."""
    tab.log_in(demo_email("hr.ahus"), DEMO_PASSWORD)
    tab.open("/periods")
    tab.follow_first("main table a[href^='/periods/']")
    choices = tab.page.locator("main form[action$='/choose'] button")
    assert choices.count() >= 2, tab.page.url
    assert tab.page.locator("main table .tag", has_text="Motorens forslag").count() == 1
    tab.submit("main form[action$='/choose'] >> nth=1 >> button")
    assert tab.page.locator("main input[name='accept_by']").count() == 1  # ready for an offer
    assert not tab.problems, tab.report()


@pytest.mark.parametrize("who", ["koordinator.vest", "koordinator"])
def test_coordinator(tab, who):
    tab.log_in(demo_email(who), DEMO_PASSWORD)
    tab.follow_navigation()
    for path in ("/coordination/waiting", "/coordination/", "/coordination/runs"):
        tab.open(path)
    tab.follow_first("main table a[href^='/coordination/runs/']")
    groups = tab.links("main table a[href*='cause=']")  # groups of blocking pairs, if any
    if groups:
        tab.open(groups[0])
    tab.open("/coordination/?region=helse-vest")
    # the timeline's tables and the match actions in them, all open
    tab.page.evaluate("() => document.querySelectorAll('main details').forEach(d => d.open = true)")
    tab.check()
    tab.follow_first("main a[href^='/coordination/assign?period_id=']")  # who fits, and why not
    tab.page.evaluate("() => document.querySelectorAll('main details').forEach(d => d.open = true)")
    tab.check()
    tab.open("/coordination/waiting?region=helse-vest&page=2")
    tab.open("/coordination/waiting?region=helse-vest&specialty=x", status=422)
    tab.open("/coordination/audit")
    for path in ("/coordination/statistics", "/coordination/evaluation?months=6"):
        tab.open(path)
    tab.open("/coordination/policies")
    tab.follow_first("main a[href^='/coordination/policies/']")
    tab.open("/gps")
    tab.follow_first("main table a[href^='/gps/']")
    tab.open("/periods")
    tab.follow_first("main table a[href^='/periods/']")
    assert not tab.problems, tab.report()


def test_municipality(tab):
    tab.log_in(demo_email("kommune.voss"), DEMO_PASSWORD)
    tab.follow_navigation()
    tab.open("/dashboard")
    tab.follow_first("main table a[href^='/gps/']")
    tab.open("/gps")
    assert not tab.problems, tab.report()


def test_admin(tab):
    tab.log_in(demo_email("admin"), DEMO_PASSWORD)
    tab.follow_navigation()
    tab.open("/admin/users")
    tab.open("/admin/users?role=gp")
    tab.open("/admin/outbox")
    tab.follow_first("main a[href='/admin/caught-mail']")
    tab.follow_first("main table a[href^='/admin/caught-mail/']")
    assert tab.page.locator("iframe.email-frame").is_visible()
    assert not tab.problems, tab.report()


def test_the_checks_find_what_they_look_for(tab):
    """A page with an unlabelled field, an image without a text and a table wider than the
    phone: every check reports it."""
    tab.open("/")
    tab.page.evaluate(
        """() => {
          const main = document.querySelector("main");
          main.insertAdjacentHTML("beforeend", '<input id="x"><img src="/static/none.png">');
          const wide = main.appendChild(document.createElement("div"));
          wide.textContent = "A line as wide as a desktop window";  // an empty box takes no room
          wide.style.width = "900px";  // the CSP refuses a style attribute, not the CSSOM
        }"""
    )
    tab.problems = []
    tab.check()
    found = "\n".join(tab.problems)
    assert "at 390px: axe label (critical)" in found, found
    assert "at 1280px: axe image-alt (critical)" in found, found
    assert "at 390px: scrolls sideways, " in found, found
    assert "at 1280px: scrolls sideways" not in found, found
