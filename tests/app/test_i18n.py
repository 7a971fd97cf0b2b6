"""Norwegian first: every message is translated to bokmål and nynorsk, the compiled
catalogues match their sources, and the language is chosen as users expect."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from dev import BABEL_KEYWORDS

from . import factories
from .conftest import Browser

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "app" / "translations"


def catalogue(locale: str):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the code and templates right now."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            *(arg for keyword in BABEL_KEYWORDS for arg in ("-k", keyword)),
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


@pytest.mark.parametrize("locale", ["nb", "nn"])
def test_every_message_is_translated(extracted, locale):
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue(locale)
        if m.id and (m.string if isinstance(m.string, str) else all(m.string)) and not m.fuzzy
    }
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated in {locale} (run python3 dev.py translations): {missing}"


@pytest.mark.parametrize("locale", ["nb", "nn", "en"])
def test_compiled_catalogue_matches_its_source(locale):
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    po = {
        key(m.id): key(m.string)
        for m in catalogue(locale)
        if m.id
        and (m.string if isinstance(m.string, str) else any(m.string))
        and not m.fuzzy
        and key(m.string) != key(m.id)
    }
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = {
            key(m.id): key(m.string)
            for m in read_mo(f)
            # babel writes untranslated plural forms as the English ones
            if m.id
            and (m.string if isinstance(m.string, str) else any(m.string))
            and key(m.string) != key(m.id)
        }
    assert mo == po, "run: python3 dev.py translations"


@pytest.mark.parametrize(
    "accept, lang, word",
    [
        (None, "nb", "Logg inn"),
        ("no", "nb", "Logg inn"),
        ("nb-NO,nb;q=0.9", "nb", "Logg inn"),
        ("no-NO", "nb", "Logg inn"),
        ("nn-NO", "nn", "Logg inn"),
        ("en-GB,en;q=0.8", "en", "Log in"),
        ("de-DE", "nb", "Logg inn"),
    ],
)
def test_language_from_the_browser(client, accept, lang, word):
    headers = {"Accept-Language": accept} if accept else {}
    page = client.get("/login", headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{word}</h1>" in page


def test_nynorsk_is_not_bokmal(client):
    page = client.get("/", headers={"Accept-Language": "nn"}).get_data(as_text=True)
    assert '<html lang="nn">' in page
    assert "sjukehus" in page.lower() or "teneste" in page.lower()


def test_choosing_a_language_is_remembered(ctx, client):
    user = factories.make_user("admin")
    browser = Browser(client)
    browser.submit("/language", {"lang-locale": "en", "next": "/trusts"}, page="/")
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    browser.login(user.email)
    assert '<html lang="en">' in client.get("/dashboard").get_data(as_text=True)
    browser.submit("/language", {"lang-locale": "nn"}, page="/dashboard")
    assert user.locale == "nn"


def test_form_errors_are_translated(client):
    browser = Browser(client)
    response = browser.submit("/register", {"email": "", "hpr_number": "1"}, headers={})
    page = response.get_data(as_text=True)
    assert "Dette feltet må fylles ut." in page
    assert "This field is required." not in page
