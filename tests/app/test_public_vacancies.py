"""Public vacancy pages: the advertised periods that have not started, open to anyone."""

from datetime import timedelta

from app.dates import local_today
from app.extensions import db

from . import factories
from .a11y import problems


def _period(status, days=60, trust_code="helse-bergen"):
    period = factories.make_period(trust_code, start=local_today() + timedelta(days=days))
    factories.force_status(period, status)
    db.session.commit()
    return period


def test_only_advertised_future_periods_are_listed(ctx, client):
    shown = _period("advertised")
    elsewhere = _period("advertised", days=120, trust_code="ahus")
    hidden = [_period("open"), _period("withdrawn"), _period("matched")]
    started = factories.make_period("helse-bergen", start=local_today() + timedelta(days=60))
    started.start_date = local_today() - timedelta(days=1)
    factories.force_status(started, "advertised")
    response = client.get("/vacancies")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert problems(page) == []
    assert f'href="/vacancies/{shown.id}"' in page and f'href="/vacancies/{elsewhere.id}"' in page
    for period in [*hidden, started]:
        assert f"/vacancies/{period.id}" not in page
    assert page.index(f"/vacancies/{shown.id}") < page.index(f"/vacancies/{elsewhere.id}")


def test_vacancy_page_and_404_for_anything_else(ctx, client):
    period = _period("advertised")
    period.contact_email = "alis@helse-bergen.no"
    db.session.commit()
    response = client.get(f"/vacancies/{period.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert problems(page) == []
    assert period.department.name in page and "alis@helse-bergen.no" in page
    for other in (_period("open"), _period("filled"), _period("withdrawn")):
        assert client.get(f"/vacancies/{other.id}").status_code == 404
    assert client.get("/vacancies/999999").status_code == 404


def test_empty_list(ctx, client):
    page = client.get("/vacancies").get_data(as_text=True)
    assert problems(page) == [] and "<table" not in page
