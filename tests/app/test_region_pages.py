"""The public pages of a region and a trust: the rules and how matching works there, the
trusts, and the periods open now (paginated, queried for that region or trust alone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import main
from app.dates import local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.models import Department, Trust
from app.periods.services import PeriodInput

from . import factories
from .a11y import problems
from .statements import recorded


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert problems(html) == [], problems(html)
    return html


def test_a_region_page_says_how_matching_works_and_lists_its_open_periods(ctx, client):
    open_period = factories.make_period("helse-bergen")
    advertised = factories.make_period("helse-stavanger")
    factories.force_status(advertised, "advertised")
    withdrawn = factories.make_period("helse-bergen", start=local_today() + timedelta(days=120))
    factories.force_status(withdrawn, "withdrawn")
    factories.make_period("ahus", start=local_today() + timedelta(days=150))  # another region
    started = factories.make_period("helse-fonna")
    started.start_date = local_today() - timedelta(days=5)  # began: no longer on offer
    db.session.commit()

    html = page(client, "/regions/helse-vest")
    assert "Slik fungerer matchingen her" in html
    assert "36 måneder" in html  # Helse Vest: three years of general practice first
    assert 'href="/trusts/helse-bergen"' in html
    listed = html.split('id="periods-title"')[1]
    assert "<caption" in listed and "2 perioder" in listed  # the open and the advertised one
    assert open_period.department.name in listed
    assert f'href="/vacancies/{advertised.id}"' in listed  # advertised: its public page
    assert 'href="/trusts/helse-fonna"' not in listed and 'href="/trusts/ahus"' not in listed
    assert "(1 periode åpen)" in html  # beside Helse Bergen and Helse Stavanger in the list


def test_a_trust_page_lists_the_trusts_open_periods_only(ctx, client):
    own = factories.make_period("helse-bergen")
    other = factories.make_period("helse-stavanger")
    html = page(client, "/trusts/helse-bergen")
    listed = html.split('id="periods-title"')[1].split("</section>")[0]
    assert "1 periode<" in listed  # the caption
    assert own.department.site.name in listed
    assert other.department.site.name not in listed


def test_periods_come_a_page_at_a_time(ctx, client, monkeypatch):
    monkeypatch.setattr(main.routes, "PERIODS_PER_PAGE", 2)
    for days in (60, 90, 120):
        factories.make_period("helse-bergen", start=local_today() + timedelta(days=days))
    first = page(client, "/trusts/helse-bergen")
    assert "3 perioder, 1–2 vises" in first
    assert 'href="/trusts/helse-bergen?page=2#periods-title"' in first
    second = page(client, "/trusts/helse-bergen?page=2")
    assert "3 perioder, 3–3 vises" in second
    assert "?page=1#periods-title" in second
    assert page(client, "/trusts/helse-bergen?page=99999999999")  # clamped, no error


@pytest.mark.parametrize("url", ["/regions/nowhere", "/trusts/nowhere"])
def test_unknown_regions_and_trusts_are_not_found(client, url):
    assert client.get(url).status_code == 404


def _publish_in(trust_code: str, count: int) -> None:
    """``count`` periods, each in another department of the trust (other sites, specialties)."""
    departments = db.session.scalars(
        sa.select(Department).join(Trust).where(Trust.code == trust_code).order_by(Department.id)
    ).all()
    for n, department in enumerate(departments[:count]):
        start = local_today() + timedelta(days=40 + n)
        publish_period(
            PeriodInput(
                department_id=department.id,
                start_date=start,
                end_date=start + timedelta(days=190),
                source="parental_leave",
                description="",
            ),
            actor=None,
        )
    db.session.commit()


def _statements(client, url: str) -> list[str]:
    """The SQL statements one page view runs."""
    with recorded() as statements:
        page(client, url)
    return statements


def test_the_region_page_asks_the_database_a_fixed_number_of_questions(ctx, client):
    """More periods in more departments and trusts: the same statements (the list is one
    page, loaded with what each row shows)."""
    counts = []
    for trust_code in ("helse-bergen", "helse-stavanger"):
        _publish_in(trust_code, 4)
        db.session.expunge_all()
        counts.append(len(_statements(client, "/regions/helse-vest")))
    assert counts[0] == counts[1]


def test_every_page_has_the_favicon(client):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200
        assert response.get_data(as_text=True).lstrip().startswith("<svg")
