"""Languages: Norwegian bokmål by default, nynorsk and English on request."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from .extensions import babel

# Browsers send "no" (or "nb-NO", "nn-NO", "no-NO") for Norwegian; Babel alone would not map
# plain "no" to bokmål, and would fall back to English.
ALIASES = {"no": "nb", "nb": "nb", "nn": "nn", "en": "en"}
LANGUAGE_NAMES = {"nb": "Norsk (bokmål)", "nn": "Norsk (nynorsk)", "en": "English"}


def _from_accept_language() -> str | None:
    for value, _quality in request.accept_languages:
        primary = value.lower().replace("_", "-").split("-")[0]
        if primary in ALIASES:
            return ALIASES[primary]
    return None


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command or a job: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in supported:
        return chosen
    # A page about someone who is not logged in (a link from their email) speaks their language.
    if g.get("recipient_locale") in supported:
        return g.recipient_locale
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return _from_accept_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def current_locale() -> str:
    """The request's language code, or bokmål outside a request (CLI, jobs)."""
    if has_request_context():
        return str(get_locale())
    return "nb"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def inject_languages():
        return {"language_names": LANGUAGE_NAMES, "current_locale": current_locale()}
