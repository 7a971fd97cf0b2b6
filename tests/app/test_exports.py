"""Downloads of periods, placements, the waiting list and a run's proposals (issue 17):
CSV and Excel, each within the user's scope."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from app.extensions import db
from app.models import MatchingRun

from . import factories


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_trust_staff_download_their_own_periods(ctx, browser):
    own = factories.make_period("helse-bergen")
    other = factories.make_period("oslo-universitetssykehus")
    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    browser.login("hr@bergen.no")
    rows = _rows(browser.get("/exports/periods.csv"))
    assert rows[0][:3] == ["Periode", "Helseforetak", "Avdeling"]
    ids = {row[0] for row in rows[1:]}
    assert str(own.id) in ids and str(other.id) not in ids
    response = browser.get("/exports/periods.xlsx?status=open")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet["A2"].value == own.id
    assert sheet["E2"].value.date() == own.start_date  # a date cell, not text
    assert sheet["E2"].number_format == "yyyy-mm-dd"
    assert browser.get("/exports/periods.csv?status=nonsense").status_code == 422
    assert browser.get("/exports/periods.pdf").status_code == 404


def test_placements_and_who_may_download_them(ctx, browser):
    period = factories.make_period("helse-bergen")
    gp = factories.make_gp(name="Per Plassert")
    match = factories.make_proposal(period, gp)
    factories.force_status(match, "accepted")
    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    factories.make_user("trust", trust_code="helse-stavanger", email="hr@stavanger.no")
    browser.login("hr@bergen.no")
    assert [row[0] for row in _rows(browser.get("/exports/placements.csv"))[1:]] == ["Per Plassert"]
    browser.logout()
    browser.login("hr@stavanger.no")
    assert _rows(browser.get("/exports/placements.csv"))[1:] == []
    browser.logout()
    browser.login(gp.user.email)
    assert browser.get("/exports/placements.csv").status_code == 403


def test_the_waiting_list_in_the_policy_order_and_in_scope(ctx, browser):
    gp = factories.make_gp(name="Vera Venter")
    factories.make_window(gp, trusts=("helse-bergen",))
    factories.make_user("coordinator", region_code="helse-vest", email="k@vest.no")
    browser.login("k@vest.no")
    rows = _rows(browser.get("/exports/waiting-list.csv"))
    assert rows[0][:2] == ["Plass", "ALIS-lege"]
    assert rows[1][:2] == ["1", "Vera Venter"]
    assert browser.get("/exports/waiting-list.csv?region=helse-sor-ost").status_code == 404


def test_a_runs_proposals_only_for_who_may_see_the_run(ctx, browser):
    period = factories.make_period("helse-bergen")
    vest = factories.region("helse-vest")
    run = MatchingRun(as_of=date(2027, 1, 5), region_id=vest.id, status="succeeded")
    other = MatchingRun(
        as_of=date(2027, 1, 5), region_id=factories.region("helse-nord").id, status="succeeded"
    )
    db.session.add_all([run, other])
    db.session.commit()
    factories.make_proposal(period, factories.make_gp(name="Frida Forslag"), run_id=run.id)
    factories.make_user("coordinator", region_code="helse-vest", email="k@vest.no")
    browser.login("k@vest.no")
    rows = _rows(browser.get(f"/exports/runs/{run.id}/proposals.csv"))
    assert rows[1][0] == "Frida Forslag" and rows[1][-1] == "foreslått"
    assert browser.get(f"/exports/runs/{other.id}/proposals.csv").status_code == 404
    assert browser.get("/exports/runs/99999999999/proposals.csv").status_code == 404
