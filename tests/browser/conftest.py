"""The real app with the demo data, served over HTTP in a background thread, and Debian's
Chromium driven by Playwright (never a browser Playwright downloads).

Without Chromium (or Playwright) the test modules skip with one message (pages.no_browser);
a Chromium that does not start skips each test with one message. axe-core missing is a
failure that says to run `npm ci` (dev.py does it).
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

import dev
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


def whole_bodies(app):
    """Read each response body whole and close it before werkzeug writes it.

    Werkzeug closes the body (a static file's open handle) after draining the socket; when
    Chromium drops a connection it no longer needs (a favicon), the drain raises and the file is
    left to the garbage collector, whose ResourceWarning the suite turns into an error in
    whatever test runs then. The app streams nothing, so a whole body changes no response."""

    def application(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return application


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The base URL of the app on a free port: a SQLite file with the reference and demo
    data loaded by the same commands as `python3 dev.py run`, and the demo's emails sent to
    dev.py's mail catcher, as there (the administrator reads them)."""
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    app = create_app(
        {
            **CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'alis.db'}",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "CAUGHT_MAIL_DIR": str(folder / "caught-mail"),
        }
    )
    runner = app.test_cli_runner()
    catcher = dev.start_mail_catcher(port, folder / "caught-mail")
    try:
        for command in (
            ["db", "upgrade"],
            ["reference", "load"],
            ["demo", "load"],
            ["notifications", "send"],
        ):
            result = runner.invoke(args=command)
            assert result.exit_code == 0, (command, result.output, result.exception)
    finally:
        catcher.stop()
    server = make_server(
        "127.0.0.1", 0, whole_bodies(app), threaded=True, request_handler=QuietHandler
    )
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
