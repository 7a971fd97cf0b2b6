"""Verified progress measures (issue 19, item 3): who may verify (page and API, 404 outside
their scope), the lapse and the notice to the verifier when the GP changes a verified value,
the region rule verified_progress_only through a real run and the waiting list, and the
declared/verified states on every page that ranks by the measures."""

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.coordination.overview import waiting_list
from app.coordination.policies import PolicyError, update_policy
from app.dates import local_today
from app.extensions import db
from app.gps import verification
from app.models import GP, AuditEvent, Notification, Policy
from app.runs.services import RunRequest, execute

from . import factories
from .apiutil import Api, error_of
from .conftest import Browser
from .test_runs import live, market  # noqa: F401 - the fixture

TODAY = local_today()
BERGEN, STAVANGER = "4601", "1103"


def notices(user, kind="progress_changed"):
    return list(
        db.session.scalars(
            sa.select(Notification).where(
                Notification.user_id == user.id, Notification.kind == kind
            )
        )
    )


def verified_only(on: bool = True) -> None:
    update_policy(
        factories.region("helse-vest").policy,
        {"verified_progress_only": on},
        reason="verified values only",
        actor=None,
    )
    db.session.commit()


@pytest.fixture
def gp(ctx):
    gp = factories.make_gp(
        municipality_number=BERGEN,
        months_general_practice=50,
        courses_completed=3,
        supervision_group_months=12,
    )
    db.session.commit()
    return gp


# ---- the service


def test_verify_records_value_who_and_when_and_audits(gp):
    municipality = factories.make_user("municipality", municipality_numbers=[BERGEN])
    states = verification.states(gp)
    assert {s.state for s in states.values()} == {"declared"}

    verification.verify(gp, actor=municipality, measures=["courses_completed"])
    db.session.commit()
    states = verification.states(gp)
    assert states["courses_completed"].state == "verified"
    assert states["courses_completed"].verified == 3
    assert states["courses_completed"].verified_by == municipality.email
    assert states["courses_completed"].verified_at is not None
    assert states["months_general_practice"].state == "declared"

    verification.verify(gp, actor=municipality)  # all three
    db.session.commit()
    assert {s.state for s in verification.states(gp).values()} == {"verified"}
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action == "gp.progress_verified")
    ).all()
    assert len(actions) == 2

    with pytest.raises(verification.InvalidInput) as refused:
        verification.verify(gp, actor=municipality, measures=["hospital_months"])
    assert refused.value.code == "unknown_measure"


def test_the_database_refuses_half_a_verification(gp):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(GP).where(GP.id == gp.id).values(months_general_practice_verified=10)
        )
    db.session.rollback()


# ---- who may: the page


def test_verify_through_the_page_and_404_outside_scope(gp, client):
    browser = Browser(client)
    url = f"/gps/{gp.id}/progress/verify"
    outsiders = [
        factories.make_user("municipality", municipality_numbers=[STAVANGER]),
        factories.make_user("coordinator", region_code="helse-nord"),
        factories.make_user("trust", trust_code="helse-bergen"),
    ]
    db.session.commit()
    for user in outsiders:
        browser.login(user.email)
        assert browser.submit(url, {}, page="/dashboard").status_code == 404, user.role
        browser.logout()
    browser.login(gp.user.email)  # the GP does not verify their own values
    assert browser.submit(url, {}, page="/dashboard").status_code == 404
    browser.logout()

    municipality = factories.make_user("municipality", municipality_numbers=[BERGEN])
    db.session.commit()
    browser.login(municipality.email)
    page = browser.get(f"/gps/{gp.id}").get_data(as_text=True)
    assert "Bekreft alle tre som oppgitt" in page
    done = browser.submit(url, {"measure": "months_general_practice"}, page=f"/gps/{gp.id}")
    assert done.status_code == 302
    db.session.refresh(gp)
    assert gp.months_general_practice_verified == 50
    assert gp.months_general_practice_verified_by_id == municipality.id
    assert gp.courses_completed_verified is None
    # a value the form does not offer: no 500, nothing verified
    bad = browser.submit(url, {"measure": "'; DROP TABLE gps"}, page=f"/gps/{gp.id}")
    assert bad.status_code == 302
    db.session.refresh(gp)
    assert gp.courses_completed_verified is None
    # without the CSRF token nothing happens
    assert client.post(url, data={}).status_code in (302, 400)
    db.session.refresh(gp)
    assert gp.courses_completed_verified is None

    browser.logout()
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    db.session.commit()
    browser.login(coordinator.email)
    verified = browser.submit(url, {"measure": "courses_completed"}, page=f"/gps/{gp.id}")
    assert verified.status_code == 302
    db.session.refresh(gp)
    assert gp.courses_completed_verified_by_id == coordinator.id
    assert gp.supervision_group_months_verified is None
    page = browser.get(f"/gps/{gp.id}").get_data(as_text=True)
    assert f"bekreftet av {municipality.email}" in page
    assert f"bekreftet av {coordinator.email}" in page


