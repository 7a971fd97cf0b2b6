"""The coordinators' pages: who may see them, and that every page passes the static
accessibility checks with the demo data, dry run included."""

import pytest
import sqlalchemy as sa

from app.access import period_ids_in_regions
from app.dates import local_today
from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from app.models import Match, MatchingRun, Policy

from . import factories
from .a11y import problems
from .conftest import Browser

PAGES = [
    "/coordination/",
    "/coordination/runs",
    "/coordination/assign",
    "/coordination/forbids",
    "/coordination/policies",
    "/coordination/audit",
]
# Runs are national objects: every coordinator sees every run and may start or commit one;
# the run's page shows the changes in the coordinator's regions.


@pytest.fixture
def demo(ctx):
    load_demo()
    db.session.commit()


@pytest.mark.parametrize("role", ["gp", "trust"])
def test_trust_staff_and_gps_get_403_everywhere(ctx, client, role):
    if role == "gp":
        factories.make_gp(email="lege@example.no")
        email = "lege@example.no"
    else:
        email = factories.make_user("trust", trust_code="helse-bergen").email
    policy_id = factories.region("helse-vest").policy.id
    browser = Browser(client)
    browser.login(email)
    for path in [*PAGES, "/coordination/runs/1", f"/coordination/policies/{policy_id}"]:
        assert client.get(path).status_code == 403, path
    for path in [
        "/coordination/runs",
        "/coordination/runs/1/commit",
        "/coordination/matches/1/cancel",
        "/coordination/assign",
        "/coordination/forbids",
        f"/coordination/policies/{policy_id}",
        "/coordination/policies/overrides",
    ]:
        assert browser.submit(path, {"reason": "x"}, page="/dashboard").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/coordination/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_every_page_passes_the_static_checks(demo, client, locale):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    browser = Browser(client)
    assert browser.login("koordinator.vest@demo.alis.no", DEMO_PASSWORD).status_code == 302
    before = [(m.id, m.status) for m in db.session.scalars(sa.select(Match).order_by(Match.id))]
    response = browser.submit("/coordination/runs", {"as_of": local_today().isoformat()})
    assert response.status_code == 302
    run = db.session.scalar(sa.select(MatchingRun).order_by(MatchingRun.id.desc()))
    after = [(m.id, m.status) for m in db.session.scalars(sa.select(Match).order_by(Match.id))]
    assert run.dry_run and after == before
    committed = browser.submit(
        f"/coordination/runs/{run.id}/commit", {}, page=f"/coordination/runs/{run.id}"
    )
    assert committed.status_code == 302
    # a match in the coordinator's region (the demo's Ahus matches are in Helse Sør-Øst)
    match = db.session.scalars(
        sa.select(Match)
        .where(Match.period_id.in_(period_ids_in_regions([factories.region("helse-vest").id])))
        .order_by(Match.id)
    ).first()
    policy = db.session.scalar(sa.select(Policy).where(Policy.trust_id.is_not(None)))
    paths = [
        *PAGES,
        f"/coordination/runs/{run.id}",
        committed.headers["Location"],
        f"/coordination/policies/{factories.region('helse-vest').policy.id}",
        "/coordination/audit?object=period:1",
        "/coordination/audit?object=nonsense",
        f"/coordination/matches/{match.id}/cancel",
        f"/coordination/assign?period_id={match.period_id}&gp_id={match.gp_id}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 422), path
        assert problems(response.get_data(as_text=True)) == [], path
    vest_policy = factories.region("helse-vest").policy
    for path, data in [
        (f"/coordination/policies/{vest_policy.id}", {"priority_1": "lottery", "reason": ""}),
        ("/coordination/assign", {"period_id": "x", "reason": ""}),
        (f"/coordination/matches/{match.id}/cancel", {"reason": ""}),
        ("/coordination/policies/overrides", {"trust_id": "", "reason": ""}),
    ]:
        response = browser.submit(path, data)
        assert response.status_code == 422, path
        assert problems(response.get_data(as_text=True)) == [], path
    browser.logout()
    assert browser.login("koordinator@demo.alis.no", DEMO_PASSWORD).status_code == 302
    for path in [*PAGES, "/coordination/?region=helse-nord", f"/coordination/runs/{run.id}"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert problems(response.get_data(as_text=True)) == [], path
    assert policy is None or client.get(f"/coordination/policies/{policy.id}").status_code == 200
