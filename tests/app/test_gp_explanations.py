"""Why not? The engine's reasons in plain words, from the latest committed run, never
naming another GP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import add_months, local_today
from app.extensions import db
from app.gps import services
from app.gps.explanations import OUTCOMES
from app.lifecycle import publish_period
from app.models import Match, User
from app.periods.services import PeriodInput
from app.runs.services import RunRequest, execute

from . import factories
from .a11y import problems
from .conftest import Browser

TODAY = local_today()
START = TODAY + timedelta(days=60)


def period_in(specialty_code, *, months=6, trust_code="helse-bergen"):
    department = next(
        d for d in factories.trust(trust_code).departments if d.specialty.code == specialty_code
    )
    period = publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=START,
            end_date=add_months(START, months) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
    )
    db.session.commit()
    return period


def english_gp(**profile):
    gp = factories.make_gp(**profile)
    gp.user.locale = "en"
    db.session.commit()
    return gp


@pytest.fixture
def market(ctx_en):
    """Psychiatry for 6 and 3 months and paediatrics in Bergen; three GPs want psychiatry."""
    periods = {
        "psychiatry": period_in("psychiatry"),
        "short": period_in("psychiatry", months=3),
        "paediatrics": period_in("paediatrics"),
    }
    gps = {
        "first": english_gp(months_general_practice=60, name="Første Kandidat"),
        "second": english_gp(months_general_practice=40, name="Andre Kandidat"),
        "junior": english_gp(months_general_practice=20, name="Ung Kandidat"),
    }
    for gp in gps.values():
        factories.make_window(gp, start=TODAY + timedelta(days=30), specialties=["psychiatry"])
    execute(RunRequest(as_of=TODAY, trigger="manual"))
    return {"periods": periods, "gps": gps}


def by_period(items):
    return {e.period.id: e for e in items}


def test_reasons_for_each_period(market):
    periods, gps = market["periods"], market["gps"]
    first = by_period(services.explanations_for(gps["first"]))
    assert first[periods["psychiatry"].id].outcome == "proposed"
    assert first[periods["psychiatry"].id].reason == "matched"

    second = by_period(services.explanations_for(gps["second"]))
    assert second[periods["psychiatry"].id].outcome == "not_placed"
    assert second[periods["psychiatry"].id].reason == "higher_priority_candidate_placed"
    assert second[periods["short"].id].reason == "too_short"
    assert "6 months" in second[periods["short"].id].text
    assert second[periods["paediatrics"].id].reason == "specialty_not_wished"

    junior = by_period(services.explanations_for(gps["junior"]))
    text = junior[periods["psychiatry"].id].text
    assert junior[periods["psychiatry"].id].reason == "not_eligible"
    assert "36" in text and "20" in text
    for items in (first, second, junior):
        assert {e.outcome for e in items.values()} <= set(OUTCOMES)


def test_a_period_no_run_has_seen_is_not_yet_run(market):
    later = period_in("psychiatry", trust_code="helse-stavanger")
    items = by_period(services.explanations_for(market["gps"]["second"]))
    assert items[later.id].reason == "not_yet_run"
    assert "No matching run has considered you" in items[later.id].text


def test_a_declined_period_says_so(market):
    first = market["gps"]["first"]
    match = db.session.scalar(sa.select(Match).where(Match.gp_id == first.id))
    lifecycle.decline(match, actor=first.user)
    db.session.commit()
    items = by_period(services.explanations_for(first))
    psychiatry = items[market["periods"]["psychiatry"].id]
    assert (psychiatry.outcome, psychiatry.reason) == ("not_placed", "forbidden")
    assert psychiatry.text.startswith("You declined this period")
    # the period is open again: the second GP's old reason no longer holds
    second = by_period(services.explanations_for(market["gps"]["second"]))
    assert second[market["periods"]["psychiatry"].id].reason == "not_yet_run"


def test_a_paused_window_is_left_out(market):
    second = market["gps"]["second"]
    window = services.current_window(second)
    lifecycle.set_availability_status(window, "pause", actor=second.user)
    db.session.commit()
    later = period_in("psychiatry", trust_code="helse-stavanger")
    items = by_period(services.explanations_for(second))
    assert items[later.id].reason == "not_yet_run"
    assert "paused" in items[later.id].text
    assert items[market["periods"]["paediatrics"].id].reason == "specialty_not_wished"


def test_the_page_shows_reasons_and_never_another_gp(market, client):
    second = market["gps"]["second"]
    browser = Browser(client)
    browser.login(second.user.email)
    response = client.get("/my/why-not")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and problems(page) == []
    assert "A candidate with higher priority for this period got it." in page
    assert "You have not wished this specialty" in page
    assert "How candidates are ranked in Helse Vest" in page
    for other in ("first", "junior"):
        gp = market["gps"][other]
        assert gp.name not in page and gp.hpr_number not in page and gp.user.email not in page
        assert f"/gps/{gp.id}" not in page


def test_the_page_without_a_window(ctx, client):
    gp = english_gp()
    browser = Browser(client)
    browser.login(gp.user.email)
    page = client.get("/my/why-not").get_data(as_text=True)
    assert problems(page) == []
    assert "You have no current availability window" in page
    assert services.explanations_for(gp) == []


def test_the_demo_gps_pages_after_a_run(ctx, client):
    from app.demo import DEMO_PASSWORD, load_demo

    load_demo()
    db.session.commit()
    execute(RunRequest(as_of=TODAY, trigger="manual"))
    browser = Browser(client)
    assert browser.login("lege@demo.alis.no", DEMO_PASSWORD).status_code == 302
    for path in ("/availability", "/my/matches", "/my/why-not"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert problems(response.get_data(as_text=True)) == [], path
    user = db.session.scalar(sa.select(User).where(User.email == "lege@demo.alis.no"))
    window = services.current_window(user.gp)
    page = client.get(f"/availability/{window.id}/edit")
    assert page.status_code == 200 and problems(page.get_data(as_text=True)) == []
