"""Managing a period: edit while open, withdraw, offer, hired, and other trusts' periods."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import add_months, local_today
from app.errors import MatchConflict
from app.extensions import db
from app.lifecycle import update_period
from app.models import AuditEvent, Availability, Match, Period, Specialty
from app.periods.services import PeriodError, period_input

from . import factories
from .a11y import problems
from .conftest import Browser


def _window(gp, specialties=("psychiatry",)):
    start = local_today() + timedelta(days=10)
    window = Availability(gp=gp, earliest_start=start, latest_end=add_months(start, 24), months=6)
    db.session.add(window)
    window.set_wishes(
        [db.session.scalar(sa.select(Specialty).where(Specialty.code == c)) for c in specialties],
        [],
    )
    db.session.commit()
    return window


def _matched(period, *, offered=False):
    """A confirmed (pinned) proposal for ``period``, offered if asked."""
    gp = factories.make_gp(name="Kari Kandidat")
    _window(gp, [period.department.specialty.code])
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    match = lifecycle.assign(period, gp, reason="Test", actor=coordinator)
    if offered:
        lifecycle.offer(match, accept_by=local_today() + timedelta(days=7), actor=coordinator)
    db.session.commit()
    return match


@pytest.fixture
def staff(ctx, client):
    user = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    browser.login(user.email)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    return browser


def _edit_form(period, **changes):
    return {
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
        "source": period.source,
        "description": period.description,
        "contact_name": "",
        "contact_email": "",
        **changes,
    }


def test_edit_an_open_period_is_audited(staff):
    period = factories.make_period("helse-bergen")
    new_end = period.end_date + timedelta(days=30)
    url = f"/periods/{period.id}/edit"
    page = staff.get(url).get_data(as_text=True)
    assert problems(page) == []
    response = staff.submit(
        url, _edit_form(period, end_date=new_end.isoformat(), on_call="y", source="vacancy")
    )
    assert response.status_code == 302
    period = db.session.get(Period, period.id)
    assert (period.end_date, period.on_call, period.source) == (new_end, True, "vacancy")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "period.updated"))
    assert event.data["end_date"] == [
        (new_end - timedelta(days=30)).isoformat(),
        new_end.isoformat(),
    ]
    assert event.data["on_call"] == [False, True]


def test_edit_errors_are_next_to_the_field(staff):
    period = factories.make_period("helse-bergen")
    response = staff.submit(
        f"/periods/{period.id}/edit",
        _edit_form(period, end_date=(period.start_date + timedelta(days=20)).isoformat()),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A period must last at least 3 months." in page.split('id="end_date-error"')[1]
    assert problems(page) == []
    assert db.session.get(Period, period.id).end_date == period.end_date


def test_edit_only_while_open(staff):
    period = factories.make_period("helse-bergen")
    _matched(period)
    new_end = (period.end_date + timedelta(days=30)).isoformat()
    response = staff.submit(
        f"/periods/{period.id}/edit", _edit_form(period, end_date=new_end), page="/periods"
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/periods/{period.id}")
    assert db.session.get(Period, period.id).end_date == period.end_date
    assert staff.get(f"/periods/{period.id}/edit").status_code == 302


def test_withdraw_cancels_the_live_match(staff):
    period = factories.make_period("helse-bergen")
    match = _matched(period, offered=True)
    url = f"/periods/{period.id}/withdraw"
    response = staff.submit(url, {"reason": "Permisjonen ble avlyst"}, page=f"/periods/{period.id}")
    assert response.status_code == 302
    assert db.session.get(Period, period.id).status == "withdrawn"
    assert db.session.get(Match, match.id).status == "cancelled"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "period.withdrawn"))
    assert event.reason == "Permisjonen ble avlyst"


def test_withdraw_needs_a_reason_and_not_after_filled(staff):
    period = factories.make_period("helse-bergen")
    response = staff.submit(
        f"/periods/{period.id}/withdraw", {"reason": " "}, page=f"/periods/{period.id}"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="reason-error"' in page
    assert problems(page) == []
    match = _matched(period, offered=True)
    lifecycle.accept(match, actor=match.gp.user)
    db.session.commit()
    assert db.session.get(Period, period.id).status == "filled"
    page = staff.get(f"/periods/{period.id}").get_data(as_text=True)
    assert "/withdraw" not in page
    assert staff.client.post(f"/periods/{period.id}/withdraw").status_code in (400, 422)
    assert db.session.get(Period, period.id).status == "filled"


def test_offer_sets_the_deadline(staff):
    period = factories.make_period("helse-bergen")
    match = _matched(period)
    page = staff.get(f"/periods/{period.id}").get_data(as_text=True)
    assert "Kari Kandidat" in page and 'name="accept_by"' in page
    default = (local_today() + timedelta(days=14)).isoformat()
    assert f'value="{default}"' in page
    assert problems(page) == []
    deadline = local_today() + timedelta(days=10)
    response = staff.submit(
        f"/periods/{period.id}/offer",
        {"accept_by": deadline.isoformat()},
        page=f"/periods/{period.id}",
    )
    assert response.status_code == 302
    match = db.session.get(Match, match.id)
    assert (match.status, match.accept_by) == ("offered", deadline)


@pytest.mark.parametrize(
    "deadline, words",
    [
        (lambda p: local_today() - timedelta(days=1), "The deadline cannot be in the past."),
        (lambda p: p.start_date, "The deadline must be before the period starts."),
        (
            lambda p: p.start_date + timedelta(days=3),
            "The deadline must be before the period starts.",
        ),
    ],
)
def test_offer_refuses_a_bad_deadline(staff, deadline, words):
    period = factories.make_period("helse-bergen")
    match = _matched(period)
    response = staff.submit(
        f"/periods/{period.id}/offer",
        {"accept_by": deadline(period).isoformat()},
        page=f"/periods/{period.id}",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert words in page.split('id="accept_by-error"')[1]
    assert problems(page) == []
    assert db.session.get(Match, match.id).status == "proposed"


def test_hired_is_recorded(staff):
    period = factories.make_period("helse-bergen")
    match = _matched(period, offered=True)
    lifecycle.accept(match, actor=match.gp.user)
    db.session.commit()
    page = staff.get(f"/periods/{period.id}").get_data(as_text=True)
    assert "Accepted: record the hiring" in page
    response = staff.submit(f"/periods/{period.id}/hired", {}, page=f"/periods/{period.id}")
    assert response.status_code == 302
    assert db.session.get(Match, match.id).hired_at is not None


def test_the_list_filters_and_shows_candidates(staff):
    first = factories.make_period("helse-bergen", start=local_today() + timedelta(days=40))
    second = factories.make_period("helse-bergen", start=local_today() + timedelta(days=200))
    _matched(second)
    factories.make_period("helse-stavanger")
    page = staff.get("/periods").get_data(as_text=True)
    assert problems(page) == []
    assert page.count(f'href="/periods/{first.id}"') == 1
    assert "Kari Kandidat" in page
    assert "Helse Stavanger" not in page and ">2 periods</caption>" in page
    page = staff.get("/periods?status=matched").get_data(as_text=True)
    assert f'href="/periods/{first.id}"' not in page and f'href="/periods/{second.id}"' in page
    cutoff = (local_today() + timedelta(days=100)).isoformat()
    page = staff.get(f"/periods?start_from={cutoff}").get_data(as_text=True)
    assert f'href="/periods/{first.id}"' not in page and f'href="/periods/{second.id}"' in page
    page = staff.get(f"/periods?start_to={cutoff}&status=").get_data(as_text=True)
    assert f'href="/periods/{first.id}"' in page and f'href="/periods/{second.id}"' not in page
    specialty = first.department.specialty_id
    page = staff.get(f"/periods?specialty={specialty}&department={first.department_id}")
    assert f'href="/periods/{first.id}"' in page.get_data(as_text=True)
    page = staff.get("/periods?start_from=not-a-date").get_data(as_text=True)
    assert 'id="start_from-error"' in page and problems(page) == []


def test_another_trusts_period_is_out_of_reach(staff):
    period = factories.make_period("helse-stavanger")
    _matched(period)
    detail = f"/periods/{period.id}"
    for path in (detail, f"{detail}/edit", f"{detail}/advert"):
        assert staff.get(path).status_code == 404, path
    own = factories.make_period("helse-bergen")
    page = f"/periods/{own.id}"
    for action, data in (
        ("edit", {"start_date": "2031-01-01", "end_date": "2031-12-31", "source": "other"}),
        ("offer", {"accept_by": local_today().isoformat()}),
        ("withdraw", {"reason": "x"}),
        ("choose", {"gp_id": "1"}),
        ("hired", {}),
    ):
        assert staff.submit(f"{detail}/{action}", data, page=page).status_code == 404, action
    assert db.session.get(Period, period.id).status == "matched"
    assert f'href="{detail}"' not in staff.get("/periods").get_data(as_text=True)


def test_gps_and_visitors_cannot_use_the_staff_pages(ctx, client):
    gp = factories.make_gp(email="lege@example.no")
    period = factories.make_period("helse-bergen")
    assert client.get("/periods").status_code == 302  # to the login page
    browser = Browser(client)
    browser.login("lege@example.no")
    for path in ("/periods", "/periods/new", f"/periods/{period.id}"):
        assert client.get(path).status_code == 403, path
    assert gp.id


def test_coordinator_of_another_region_gets_404(ctx, client):
    user = factories.make_user("coordinator", region_code="helse-nord")
    period = factories.make_period("helse-bergen")
    Browser(client).login(user.email)
    assert client.get(f"/periods/{period.id}").status_code == 404


def test_update_service_keeps_the_department_and_needs_an_open_period(ctx):
    period = factories.make_period("helse-bergen")
    other = factories.department("helse-stavanger")
    with pytest.raises(PeriodError) as caught:
        update_period(period, period_input(period, department_id=other.id), actor=None)
    assert caught.value.fields == {"department_id": "cannot_change"}
    assert update_period(period, period_input(period), actor=None) == {}
    changes = update_period(period, period_input(period, description="Ny tekst"), actor=None)
    assert changes == {"description": ["Test", "Ny tekst"]}
    factories.force_status(period, "advertised")
    with pytest.raises(MatchConflict):
        update_period(period, period_input(period, description="x"), actor=None)


def test_offer_without_a_candidate_is_explained(staff):
    period = factories.make_period("helse-bergen")
    response = staff.submit(
        f"/periods/{period.id}/offer",
        {"accept_by": (local_today() + timedelta(days=5)).isoformat()},
        page=f"/periods/{period.id}",
    )
    assert response.status_code == 302
    page = staff.get(f"/periods/{period.id}").get_data(as_text=True)
    assert "The period has no candidate to make an offer to." in page
