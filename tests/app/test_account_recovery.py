"""Accounts people can recover and that really end: password reset by email, address
confirmation, the account's API tokens, and an administrator disabling an account."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from app.auth.recovery import request_password_reset
from app.extensions import db
from app.mail import wait_for_account_emails
from app.models import ApiToken, AuditEvent, EmailToken, User
from app.models.types import utcnow
from app.unit_of_work import unit_of_work
from notifications.backends import memory_outbox

from . import factories
from .apiutil import Api
from .conftest import PASSWORD, Browser

NEW_PASSWORD = "en helt ny og lang setning"
LINK_RE = re.compile(r"https?://\S+/(password/reset|email/verify)/([A-Za-z0-9_\-]+)")


@pytest.fixture(autouse=True)
def _empty_outbox():
    memory_outbox.clear()
    yield
    wait_for_account_emails()
    memory_outbox.clear()


def sent_to(address: str) -> list:
    wait_for_account_emails()
    return [m for m in memory_outbox if m["To"] == address]


def link_in(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    kind, raw = LINK_RE.search(text).groups()
    return kind, raw


def audit_actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


def ask_for_reset(browser: Browser, email: str):
    return browser.submit("/password/forgot", {"email": email}, follow_redirects=True)


# --- password reset ----------------------------------------------------------------------


def test_a_reset_link_sets_a_new_password_once_and_ends_sessions_and_tokens(ctx, app):
    user = factories.make_user("coordinator", region_code="vest")
    db.session.commit()
    owner, other_device = Browser(app.test_client()), Browser(app.test_client())
    other_device.login(user.email)
    api = Api.login(app.test_client(), user.email)
    assert other_device.get("/account").status_code == 200

    answer = ask_for_reset(owner, user.email)
    assert answer.status_code == 200
    [message] = sent_to(user.email)
    kind, raw = link_in(message)
    assert kind == "password/reset"
    # Only the SHA-256 of the secret is kept.
    stored = db.session.scalar(sa.select(EmailToken).where(EmailToken.user_id == user.id))
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in stored.token_hash

    opened = owner.get(f"/password/reset/{raw}")
    assert opened.status_code == 302 and opened.location.endswith("/password/reset")
    assert raw not in opened.location  # the secret leaves the address bar
    page = owner.get("/password/reset")
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    saved = owner.submit(
        "/password/reset", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert saved.status_code == 302 and saved.location.endswith("/login")

    db.session.expire_all()
    assert other_device.get("/account").status_code == 302  # logged out everywhere
    assert api.get("/me").status_code == 401  # the API token ended
    assert owner.login(user.email, PASSWORD).status_code == 401
    assert owner.login(user.email, NEW_PASSWORD).status_code == 302
    assert owner.get(f"/password/reset/{raw}").status_code == 404  # single use
    assert user.email_verified_at is not None  # the link reached the address
    assert "user.password_reset_requested" in audit_actions(user)
    assert "user.password_reset" in audit_actions(user)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(ctx, client):
    user = factories.make_user("trust", trust_code="helse-bergen")
    db.session.commit()
    browser = Browser(client)
    known = ask_for_reset(browser, user.email)
    unknown = ask_for_reset(browser, "nobody@example.no")

    def words(response, email):
        text = response.get_data(as_text=True).replace(email, "EMAIL")
        return re.sub(r'name="csrf_token"[^>]*>', "", text)

    assert known.status_code == unknown.status_code == 200
    assert words(known, user.email) == words(unknown, "nobody@example.no")
    assert len(sent_to(user.email)) == 1
    assert sent_to("nobody@example.no") == []


def test_a_disabled_account_gets_no_link_and_the_answer_is_the_same(ctx, client):
    user = factories.make_user("trust", trust_code="helse-bergen")
    user.active = False
    db.session.commit()
    assert ask_for_reset(Browser(client), user.email).status_code == 200
    assert sent_to(user.email) == []


def test_a_reset_link_expires(ctx, client, travel):
    user = factories.make_user("admin")
    db.session.commit()
    with unit_of_work():
        request_password_reset(user.email)
    _, raw = link_in(sent_to(user.email)[0])
    travel(minutes=61)
    assert client.get(f"/password/reset/{raw}").status_code == 404


def test_a_new_link_ends_the_one_before_and_the_database_keeps_one(ctx, client):
    user = factories.make_user("admin")
    db.session.commit()
    with unit_of_work():
        request_password_reset(user.email)
        request_password_reset(user.email)
    first, second = (link_in(m)[1] for m in sent_to(user.email))
    assert client.get(f"/password/reset/{first}").status_code == 404
    assert client.get(f"/password/reset/{second}").status_code == 302
    now = utcnow()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        for n in range(2):
            db.session.add(
                EmailToken(
                    user_id=user.id,
                    purpose="password_reset",
                    token_hash=f"{n}" * 64,
                    email=user.email,
                    created_at=now,
                    expires_at=now.replace(year=now.year + 1),
                )
            )
        db.session.flush()


def test_changing_the_password_ends_the_reset_links(ctx, client):
    user = factories.make_user("admin")
    db.session.commit()
    with unit_of_work():
        request_password_reset(user.email)
    _, raw = link_in(sent_to(user.email)[0])
    browser = Browser(client)
    browser.login(user.email)
    changed = browser.submit(
        "/account",
        {
            "pw-current_password": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-password_confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert client.get(f"/password/reset/{raw}").status_code == 404


def test_reset_requests_are_throttled_per_address_and_links_per_account(ctx, app):
    user = factories.make_user("admin")
    db.session.commit()
    browser = Browser(app.test_client())
    limit = app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
    statuses = [
        browser.submit("/password/forgot", {"email": user.email}).status_code
        for _ in range(limit + 1)
    ]
    assert statuses == [302] * limit + [429]
    # Every request answered alike, but no more links than the hourly limit went out.
    assert len(sent_to(user.email)) == app.config["EMAIL_LINKS_PER_HOUR"]


def test_the_new_password_must_follow_the_policy(ctx, client):
    user = factories.make_user("admin", email="kari.nordmann@example.no")
    db.session.commit()
    with unit_of_work():
        request_password_reset(user.email)
    _, raw = link_in(sent_to(user.email)[0])
    browser = Browser(client)
    browser.get(f"/password/reset/{raw}")
    refused = browser.submit(
        "/password/reset", {"password": "kari.nordmann1", "password_confirm": "kari.nordmann1"}
    )
    assert refused.status_code == 422
    assert 'id="password-error"' in refused.get_data(as_text=True)


def test_a_reset_email_arrives_over_smtp_in_the_users_language(ctx, client, mailbox):
    user = factories.make_user("admin")
    user.locale = "nn"
    db.session.commit()
    ask_for_reset(Browser(client), user.email)
    wait_for_account_emails()
    [message] = mailbox.to(user.email)
    assert message["Content-Language"] == "nn"
    assert "List-Unsubscribe" not in message
    text = message.get_body(("plain",)).get_content()
    assert LINK_RE.search(text).group(0).startswith("https://alis.example.no/password/reset/")


# --- address confirmation ----------------------------------------------------------------


def test_registration_sends_a_link_that_confirms_the_address(ctx, client):
    from .test_auth import registration

    browser = Browser(client)
    assert browser.submit("/register", registration()).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "ny.lege@example.no"))
    assert user.email_verified_at is None
    assert "er ikke bekreftet ennå" in browser.get("/account").get_data(as_text=True)
    kind, raw = link_in(sent_to(user.email)[0])
    assert kind == "email/verify"
    assert browser.get(f"/email/verify/{raw}").status_code == 302
    db.session.expire_all()
    assert user.email_verified_at is not None
    assert "er bekreftet" in browser.get("/account").get_data(as_text=True)
    assert "user.email_verified" in audit_actions(user)


def test_the_api_registration_sends_the_link_and_me_says_whether_confirmed(ctx, client):
    from .test_auth import registration

    data = registration()
    body = {k: v for k, v in data.items() if k != "password_confirm"}
    body |= {
        k: int(body[k])
        for k in (
            "municipality_id",
            "months_general_practice",
            "courses_completed",
            "supervision_group_months",
        )
    }
    assert client.post("/api/v1/gps", json=body).status_code == 201
    api = Api.login(client, "ny.lege@example.no", data["password"])
    assert api.get("/me").get_json()["email_verified"] is False
    _, raw = link_in(sent_to("ny.lege@example.no")[0])
    client.get(f"/email/verify/{raw}")
    assert api.get("/me").get_json()["email_verified"] is True


def test_a_confirmation_counts_only_for_the_address_it_went_to(ctx, client):
    gp = factories.make_gp()
    db.session.commit()
    browser = Browser(client)
    browser.login(gp.user.email)
    browser.submit("/account/verification", {}, page="/account")
    _, raw = link_in(sent_to(gp.user.email)[0])
    gp.user.email = "another.address@example.no"
    db.session.commit()
    assert client.get(f"/email/verify/{raw}").status_code == 404
    assert gp.user.email_verified_at is None


def test_the_coordinator_sees_whether_a_gps_address_is_confirmed(ctx, client):
    gp = factories.make_gp()
    coordinator = factories.make_user("coordinator", region_code="vest")
    db.session.commit()
    browser = Browser(client)
    browser.login(coordinator.email)
    assert "(ikke bekreftet)" in browser.get(f"/gps/{gp.id}").get_data(as_text=True)
    gp.user.email_verified_at = utcnow()
    db.session.commit()
    assert "(bekreftet)" in browser.get(f"/gps/{gp.id}").get_data(as_text=True)


# --- the account's API tokens --------------------------------------------------------------


def test_the_account_page_lists_working_tokens_and_revokes_one(ctx, client, app):
    user = factories.make_user("trust", trust_code="helse-bergen")
    db.session.commit()
    kept = Api.login(app.test_client(), user.email)
    ended = Api.login(app.test_client(), user.email)
    assert ended.get("/me").status_code == 200  # marks it used
    browser = Browser(client)
    browser.login(user.email)
    page = browser.get("/account").get_data(as_text=True)
    assert page.count("/revoke") == 2
    assert "Ikke brukt" in page
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.last_used_at.is_not(None))
        .order_by(ApiToken.id.desc())
    )
    revoked = browser.submit(f"/account/tokens/{token.id}/revoke", {}, page="/account")
    assert revoked.status_code == 302
    assert ended.get("/me").status_code == 401
    assert kept.get("/me").status_code == 200
    assert browser.get("/account").get_data(as_text=True).count("/revoke") == 1
    assert "user.token_revoked" in audit_actions(user)


def test_another_users_token_is_not_found(ctx, client, app):
    owner = factories.make_user("trust", trust_code="helse-bergen")
    intruder = factories.make_user("trust", trust_code="helse-bergen")
    db.session.commit()
    api = Api.login(app.test_client(), owner.email)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == owner.id))
    browser = Browser(client)
    browser.login(intruder.email)
    assert (
        browser.submit(f"/account/tokens/{token.id}/revoke", {}, page="/account").status_code == 404
    )
    assert api.get("/me").status_code == 200


def test_logging_out_of_the_browser_leaves_api_tokens(ctx, client, app):
    user = factories.make_user("trust", trust_code="helse-bergen")
    db.session.commit()
    api = Api.login(app.test_client(), user.email)
    browser = Browser(client)
    browser.login(user.email)
    browser.logout()
    assert api.get("/me").status_code == 200


# --- an administrator disables an account ----------------------------------------------------


def test_disabling_an_account_ends_its_sessions_tokens_and_links(ctx, app):
    admin = factories.make_user("admin")
    user = factories.make_user("coordinator", region_code="vest")
    db.session.commit()
    session_of_user = Browser(app.test_client())
    session_of_user.login(user.email)
    api = Api.login(app.test_client(), user.email)
    with unit_of_work():
        request_password_reset(user.email)
    _, raw = link_in(sent_to(user.email)[0])

    browser = Browser(app.test_client())
    browser.login(admin.email)
    answer = browser.submit(f"/admin/users/{user.id}/disable", {}, page="/admin/users")
    assert answer.status_code == 302
    db.session.expire_all()
    assert user.active is False
    assert session_of_user.get("/account").status_code == 302
    assert api.get("/me").status_code == 401
    assert app.test_client().get(f"/password/reset/{raw}").status_code == 404
    assert Browser(app.test_client()).login(user.email).status_code == 401
    assert "user.disabled" in audit_actions(user)

    assert (
        browser.submit(f"/admin/users/{user.id}/enable", {}, page="/admin/users").status_code == 302
    )
    assert Browser(app.test_client()).login(user.email).status_code == 302
    assert api.get("/me").status_code == 401  # tokens stay ended
    assert "user.enabled" in audit_actions(user)


def test_an_administrator_cannot_disable_their_own_account(ctx, client):
    admin = factories.make_user("admin")
    db.session.commit()
    browser = Browser(client)
    browser.login(admin.email)
    answer = browser.submit(f"/admin/users/{admin.id}/disable", {}, page="/admin/users")
    assert answer.status_code == 409
    db.session.expire_all()
    assert admin.active is True


@pytest.mark.parametrize("role", ["gp", "trust", "coordinator"])
def test_only_administrators_disable_accounts(ctx, client, role):
    user = factories.make_user("admin")
    other = factories.make_gp().user if role == "gp" else None
    actor = other or factories.make_user(
        role,
        trust_code="helse-bergen" if role == "trust" else None,
        region_code="vest" if role == "coordinator" else None,
    )
    db.session.commit()
    browser = Browser(client)
    browser.login(actor.email)
    answer = browser.submit(f"/admin/users/{user.id}/disable", {}, page="/account")
    assert answer.status_code in (403, 404)
    db.session.expire_all()
    assert user.active is True


def test_the_command_line_disables_and_enables(ctx, app):
    user = factories.make_user("trust", trust_code="helse-bergen")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "disable", "--email", user.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.active is False
    result = runner.invoke(args=["users", "enable", "--email", user.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.active is True
    result = runner.invoke(args=["users", "disable", "--email", "nobody@example.no"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "nobody@example.no" in result.output


def test_the_reset_pages_pass_the_static_accessibility_checks(ctx, client):
    from .a11y import problems

    user = factories.make_user("admin")
    db.session.commit()
    with unit_of_work():
        request_password_reset(user.email)
    _, raw = link_in(sent_to(user.email)[0])
    browser = Browser(client)
    browser.get(f"/password/reset/{raw}")
    for response in (
        browser.get("/password/reset"),
        browser.submit("/password/reset", {"password": "x", "password_confirm": "y"}),
        client.get("/password/reset/not-a-link"),
        browser.submit("/password/forgot", {"email": "not an email"}),
    ):
        assert problems(response.get_data(as_text=True)) == []
