"""Region policy settings and trusts' overrides: validation with field errors, a required
reason, audited old/new values, and the change takes effect in the next run."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.coordination.policies import PolicyError, update_policy
from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.models import AuditEvent, Match, Policy
from app.models.reference import PRIORITY_KEYS
from app.periods.services import PeriodInput
from app.runs.services import RunRequest, execute

from . import factories
from .conftest import Browser

TODAY = local_today()


def form_data(policy, **changes):
    data = {
        "min_months_general_practice": str(policy.min_months_general_practice),
        "fallback_months": str(policy.fallback_months),
        "mode": policy.mode,
        "selection": policy.selection,
        "shortlist_size": str(policy.shortlist_size),
        "confirmation": policy.confirmation,
        "offer_days": str(policy.offer_days),
        "intake": policy.intake,
        "reason": "Vedtak i regionalt ALIS-råd",
    }
    keys = changes.pop("priority", list(policy.priority))
    for position in range(1, len(PRIORITY_KEYS) + 1):  # one select per key
        data[f"priority_{position}"] = keys[position - 1] if position <= len(keys) else ""
    data.update(changes)
    return data


@pytest.fixture
def vest(ctx):
    return factories.region("helse-vest").policy


@pytest.fixture
def browser(client):
    user = factories.make_user("coordinator", region_code="helse-vest")
    user.locale = "en"  # the tests read the English words
    db.session.commit()
    browser = Browser(client)
    browser.login(user.email)
    return browser


def policy_events():
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "policy")).all()


def edit(browser, policy, **changes):
    return browser.submit(f"/coordination/policies/{policy.id}", form_data(policy, **changes))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"priority": ["courses_completed", "courses_completed"]}, "priority_2", "once only"),
        ({"priority": []}, "priority_1", "at least one"),
        ({"priority": ["lottery", "registered_at"]}, "priority_1", "decides last"),
        ({"min_months_general_practice": "121"}, "min_months_general_practice", "0 to 120"),
        ({"fallback_months": "0"}, "fallback_months", "1 to 12"),
        ({"shortlist_size": "51"}, "shortlist_size", "1 to 50"),
        ({"offer_days": "91"}, "offer_days", "1 to 90"),
        ({"offer_days": "mange"}, "offer_days", "integer"),
        ({"mode": "chaos"}, "mode", "valid choice"),
        ({"reason": ""}, "reason", "Give a reason."),
    ],
)
def test_invalid_input_is_shown_next_to_the_field(vest, browser, changes, field, message):
    before = (list(vest.priority), vest.min_months_general_practice, vest.offer_days)
    response = edit(browser, vest, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message in error.replace("&#39;", "'")
    vest = db.session.get(Policy, vest.id)
    assert (list(vest.priority), vest.min_months_general_practice, vest.offer_days) == before
    assert policy_events() == []


def test_errors_from_the_form_and_the_service_show_together(vest, browser):
    response = edit(browser, vest, priority=["lottery", "lottery"], offer_days="x")
    page = response.get_data(as_text=True)
    assert 'id="offer_days-error"' in page and 'id="priority_2-error"' in page


def test_an_edit_is_audited_and_takes_effect(vest, browser):
    department = next(
        d for d in factories.trust("helse-bergen").departments if d.specialty.code == "psychiatry"
    )
    start = add_months(TODAY.replace(day=1), 3)
    publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=start,
            end_date=add_months(start, 6) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
    )
    gp = factories.make_gp(months_general_practice=40)
    factories.make_window(gp, start=start - timedelta(days=5), specialties=["psychiatry"])
    priority = ["months_general_practice", "registered_at", "lottery"]
    response = edit(browser, vest, min_months_general_practice="48", priority=priority)
    assert response.status_code == 302
    vest = db.session.get(Policy, vest.id)
    assert vest.min_months_general_practice == 48 and vest.priority == priority
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "policy.updated"))
    assert event.object_type == "policy" and event.object_id == vest.id
    assert event.reason == "Vedtak i regionalt ALIS-råd"
    assert event.data["min_months_general_practice"] == [36, 48]
    assert event.data["priority"][1] == priority
    assert set(event.data) == {"min_months_general_practice", "priority"}
    log = browser.get("/coordination/audit?action=policy.updated").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", log).split())  # old and new side by side, labelled
    assert "Minimum months of general practice was 36 → now 48" in text
    assert "Vedtak i regionalt" in log
    execute(RunRequest(as_of=TODAY))
    assert db.session.scalars(sa.select(Match)).all() == []  # 40 months is now too few


def test_nothing_changed_records_nothing(vest, browser):
    assert edit(browser, vest).status_code == 302
    assert policy_events() == []


def test_the_service_checks_every_field(ctx, vest):
    with pytest.raises(PolicyError) as caught:
        update_policy(
            vest,
            {"priority": ["gp_age"], "fallback_months": 13, "selection": "x", "colour": 1},
            reason="",
            actor=None,
        )
    assert caught.value.fields == {
        "priority": "unknown",
        "fallback_months": "out_of_range",
        "selection": "unknown",
        "colour": "unknown",
        "reason": "required",
    }


def test_a_trust_override_is_created_and_removed(vest, browser):
    fonna = factories.trust("helse-fonna")
    page = browser.get("/coordination/policies").get_data(as_text=True)
    assert "Helse Fonna" in page.split('id="override-title"')[1]
    missing = browser.submit(
        "/coordination/policies/overrides", {"trust_id": str(fonna.id), "reason": ""}
    )
    assert missing.status_code == 422 and 'id="reason-error"' in missing.get_data(as_text=True)
    response = browser.submit(
        "/coordination/policies/overrides",
        {"trust_id": str(fonna.id), "reason": "Eigen ordning"},
    )
    assert response.status_code == 302
    override = db.session.scalar(sa.select(Policy).where(Policy.trust_id == fonna.id))
    assert response.headers["Location"].endswith(f"/coordination/policies/{override.id}")
    assert override.priority == vest.priority and override.offer_days == vest.offer_days
    assert edit(browser, override, offer_days="21").status_code == 302
    assert db.session.get(Policy, override.id).offer_days == 21
    assert db.session.get(Policy, vest.id).offer_days == vest.offer_days

    override_id = override.id
    url = f"/coordination/policies/{override_id}/remove"
    refused = browser.submit(url, {"reason": ""}, page="/coordination/policies")
    assert refused.status_code == 422
    assert f'id="remove-reason-{override_id}-error"' in refused.get_data(as_text=True)
    removed = browser.submit(url, {"reason": "Tilbake til regionen"}, page="/coordination/policies")
    assert removed.status_code == 302
    assert db.session.scalar(sa.select(Policy).where(Policy.trust_id == fonna.id)) is None
    actions = [
        e.action
        for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.object_type == "policy").order_by(AuditEvent.id)
        )
    ]
    assert actions == ["policy.created", "policy.updated", "policy.removed"]
    # the audit log still shows the removed override's history to the region
    log = browser.get(f"/coordination/audit?object=policy:{override_id}").get_data(as_text=True)
    assert "Tilbake til regionen" in log and "Eigen ordning" in log


def test_a_region_policy_cannot_be_removed(vest, browser):
    response = browser.submit(
        f"/coordination/policies/{vest.id}/remove", {"reason": "x"}, page="/coordination/policies"
    )
    assert response.status_code == 404


def test_policies_of_another_region_are_404(ctx, browser):
    for policy in (
        factories.region("helse-sor-ost").policy,
        factories.trust("vestre-viken").own_policy,
    ):
        assert browser.get(f"/coordination/policies/{policy.id}").status_code == 404
        response = browser.submit(
            f"/coordination/policies/{policy.id}",
            form_data(policy),
            page="/coordination/policies",
        )
        assert response.status_code == 404
    page = browser.get("/coordination/policies").get_data(as_text=True)
    assert "Vestre Viken" not in page
