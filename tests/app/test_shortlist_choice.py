"""Issue 20 part 3: under a shortlist policy (Ahus) the run leaves the ranked shortlist for
the department, the engine's proposal marked; the department chooses (page and API) and
the lifecycle goes on; with one candidate only the engine's proposal goes on directly; the
policy form refuses rules that cannot work together; the demo shows an Ahus shortlist."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.coordination.counts import to_confirm
from app.dates import local_today
from app.extensions import db
from app.matches.queries import live_match_for_period
from app.models import AuditEvent, Match, Notification, Policy, Trust
from app.periods.shortlist import shortlist
from app.reference.loader import ReferenceDataError, validate_policy
from app.runs.services import RunRequest, execute

from . import factories
from .a11y import problems
from .apiutil import Api, error_of
from .conftest import Browser
from .test_periods_shortlist import BAERUM, LILLESTROM, _gp, _period

TODAY = local_today()


def _run(*, dry_run=False, trigger="nightly"):
    return execute(RunRequest(as_of=TODAY, dry_run=dry_run, trigger=trigger))


@pytest.fixture
def ahus(ctx):
    """An Ahus period (its reference policy: shortlist of 15, automatic confirmation) and
    three GPs who fit it, the senior one first in priority."""
    period = _period()
    gps = {
        "senior": _gp("Erfaren Lege", LILLESTROM, 60, ["internal-medicine"]),
        "junior": _gp("Ung Lege", LILLESTROM, 40, ["internal-medicine"]),
        "outsider": _gp("Utenfor Opptak", BAERUM, 150, ["internal-medicine"]),
    }
    staff = factories.make_user("trust", trust_code="ahus")
    staff.locale = "en"
    db.session.commit()
    return period, gps, staff


def _login(client, user):
    browser = Browser(client)
    browser.login(user.email)
    return browser


def test_ahus_policy_is_a_shortlist_with_automatic_confirmation(ctx):
    policy = factories.trust("ahus").own_policy
    assert (policy.selection, policy.shortlist_size, policy.confirmation) == (
        "shortlist",
        15,
        "automatic",
    )


def test_the_nightly_run_leaves_the_shortlist_for_the_department(ahus):
    period, gps, staff = ahus
    run = _run()
    match = live_match_for_period(period)
    assert match.gp_id == gps["senior"].id and match.status == "proposed"
    assert match.awaiting_choice and match.confirmed_at is None and not match.pinned
    assert match.explanation["shortlist"] == {"candidates": 3}
    assert period.status == "matched"
    assert run.summary["regions"]["helse-sor-ost"]["awaiting_choice"] == [period.id]
    entries = shortlist(period, staff)
    assert [e.gp.id for e in entries] == [gps[k].id for k in ("senior", "junior", "outsider")]
    assert [e.proposed for e in entries] == [True, False, False]
    # the trust is asked to choose, not to make an offer; no coordinator confirms
    kinds = {n.kind for n in db.session.scalars(sa.select(Notification)) if n.user_id == staff.id}
    assert "shortlist_ready" in kinds and "proposal_confirmed" not in kinds
    trust_ids = sa.select(Trust.id).where(Trust.code == "ahus")
    assert db.session.scalars(to_confirm(trust_ids)).all() == []
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    with pytest.raises(Exception) as caught:
        lifecycle.confirm(match, actor=coordinator)
    assert caught.value.code == "awaits_department_choice"


def test_a_waiting_proposal_can_be_confirmed_once_the_rules_let_the_engine_propose(ahus):
    period, _, _ = ahus
    _run()
    match = live_match_for_period(period)
    period.department.trust.own_policy.selection = "solver"
    db.session.commit()
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    lifecycle.confirm(match, actor=coordinator)
    db.session.commit()
    assert match.confirmed_at is not None and not match.awaiting_choice


def test_a_later_run_keeps_the_proposal_waiting(ahus):
    period, gps, _ = ahus
    _run(trigger="manual")
    first = live_match_for_period(period)
    _run(trigger="manual")
    again = live_match_for_period(period)
    assert again.id == first.id and again.awaiting_choice and again.confirmed_at is None


def test_a_coordinators_preview_shows_the_wait_and_changes_nothing(ahus):
    period, _, _ = ahus
    run = _run(dry_run=True, trigger="manual")
    assert run.summary["regions"]["helse-sor-ost"]["awaiting_choice"] == [period.id]
    assert live_match_for_period(period) is None and period.status == "open"


def test_the_run_page_marks_the_periods_waiting_for_a_choice(ahus, client):
    period, _, _ = ahus
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    browser = _login(client, coordinator)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    response = browser.submit("/coordination/runs", {"as_of": TODAY.isoformat()})
    assert response.status_code == 302
    assert live_match_for_period(period) is None  # a preview changes nothing
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert problems(page) == []
    row = page.split("Erfaren Lege")[1].split("</tr>")[0]
    assert "the department chooses from the shortlist" in row


def test_one_candidate_only_is_proposed_directly(ctx):
    period = _period()
    only = _gp("Eneste Lege", LILLESTROM, 60, ["internal-medicine"])
    _run()
    match = live_match_for_period(period)
    assert match.gp_id == only.id
    # Ahus confirms automatically: the trust makes the offer at once
    assert not match.awaiting_choice and match.confirmed_at is not None
    assert "shortlist" not in match.explanation


def test_the_department_chooses_on_the_page_and_the_lifecycle_goes_on(ahus, client):
    period, gps, staff = ahus
    _run()
    browser = _login(client, staff)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    page = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert problems(page) == []
    assert "No candidate is chosen yet. The engine proposes Erfaren Lege" in page
    assert page.count("The engine's proposal") == 1
    row = page.split('<th scope="row">Erfaren Lege')[1].split("</th>")[0]
    assert "The engine's proposal" in row
    assert 'name="accept_by"' not in page  # no offer before a choice
    response = browser.submit(
        f"/periods/{period.id}/choose",
        {"gp_id": str(gps["junior"].id)},
        page=f"/periods/{period.id}",
    )
    assert response.status_code == 302
    match = live_match_for_period(period)
    assert match.gp_id == gps["junior"].id and match.confirmed_at is not None
    assert not match.awaiting_choice and match.pinned
    assert match.explanation["shortlist"] == {
        "engine_gp_id": gps["senior"].id,
        "chosen_gp_id": gps["junior"].id,
        "position": 2,
        "candidates": 3,
    }
    engine = db.session.scalar(
        sa.select(Match).where(Match.period_id == period.id, Match.gp_id == gps["senior"].id)
    )
    assert engine.status == "cancelled"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "match.chosen"))
    assert event.actor_id == staff.id and event.object_id == match.id
    assert event.data["engine_gp_id"] == gps["senior"].id
    assert event.data["chosen_gp_id"] == gps["junior"].id
    # the lifecycle goes on: the trust offers
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=10), actor=staff)
    db.session.commit()
    assert match.status == "offered"


def test_the_coordinator_sees_what_the_engine_proposed_and_what_was_chosen(ahus, client):
    period, gps, staff = ahus
    _run()
    from app.periods.shortlist import choose_candidate

    choose_candidate(period, gps["outsider"].id, actor=staff)
    db.session.commit()
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    coordinator.locale = "en"
    db.session.commit()
    browser = _login(client, coordinator)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    page = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert problems(page) == []
    facts = page.split("The engine's proposal</dt>")[1]
    assert facts.split("</dd>")[0].endswith("Erfaren Lege")
    assert "Utenfor Opptak, number 3 of 3 on the shortlist" in facts
    log = browser.get("/coordination/audit?action=match.chosen").get_data(as_text=True)
    assert "Candidate chosen from the shortlist" in log
    assert "Erfaren Lege" in log and "Utenfor Opptak" in log


def test_the_api_reads_the_shortlist_and_chooses(ahus, client):
    period, gps, staff = ahus
    _run()
    db.session.commit()
    api = Api.login(client, staff.email)
    response = api.get(f"/periods/{period.id}/shortlist")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 3 and body["awaiting_choice"] is True
    assert [i["gp_id"] for i in body["items"]] == [
        gps[k].id for k in ("senior", "junior", "outsider")
    ]
    assert [i["engine_proposal"] for i in body["items"]] == [True, False, False]
    assert body["items"][0]["catchment"] is True and body["items"][2]["catchment"] is False
    proposal = live_match_for_period(period)
    matches = api.get(f"/matches?period={period.id}").get_json()["items"]
    assert [m["awaiting_choice"] for m in matches] == [True]
    # a coordinator cannot confirm it: the department chooses
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    refused = Api.login(client, coordinator.email).post(f"/matches/{proposal.id}/confirm")
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "awaits_department_choice"
    # not on the shortlist: 409; a malformed choice: 422
    held = _gp("Har Plass", LILLESTROM, 200, ["psychiatry"])
    response = api.post(f"/periods/{period.id}/shortlist", json={"gp_id": held.id})
    assert response.status_code == 409 and error_of(response)["code"] == "not_on_shortlist"
    response = api.post(f"/periods/{period.id}/shortlist", json={"gp_id": "x"})
    assert response.status_code == 422
    response = api.post(f"/periods/{period.id}/shortlist", json={"gp_id": gps["senior"].id})
    assert response.status_code == 201, response.get_json()
    chosen = response.get_json()
    assert chosen["gp_id"] == gps["senior"].id and chosen["confirmed_at"] is not None
    assert chosen["awaiting_choice"] is False
    assert chosen["explanation"]["shortlist"]["engine_gp_id"] == gps["senior"].id
    # the lifecycle goes on: an offer through the API
    deadline = (TODAY + timedelta(days=10)).isoformat()
    offered = api.post(f"/matches/{chosen['id']}/offer", json={"accept_by": deadline})
    assert offered.status_code == 200 and offered.get_json()["status"] == "offered"
    gone = api.get(f"/periods/{period.id}/shortlist")
    assert gone.status_code == 409 and error_of(gone)["code"] == "shortlist_chosen"


def test_the_api_shortlist_is_the_trusts_own(ahus, client):
    period, _, _ = ahus
    other = factories.make_user("trust", trust_code="helse-bergen")
    response = Api.login(client, other.email).get(f"/periods/{period.id}/shortlist")
    assert response.status_code in (403, 404)
    gp = factories.make_gp()
    response = Api.login(client, gp.user.email).get(f"/periods/{period.id}/shortlist")
    assert response.status_code == 403
    bergen = factories.make_period("helse-bergen")
    response = Api.login(client, other.email).get(f"/periods/{bergen.id}/shortlist")
    assert response.status_code == 409
    assert error_of(response)["code"] == "shortlist_solver_policy"


# ---- the policy form refuses rules that cannot work together


def _policy_form(policy, **changes):
    from .test_coordination_policies import form_data

    return form_data(policy, **changes)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"selection": "shortlist", "shortlist_size": "1"}, "shortlist_size", "at least 2"),
        (
            {"selection": "shortlist", "mode": "max_placements"},
            "mode",
            "cannot fill as many periods as possible",
        ),
    ],
)
def test_the_policy_form_refuses_rules_that_cannot_work(ctx, client, changes, field, message):
    vest = factories.region("helse-vest").policy
    before = (vest.selection, vest.mode, vest.shortlist_size)
    user = factories.make_user("coordinator", region_code="helse-vest")
    user.locale = "en"
    db.session.commit()
    browser = _login(client, user)
    response = browser.submit(f"/coordination/policies/{vest.id}", _policy_form(vest, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message in error
    vest = db.session.get(Policy, vest.id)
    assert (vest.selection, vest.mode, vest.shortlist_size) == before


def test_a_shortlist_with_automatic_confirmation_is_accepted(ctx, client):
    vest = factories.region("helse-vest").policy
    user = factories.make_user("coordinator", region_code="helse-vest")
    browser = _login(client, user)
    response = browser.submit(
        f"/coordination/policies/{vest.id}",
        _policy_form(vest, selection="shortlist", shortlist_size="2", confirmation="automatic"),
    )
    assert response.status_code == 302
    vest = db.session.get(Policy, vest.id)
    assert (vest.selection, vest.shortlist_size) == ("shortlist", 2)


def test_the_reference_loader_refuses_the_same_combinations(ctx):
    good = {"priority": ["catchment", "lottery"], "mode": "strict_priority"}
    validate_policy({**good, "selection": "shortlist", "shortlist_size": 2}, "test")
    with pytest.raises(ReferenceDataError, match="shortlist_too_small"):
        validate_policy({**good, "selection": "shortlist", "shortlist_size": 1}, "test")
    with pytest.raises(ReferenceDataError, match="shortlist_max_placements"):
        validate_policy(
            {**good, "mode": "max_placements", "selection": "shortlist", "shortlist_size": 5},
            "test",
        )
    validate_policy({**good, "selection": "solver", "shortlist_size": 1}, "test")


# ---- the demo


def test_the_demo_shows_an_ahus_shortlist(ctx, client):
    from app.demo import DEMO_PASSWORD, load_demo

    load_demo(today=TODAY)
    db.session.commit()
    waiting = db.session.scalars(
        sa.select(Match).where(Match.awaiting_choice.is_(True), Match.status == "proposed")
    ).all()
    assert len(waiting) == 3
    assert {m.period.department.trust.code for m in waiting} == {"ahus"}
    browser = Browser(client)
    assert browser.login("hr.ahus@demo.alis.no", DEMO_PASSWORD).status_code == 302
    for match in waiting:
        page = client.get(f"/periods/{match.period_id}").get_data(as_text=True)
        assert problems(page) == []
        assert "Motorens forslag" in page
        rows = page.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
        assert rows >= 2
        assert page.count(f'action="/periods/{match.period_id}/choose"') == rows
