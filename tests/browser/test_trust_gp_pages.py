"""The trust's and the GP's pages in a real browser: the header's Menu button below 700
pixels (no JavaScript needed), the GP's question before declining, the folded subscription
lists, the trust's to-do rows, and the advert's copy button that only JavaScript shows."""

from __future__ import annotations

import pytest

from app.demo import DEMO_PASSWORD, demo_email

from .pages import no_browser

if (reason := no_browser()) is not None:
    pytest.skip(reason, allow_module_level=True)


def test_the_menu_folds_below_700_pixels_without_javascript(chromium, live_app):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(live_app + "/")
        button = page.locator("header summary.menu-button")
        first_link = page.locator("header nav a").first
        assert button.is_visible() and not first_link.is_visible()
        button.click()
        assert first_link.is_visible() and page.locator("header .header-tools").is_visible()
        button.click()
        assert not first_link.is_visible()
        page.set_viewport_size({"width": 1280, "height": 800})
        assert not button.is_visible() and first_link.is_visible()
    finally:
        context.close()


def test_gp_pages(tab):
    tab.log_in(demo_email("lege"), DEMO_PASSWORD)
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.page.click("header summary.menu-button")
    assert tab.page.locator("header nav a[href='/my/matches']").is_visible()
    tab.open("/my/matches")
    tab.follow_first("main a[href$='/decline']")  # the question, with its optional reason
    assert tab.page.locator("main textarea[name=reason]").is_visible()
    tab.open("/subscriptions")
    lists = tab.page.locator("main details.choices")
    assert lists.count() == 5 and not tab.page.locator("main details.choices[open]").count()
    lists.first.locator("summary").click()
    tab.check()  # with a list open
    assert not tab.problems, tab.report()


def test_trust_pages(tab):
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab.log_in(demo_email("hr.bergen"), DEMO_PASSWORD)
    todo = tab.links("main .todo tbody a")
    assert todo, "the demo trust has something to do"
    tab.open(todo[0])
    tab.open("/periods?status=advertised")
    tab.follow_first("main table a[href^='/periods/']")
    tab.follow_first("main a[href$='/advert']")
    button = tab.page.locator("main button[data-copy]")
    assert button.is_visible()
    button.click()
    status = tab.page.locator("#advert-copy-status")
    status.filter(has_text="kopiert").wait_for()
    copied = tab.page.evaluate("() => navigator.clipboard.readText()")
    assert copied == tab.page.locator("#advert-text").input_value()
    assert not tab.problems, tab.report()
