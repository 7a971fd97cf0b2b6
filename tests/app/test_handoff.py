"""The hand-off to HR (issue 19, part 4): one builder (app.matches.handoff) for the period's
HR page, the API's ``handoff`` of an accepted match, and the placements export; only for
those who manage the period's trust, only once the GP has accepted."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app import lifecycle
from app.dates import local_today
from app.extensions import db
from app.matches.handoff import HandoffSchema, handoff
from app.models.types import utcnow

from . import factories
from .a11y import problems
from .apiutil import Api

TODAY = local_today()


def offered(trust_code: str = "helse-bergen"):
    period = factories.make_period(trust_code)
    gp = factories.make_gp(name="Hanne Hage", hpr_number="9123456", email="hanne@lege.no")
    return factories.make_proposal(
        period, gp, status="offered", accept_by=TODAY + timedelta(days=10), offered_at=utcnow()
    )


@pytest.fixture
def placed(ctx):
    match = offered()
    lifecycle.accept(match, actor=match.gp.user)
    db.session.commit()
    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    factories.make_user("trust", trust_code="helse-stavanger", email="hr@stavanger.no")
    factories.make_user("coordinator", region_code="helse-vest", email="k@vest.no")
    factories.make_user("coordinator", region_code="helse-nord", email="k@nord.no")
    return match


def test_the_handoff_holds_what_hr_needs(placed):
    data = handoff(placed)
    period = placed.period
    assert data["gp"] == {
        "name": "Hanne Hage",
        "hpr_number": "9123456",
        "email": "hanne@lege.no",
        "municipality": {"number": "4601", "name": "Bergen"},
    }
    assert data["trust"]["code"] == "helse-bergen"
    assert data["department"]["name"] == period.department.name
    assert data["specialty"]["code"] == period.department.specialty.code
    assert (data["start_date"], data["end_date"]) == (period.start_date, period.end_date)
    assert data["on_call"] == period.on_call and data["accepted_at"] == placed.decided_at
    dumped = HandoffSchema().dump(data)
    assert dumped["start_date"] == period.start_date.isoformat()


# ---- the page


def hr_page(match) -> str:
    return f"/periods/{match.period_id}/hr"


def test_the_trusts_staff_read_the_handoff_page(placed, browser):
    browser.login("hr@bergen.no")
    detail = browser.get(f"/periods/{placed.period_id}").get_data(as_text=True)
    assert hr_page(placed) in detail  # the period's page links to it
    response = browser.get(hr_page(placed))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for fact in ("Hanne Hage", "9123456", "hanne@lege.no", "Bergen (4601)"):
        assert fact in page
    assert "HPR-nummer: 9123456" in page  # the copy-friendly text
    assert problems(page) == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("hr@stavanger.no", 404), ("k@nord.no", 404), ("k@vest.no", 200), (None, 403)],
)
def test_who_may_read_the_handoff_page(placed, browser, who, status):
    browser.login(who or placed.gp.user.email)
    assert browser.get(hr_page(placed)).status_code == status


def test_no_handoff_before_the_gp_accepts(ctx, browser):
    match = offered()
    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    browser.login("hr@bergen.no")
    assert browser.get(hr_page(match)).status_code == 404
    assert hr_page(match) not in browser.get(f"/periods/{match.period_id}").get_data(as_text=True)


def test_bad_ids_are_404(placed, browser):
    browser.login("hr@bergen.no")
    for path in ("/periods/0/hr", "/periods/99999999999999999999/hr", "/periods/-1/hr"):
        assert browser.get(path).status_code == 404


# ---- the API


def test_the_api_gives_the_handoff_to_the_trust_only(placed, client):
    path = f"/matches/{placed.id}"
    own = Api.login(client, "hr@bergen.no").get(path)
    assert own.status_code == 200
    body = own.get_json()
    assert body["handoff"]["gp"]["hpr_number"] == "9123456"
    assert body["handoff"]["gp"]["municipality"] == {"number": "4601", "name": "Bergen"}
    assert body["handoff"]["start_date"] == placed.period.start_date.isoformat()
    coordinator = Api.login(client, "k@vest.no").get(path).get_json()
    assert coordinator["handoff"] == body["handoff"]
    gp = Api.login(client, placed.gp.user.email).get(path)
    assert gp.status_code == 200 and "handoff" not in gp.get_json()
    assert Api.login(client, "hr@stavanger.no").get(path).status_code == 404
    listed = Api.login(client, "hr@bergen.no").get("/matches").get_json()
    assert "handoff" not in listed["items"][0]  # the single match only


def test_the_api_gives_no_handoff_before_acceptance(ctx, client):
    match = offered()
    factories.make_user("trust", trust_code="helse-bergen", email="hr@bergen.no")
    body = Api.login(client, "hr@bergen.no").get(f"/matches/{match.id}").get_json()
    assert body["status"] == "offered" and "handoff" not in body


def test_the_handoff_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert "handoff" in schemas["MatchDetail"]["properties"]
    assert {"gp", "start_date", "on_call", "accepted_at"} <= set(schemas["Handoff"]["properties"])
    operation = spec["paths"]["/api/v1/matches/{match_id}"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MatchDetail"
    }


# ---- the export


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_placements_export_has_the_handoff(placed, browser):
    browser.login("hr@bergen.no")
    heads, row = _csv(browser.get("/exports/placements.csv"))
    assert heads[:5] == ["ALIS-lege", "HPR-nummer", "E-post", "Kommunenummer", "Kommune"]
    assert row[:5] == ["Hanne Hage", "9123456", "hanne@lege.no", "4601", "Bergen"]
    assert row[heads.index("Start")] == placed.period.start_date.isoformat()
    book = load_workbook(io.BytesIO(browser.get("/exports/placements.xlsx").get_data()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]][:3] == ["Hanne Hage", "9123456", "hanne@lege.no"]
    browser.logout()
    browser.login("hr@stavanger.no")
    assert _csv(browser.get("/exports/placements.csv"))[1:] == []
