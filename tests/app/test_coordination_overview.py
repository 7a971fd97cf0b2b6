"""The region's overview: the waiting list in the policy's order (the old Excel sheet),
periods near fallback, the region select, and region scope."""

from datetime import UTC, datetime, timedelta

import pytest

import matching
from app import lottery
from app.coordination.overview import waiting_list
from app.coordination.policies import update_policy
from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.models import Department
from app.periods.services import PeriodInput

from . import factories
from .conftest import Browser

TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)


def psychiatry(trust_code="helse-bergen") -> Department:
    return next(
        d for d in factories.trust(trust_code).departments if d.specialty.code == "psychiatry"
    )


def period(trust_code="helse-bergen", *, published_days_ago=0):
    made = publish_period(
        PeriodInput(
            department_id=psychiatry(trust_code).id,
            start_date=START,
            end_date=add_months(START, 6) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
        published_at=datetime.now(UTC) - timedelta(days=published_days_ago),
    )
    db.session.commit()
    return made


def waiting_gp(name, municipality="4601", **profile):
    gp = factories.make_gp(name=name, municipality_number=municipality, **profile)
    factories.make_window(gp, start=START - timedelta(days=10), specialties=["psychiatry"])
    return gp


def login_coordinator(client, region="helse-vest"):
    user = factories.make_user("coordinator", region_code=region)
    user.locale = "en"  # the tests read the English words
    db.session.commit()
    browser = Browser(client)
    browser.login(user.email)
    return browser


def waiting_section(page: str) -> str:
    return page.split('id="waiting-title"')[1].split('id="matches-title"')[0]


def order_in(page: str, names: list[str]) -> list[str]:
    section = waiting_section(page)
    return sorted(names, key=section.index)


def test_waiting_list_follows_the_policy_order(ctx, client):
    waiting_gp("Anne Kurs", months_general_practice=50, courses_completed=5)
    waiting_gp("Bjørn Lang", months_general_practice=60, courses_completed=0)
    waiting_gp("Cato Kort", months_general_practice=50, courses_completed=1)
    waiting_gp("Oslo Lege", municipality="0301", months_general_practice=90)
    login_coordinator(client)
    page = client.get("/coordination/").get_data(as_text=True)
    assert order_in(page, ["Anne Kurs", "Bjørn Lang", "Cato Kort"]) == [
        "Bjørn Lang",
        "Anne Kurs",
        "Cato Kort",
    ]
    assert "Oslo Lege" not in waiting_section(page)  # seeks service in another region


def test_registration_time_first_puts_the_earliest_registration_first(ctx):
    region = factories.region("helse-vest")
    update_policy(
        region.policy, {"priority": ["registered_at", "lottery"]}, reason="VV-modell", actor=None
    )
    late = waiting_gp("Sein Registrert", months_general_practice=100)
    early = waiting_gp("Tidleg Registrert", months_general_practice=40)
    early.registered_at = datetime.now(UTC) - timedelta(days=300)
    late.registered_at = datetime.now(UTC) - timedelta(days=10)
    db.session.commit()
    entries = waiting_list(region, TODAY)
    assert [e.gp.name for e in entries] == ["Tidleg Registrert", "Sein Registrert"]
    seed = lottery.seed_for(region, TODAY)
    assert entries[0].lottery == matching.lottery_number(seed, str(early.id))


def test_lottery_breaks_ties_like_the_run(ctx):
    region = factories.region("helse-vest")
    gps = [waiting_gp(f"Lik {i}") for i in range(4)]
    same = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for gp in gps:  # identical on every key but the lottery
        gp.registered_at = same
    db.session.commit()
    seed = lottery.seed_for(region, TODAY)
    expected = sorted(gps, key=lambda g: matching.lottery_number(seed, str(g.id)))
    assert [e.gp.id for e in waiting_list(region, TODAY)] == [g.id for g in expected]


def test_below_minimum_months_and_live_matches_are_marked(ctx, client):
    waiting_gp("Fersk Lege", months_general_practice=10)
    login_coordinator(client)
    section = waiting_section(client.get("/coordination/").get_data(as_text=True))
    assert "Fersk Lege" in section and "below the minimum months" in section


def test_periods_near_fallback_are_listed(ctx, client):
    period(published_days_ago=55)  # two months after publication is within 14 days
    login_coordinator(client)
    page = client.get("/coordination/").get_data(as_text=True)
    near = page.split('id="near-title"')[1].split('id="periods-title"')[0]
    assert "advertised in" in near and psychiatry().name in near


def test_national_coordinator_chooses_a_region(ctx, client):
    waiting_gp("Oslo Lege", municipality="0301", months_general_practice=90)
    user = factories.make_user("coordinator")
    user.locale = "en"  # the tests read the English words
    db.session.commit()
    Browser(client).login(user.email)
    page = client.get("/coordination/?region=helse-sor-ost").get_data(as_text=True)
    assert '<label for="region-choice">' in page
    assert "Oslo Lege" in waiting_section(page)
    assert client.get("/coordination/?region=nowhere").status_code == 404


@pytest.mark.parametrize("region", ["helse-sor-ost", "helse-nord"])
def test_a_regional_coordinator_sees_only_their_region(ctx, client, region):
    login_coordinator(client)
    assert client.get(f"/coordination/?region={region}").status_code == 404
    page = client.get("/coordination/?region=helse-vest").get_data(as_text=True)
    assert 'id="region-choice"' not in page
