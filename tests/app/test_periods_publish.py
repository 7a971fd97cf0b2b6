"""Publishing periods: one or split into consecutive parts, with every error next to its field."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_periods
from app.models import AuditEvent, Period
from app.periods.services import PeriodError, PeriodInput, split_dates

from . import factories
from .a11y import problems
from .conftest import Browser


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Period))


@pytest.mark.parametrize(
    "start, end, months, expected",
    [
        # 12 months of parental leave in two 6-month periods
        (date(2030, 1, 1), date(2030, 12, 31), 6, [(1, 1, 6, 30), (7, 1, 12, 31)]),
        # 14 months by 6: the 2-month remainder joins the last part (6 + 8)
        (date(2030, 1, 1), date(2031, 2, 28), 6, [(1, 1, 6, 30), (7, 1, 2, 28)]),
        # 15 months by 6: a 3-month remainder is a part of its own
        (date(2030, 1, 1), date(2031, 3, 31), 6, [(1, 1, 6, 30), (7, 1, 12, 31), (1, 1, 3, 31)]),
    ],
)
def test_split_dates(start, end, months, expected):
    parts = split_dates(start, end, months)
    assert [(s.month, s.day, e.month, e.day) for s, e in parts] == expected
    assert parts[0][0] == start and parts[-1][1] == end
    for (_, e1), (s2, _) in zip(parts, parts[1:], strict=False):
        assert s2 == e1 + timedelta(days=1)


def test_split_keeps_month_ends_from_drifting():
    parts = split_dates(date(2030, 1, 31), date(2031, 1, 30), 3)
    assert [s for s, _ in parts] == [
        date(2030, 1, 31),
        date(2030, 4, 30),
        date(2030, 7, 31),
        date(2030, 10, 31),
    ]


def _form(department_id, start, end, **extra):
    return {
        "department_id": str(department_id),
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "source": "parental_leave",
        "description": "Allmennpsykiatrisk poliklinikk, tett oppfølging.",
        "contact_name": "Ola Leder",
        "contact_email": "ola.leder@example.no",
        "on_call": "y",
        **extra,
    }


@pytest.fixture
def trust_user(ctx, client):
    user = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    browser.login(user.email)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    return browser


def test_publish_splits_a_long_leave_in_one_step(trust_user):
    department = factories.department("helse-bergen")
    start = add_months(local_today().replace(day=1), 3)
    end = add_months(start, 12) - timedelta(days=1)
    response = trust_user.submit("/periods/new", _form(department.id, start, end, split_months="6"))
    assert response.status_code == 302 and response.location.endswith("/periods")
    periods = db.session.scalars(sa.select(Period).order_by(Period.start_date)).all()
    assert [(p.start_date, p.end_date) for p in periods] == [
        (start, add_months(start, 6) - timedelta(days=1)),
        (add_months(start, 6), end),
    ]
    assert all(p.status == "open" and p.on_call for p in periods)
    assert all(p.contact_email == "ola.leder@example.no" for p in periods)
    assert periods[0].published_at == periods[1].published_at
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "period.published")
    ).all()
    assert len(events) == 2


def test_publish_14_months_by_6_gives_6_and_8(ctx):
    department = factories.department("helse-bergen")
    start = add_months(local_today().replace(day=1), 2)
    end = add_months(start, 14) - timedelta(days=1)
    data = PeriodInput(department.id, start, end, "leave_of_absence")
    parts = publish_periods(data, split_months=6, actor=None)
    assert [(p.start_date, p.end_date) for p in parts] == [
        (start, add_months(start, 6) - timedelta(days=1)),
        (add_months(start, 6), end),
    ]


def test_publish_one_period_without_split(trust_user):
    department = factories.department("helse-bergen")
    start = local_today() + timedelta(days=60)
    response = trust_user.submit("/periods/new", _form(department.id, start, add_months(start, 6)))
    assert response.status_code == 302
    assert _count() == 1


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"end_date": "START-1"}, "end_date", "The last day must be after the first day."),
        ({"end_date": "START+40"}, "end_date", "A period must last at least 3 months."),
        ({"start_date": "PAST"}, "start_date", "The first day cannot be in the past."),
        ({"split_months": "2"}, "split_months", "Each part must last at least 3 months."),
        ({"split_months": "10"}, "split_months", "too short to split"),
        ({"start_date": "nonsense"}, "start_date", "Not a valid date value."),
        ({"department_id": "999999"}, "department_id", "Not a valid choice."),
        ({"contact_email": "nope"}, "contact_email", "Enter a valid email."),
    ],
)
def test_every_error_is_next_to_its_field(trust_user, client, change, field, words):
    department = factories.department("helse-bergen")
    start = local_today() + timedelta(days=60)
    data = _form(department.id, start, add_months(start, 12) - timedelta(days=1))
    for key, value in change.items():
        data[key] = {
            "START-1": (start - timedelta(days=1)).isoformat(),
            "START+40": (start + timedelta(days=40)).isoformat(),
            "PAST": (local_today() - timedelta(days=10)).isoformat(),
        }.get(value, value)
    response = trust_user.submit("/periods/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = page.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert words in error
    assert "Ola Leder" in page  # nothing typed is lost
    assert problems(page) == []
    assert _count() == 0


def test_trust_staff_only_publish_for_their_own_departments(trust_user):
    other = factories.department("helse-stavanger")
    start = local_today() + timedelta(days=60)
    response = trust_user.submit("/periods/new", _form(other.id, start, add_months(start, 6)))
    assert response.status_code == 422
    assert _count() == 0


def test_coordinator_chooses_among_the_region_departments(ctx, client):
    user = factories.make_user("coordinator", region_code="helse-vest")
    browser = Browser(client)
    browser.login(user.email)
    page = client.get("/periods/new").get_data(as_text=True)
    assert "Helse Stavanger" in page and "<optgroup" in page
    assert factories.department("ahus").name not in page
    assert problems(page) == []
    start = local_today() + timedelta(days=60)
    department = factories.department("helse-stavanger")
    response = browser.submit("/periods/new", _form(department.id, start, add_months(start, 6)))
    assert response.status_code == 302


def test_service_reports_all_errors_at_once(ctx):
    department = factories.department("helse-bergen")
    past = local_today() - timedelta(days=5)
    with pytest.raises(PeriodError) as caught:
        publish_periods(
            PeriodInput(department.id, past, past + timedelta(days=20), "nope"),
            split_months=1,
            actor=None,
        )
    assert caught.value.fields == {
        "source": "unknown",
        "end_date": "too_short",
        "start_date": "in_the_past",
        "split_months": "too_short",
    }
