"""The hand-off to HR in a real browser: the filled period's HR page with its copy button,
and the trust's webhook settings (an address refused next to its field, then the secret
shown once), each checked with axe-core at both widths."""

from __future__ import annotations

import pytest

from app.demo import DEMO_PASSWORD, demo_email

from .pages import no_browser

if (reason := no_browser()) is not None:
    pytest.skip(reason, allow_module_level=True)


def test_handoff_and_webhook_pages(tab):
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab.log_in(demo_email("admin"), DEMO_PASSWORD)
    tab.open("/periods?status=filled")
    tab.follow_first("main table a[href^='/periods/']")
    tab.follow_first("main a[href$='/hr']")
    tab.page.locator("main button[data-copy]").click()
    tab.page.locator("#handoff-copy-status").filter(has_text="kopiert").wait_for()
    copied = tab.page.evaluate("() => navigator.clipboard.readText()")
    assert "HPR-nummer:" in copied

    tab.open("/trusts/helse-bergen/webhook")
    tab.page.fill("#url", "http://hr.example.no/alis")
    tab.submit()
    assert tab.page.locator("#url-error").is_visible()
    tab.page.fill("#url", "http://127.0.0.1:9/alis")
    tab.submit()
    assert tab.page.locator("#new-secret").input_value().startswith("whsec_")
    assert not tab.problems, tab.report()
