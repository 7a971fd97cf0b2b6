"""Languages: Norwegian bokmål by default, nynorsk and English on request; and how dates,
times and numbers are written in each (the one place: every page, email and message)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_decimal, get_locale
from flask_login import current_user

from .extensions import babel

# Browsers send "no" (or "nb-NO", "nn-NO", "no-NO") for Norwegian; Babel alone would not map
# plain "no" to bokmål, and would fall back to English.
ALIASES = {"no": "nb", "nb": "nb", "nn": "nn", "en": "en"}
LANGUAGE_NAMES = {"nb": "Norsk (bokmål)", "nn": "Norsk (nynorsk)", "en": "English"}


# How dates and times are written, per language, for Flask-Babel's format names: every
# format_date/format_datetime/format_time call (pages, the templates' filters, emails and
# notifications) reads this table. Babel's own "en" is American ("2/1/27", "2:05 PM"), which
# Norwegian readers of the English pages misread; so English writes "1 Feb 2027, 14:05".
_NORWEGIAN = {
    "date.short": "dd.MM.y",
    "date.medium": "d. MMM y",
    "date.long": "d. MMMM y",
    "date.full": "EEEE d. MMMM y",
    "datetime.short": "dd.MM.y, HH:mm",
    "datetime.medium": "d. MMM y, HH:mm",
    "datetime.long": "d. MMMM y 'kl.' HH:mm",
    "datetime.full": "EEEE d. MMMM y 'kl.' HH:mm",
    "time.short": "HH:mm",
    "time.medium": "HH:mm:ss",
}
DATE_PATTERNS: dict[str, dict[str, str]] = {
    "nb": _NORWEGIAN,
    "nn": _NORWEGIAN,
    "en": {
        "date.short": "d MMM y",
        "date.medium": "d MMM y",
        "date.long": "d MMMM y",
        "date.full": "EEEE d MMMM y",
        "datetime.short": "d MMM y, HH:mm",
        "datetime.medium": "d MMM y, HH:mm",
        "datetime.long": "d MMMM y 'at' HH:mm",
        "datetime.full": "EEEE d MMMM y 'at' HH:mm",
        "time.short": "HH:mm",
        "time.medium": "HH:mm:ss",
    },
}


class LocaleDateFormats(Mapping[str, str | None]):
    """Flask-Babel's ``date_formats`` for the language being rendered: "date", "datetime"
    and "time" default to "medium"; "date.long" etc. are DATE_PATTERNS' pattern for the
    current locale (None: Babel's own for a language the table does not have)."""

    KINDS = ("date", "datetime", "time")
    STYLES = ("short", "medium", "long", "full")

    def __getitem__(self, key: str) -> str | None:
        if key in self.KINDS:
            return "medium"
        kind, _, style = key.partition(".")
        if kind not in self.KINDS or style not in self.STYLES:
            raise KeyError(key)
        locale = get_locale()
        language = locale.language if locale is not None else "nb"
        return DATE_PATTERNS.get(language, {}).get(key)

    def __iter__(self) -> Iterator[str]:
        yield from self.KINDS
        for kind in self.KINDS:
            for style in self.STYLES:
                yield f"{kind}.{style}"

    def __len__(self) -> int:
        return len(self.KINDS) * (1 + len(self.STYLES))


def format_number(value: float | int | Decimal, decimals: int = 0) -> str:
    """``value`` in the current language: "12 345", "0,0349" in Norwegian; "12,345",
    "0.0349" in English. ``decimals``: exactly this many digits after the separator."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, pattern)


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
    babel.date_formats = LocaleDateFormats()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["number"] = format_number

    @app.context_processor
    def inject_languages():
        return {"language_names": LANGUAGE_NAMES, "current_locale": current_locale()}
