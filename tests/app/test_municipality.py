"""The municipality role (issue 19): scope, endorsement, the region rule that matches only
endorsed windows (through a real run), the municipality's priority, its alerts, the command
line and the admin pages. Page-by-page access is in test_access.py."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.coordination.policies import update_policy
from app.dates import local_today
from app.extensions import db
from app.models import AuditEvent, Match, Notification, User
from app.municipalities import services
from app.runs.services import RunRequest, execute

from . import factories
from .test_runs import live, market  # noqa: F401 - the fixture

TODAY = local_today()


def bergen_user(**kwargs):
    return factories.make_user("municipality", municipality_numbers=["4601"], **kwargs)


def require_endorsement(on: bool = True) -> None:
    update_policy(
        factories.region("helse-vest").policy,
        {"endorsement_required": on},
        reason="the Ahus practice",
        actor=None,
    )
    db.session.commit()


def kinds_of(user):
    return [
        n.kind
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


# ---- the region rule, through a real run


def test_only_endorsed_windows_are_matched_where_the_region_requires_it(market):  # noqa: F811
    municipality = bergen_user()
    second = market["second"]  # fewer months: the engine prefers "first"
    services.endorse(lifecycle_window(second), actor=municipality)
    db.session.commit()

    require_endorsement()
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == second.id  # "first" waits for the endorsement

    lifecycle.cancel(live(market["period"]), reason="test", actor=None)
    db.session.commit()
    require_endorsement(False)
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == market["first"].id  # the rule off: priority decides


def lifecycle_window(gp):
    from app.access import current_window

    return current_window(gp)


def test_the_gp_sees_that_the_window_waits_for_the_endorsement(market, browser):  # noqa: F811
    require_endorsement()
    browser.login(market["first"].user.email)
    page = browser.get("/availability").get_data(as_text=True)
    assert "Venter på at kommunen din godkjenner" in page
    municipality = bergen_user()
    services.endorse(lifecycle_window(market["first"]), actor=municipality)
    db.session.commit()
    page = browser.get("/availability").get_data(as_text=True)
    assert "Venter på at kommunen din godkjenner" not in page
    assert "Kommunen din godkjente dette vinduet" in page


# ---- endorsement rules


def test_endorse_withdraw_and_lapse(market):  # noqa: F811
    municipality = bergen_user()
    window = lifecycle_window(market["first"])
    services.endorse(window, actor=municipality)
    assert window.endorsed_by_id == municipality.id and window.endorsed_at is not None
    with pytest.raises(services.Conflict) as refused:
        services.endorse(window, actor=municipality)
    assert refused.value.code == "already_endorsed"

    execute(RunRequest(as_of=TODAY))  # "first" is proposed: the endorsement is in use
    with pytest.raises(services.Conflict) as refused:
        services.withdraw_endorsement(window, actor=municipality)
    assert refused.value.code == "endorsement_in_use"
    lifecycle.cancel(live(market["period"]), reason="test", actor=None)
    services.withdraw_endorsement(window, actor=municipality, reason="changed our mind")
    assert window.endorsed_at is None and window.endorsed_by_id is None

    services.endorse(window, actor=municipality)  # the GP changes the dates: it lapses
    data = lifecycle_input(window, latest_end=window.latest_end + timedelta(days=30))
    lifecycle.update_availability(window, data, actor=market["first"].user)
    assert window.endorsed_at is None
    actions = [
        e.action
        for e in db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.object_type == "availability", AuditEvent.object_id == window.id)
            .order_by(AuditEvent.id)
        )
    ]
    assert actions[-5:] == [
        "availability.endorsed",
        "availability.endorsement_withdrawn",
        "availability.endorsed",
        "availability.updated",
        "availability.endorsement_lapsed",
    ]


def lifecycle_input(window, **changes):
    from app.gps.services import AvailabilityInput

    values = {
        "earliest_start": window.earliest_start,
        "latest_end": window.latest_end,
        "months": window.months,
        "specialty_ids": tuple(s.id for s in window.specialties),
        "trust_ids": tuple(t.id for t in window.trusts),
        "accept_other_specialty": window.accept_other_specialty,
    } | changes
    return AvailabilityInput(**values)


def test_priority_is_audited_and_checked(ctx):
    gp = factories.make_gp(municipality_number="4601")
    municipality = bergen_user()
    assert services.set_priority(gp, 3, actor=municipality) == {"municipality_priority": [None, 3]}
    assert services.set_priority(gp, 3, actor=municipality) == {}
    for bad in (0, 10000, -1):
        with pytest.raises(services.InvalidInput):
            services.set_priority(gp, bad, actor=municipality)
    services.set_priority(gp, None, actor=municipality)
    assert gp.municipality_priority is None


def test_priority_reaches_the_engine_problem(market):  # noqa: F811
    from app.runs.problem import build_problems

    municipality = bergen_user()
    services.set_priority(market["second"], 1, actor=municipality)
    db.session.commit()
    problem = next(p for p in build_problems(TODAY) if p.region.code == "helse-vest").problem
    entries = {g["id"]: g for g in problem["gps"]}
    assert entries[str(market["second"].id)]["municipality_priority"] == 1
    assert "municipality_priority" not in entries[str(market["first"].id)]
    policy = factories.region("helse-vest").policy
    update_policy(
        policy,
        {"priority": ["municipality_priority", "months_general_practice", "lottery"]},
        reason="the municipality decides",
        actor=None,
    )
    db.session.commit()
    from app.coordination.overview import waiting_list

    order = [e.gp.id for e in waiting_list(factories.region("helse-vest"), TODAY)]
    assert order == [market["second"].id, market["first"].id]  # the waiting list agrees
    execute(RunRequest(as_of=TODAY))
    assert live(market["period"]).gp_id == market["second"].id  # ranked first by Bergen


# ---- alerts


def test_the_municipality_hears_of_proposal_offer_placement_and_end(market):  # noqa: F811
    bergen = bergen_user()
    bergen.locale = "nn"
    stavanger = factories.make_user("municipality", municipality_numbers=["1103"])
    db.session.commit()
    execute(RunRequest(as_of=TODAY))
    match = live(market["period"])
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=7), actor=market["staff"])
    lifecycle.accept(match, actor=market["first"].user)
    db.session.commit()
    assert kinds_of(bergen) == [
        "municipality_proposed",
        "municipality_offered",
        "municipality_placed",
    ]
    assert kinds_of(stavanger) == []
    placed = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == bergen.id).order_by(Notification.id)
    ).all()[-1]
    assert "vikar" in placed.subject  # nynorsk: "… er plassert: tilset vikar frå …"
    assert placed.link == f"/gps/{market['first'].id}"


def test_the_municipality_hears_when_a_match_ends(market):  # noqa: F811
    bergen = bergen_user()
    execute(RunRequest(as_of=TODAY))
    lifecycle.cancel(live(market["period"]), reason="the trust withdrew", actor=None)
    db.session.commit()
    assert kinds_of(bergen) == ["municipality_proposed", "municipality_ended"]


# ---- the command line


def test_users_create_municipality(app):
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=[
            "users", "create", "--email", "kommune@example.no", "--password",
            "a long enough password", "--role", "municipality",
            "--municipality", "4601", "--municipality", "4621",
        ]
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "kommune@example.no"))
        assert sorted(m.number for m in user.municipalities) == ["4601", "4621"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--role", "municipality", "--municipality", "9999"], "--municipality: no municipality"),
        (["--role", "municipality"], "--municipality: "),
        (
            ["--role", "trust", "--trust", "helse-bergen", "--municipality", "4601"],
            "--municipality",
        ),
    ],
)
def test_users_create_municipality_errors_exit_2(app, extra, message):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--email", "x@example.no", "--password", "a long password 1"]
        + extra
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output


# ---- admin pages


def test_admin_creates_and_changes_a_municipality_user(ctx, browser):
    admin = factories.make_user("admin")
    browser.login(admin.email)
    form = {
        "email": "kommuneoverlege@example.no",
        "password": "a long enough password",
        "role": "municipality",
        "trust_id": "0",
        "region_id": "0",
    }
    missing = browser.submit("/admin/users", form | {"municipalities": ""})
    assert missing.status_code == 422
    assert "Oppgi minst én kommune" in missing.get_data(as_text=True)
    unknown = browser.submit("/admin/users", form | {"municipalities": "4601, 9999"})
    assert unknown.status_code == 422
    assert "Det finst ingen kommune med nummeret 9999" in unknown.get_data(as_text=True) or (
        "Det finnes ingen kommune med nummeret 9999" in unknown.get_data(as_text=True)
    )
    created = browser.submit("/admin/users", form | {"municipalities": "4601 4621"})
    assert created.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "kommuneoverlege@example.no"))
    assert sorted(m.number for m in user.municipalities) == ["4601", "4621"]
    page = f"/admin/users/{user.id}/municipalities"
    assert browser.submit(page, {"municipalities": "9999"}).status_code == 422
    assert browser.submit(page, {"municipalities": "1103"}).status_code == 302
    db.session.expire_all()
    assert [m.number for m in db.session.get(User, user.id).municipalities] == ["1103"]
    trust = factories.make_user("trust", trust_code="helse-bergen")
    assert browser.get(f"/admin/users/{trust.id}/municipalities").status_code == 404


# ---- the start page and its forms


def test_start_page_endorse_priority_and_404_outside(market, browser):  # noqa: F811
    bergen = bergen_user()
    other = factories.make_gp(municipality_number="1103")
    other_window = factories.make_window(other, specialties=["psychiatry"])
    browser.login(bergen.email)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert market["first"].name in page and other.name not in page
    assert "Vinduer som venter på godkjenning fra deg" in page
    window = lifecycle_window(market["first"])
    response = browser.submit(f"/municipality/windows/{window.id}/endorse", {}, page="/dashboard")
    assert response.status_code == 302
    db.session.expire_all()
    assert lifecycle_window(market["first"]).endorsed_by_id == bergen.id
    outside = browser.submit(
        f"/municipality/windows/{other_window.id}/endorse", {}, page="/dashboard"
    )
    assert outside.status_code == 404
    field = f"gp{market['first'].id}-municipality_priority"
    bad = browser.submit(
        f"/municipality/gps/{market['first'].id}/priority", {field: "0"}, page="/dashboard"
    )
    assert bad.status_code == 422 and "fra 1 til 9999" in bad.get_data(as_text=True)
    good = browser.submit(
        f"/municipality/gps/{market['first'].id}/priority", {field: "2"}, page="/dashboard"
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert market["first"].municipality_priority == 2
    elsewhere = browser.submit(
        f"/municipality/gps/{other.id}/priority",
        {f"gp{other.id}-municipality_priority": "1"},
        page="/dashboard",
    )
    assert elsewhere.status_code == 404
    assert browser.get(f"/gps/{other.id}").status_code == 404
    execute(RunRequest(as_of=TODAY))
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "foreslått" in page.lower()
    match = live(market["period"])
    assert db.session.get(Match, match.id) is not None


# ---- the policy option


def test_endorsement_is_a_region_rule_on_the_policy_form(ctx, browser):
    from app.coordination.policies import PolicyError, create_override
    from app.policy import effective_policy

    from .test_coordination_policies import form_data

    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    vest = factories.region("helse-vest").policy
    browser.login(coordinator.email)
    page = browser.get(f"/coordination/policies/{vest.id}").get_data(as_text=True)
    assert 'name="endorsement_required"' in page
    saved = browser.submit(
        f"/coordination/policies/{vest.id}", form_data(vest, endorsement_required="y")
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert factories.region("helse-vest").policy.endorsement_required is True
    public = browser.get("/regions/helse-vest").get_data(as_text=True)
    assert "Påkrevd: bare godkjente vinduer blir matchet" in public

    fonna = factories.trust("helse-fonna")
    override = create_override(fonna, reason="own rules", actor=coordinator)
    db.session.commit()
    assert effective_policy(fonna).endorsement_required is True  # the region's value
    page = browser.get(f"/coordination/policies/{override.id}").get_data(as_text=True)
    assert 'name="endorsement_required"' not in page
    with pytest.raises(PolicyError) as refused:
        update_policy(override, {"endorsement_required": False}, reason="no", actor=None)
    assert refused.value.fields == {"endorsement_required": "region_rule"}
