"""Every period page, with the demo data, for each staff role, passes the static checks."""

import pytest
import sqlalchemy as sa

from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from app.models import Period, Trust

from . import factories
from .a11y import problems
from .conftest import Browser


@pytest.fixture
def demo(ctx):
    load_demo()
    db.session.commit()


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_period_pages_pass_the_static_checks(demo, client, locale):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    bergen = db.session.scalars(
        sa.select(Period).join(Period.department).join(Trust).where(Trust.code == "helse-bergen")
    ).all()
    bergen.sort(key=lambda p: p.start_date, reverse=True)
    factories.force_status(
        bergen[0], "advertised"
    )  # as the nightly run does after the fallback date
    db.session.commit()
    pages = {
        "hr.bergen@demo.alis.no": [
            "/periods",
            "/periods?status=open",
            "/periods/new",
            *(f"/periods/{p.id}" for p in bergen),
            *(f"/periods/{p.id}/edit" for p in bergen if p.status == "open"),
            *(f"/periods/{p.id}/advert" for p in bergen if p.status == "advertised"),
        ],
        "koordinator.vest@demo.alis.no": ["/periods", "/periods/new", f"/periods/{bergen[0].id}"],
        "koordinator@demo.alis.no": ["/periods"],
        "admin@demo.alis.no": ["/periods"],
        None: ["/vacancies", f"/vacancies/{bergen[0].id}"],
    }
    browser = Browser(client)
    for who, paths in pages.items():
        if who:
            assert browser.login(who, DEMO_PASSWORD).status_code == 302
            browser.submit("/language", {"lang-locale": locale}, page="/")
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (who, path)
            assert problems(response.get_data(as_text=True)) == [], (who, path)
        if who:
            browser.logout()