# ---- who may: the API


def test_verify_through_the_api(gp, client):
    url = f"/gps/{gp.id}/progress/verify"
    outsider = factories.make_user("municipality", municipality_numbers=[STAVANGER])
    elsewhere = factories.make_user("coordinator", region_code="helse-nord")
    municipality = factories.make_user("municipality", municipality_numbers=[BERGEN])
    db.session.commit()
    for user in (outsider, elsewhere, gp.user):
        refused = Api.login(client, user.email).post(url)
        assert refused.status_code == 404 and error_of(refused)["code"] == "not_found"

    api = Api.login(client, municipality.email)
    assert api.post("/gps/999999/progress/verify").status_code == 404
    assert api.post("/gps/99999999999999999999/progress/verify").status_code == 404
    for body in (
        {"measures": ["hospital_months"]},
        {"measures": "courses_completed"},
        {"measures": [1]},
        {"measures": ["courses_completed"] * 4},
        {"other": 1},
        [],
    ):
        bad = api.post(url, json=body)
        assert bad.status_code == 422, (body, bad.get_json())
        assert error_of(bad)["code"] == "validation_failed"

    done = api.post(url, json={"measures": ["courses_completed"]})
    assert done.status_code == 200, done.get_json()
    progress = done.get_json()["progress"]
    assert progress["courses_completed"]["state"] == "verified"
    assert progress["courses_completed"]["verified"] == 3
    assert progress["courses_completed"]["verified_by"] == municipality.email
    assert progress["months_general_practice"]["state"] == "declared"
    everything = api.post(url)  # no body: all three
    assert everything.status_code == 200
    assert {p["state"] for p in everything.get_json()["progress"].values()} == {"verified"}

    listed = api.get("/municipality/gps").get_json()["items"][0]
    assert listed["progress"]["supervision_group_months"]["state"] == "verified"
    me = Api.login(client, gp.user.email).get("/me").get_json()
    assert me["progress"]["months_general_practice"] == {
        "state": "verified",
        "declared": 50,
        "verified": 50,
        "verified_by": municipality.email,
        "verified_at": me["progress"]["months_general_practice"]["verified_at"],
    }


# ---- the lapse


def test_a_changed_verified_value_lapses_and_the_verifier_is_told(gp, client):
    municipality = factories.make_user("municipality", municipality_numbers=[BERGEN])
    municipality.locale = "en"
    db.session.commit()
    verification.verify(gp, actor=municipality, measures=["months_general_practice"])
    db.session.commit()

    api = Api.login(client, gp.user.email)
    changed = api.patch("/me", json={"months_general_practice": 200})
    assert changed.status_code == 200, changed.get_json()
    state = changed.get_json()["progress"]["months_general_practice"]
    assert (state["state"], state["declared"], state["verified"]) == ("changed", 200, 50)
    told = notices(municipality)
    assert len(told) == 1
    assert told[0].subject == f"{gp.name} changed a progress measure you verified"
    assert "you verified 50, the GP now declares 200" in told[0].body
    assert told[0].email_status == "pending"  # by email too, in the verifier's language

    # a second change of a value that no longer holds, or of one never verified: no notice
    api.patch("/me", json={"months_general_practice": 210, "courses_completed": 9})
    assert len(notices(municipality)) == 1

    # back to the verified value: it holds again; verified again and changed: told again
    api.patch("/me", json={"months_general_practice": 50})
    db.session.refresh(gp)
    assert verification.states(gp)["months_general_practice"].state == "verified"
    api.patch("/me", json={"months_general_practice": 51})
    assert len(notices(municipality)) == 2


