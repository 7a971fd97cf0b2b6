"""The advert for ordinary advertising: Norwegian bokmål, whatever the interface language."""

from datetime import timedelta

from babel.dates import format_date

from app.dates import local_today
from app.extensions import db
from app.periods.advert import advert_text

from . import factories
from .a11y import problems
from .conftest import Browser


def _advertised(trust_code="helse-bergen"):
    period = factories.make_period(trust_code, start=local_today() + timedelta(days=60))
    factories.force_status(period, "advertised")
    period.on_call = True
    period.contact_name = "Ola Leder"
    period.contact_email = "ola.leder@example.no"
    period.description = "Allmennpsykiatrisk poliklinikk med tett veiledning."
    db.session.commit()
    return period


def test_advert_text_is_norwegian_with_department_and_dates(ctx):
    period = _advertised()
    text = advert_text(period)
    department = period.department
    assert text.startswith(
        "Lege i spesialisering i allmennmedisin (ALIS) – vikariat " + department.name
    )
    assert format_date(period.start_date, "d. MMMM y", locale="nb") in text
    assert format_date(period.end_date, "d. MMMM y", locale="nb") in text
    assert department.trust.name in text and department.site.name in text
    assert "måneder" in text and "vaktordning" in text
    assert "ALM-055" in text and "ALM-085" in text
    assert "Kontaktperson: Ola Leder, ola.leder@example.no" in text
    assert f"/vacancies/{period.id}" in text
    assert "Allmennpsykiatrisk poliklinikk" in text


def test_advert_page_is_bokmal_in_an_english_interface(ctx, client):
    period = _advertised()
    user = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    browser.login(user.email)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    response = client.get(f"/periods/{period.id}/advert")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in page
    assert "<textarea" in page and "readonly" in page and 'for="advert-text"' in page
    assert "Lege i spesialisering i allmennmedisin" in page and "Periode:" in page
    assert f"http://localhost/vacancies/{period.id}" in page
    assert problems(page) == []
    detail = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert f"/periods/{period.id}/advert" in detail and problems(detail) == []


def test_no_advert_before_the_fallback(ctx, client):
    period = factories.make_period("helse-bergen")
    user = factories.make_user("trust", trust_code="helse-bergen")
    Browser(client).login(user.email)
    response = client.get(f"/periods/{period.id}/advert")
    assert response.status_code == 302 and response.location.endswith(f"/periods/{period.id}")
