"""The pages do what they say: profile editing, capacity changes, user administration."""

import sqlalchemy as sa

from app.extensions import db
from app.models import GP, AuditEvent, User

from . import factories
from .conftest import Browser


def test_gp_edits_profile_and_it_is_audited(ctx, client):
    gp = factories.make_gp(email="me@example.no", months_general_practice=30)
    browser = Browser(client)
    browser.login("me@example.no")
    data = {
        "name": "Endra Namn",
        "hpr_number": gp.hpr_number,
        "municipality_id": str(factories.municipality("1103").id),
        "specialisation_started": "",
        "months_general_practice": "37",
        "courses_completed": "5",
        "supervision_group_months": "20",
        "scheme": "old",
    }
    assert browser.submit("/profile", data).status_code == 302
    gp = db.session.get(GP, gp.id)
    assert (gp.name, gp.months_general_practice, gp.scheme) == ("Endra Namn", 37, "old")
    assert gp.home_trust.code == "helse-stavanger"
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "gp.profile_updated")
    )
    assert event.data["months_general_practice"] == [30, 37]


def test_profile_errors_keep_the_input(ctx, client):
    factories.make_gp(email="me@example.no")
    browser = Browser(client)
    browser.login("me@example.no")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = browser.submit(
        "/profile",
        {
            "name": "Behold Meg",
            "hpr_number": "12",
            "municipality_id": "0",
            "months_general_practice": "x",
            "courses_completed": "1",
            "supervision_group_months": "1",
            "scheme": "new",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Behold Meg" in page
    assert 'id="hpr_number-error"' in page and 'id="municipality_id-error"' in page
    assert 'id="months_general_practice-error"' in page


def test_cli_made_gp_account_completes_its_profile(ctx, client):
    user = factories.make_user("gp")
    browser = Browser(client)
    browser.login(user.email)
    assert "/profile" in client.get("/dashboard").get_data(as_text=True)
    data = {
        "name": "Ny Profil",
        "hpr_number": "7654321",
        "municipality_id": str(factories.municipality("4601").id),
        "months_general_practice": "40",
        "courses_completed": "2",
        "supervision_group_months": "6",
        "scheme": "new",
    }
    assert browser.submit("/profile", data).status_code == 302
    assert db.session.get(User, user.id).gp.name == "Ny Profil"


def test_trust_changes_department_capacity_with_a_reason(ctx, client):
    user = factories.make_user("trust", trust_code="helse-bergen")
    department = factories.department("helse-bergen")
    browser = Browser(client)
    browser.login(user.email)
    url = f"/departments/{department.id}"
    assert browser.submit(url, {"alis_capacity": "3", "reason": ""}).status_code == 422
    assert browser.submit(url, {"alis_capacity": "3", "reason": "Ny overlege"}).status_code == 302
    assert department.alis_capacity == 3
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "department.capacity_changed")
    )
    assert event.reason == "Ny overlege" and event.actor_id == user.id
    assert "Ny overlege" in client.get(url).get_data(as_text=True)


def test_admin_creates_staff_accounts(ctx, client):
    admin = factories.make_user("admin")
    browser = Browser(client)
    browser.login(admin.email)
    bergen = factories.trust("helse-bergen")
    form = {
        "email": "leiar@bergen.no",
        "password": "a long enough phrase",
        "role": "trust",
        "trust_id": "0",
        "region_id": "0",
    }
    assert browser.submit("/admin/users", form).status_code == 422  # trust missing
    form["trust_id"] = str(bergen.id)
    assert browser.submit("/admin/users", form).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "leiar@bergen.no"))
    assert user.trust_id == bergen.id
    assert browser.submit("/admin/users", form).status_code == 422  # duplicate
    coordinator = {**form, "email": "koord@example.no", "role": "coordinator", "trust_id": "0"}
    assert browser.submit("/admin/users", coordinator).status_code == 302
    assert (
        db.session.scalar(sa.select(User).where(User.email == "koord@example.no")).region_id is None
    )


def test_dashboards_render_for_every_role(ctx, client):
    factories.make_period("helse-bergen")
    for role, kwargs in [
        ("trust", {"trust_code": "helse-bergen"}),
        ("coordinator", {"region_code": "helse-vest"}),
        ("coordinator", {}),
        ("admin", {}),
    ]:
        user = factories.make_user(role, **kwargs)
        browser = Browser(client)
        browser.login(user.email)
        response = client.get("/dashboard")
        assert response.status_code == 200
        browser.logout()
    gp = factories.make_gp()
    Browser(client).login(gp.user.email)
    assert gp.name in client.get("/dashboard").get_data(as_text=True)


def test_trust_page_shows_policy_and_departments(client):
    page = client.get("/trusts/ahus").get_data(as_text=True)
    assert "Ahus" in page or "Akershus" in page
    assert "<table>" in page