def test_the_profile_page_change_lapses_too_and_the_gp_sees_the_state(gp, client):
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    db.session.commit()
    verification.verify(gp, actor=coordinator)
    db.session.commit()
    browser = Browser(client)
    browser.login(gp.user.email)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert f"bekreftet av {coordinator.email}" in page
    form = {
        "name": gp.name,
        "hpr_number": gp.hpr_number,
        "municipality_id": gp.municipality_id,
        "months_general_practice": 50,
        "courses_completed": 4,
        "supervision_group_months": 12,
        "scheme": gp.scheme,
    }
    assert browser.submit("/profile", form).status_code == 302
    assert len(notices(coordinator)) == 1
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "oppgitt; 3 bekreftet av" in page


# ---- the region rule


def test_verified_only_changes_who_the_run_proposes(market, client):  # noqa: F811
    municipality = factories.make_user("municipality", municipality_numbers=[BERGEN])
    first, second = market["first"], market["second"]  # 60 and 40 months declared
    verification.verify(second, actor=municipality)
    db.session.commit()

    verified_only()
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == second.id  # first's 60 months are not verified

    order = [e.gp.id for e in waiting_list(factories.region("helse-vest"), TODAY)]
    assert order.index(second.id) < order.index(first.id)

    lifecycle.cancel(live(market["period"]), reason="test", actor=None)
    db.session.commit()
    verified_only(False)
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == first.id  # the declared values rank again
    order = [e.gp.id for e in waiting_list(factories.region("helse-vest"), TODAY)]
    assert order.index(first.id) < order.index(second.id)


def test_verified_only_is_a_region_rule(ctx, client):
    override = db.session.scalar(sa.select(Policy).where(Policy.trust_id.is_not(None)))
    if override is None:
        pytest.skip("no trust override in the reference data")
    with pytest.raises(PolicyError) as refused:
        update_policy(override, {"verified_progress_only": True}, reason="no", actor=None)
    assert refused.value.fields == {"verified_progress_only": "region_rule"}
    with pytest.raises(PolicyError) as refused:
        update_policy(
            factories.region("helse-vest").policy,
            {"verified_progress_only": "yes"},
            reason="x",
            actor=None,
        )
    assert refused.value.fields == {"verified_progress_only": "unknown"}


# ---- the states on the ranking pages


def test_declared_and_verified_states_on_the_ranking_pages(market, client):  # noqa: F811
    first, second = market["first"], market["second"]
    municipality = factories.make_user("municipality", municipality_numbers=[BERGEN])
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    db.session.commit()
    verification.verify(second, actor=municipality)
    db.session.commit()
    verified = f"bekreftet av {municipality.email}"
    browser = Browser(client)

    browser.login(coordinator.email)
    period = market["period"]
    for url in (
        "/coordination/waiting?region=helse-vest",
        "/gps",
        f"/coordination/assign?period_id={period.id}",
        f"/gps/{second.id}",
    ):
        page = browser.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        assert verified in text, url
        assert "oppgitt" in text, url
    assert verified not in browser.get(f"/gps/{first.id}").get_data(as_text=True)
    browser.logout()

    browser.login(municipality.email)
    text = browser.get("/dashboard").get_data(as_text=True)
    assert verified in text and "oppgitt" in text
    browser.logout()


def test_states_on_the_shortlist(ctx, client):
    from .test_periods_shortlist import LILLESTROM, _gp, _period

    period = _period()
    checked = _gp("Sjekket Lege", LILLESTROM, 60, ["internal-medicine"])
    _gp("Usjekket Lege", LILLESTROM, 40, ["internal-medicine"])
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    staff = factories.make_user("trust", trust_code="ahus")
    db.session.commit()
    verification.verify(checked, actor=coordinator)
    db.session.commit()
    browser = Browser(client)
    browser.login(staff.email)
    text = browser.get(f"/periods/{period.id}").get_data(as_text=True)
    assert "Sjekket Lege" in text and "Usjekket Lege" in text
    assert f"bekreftet av {coordinator.email}" in text and "oppgitt" in text


def test_measures_asked_for(ctx):
    assert verification.parse_measures(None) == verification.MEASURES
    assert verification.parse_measures(["courses_completed", "courses_completed"]) == (
        "courses_completed",
    )
