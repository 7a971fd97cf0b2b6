"""Matching runs from the coordinators' pages: a dry run first, what it would change and
the trade-off between the modes, then the commit."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import dates
from app.coordination import routes
from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.models import Match, MatchingRun, Period, Policy, User
from app.periods.services import PeriodInput
from app.policy import DEFAULTS
from app.runs.services import RunRefused, RunRequest, execute

from . import factories
from .conftest import Browser

TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)


def department(specialty, trust_code="helse-bergen"):
    return next(d for d in factories.trust(trust_code).departments if d.specialty.code == specialty)


def period(specialty, trust_code="helse-bergen"):
    made = publish_period(
        PeriodInput(
            department_id=department(specialty, trust_code).id,
            start_date=START,
            end_date=add_months(START, 6) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
    )
    db.session.commit()
    return made


def gp(name, specialties, months):
    made = factories.make_gp(name=name, months_general_practice=months)
    factories.make_window(made, start=START - timedelta(days=10), specialties=specialties)
    return made


@pytest.fixture
def market(ctx):
    """Strict priority places one GP; placing both needs passing over the first."""
    psychiatry = period("psychiatry")
    paediatrics = period("paediatrics")
    first = gp("Først Prioritert", ["psychiatry", "paediatrics"], 80)
    second = gp("Andre Kandidat", ["psychiatry"], 40)
    return {"psychiatry": psychiatry, "paediatrics": paediatrics, "first": first, "second": second}


@pytest.fixture
def browser(client):
    user = factories.make_user("coordinator", region_code="helse-vest")
    user.locale = "en"  # the tests read the English words
    db.session.commit()
    browser = Browser(client)
    browser.login(user.email)
    return browser


def dry_run(browser):
    response = browser.submit("/coordination/runs", {"as_of": TODAY.isoformat()})
    assert response.status_code == 302
    run = db.session.scalar(sa.select(MatchingRun).order_by(MatchingRun.id.desc()))
    assert response.headers["Location"].endswith(f"/coordination/runs/{run.id}")
    return run


def test_a_dry_run_changes_nothing_but_stores_its_summary(market, browser):
    run = dry_run(browser)
    assert run.dry_run and run.status == "succeeded" and run.triggered_by == "manual"
    assert run.summary["regions"]["helse-vest"]["new"]
    assert db.session.scalars(sa.select(Match)).all() == []
    statuses = {p.status for p in db.session.scalars(sa.select(Period))}
    assert statuses == {"open"}
    page = browser.get(f"/coordination/runs/{run.id}").get_data(as_text=True)
    assert "Først Prioritert" in page and department("psychiatry").name in page
    assert "Commit this run" in page and "can differ from this dry run" in page


def test_the_trade_off_between_the_modes_is_shown(market, browser):
    run = dry_run(browser)
    region = run.summary["regions"]["helse-vest"]
    assert region["placements"] == 1
    assert region["alternative"] == {"mode": "max_placements", "placements": 2, "passed_over": 1}
    page = browser.get(f"/coordination/runs/{run.id}").get_data(as_text=True)
    assert "The other mode would place 1 more GP." in page
    assert "pass over 1 candidate with higher priority" in page


def max_placements(region_code="helse-vest"):
    """The region's policy: max_placements."""
    region = factories.region(region_code)
    if region.policy is None:
        region.policy = Policy(priority=list(DEFAULTS.priority))
    region.policy.mode = "max_placements"
    db.session.commit()


def test_max_placements_names_whom_it_passes_over(market, browser):
    """Issue 16, section 4: in max_placements the page says whom the mode passes over, with
    the candidate placed instead, and the count above says as many: one source for both."""
    max_placements()
    run = dry_run(browser)
    region = run.summary["regions"]["helse-vest"]
    assert region["mode"] == "max_placements" and region["placements"] == 2
    assert region["blocking_pairs_by_cause"] == {"pin": 0, "placed": 0, "department_capacity": 0}
    assert region["passed_over_pairs"] == [
        {
            "gp": str(market["first"].id),
            "period": str(market["psychiatry"].id),
            "holder": str(market["second"].id),
        }
    ]
    assert region["passed_over"] == 1
    assert region["alternative"] == {"mode": "strict_priority", "placements": 1, "passed_over": 0}
    page = browser.get(f"/coordination/runs/{run.id}").get_data(as_text=True)
    assert "The current mode passes over 1 candidate with higher priority." in page
    assert "None: no one was passed over." not in page
    assert "passed over for Andre Kandidat, so that more GPs are placed" in page
    section = page[page.index("Where priority could not be followed") :]
    assert "Først Prioritert" in section and department("psychiatry").name in section


def test_strict_priority_passes_nobody_over(market, browser):
    run = dry_run(browser)
    region = run.summary["regions"]["helse-vest"]
    assert region["passed_over"] == 0 and region["passed_over_pairs"] == []
    page = browser.get(f"/coordination/runs/{run.id}").get_data(as_text=True)
    assert "None: no one was passed over." in page


