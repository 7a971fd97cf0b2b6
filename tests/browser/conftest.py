"""The real app with the demo data, served over HTTP in a background thread, and Debian's
Chromium driven by Playwright (never a browser Playwright downloads).

Without Chromium (or Playwright) the test modules skip with one message (pages.no_browser);
a Chromium that does not start skips each test with one message. axe-core missing is a
failure that says to run `npm ci` (dev.py does it).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app

from .pages import CHROMIUM, CheckedTab

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# argon2id still, with cheap parameters, as in tests/app (the demo hashes one password).
CONFIG = {
    "ENV_NAME": "testing",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
}


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (the app's request log has them)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the session; skips every browser test when it does not start."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        except Error as error:
            first_line = str(error).strip().splitlines()[0]
            pytest.skip(f"browser tests: Chromium at {CHROMIUM} does not start: {first_line}")
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` in {ROOT} (dev.py test does)"
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The base URL of the app on a free port: a SQLite file with the reference and demo
    data loaded by the same commands as `python3 dev.py run`."""
    folder = tmp_path_factory.mktemp("browser")
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'alis.db'}"})
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["reference", "load"], ["demo", "load"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output, result.exception)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def tab(chromium, live_app, axe_source):
    """A fresh browser context (no cookies) with one tab; Chromium comes first, so that one
    that does not start skips before the demo data is loaded."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield CheckedTab(context.new_page(), live_app, axe_source)
    finally:
        context.close()
