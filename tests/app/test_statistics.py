"""Statistics and evaluation (issue 17): the figures month by month from the database, the
coordinator's page, the anonymised public page, the evaluation report, CSV and Excel."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from app.dates import add_months, local_today
from app.lifecycle import publish_period
from app.models.types import utcnow
from app.periods.services import PeriodInput
from app.statistics.services import Span, figures

from . import factories

TODAY = local_today()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = add_months(THIS_MONTH, -1)


def _at(day) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _period(published, trust_code="helse-bergen"):
    start = add_months(THIS_MONTH, 3)
    made = publish_period(
        PeriodInput(
            department_id=factories.department(trust_code).id,
            start_date=start,
            end_date=add_months(start, 6) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
        published_at=_at(published),
    )
    from app.extensions import db

    db.session.commit()
    return made


def _decided(period, status, *, proposed, decided):
    """A proposal made on `proposed` that the GP answered (`status`) on `decided`."""
    match = factories.make_proposal(period, factories.make_gp(), created_at=_at(proposed))
    match.decided_at = _at(decided) if not isinstance(decided, datetime) else decided
    factories.force_status(match, status)
    factories.force_status(period, "filled" if status == "accepted" else "open")
    return match


def _history():
    """Last month: three periods published in Helse Vest, one filled (proposed two days after
    publication, accepted ten days after), one declined and advertised, one still open; this
    month: one published in Helse Sør-Øst. One GP waits without a match."""
    filled, declined, _open = (_period(LAST_MONTH + timedelta(days=k)) for k in range(3))
    _decided(
        filled,
        "accepted",
        proposed=LAST_MONTH + timedelta(days=2),
        decided=LAST_MONTH + timedelta(days=10),
    )
    _decided(
        declined,
        "declined",
        proposed=LAST_MONTH + timedelta(days=4),
        decided=LAST_MONTH + timedelta(days=6),
    )
    factories.force_status(declined, "advertised")
    _period(THIS_MONTH, "oslo-universitetssykehus")
    factories.make_window(factories.make_gp(), trusts=("helse-bergen",))
    return filled, declined


def test_the_figures_count_each_thing_once_in_its_month(ctx):
    filled, declined = _history()
    declined.advertise_after = _at(LAST_MONTH + timedelta(days=20))
    vest = factories.region("helse-vest")
    fig = figures(vest, Span.ending(TODAY, 2), TODAY)
    last, this = fig.months
    assert (last.start, this.start) == (LAST_MONTH, THIS_MONTH)
    assert (last.published, last.proposed, last.filled, last.declined) == (3, 2, 1, 1)
    assert last.advertised == 1 and this.published == 0  # the Oslo period is not Helse Vest's
    assert fig.fill_rate == 0.5  # one filled, one advertised
    assert fig.days_to_proposal == 2.5  # day 2 after day 0, day 4 after day 1
    assert fig.days_to_acceptance == 10.0
    assert fig.by_trust == [(filled.department.trust.short_name, 1)]
    assert fig.by_municipality and fig.by_municipality[0][1] == 1
    assert fig.waiting == 1
    country = figures(None, Span.ending(TODAY, 2), TODAY)
    assert country.total("published") == 4


def test_a_span_outside_the_history_is_empty(ctx):
    _history()
    fig = figures(None, Span(add_months(THIS_MONTH, -24), 6), TODAY)
    assert all(fig.total(name) == 0 for name in ("published", "filled", "advertised"))
    assert fig.fill_rate is None and fig.days_to_proposal is None


def test_the_coordinator_page_shows_the_region_and_offers_downloads(ctx, browser):
    _history()
    factories.make_user("coordinator", region_code="helse-vest", email="k@vest.no")
    browser.login("k@vest.no")
    page = browser.get("/coordination/statistics?months=2").get_data(as_text=True)
    assert "Statistikk: Helse Vest" in page
    assert "Etter kommune" in page  # municipalities: coordinators only
    assert "<svg" in page and "<table" in page  # the chart and its numbers as a table
    # Another region, or the whole country, is outside a regional coordinator's scope.
    assert browser.get("/coordination/statistics?region=helse-sor-ost").status_code == 404
    assert browser.get("/coordination/statistics?region=norge").status_code == 404
    # Bad numbers fall back to the default span rather than failing.
    assert browser.get("/coordination/statistics?months=abc").status_code == 200
    assert browser.get("/coordination/statistics?months=99999999999999").status_code == 200


def test_the_downloads_hold_the_same_numbers(ctx, browser):
    _history()
    factories.make_user("coordinator", email="k@norge.no")
    browser.login("k@norge.no")
    response = browser.get("/coordination/statistics.csv?months=2&region=norge")
    assert response.mimetype == "text/csv"
    assert "alis-statistikk-norge" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so that Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:4] == ["Måned", "Publisert", "Foreslått", "Besatt"]
    assert rows[1][:2] == [LAST_MONTH.isoformat()[:7], "3"]
    assert rows[3][:2] == ["Sum", "4"]
    response = browser.get("/coordination/statistics.xlsx?months=2&region=helse-vest")
    book = load_workbook(io.BytesIO(response.data))
    months = book.worksheets[0]
    assert months["A2"].value == LAST_MONTH.isoformat()[:7] and months["B2"].value == 3
    assert months["A1"].font.bold
    assert len(book.worksheets) == 5  # months, summary, by trust, specialty, municipality


def test_the_evaluation_report_is_laid_out_for_print(ctx, browser):
    _history()
    factories.make_user("coordinator", region_code="helse-vest", email="k@vest.no")
    browser.login("k@vest.no")
    page = browser.get("/coordination/evaluation?months=6").get_data(as_text=True)
    assert "Evalueringsrapport: Helse Vest" in page
    assert 'class="no-print"' in page


def test_the_public_page_hides_small_numbers_and_municipalities(ctx, client):
    _history()
    page = client.get("/statistics/helse-vest?months=2").get_data(as_text=True)
    assert "Statistikk: Helse Vest" in page
    assert "&lt;5" in page  # three periods published: shown as fewer than five
    assert "Etter kommune" not in page
    assert ">3<" not in page
    assert client.get("/statistics/no-such-region").status_code == 404
    assert client.get("/statistics").status_code == 200


def test_counts_at_and_above_five_are_shown_in_public(ctx, client):
    for k in range(5):
        _period(LAST_MONTH + timedelta(days=k))
    page = client.get("/statistics/helse-vest?months=2").get_data(as_text=True)
    assert ">5<" in page


def test_utcnow_is_used_for_decisions_in_the_current_month(ctx):
    """A decision made now counts in this month."""
    period = _period(THIS_MONTH)
    _decided(period, "accepted", proposed=THIS_MONTH, decided=utcnow())
    fig = figures(factories.region("helse-vest"), Span.ending(TODAY, 1), TODAY)
    assert fig.months[0].filled == 1


def test_passed_over_is_the_last_committed_run_of_the_month(ctx):
    """Read from the runs' summaries in the database (a JSON path, on SQLite and
    PostgreSQL): the month's last committed run counts, dry runs do not."""
    from app.extensions import db
    from app.models import MatchingRun

    def run(day, passed_over, dry_run=False):
        db.session.add(
            MatchingRun(
                as_of=day,
                dry_run=dry_run,
                status="succeeded",
                started_at=_at(day),
                summary={"regions": {"helse-vest": {"passed_over": passed_over}}},
            )
        )

    run(LAST_MONTH + timedelta(days=1), 5)
    run(LAST_MONTH + timedelta(days=3), 2)
    run(LAST_MONTH + timedelta(days=4), 9, dry_run=True)
    db.session.commit()
    fig = figures(factories.region("helse-vest"), Span.ending(TODAY, 2), TODAY)
    assert [m.passed_over for m in fig.months] == [2, 0]
    assert (
        figures(factories.region("helse-nord"), Span.ending(TODAY, 2), TODAY).total("passed_over")
        == 0
    )
