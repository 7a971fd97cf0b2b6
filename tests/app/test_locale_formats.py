"""Dates and numbers in the reader's language (one table, app/i18n.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from app.extensions import db

from . import factories

DAY = date(2027, 2, 1)
MOMENT = datetime(2027, 2, 1, 13, 5, tzinfo=UTC)  # 14:05 in Oslo

EXPECTED = {
    # locale: (short, medium, long, datetime short, lottery number, a large count)
    "nb": ("01.02.2027", "1. feb. 2027", "1. februar 2027", "01.02.2027, 14:05", "0,0349"),
    "nn": ("01.02.2027", "1. feb. 2027", "1. februar 2027", "01.02.2027, 14:05", "0,0349"),
    "en": ("1 Feb 2027", "1 Feb 2027", "1 February 2027", "1 Feb 2027, 14:05", "0.0349"),
}


@pytest.mark.parametrize("locale", ["nb", "nn", "en"])
def test_dates_times_and_numbers_per_language(ctx, locale):
    template = (
        "{{ day|format_date('short') }}|{{ day|format_date }}|{{ day|format_date('long') }}"
        "|{{ moment|format_datetime('short') }}|{{ 0.03491|number(4) }}|{{ 12345|number }}"
    )
    with force_locale(locale):
        rendered = render_template_string(template, day=DAY, moment=MOMENT).split("|")
    *formats, count = rendered
    assert tuple(formats) == EXPECTED[locale]
    # a thousands separator of the language (a no-break space in Norwegian)
    assert count == ("12,345" if locale == "en" else "12\xa0345")


@pytest.mark.parametrize(
    ("locale", "written"), [("nb", "1. februar 2027"), ("en", "1 February 2027")]
)
def test_pages_write_dates_in_the_viewers_language(ctx, browser, locale, written):
    gp = factories.make_gp()
    factories.make_window(gp, start=DAY)
    gp.user.locale = locale
    db.session.commit()
    browser.login(gp.user.email)
    html = browser.get("/availability").get_data(as_text=True)
    assert written in html
    assert "February 1, 2027" not in html and "2/1/27" not in html
