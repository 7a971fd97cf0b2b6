"""Feeds for machines: the private calendar (iCalendar), the vacancies' JobPosting JSON-LD and
their Atom feed."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import icalendar
import sqlalchemy as sa

from app import lifecycle
from app.alerts import services
from app.dates import local_today
from app.extensions import db
from app.lifecycle import withdraw_period
from app.models import Period

from . import factories
from .a11y import problems

ATOM = "{http://www.w3.org/2005/Atom}"


def events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_a_gps_calendar_has_their_offer_and_its_deadline(ctx, client):
    gp = factories.make_gp()
    factories.make_window(gp, specialties=[factories.department().specialty.code])
    period = factories.make_period()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    match = factories.make_proposal(period, gp)
    deadline = local_today() + timedelta(days=10)
    lifecycle.offer(match, accept_by=deadline, actor=staff)
    token = services.create_calendar_token(gp.user)
    db.session.commit()

    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    found = events(response.data)
    assert set(found) == {f"match-{match.id}@127.0.0.1", f"match-{match.id}-deadline@127.0.0.1"}
    stint = found[f"match-{match.id}@127.0.0.1"]
    assert stint.decoded("DTSTART") == period.start_date  # a whole day, not a time
    assert stint.decoded("DTEND") == period.end_date + timedelta(days=1)  # exclusive end
    assert str(stint["STATUS"]) == "TENTATIVE"
    assert period.department.name in str(stint["SUMMARY"])
    assert found[f"match-{match.id}-deadline@127.0.0.1"].decoded("DTSTART") == deadline

    lifecycle.accept(match, actor=gp.user)
    db.session.commit()
    again = events(client.get(f"/calendar/{token}.ics").data)
    assert set(again) == {f"match-{match.id}@127.0.0.1"}  # the same UID: updated, not added
    assert str(again[f"match-{match.id}@127.0.0.1"]["STATUS"]) == "CONFIRMED"


def test_a_trusts_calendar_has_its_periods_and_a_revoked_address_is_gone(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    own = factories.make_period("helse-bergen")
    other = factories.make_period("helse-stavanger")
    token = services.create_calendar_token(staff)
    db.session.commit()
    found = events(client.get(f"/calendar/{token}.ics").data)
    assert f"period-{own.id}@127.0.0.1" in found
    assert f"period-{other.id}@127.0.0.1" not in found

    newer = services.create_calendar_token(staff)  # a new address replaces the old one
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{newer}.ics").status_code == 200
    services.revoke_calendar_token(staff)
    db.session.commit()
    assert client.get(f"/calendar/{newer}.ics").status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def advertised(trust_code="helse-bergen", **kwargs) -> Period:
    period = factories.make_period(trust_code, **kwargs)
    factories.force_status(period, "advertised")
    db.session.commit()
    return period


def json_ld(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_the_vacancy_page_carries_a_job_posting(ctx, client):
    period = advertised()
    period.description = 'Fine unit </script><script>alert("x")</script> & more'
    db.session.commit()
    response = client.get(f"/vacancies/{period.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and problems(html) == []
    data = json_ld(html)
    assert data["@context"] == "https://schema.org/" and data["@type"] == "JobPosting"
    for key in (
        "title",
        "description",
        "datePosted",
        "validThrough",
        "employmentType",
        "hiringOrganization",
        "jobLocation",
    ):
        assert data[key], key
    assert data["employmentType"] == "TEMPORARY"
    assert data["hiringOrganization"]["name"] == period.department.trust.name
    assert data["jobLocation"]["address"]["addressCountry"] == "NO"
    assert data["validThrough"].startswith(period.start_date.isoformat())
    date.fromisoformat(data["datePosted"])
    assert data["url"].endswith(f"/vacancies/{period.id}")
    assert 'alert("x")' in data["description"]  # kept as data...
    assert "</script><script>" not in html  # ...never as markup


def test_the_atom_feed_lists_vacancies_until_filled_or_withdrawn(ctx, client):
    first = advertised()
    second = advertised("helse-stavanger", start=local_today() + timedelta(days=120))
    factories.make_period()  # open, not a vacancy
    response = client.get("/vacancies.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # valid XML
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    entries = feed.findall(f"{ATOM}entry")
    # the most recently advertised first
    assert [e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in entries] == [
        str(second.id),
        str(first.id),
    ]
    for entry in entries:
        for tag in ("title", "updated", "summary", "link"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag

    gp = factories.make_gp()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    match = factories.make_proposal(first, gp)
    lifecycle.offer(match, accept_by=local_today() + timedelta(days=5), actor=staff)
    lifecycle.accept(match, actor=gp.user)
    withdraw_period(second, actor=staff, reason="No longer needed")
    db.session.commit()
    assert db.session.scalar(sa.select(Period.status).where(Period.id == first.id)) == "filled"
    feed = ET.fromstring(client.get("/vacancies.atom").data)
    assert feed.findall(f"{ATOM}entry") == []
    assert client.get(f"/vacancies/{first.id}").status_code == 404
    assert client.get(f"/vacancies/{second.id}").status_code == 404


def test_the_atom_feed_holds_the_most_recently_advertised(ctx, client, monkeypatch):
    """The feed does not grow with the country: FEED_ENTRIES entries, newest first."""
    from app.alerts import routes

    older = advertised()
    older.advertise_after -= timedelta(days=3)
    newer = advertised("helse-stavanger")
    db.session.commit()
    monkeypatch.setattr(routes, "FEED_ENTRIES", 1)
    feed = ET.fromstring(client.get("/vacancies.atom").data)
    ids = [e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in feed.findall(f"{ATOM}entry")]
    assert ids == [str(newer.id)] and str(older.id) not in ids


def test_the_atom_feed_stays_well_formed_whatever_old_data_holds(ctx, client):
    """Text stored before the input rules (a control character in a description) must not
    make the feed unreadable for everyone."""
    from xml.etree import ElementTree

    period = factories.make_period()
    period.description = "Vakter\x0b og \x1b[1mmer\x7f"
    factories.force_status(period, "advertised")
    body = client.get("/vacancies.atom").get_data()
    ElementTree.fromstring(body)  # raises if not well-formed
    assert b"Vakter og" in body