def test_committing_creates_the_proposals(market, browser):
    run = dry_run(browser)
    response = browser.submit(
        f"/coordination/runs/{run.id}/commit", {}, page=f"/coordination/runs/{run.id}"
    )
    assert response.status_code == 302
    committed = db.session.scalar(sa.select(MatchingRun).order_by(MatchingRun.id.desc()))
    assert committed.id != run.id and not committed.dry_run and committed.as_of == run.as_of
    match = db.session.scalar(sa.select(Match).where(Match.status == "proposed"))
    assert (match.gp_id, match.period_id) == (market["first"].id, market["psychiatry"].id)
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Commit this run" not in page and "Først Prioritert" in page
    # the list shows both, with their kind
    runs = browser.get("/coordination/runs").get_data(as_text=True)
    assert f"Run {run.id}" in runs and f"Run {committed.id}" in runs and "dry run" in runs


def test_a_refused_commit_says_why(market, browser, monkeypatch):
    run = dry_run(browser)

    def refuse(request):
        raise RunRefused("another matching run is in progress")

    monkeypatch.setattr(routes, "execute", refuse)
    response = browser.submit(
        f"/coordination/runs/{run.id}/commit", {}, page=f"/coordination/runs/{run.id}"
    )
    assert response.status_code == 409
    assert "Another matching run is in progress" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Match)).all() == []


def test_a_committed_run_cannot_be_committed_again(market, browser):
    run = dry_run(browser)
    page = f"/coordination/runs/{run.id}"
    browser.submit(f"{page}/commit", {}, page=page)
    committed = db.session.scalar(sa.select(MatchingRun).order_by(MatchingRun.id.desc()))
    again = browser.submit(
        f"/coordination/runs/{committed.id}/commit", {}, page=f"/coordination/runs/{run.id}"
    )
    assert again.status_code == 409


@pytest.mark.parametrize("value", ["31.02.2027", "", (TODAY - timedelta(days=1)).isoformat()])
def test_a_bad_date_is_an_error_next_to_the_field(ctx, browser, value):
    response = browser.submit("/coordination/runs", {"as_of": value})
    assert response.status_code == 422
    assert 'id="as_of-error"' in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(MatchingRun)).all() == []


def test_today_is_the_day_in_oslo_not_in_utc(ctx, browser, monkeypatch):
    """At 23:30 UTC it is already the next day in Oslo: that day is today, UTC's is past."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 23, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(dates, "datetime", Clock)
    assert local_today() == date(2026, 11, 24)
    refused = browser.submit("/coordination/runs", {"as_of": "2026-11-23"})
    assert refused.status_code == 422 and 'id="as_of-error"' in refused.get_data(as_text=True)
    assert browser.submit("/coordination/runs", {"as_of": "2026-11-24"}).status_code == 302
    run = db.session.scalar(sa.select(MatchingRun))
    assert run.as_of == date(2026, 11, 24)


def test_a_regional_run_is_the_regions_and_a_national_run_shows_each_its_region(
    market, browser, client
):
    run = dry_run(browser)
    assert run.region.code == "helse-vest"
    national = execute(RunRequest(as_of=TODAY, dry_run=True))
    assert national.region is None
    browser.logout()
    other = factories.make_user("coordinator", region_code="helse-nord")
    other.locale = "en"  # the tests read the English words
    db.session.commit()
    browser.login(other.email)
    listing = client.get("/coordination/runs").get_data(as_text=True)
    assert f"/coordination/runs/{national.id}" in listing
    assert f"/coordination/runs/{run.id}" not in listing
    assert client.get(f"/coordination/runs/{run.id}").status_code == 404
    page = client.get(f"/coordination/runs/{national.id}").get_data(as_text=True)
    assert page.count("Først Prioritert") == 0
    assert "The run changed nothing in your regions." in page
    assert client.get("/coordination/runs/999999").status_code == 404


def test_lists_of_runs_leave_the_problem_and_result_in_the_database(market, browser):
    """Issue 18: a run's problem and result (megabytes at national scale) are deferred
    columns; the run list (page and API) never selects them, nor the run's pairs, and the
    run's own page reads the stored records instead."""
    from tests.app.apiutil import Api
    from tests.app.statements import recorded

    dry_run(browser)
    run = db.session.scalars(sa.select(MatchingRun)).one()
    with recorded() as statements:
        assert browser.get("/coordination/runs").status_code == 200
        user = db.session.scalar(sa.select(User).where(User.role == "coordinator"))
        assert Api.login(browser.client, user.email).get("/matching/runs").status_code == 200
        # Rows loaded from the table (a count over a subquery reads no column's data).
        listed = [s for s in statements if s.lstrip().startswith("SELECT matching_runs.")]
        assert listed and not any(
            "matching_runs.problem" in s or "matching_runs.result" in s for s in listed
        )
        assert not any("run_blocking_pairs" in s for s in statements)
        statements.clear()
        assert browser.get(f"/coordination/runs/{run.id}").status_code == 200
        # The run's page reads what the run stored, not its problem and result.
        assert not any(
            "matching_runs.problem" in s or "matching_runs.result" in s for s in statements
        )
