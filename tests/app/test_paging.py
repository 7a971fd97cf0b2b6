"""Every HTML list shows a page at a time through app.paging: any ?page= gives a page (the
first, or the last one there is), the pager keeps the list's filters, and the figures of
the overview and the national summary, counted in SQL by region, are the row queries'
counts."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.coordination import counts
from app.dates import local_today
from app.extensions import db
from app.models import Region
from app.paging import count, page_of_list

from . import factories
from .conftest import Browser


def test_any_page_number_gives_a_page():
    rows = list(range(5))
    assert [page_of_list(rows, n, 2).page for n in (-3, 0, 1, 3, 99)] == [1, 1, 1, 3, 3]
    last = page_of_list(rows, 99, 2)
    assert (last.items, last.pages, last.total, last.first, last.last) == ([4], 3, 5, 5, 5)
    empty = page_of_list([], 7, 2)
    assert (empty.page, empty.pages, empty.items, empty.partial) == (1, 1, [], False)


def _names(page: str) -> list[str]:
    return re.findall(r'href="/gps/\d+">([^<]+)</a>', page)


def test_the_gp_list_shows_a_page_at_a_time(ctx, client, monkeypatch):
    monkeypatch.setattr("app.main.routes.GPS_PER_PAGE", 2)
    for name in ("Anne", "Bjørn", "Cecilie", "Dag", "Eli"):
        factories.make_gp(name=f"{name} Lege")
    Browser(client).login(factories.make_user("coordinator", region_code="helse-vest").email)
    first = client.get("/gps").get_data(as_text=True)
    assert _names(first) == ["Anne Lege", "Bjørn Lege"]
    assert "5 ALIS-leger i ditt område" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert "Side 1 av 3" in first
    last = client.get("/gps?page=99").get_data(as_text=True)
    assert _names(last) == ["Eli Lege"] and 'rel="prev"' in last
    for bad in ("abc", "-1", "0", "1e9", "99999999999999999999", "\x00"):
        response = client.get("/gps", query_string={"page": bad})
        assert response.status_code == 200, bad


def test_the_pager_keeps_the_filters(ctx, client, monkeypatch):
    monkeypatch.setattr("app.periods.queries.PER_PAGE", 1)
    for _ in range(3):
        factories.make_period()
    Browser(client).login(factories.make_user("trust", trust_code="helse-bergen").email)
    page = client.get("/periods?status=open&page=2").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)" rel="(?:prev|next)"', page)
    assert len(links) == 2
    assert all("status=open" in link for link in links)
    assert "Side 2 av 3" in page


@pytest.mark.parametrize(
    "who, path",
    [
        ("admin", "/admin/users?role=gp"),
        ("admin", "/admin/outbox?retrying_page=x"),
        ("coordinator", "/coordination/waiting?sort=name"),
        ("coordinator", "/coordination/audit"),
        ("gp", "/inbox?show=unread"),
        (None, "/vacancies"),
        (None, "/regions/helse-vest"),
        (None, "/trusts/helse-bergen"),
    ],
)
def test_no_page_number_gives_an_error(ctx, client, who, path):
    if who == "gp":
        Browser(client).login(factories.make_gp().user.email)
    elif who:
        Browser(client).login(
            factories.make_user(
                who, region_code="helse-vest" if who == "coordinator" else None
            ).email
        )
    joiner = "&" if "?" in path else "?"
    for bad in ("abc", "-5", "0", "99999999999999999999", "1e9", "2"):
        response = client.get(f"{path}{joiner}page={bad}")
        assert response.status_code == 200, (path, bad)


def test_the_figures_by_region_are_the_row_queries_counts(ctx):
    """counts.figures_by_region counts in SQL, grouped by region, what the overview's rows
    are (counts.to_confirm, near_fallback, ...): the two cannot disagree."""
    today = local_today()
    vest = factories.region("helse-vest")
    gp = factories.make_gp()
    factories.make_window(gp)
    factories.make_proposal(factories.make_period(), gp, confirmed=False)
    other = factories.make_gp(municipality_number="0301")
    factories.make_window(other)
    factories.make_proposal(factories.make_period("ahus"), other, status="offered", accept_by=today)
    factories.make_period()
    regions = list(db.session.scalars(sa.select(Region.id)))
    by_region = counts.figures_by_region(regions, today)
    for region_id in regions:
        trusts = counts.trusts_of([region_id])
        row_counts = counts.Figures(
            periods=counts.period_counts(trusts),
            waiting=count(counts.waiting_windows([region_id])),
            live_matches=count(counts.live_matches(trusts)),
            to_confirm=count(counts.to_confirm(trusts)),
            near_fallback=count(counts.near_fallback(trusts, today)),
            offers_near_deadline=count(counts.offers_near_deadline(trusts, today)),
            parked_emails=len(counts.parked_emails([region_id])),
        )
        assert by_region[region_id] == row_counts
    assert by_region[vest.id].to_confirm == 1 and by_region[vest.id].waiting == 1
    assert counts.figures(regions, today).offers_near_deadline == 1
