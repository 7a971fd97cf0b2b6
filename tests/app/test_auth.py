"""Registration, login, logout, CSRF and throttling."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.auth.routes import safe_next
from app.auth.services import login_wait_minutes
from app.extensions import db
from app.models import GP, AuditEvent, LoginAttempt, User
from app.models.types import utcnow

from . import factories
from .conftest import PASSWORD, Browser


def registration(**overrides):
    data = {
        "email": "Ny.Lege@Example.no",
        "password": "en lang og god setning",
        "password_confirm": "en lang og god setning",
        "name": "Ny Lege",
        "hpr_number": "1234567",
        "municipality_id": str(factories.municipality("4601").id),
        "specialisation_started": "2023-08-01",
        "months_general_practice": "38",
        "courses_completed": "4",
        "supervision_group_months": "14",
        "scheme": "new",
    }
    data.update(overrides)
    return data


def test_gp_registers_and_is_logged_in(ctx, browser):
    response = browser.submit("/register", registration())
    assert response.status_code == 302
    gp = db.session.scalar(sa.select(GP).where(GP.hpr_number == "1234567"))
    assert gp.user.email == "ny.lege@example.no"
    assert gp.municipality.trust.code == "helse-bergen"
    assert gp.user.password_hash.startswith("$argon2id$")
    assert browser.get("/dashboard").status_code == 200
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "gp.registered")
        ).object_id
        == gp.id
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "Enter a valid email."),
        ("password", "kort", "Use at least 12 characters."),
        ("password", "password1234", "This password is too common."),
        ("password", "aaaaaaaaaaaa", "Use more different characters."),
        ("hpr_number", "12345", "The HPR number has 7 to 9 digits."),
        ("hpr_number", "12345678901", "The HPR number has 7 to 9 digits."),
        ("hpr_number", "12a4567", "The HPR number has 7 to 9 digits."),
        ("municipality_id", "0", "Choose your municipality."),
        ("months_general_practice", "-3", "Number must be between 0 and 600."),
        ("months_general_practice", "many", "Not a valid integer value."),
    ],
)
def test_registration_errors_are_shown_next_to_the_field(
    ctx, client, browser, field, value, message
):
    data = registration(**{field: value})
    if field == "password":
        data["password_confirm"] = value
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = browser.submit("/register", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert message in page
    assert 'aria-describedby="' in page and 'aria-invalid="true"' in page
    # nothing typed is lost (except passwords)
    if field not in ("password", "email"):
        assert "Ny Lege" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GP)) == 0


def test_unknown_municipality_id_is_a_form_error_not_a_crash(ctx, browser):
    response = browser.submit("/register", registration(municipality_id="999999"))
    assert response.status_code == 422


def test_duplicate_email_is_refused_case_insensitively(ctx, browser, client):
    factories.make_gp(email="taken@example.no")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = browser.submit("/register", registration(email="TAKEN@example.no"))
    assert response.status_code == 422
    assert "An account with this email already exists" in response.get_data(as_text=True)


def test_login_and_logout(ctx, browser, client):
    user = factories.make_user("admin", email="sjef@example.no")
    response = browser.login("SJEF@example.no")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/admin/users").status_code == 200
    response = browser.logout()
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 302  # to the login page
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_says_so_without_telling_which(ctx, browser, client):
    factories.make_user("admin", email="sjef@example.no")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for email in ("sjef@example.no", "nobody@example.no"):
        response = browser.login(email, "wrong password here")
        assert response.status_code == 401
        assert "Wrong email or password." in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(ctx, browser):
    user = factories.make_user("admin")
    user.active = False
    db.session.commit()
    assert browser.login(user.email).status_code == 401


def test_session_is_renewed_at_login(ctx, browser, client, app):
    factories.make_user("admin", email="sjef@example.no")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    browser.login("sjef@example.no")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(str(session["_user_id"].split(":")[0]))


def test_logout_invalidates_a_copied_session_cookie(ctx, app, browser, client):
    factories.make_user("admin", email="sjef@example.no")
    browser.login("sjef@example.no")
    with client.session_transaction() as session:
        stolen = dict(session)
    browser.logout()
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/admin/users").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/profile", "/profile"),
        ("/gps/3?x=1", "/gps/3?x=1"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_login_follows_a_safe_next_only(ctx, browser):
    factories.make_user("admin", email="sjef@example.no")
    response = browser.submit(
        "/login?next=https://evil.example/", {"email": "sjef@example.no", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/dashboard"
    browser.logout()
    response = browser.submit(
        "/login?next=/admin/users", {"email": "sjef@example.no", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/admin/users"


@pytest.mark.parametrize("path", ["/login", "/register", "/language"])
def test_forms_without_csrf_token_are_refused(ctx, client, path):
    response = client.post(path, data={"email": "x@example.no", "password": "whatever12345"})
    assert response.status_code == 400


def test_logout_needs_csrf(ctx, browser, client):
    factories.make_user("admin", email="sjef@example.no")
    browser.login("sjef@example.no")
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/users").status_code == 200


def test_account_is_throttled_after_five_failures(ctx, browser, client):
    factories.make_user("admin", email="sjef@example.no")
    for _ in range(5):
        assert browser.login("sjef@example.no", "wrong password!").status_code == 401
    # even the right password is refused while throttled
    response = browser.login("sjef@example.no")
    assert response.status_code == 429
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded)
        )
        == 0
    )


def test_address_is_throttled_across_accounts(ctx, browser, app):
    with app.test_request_context():
        pass
    for i in range(20):
        browser.login(f"guess{i}@example.no", "wrong password!")
    factories.make_user("admin", email="sjef@example.no")
    assert browser.login("sjef@example.no").status_code == 429
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    from .conftest import Browser

    assert Browser(other_address).login("sjef@example.no").status_code == 302


def test_throttle_lifts_after_the_window(ctx):
    now = utcnow()
    for minutes in (14, 13, 12, 11, 10):
        db.session.add(
            LoginAttempt(
                email="a@example.no", address="1.1.1.1", at=now - timedelta(minutes=minutes)
            )
        )
    db.session.flush()
    assert login_wait_minutes("a@example.no", "1.1.1.1", now=now) == 1
    assert login_wait_minutes("a@example.no", "1.1.1.1", now=now + timedelta(minutes=2)) == 0


def test_success_resets_the_account_counter(ctx):
    now = utcnow()
    for minutes in (10, 9, 8, 7):
        db.session.add(
            LoginAttempt(email="a@example.no", address="1", at=now - timedelta(minutes=minutes))
        )
    db.session.add(
        LoginAttempt(
            email="a@example.no", address="1", succeeded=True, at=now - timedelta(minutes=6)
        )
    )
    db.session.add(LoginAttempt(email="a@example.no", address="1", at=now - timedelta(minutes=5)))
    db.session.flush()
    assert login_wait_minutes("a@example.no", "2", now=now) == 0


def test_old_hashes_are_upgraded_at_login(ctx, browser):
    user = factories.make_user("admin", email="sjef@example.no")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    db.session.commit()
    assert browser.login("sjef@example.no").status_code == 302
    assert "m=1024" in db.session.get(User, user.id).password_hash


def test_change_password_logs_out_other_devices(ctx, app, browser, client):
    factories.make_user("admin", email="sjef@example.no")
    other_device = app.test_client()
    from .conftest import Browser

    Browser(other_device).login("sjef@example.no")
    browser.login("sjef@example.no")
    response = browser.submit(
        "/account",
        {
            "pw-current_password": PASSWORD,
            "pw-password": "a new long passphrase",
            "pw-password_confirm": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert other_device.get("/admin/users").status_code == 302
    browser.logout()
    assert browser.login("sjef@example.no", "a new long passphrase").status_code == 302


def test_users_create_command(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "HR@Bergen.no",
            "--password",
            "lang nok passord",
            "--role",
            "trust",
            "--trust",
            "helse-bergen",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "hr@bergen.no"))
    assert user.trust.code == "helse-bergen"
    bad = runner.invoke(
        args=["users", "create", "--email", "x@y.no", "--password", "short", "--role", "admin"]
    )
    assert bad.exit_code != 0 and "--password" in bad.output
    bad = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@y.no",
            "--password",
            "lang nok passord",
            "--role",
            "trust",
            "--trust",
            "nope",
        ]
    )
    assert bad.exit_code != 0 and "no trust" in bad.output


def test_error_summary_lists_fields_in_page_order(ctx, browser, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nb"
    page = browser.submit("/register", {"email": "x", "hpr_number": "1"}).get_data(as_text=True)
    summary = page[page.index('class="error-summary"') :]
    assert "Rett opp dette" in summary
    assert summary.index('href="#email"') < summary.index('href="#hpr_number"')


def test_a_password_change_ends_the_users_api_tokens(ctx, client):
    from app.auth.services import change_password

    from .apiutil import Api

    user = factories.make_user("trust", trust_code="helse-bergen")
    api = Api.login(client, user.email)
    assert api.get("/me").status_code == 200
    change_password(user, "et helt nytt passord 2026")
    db.session.commit()
    assert api.get("/me").status_code == 401


def test_personal_pages_and_answers_are_not_cached(ctx, client):
    from .apiutil import Api

    assert "no-store" not in client.get("/trusts").headers.get("Cache-Control", "")
    user = factories.make_user("gp")
    Browser(client).login(user.email)
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    api = Api.login(client, user.email)
    assert api.get("/me").headers["Cache-Control"] == "no-store"


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(ctx, travel):
    """Failures from one address lock the account from that address only, longer with
    every batch; the owner's right password from their own address still works."""
    from app.auth.services import authenticate

    owner = factories.make_user("trust", trust_code="helse-bergen")
    for _ in range(5):
        assert authenticate(owner.email, "feil passord 123", "203.0.113.9").user is None
    first = authenticate(owner.email, PASSWORD, "203.0.113.9")
    assert first.user is None and 14 <= first.wait_minutes <= 15
    assert authenticate(owner.email, PASSWORD, "198.51.100.7").user == owner
    travel(minutes=16)  # the lock has passed; five more failures lock it twice as long
    for _ in range(5):
        assert authenticate(owner.email, "feil passord 123", "203.0.113.9").user is None
    second = authenticate(owner.email, PASSWORD, "203.0.113.9")
    assert second.user is None and second.wait_minutes >= 29
    assert authenticate(owner.email, PASSWORD, "198.51.100.7").user == owner


def test_web_registration_is_throttled_per_address_like_the_api(ctx, browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_MAX_PER_ADDRESS", 2)
    taken = registration(email="TAKEN@example.no")
    factories.make_user("gp", email="taken@example.no")
    for _ in range(2):  # refused registrations count too
        assert browser.submit("/register", taken).status_code == 422
    response = browser.submit("/register", registration())
    assert response.status_code == 429
    assert db.session.scalar(sa.select(GP).where(GP.hpr_number == "1234567")) is None
