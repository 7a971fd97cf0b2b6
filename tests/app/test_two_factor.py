"""Two-factor authentication: TOTP with recovery codes for staff, on the pages and the API."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from app.auth import two_factor
from app.config import Config
from app.extensions import db
from app.models import ApiToken, AuditEvent, LoginAttempt, RecoveryCode, User
from app.models.types import utcnow

from . import factories
from .a11y import problems
from .apiutil import Api, error_of
from .conftest import PASSWORD, Browser

KEY_RE = re.compile(r'<code class="totp-key">([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")


@pytest.fixture
def clock():
    """Time stands still 10 s into a 30-second step; ``clock.shift(30)`` is the next step."""
    start = datetime.fromtimestamp((time.time() // 30) * 30 + 10, UTC)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def code(secret: str, offset: int = 0) -> str:
    return two_factor.code_at(secret, two_factor.time_step(utcnow()) + offset)


def wrong_code(secret: str) -> str:
    near = {code(secret, offset) for offset in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in near)


def enrolled(role: str = "admin", **kwargs) -> tuple[User, str, tuple[str, ...]]:
    """A user with two-factor authentication on (set up with the previous step's code, so
    that the current code is still unused), its secret and recovery codes."""
    if role == "trust":
        kwargs.setdefault("trust_code", "helse-bergen")
    user = factories.make_user(role, **kwargs)
    secret = two_factor.new_secret()
    outcome = two_factor.enable(user, secret, code(secret, -1))
    assert outcome.ok
    db.session.commit()
    return user, secret, outcome.recovery_codes


def log_in_with_code(browser: Browser, email: str, the_code: str, **kwargs):
    response = browser.login(email, **kwargs)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/code")
    return browser.submit(response.headers["Location"], {"code": the_code})


@pytest.fixture
def required(app, monkeypatch):
    def set_roles(*roles: str) -> None:
        monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", roles)

    return set_roles


# --- the codes -------------------------------------------------------------------------

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    "unix_time, eight_digits",
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_follow_rfc_6238(unix_time, eight_digits):
    """RFC 6238, appendix B (SHA-1): six digits are the last six of the eight."""
    step = two_factor.time_step(datetime.fromtimestamp(unix_time, UTC))
    assert two_factor.code_at(RFC_SECRET, step) == eight_digits[-6:]


def test_a_step_either_way_is_accepted_but_no_further(ctx, clock):
    secret = two_factor.new_secret()
    now = utcnow()
    step = two_factor.time_step(now)
    for offset in (-1, 0, 1):
        assert two_factor.matching_step(secret, code(secret, offset), now) == step + offset
    for offset in (-2, 2):
        assert two_factor.matching_step(secret, code(secret, offset), now) is None
    assert two_factor.matching_step(secret, code(secret), now, after=step) is None


# --- turning it on ---------------------------------------------------------------------


def test_enrolment_from_the_account_page_to_recovery_codes(ctx, client, clock):
    user = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    browser.login(user.email)
    account = client.get("/account").get_data(as_text=True)
    assert "Tofaktorautentisering" in account and "/account/two-factor" in account

    page = client.get("/account/two-factor").get_data(as_text=True)
    key = KEY_RE.search(page).group(1)
    secret = key.replace(" ", "")
    assert '<svg role="img"' in page and f"Nøkkelen er {key}." in page  # the QR's text
    assert "otpauth://totp/ALIS-portalen:" in page and f"secret={secret}" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert problems(page) == []
    assert KEY_RE.search(client.get("/account/two-factor").get_data(as_text=True)).group(1) == key

    refused = browser.submit("/account/two-factor", {"code": wrong_code(secret)})
    assert refused.status_code == 422 and 'id="code-error"' in refused.get_data(as_text=True)
    assert not db.session.get(User, user.id).two_factor_enabled

    shown = browser.submit("/account/two-factor", {"code": code(secret)})
    assert shown.status_code == 200
    codes = CODES_RE.findall(shown.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert problems(shown.get_data(as_text=True)) == []

    user = db.session.get(User, user.id)
    assert user.two_factor_enabled and user.totp_last_step == two_factor.time_step(utcnow())
    stored = db.session.scalars(
        sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    ).all()
    assert len(stored) == 10 and not set(stored) & set(codes)
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.two_factor_enabled")
    )
    # still logged in; the codes are never shown again
    account = client.get("/account").get_data(as_text=True)
    assert "10 ubrukte gjenopprettingskoder" in account
    assert not any(c in account for c in codes)
    assert client.get("/account/two-factor").status_code == 200  # a new app, a new key
    assert not any(c in client.get("/account/two-factor").get_data(as_text=True) for c in codes)


def test_the_secret_is_not_stored_in_clear(ctx, app, clock):
    user, secret, _codes = enrolled()
    row = db.session.execute(sa.select(User.__table__).where(User.id == user.id)).one()
    assert not any(secret in str(value) for value in row)
    assert not any(base64.b32decode(secret).hex() in str(value) for value in row)
    assert two_factor.unseal(user.totp_secret_encrypted, user.id) == secret
    assert two_factor.unseal(user.totp_secret_encrypted, user.id + 1) is None  # bound to it
    app.config["SECRET_KEY"], old = "another secret key", app.config["SECRET_KEY"]
    try:
        assert two_factor.unseal(user.totp_secret_encrypted, user.id) is None
    finally:
        app.config["SECRET_KEY"] = old


def test_turning_it_on_ends_other_sessions_and_tokens(ctx, app, client, clock):
    user = factories.make_user("coordinator")
    other = Browser(app.test_client())
    other.login(user.email)
    api = Api.login(client, user.email)
    browser = Browser(client)
    browser.login(user.email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = KEY_RE.search(page).group(1).replace(" ", "")
    assert browser.submit("/account/two-factor", {"code": code(secret)}).status_code == 200
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    assert api.get("/me").status_code == 401


def test_gps_are_not_offered_it(ctx, client):
    gp = factories.make_gp()
    browser = Browser(client)
    browser.login(gp.user.email)
    assert "two-factor" not in client.get("/account").get_data(as_text=True)
    assert client.get("/account/two-factor").status_code == 403


# --- logging in ------------------------------------------------------------------------


def test_login_needs_the_code(ctx, client, clock):
    user, secret, _codes = enrolled()
    browser = Browser(client)
    response = browser.login(user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/dashboard").status_code == 302  # not logged in yet
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert problems(page) == []
    response = browser.submit("/login/code", {"code": code(secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/admin/users").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None


def test_the_code_step_keeps_next_and_expires(ctx, client, clock):
    user, secret, _codes = enrolled()
    browser = Browser(client)
    response = browser.submit(
        "/login?next=/admin/users", {"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/login/code?next=/admin/users"
    response = browser.submit(response.headers["Location"], {"code": code(secret)})
    assert response.headers["Location"] == "/admin/users"
    browser.logout()
    clock.shift(30)
    assert browser.login(user.email).status_code == 302
    clock.shift(301)  # the code comes too late
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/dashboard").status_code == 302


def test_a_wrong_code_is_refused_and_throttled(ctx, client, clock):
    user, secret, _codes = enrolled()
    browser = Browser(client)
    browser.login(user.email)
    for _ in range(5):
        response = browser.submit("/login/code", {"code": wrong_code(secret)})
        assert response.status_code == 401
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.email == user.email, LoginAttempt.succeeded.is_(False))
        )
        == 5
    )
    # locked: the right code is refused, and so is the password step
    assert browser.submit("/login/code", {"code": code(secret)}).status_code == 429
    assert browser.login(user.email).status_code == 429
    assert client.get("/dashboard").status_code == 302


def test_the_password_alone_does_not_reset_the_lock(ctx, client, clock):
    """A right password is not a success while the code is missing: an attacker who knows
    the password cannot reset the count of wrong codes by logging in again."""
    user, secret, _codes = enrolled()
    browser = Browser(client)
    for _ in range(5):
        browser.login(user.email)
        assert browser.submit("/login/code", {"code": wrong_code(secret)}).status_code == 401
    assert browser.login(user.email).status_code == 429


def test_a_replayed_code_is_refused(ctx, app, client, clock):
    user, secret, _codes = enrolled()
    the_code = code(secret)
    browser = Browser(client)
    assert log_in_with_code(browser, user.email, the_code).status_code == 302
    thief = Browser(app.test_client())
    assert log_in_with_code(thief, user.email, the_code).status_code == 401
    clock.shift(30)
    assert log_in_with_code(thief, user.email, code(secret)).status_code == 302


def test_a_recovery_code_works_once(ctx, client, clock):
    user, _secret, codes = enrolled()
    browser = Browser(client)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    browser.login(user.email)
    page = client.get("/login/code?recovery=1").get_data(as_text=True)
    assert "Recovery code" in page and 'inputmode="numeric"' not in page
    response = browser.submit("/login/code?recovery=1", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert "You have 9 left" in client.get("/dashboard").get_data(as_text=True)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.recovery_code_used")
    )
    assert event.object_id == user.id and event.data == {"left": 9}
    browser.logout()
    assert log_in_with_code(browser, user.email, codes[0]).status_code == 401
    assert log_in_with_code(browser, user.email, codes[1]).status_code == 302


def test_new_recovery_codes_need_a_code_and_end_the_old(ctx, client, clock):
    user, secret, old_codes = enrolled()
    browser = Browser(client)
    log_in_with_code(browser, user.email, code(secret))
    clock.shift(30)
    assert problems(browser.get("/account/two-factor/recovery-codes").get_data(as_text=True)) == []
    refused = browser.submit("/account/two-factor/recovery-codes", {"code": wrong_code(secret)})
    assert refused.status_code == 422
    shown = browser.submit("/account/two-factor/recovery-codes", {"code": code(secret)})
    new_codes = CODES_RE.findall(shown.get_data(as_text=True))
    assert shown.status_code == 200 and len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.recovery_codes_renewed")
    )
    browser.logout()
    assert log_in_with_code(browser, user.email, old_codes[0]).status_code == 401
    assert log_in_with_code(browser, user.email, new_codes[0]).status_code == 302


# --- required roles --------------------------------------------------------------------


def test_a_required_role_sets_it_up_before_anything_else(ctx, client, clock, required):
    required("coordinator")
    user = factories.make_user("coordinator")
    browser = Browser(client)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert browser.login(user.email).headers["Location"] == "/dashboard"  # the password
    for path in ("/dashboard", "/account", "/periods", "/coordination/runs", "/inbox"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Rollen din må bruke tofaktorautentisering" in page
    assert client.get("/healthz").status_code in (200, 503)
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    static.close()
    secret = KEY_RE.search(page).group(1).replace(" ", "")
    assert browser.submit("/account/two-factor", {"code": code(secret)}).status_code == 200
    assert client.get("/dashboard").status_code == 200
    assert browser.logout().status_code == 302


def test_a_required_role_cannot_turn_it_off(ctx, client, clock, required):
    user, secret, _codes = enrolled("trust")
    required("trust")
    browser = Browser(client)
    log_in_with_code(browser, user.email, code(secret))
    clock.shift(30)
    page = browser.get("/account/two-factor/off").get_data(as_text=True)
    assert 'name="password"' not in page
    response = browser.submit(
        "/account/two-factor/off", {"password": PASSWORD, "code": code(secret)}
    )
    assert response.status_code == 403
    assert db.session.get(User, user.id).two_factor_enabled


def test_turning_it_off_takes_password_and_code_and_ends_tokens(ctx, client, clock):
    user, secret, _codes = enrolled()
    token = _token(client, user.email, code=code(secret)).get_json()["token"]
    clock.shift(30)
    browser = Browser(client)
    log_in_with_code(browser, user.email, code(secret))
    clock.shift(30)
    assert problems(browser.get("/account/two-factor/off").get_data(as_text=True)) == []
    wrong = browser.submit(
        "/account/two-factor/off", {"password": "not my password 1", "code": code(secret)}
    )
    assert wrong.status_code == 422 and 'id="password-error"' in wrong.get_data(as_text=True)
    response = browser.submit(
        "/account/two-factor/off", {"password": PASSWORD, "code": code(secret)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    user = db.session.get(User, user.id)
    assert not user.two_factor_enabled and user.totp_secret_encrypted is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.two_factor_disabled")
    ).data == {"tokens_revoked": 1}
    assert Api(client, token).get("/me").status_code == 401
    assert client.get("/account").status_code == 200  # this session goes on
    browser.logout()
    assert browser.login(user.email).headers["Location"] == "/dashboard"  # no code now


def test_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("TWO_FACTOR_REQUIRED_ROLES", " Admin, coordinator ,,admin")
    assert Config.from_environment()["TWO_FACTOR_REQUIRED_ROLES"] == ("admin", "coordinator")
    monkeypatch.setenv("TWO_FACTOR_REQUIRED_ROLES", "")
    assert Config.from_environment()["TWO_FACTOR_REQUIRED_ROLES"] == ()
    monkeypatch.setenv("TWO_FACTOR_REQUIRED_ROLES", "admin,gp")
    with pytest.raises(RuntimeError, match="TWO_FACTOR_REQUIRED_ROLES"):
        Config.from_environment()
    assert Config.TWO_FACTOR_REQUIRED_ROLES == ()


# --- the API ---------------------------------------------------------------------------


def _token(client, email, **extra):
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": PASSWORD, **extra})


def test_api_tokens_ask_for_the_code(ctx, client, clock):
    user, secret, codes = enrolled()
    response = _token(client, user.email)
    assert response.status_code == 401 and error_of(response)["code"] == "two_factor_required"
    assert "code" in error_of(response)["fields"]
    response = _token(client, user.email, code=wrong_code(secret))
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_credentials"
    response = _token(client, user.email, code=code(secret))
    assert response.status_code == 201 and "recovery_codes_left" not in response.get_json()
    assert Api(client, response.get_json()["token"]).get("/me").status_code == 200
    response = _token(client, user.email, code=code(secret))  # used already
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_credentials"
    response = _token(client, user.email, code=codes[3])
    assert response.status_code == 201 and response.get_json()["recovery_codes_left"] == 9


def test_api_wrong_codes_are_throttled(ctx, client, clock):
    user, secret, _codes = enrolled()
    for _ in range(5):
        assert _token(client, user.email, code=wrong_code(secret)).status_code == 401
    response = _token(client, user.email, code=code(secret))
    assert response.status_code == 429 and error_of(response)["code"] == "too_many_requests"


def test_api_refuses_a_required_role_without_it(ctx, client, clock, required):
    user = factories.make_user("admin")
    required("admin")
    response = _token(client, user.email)
    assert response.status_code == 403 and error_of(response)["code"] == "two_factor_not_set_up"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    required()
    assert _token(client, user.email).status_code == 201


def test_the_openapi_document_describes_the_code(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/auth/tokens"]["post"]
    schema = spec["components"]["schemas"]["TokenRequest"]
    assert schema["properties"]["code"]["maxLength"] == two_factor.CODE_MAX_LENGTH
    assert "two_factor_required" in schema["properties"]["code"]["description"]
    assert "code" not in schema.get("required", [])
    assert {"201", "401", "403", "429"} <= set(operation["responses"])
    assert "two_factor_required" in operation["responses"]["401"]["description"]
    assert "two_factor_not_set_up" in operation["responses"]["403"]["description"]


def test_no_two_factor_without_staff(ctx):
    gp = factories.make_gp()
    secret = two_factor.new_secret()
    from app.errors import Forbidden

    with pytest.raises(Forbidden):
        two_factor.enable(gp.user, secret, code(secret))


def test_hostile_input_is_refused_not_a_crash(ctx, client, clock):
    """test_fuzz's crawl stops before these pages; their forms get its values here."""
    from .test_fuzz import FORM_VALUES

    user, secret, codes = enrolled()
    browser = Browser(client)
    browser.login(user.email)
    for value in FORM_VALUES:
        response = browser.submit("/login/code", {"code": value})
        assert 400 <= response.status_code < 500, value[:40]
    db.session.execute(sa.delete(LoginAttempt))  # lift the lock those failures made
    db.session.commit()
    assert log_in_with_code(browser, user.email, codes[0]).status_code == 302
    forms = {
        "/account/two-factor": {"current_code": codes[1], "code": "123456"},
        "/account/two-factor/recovery-codes": {"code": "123456"},
        "/account/two-factor/off": {"password": PASSWORD, "code": "123456"},
    }
    for path, fields in forms.items():
        for name in fields:
            for value in FORM_VALUES:
                response = browser.submit(path, {**fields, name: value})
                assert 400 <= response.status_code < 500, (path, name, value[:40])
    assert db.session.get(User, user.id).two_factor_enabled


def test_an_operator_turns_it_off_for_a_lost_phone(app, ctx, clock, required):
    user, _secret, _codes = enrolled("coordinator")
    required("coordinator")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "two-factor-off", "--email", user.email])
    assert result.exit_code == 0, result.output
    user = db.session.get(User, user.id)
    assert not user.two_factor_enabled and two_factor.must_enrol(user)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.two_factor_disabled")
    )
    assert event.actor_id is None and event.data["by_operator"] is True
    again = runner.invoke(args=["users", "two-factor-off", "--email", user.email])
    assert again.exit_code == 2 and "no two-factor" in again.output


def test_two_requests_racing_with_one_code_cannot_both_win(ctx, clock):
    """The database decides: another request spent the step after this one read the user."""
    user, secret, _codes = enrolled()
    step = two_factor.time_step(utcnow())
    db.session.execute(
        sa.update(User.__table__).where(User.__table__.c.id == user.id).values(totp_last_step=step)
    )
    assert user.totp_last_step == step - 1  # what this request read before the other's write
    outcome = two_factor.check_code(user, code(secret), "192.0.2.1")
    assert not outcome.ok and outcome.wrong == "code"
