"""Issue 20, data protection: a GP downloads all their data and erases their account (pages
and API), the privacy page, and the nightly retention job that reduces old matching runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import add_months, local_today
from app.extensions import db
from app.jobs import retention
from app.models import (
    GP,
    ApiToken,
    AuditEvent,
    Match,
    MatchingRun,
    MatchingRunData,
    Notification,
    Period,
    RunBlockingPair,
    RunGPReasons,
    RunRegion,
    User,
)
from app.models.types import utcnow
from app.privacy.retention import apply_retention, run_reduced_on
from app.statistics.services import Span, figures

from . import factories
from .a11y import problems
from .apiutil import Api, error_of
from .conftest import PASSWORD, Browser
from .test_run_records import pinned
from .test_run_records import run as make_run

TODAY = local_today()
NAME, EARLIER_NAME = "Åse Ørnulf Særnavn", "Gammel Særnavn-Hansen"
EMAIL, HPR = "ase.saernavn@example.no", "87654321"


def personal_strings_left(*needles: str) -> list[str]:
    """Every table, every column that holds text or JSON: where any needle is still found
    (JSON compared decoded, so that escaped letters cannot hide a name)."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found += [f"{table.name}.{column.name}: {n}" for n in needles if n in text]
    return found


@pytest.fixture
def scene(ctx, client):
    """GP Åse (renamed once, so the audit log holds an earlier name) with a window and an
    open offer for a Helse Bergen period; a coordinator forbade her another period with a
    reason that names her; trust staff heard of her; another GP, Bjørn, holds a placement."""
    staff = factories.make_user("trust", trust_code="helse-bergen")
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    gp = factories.make_gp(name=EARLIER_NAME, email=EMAIL, hpr_number=HPR)
    api = Api.login(client, EMAIL)
    assert api.patch("/me", {"name": NAME}).status_code == 200
    db.session.expire_all()
    factories.make_window(gp)
    offered = factories.make_period(start=TODAY + timedelta(days=60))
    match = factories.make_proposal(
        offered, gp, status="offered", accept_by=TODAY + timedelta(days=7)
    )
    other = factories.make_period(start=TODAY + timedelta(days=70))
    lifecycle.forbid(other, gp, reason=f"{NAME} ({HPR}) har bedt om det", actor=coordinator)
    db.session.commit()
    bjorn = factories.make_gp(name="Bjørn Annen", email="bjorn@example.no", hpr_number="5550001")
    held = factories.make_period(start=TODAY + timedelta(days=80))
    placed = factories.make_proposal(held, bjorn)
    placed.decided_at = utcnow()
    factories.force_status(placed, "accepted")
    factories.force_status(held, "filled")
    db.session.commit()
    return {
        "gp": db.session.get(GP, gp.id),
        "api": api,
        "staff": staff,
        "match": match,
        "bjorn": bjorn,
        "placed": placed,
    }


# ---- export


def test_the_export_holds_the_gps_data_and_nothing_of_others(scene, client):
    body = scene["api"].get("/me/export")
    assert body.status_code == 200
    data = body.get_json()
    assert data["profile"]["name"] == NAME and data["profile"]["hpr_number"] == HPR
    assert data["account"]["email"] == EMAIL
    assert [m["id"] for m in data["matches"]] == [scene["match"].id]
    assert data["matches"][0]["status"] == "offered"
    assert len(data["availability_windows"]) == 1 and data["forbidden_pairs"]
    assert data["api_tokens"] and all(
        set(t) == {"id", "created_at", "expires_at", "revoked_at", "last_used_at"}
        for t in data["api_tokens"]
    )
    actions = {e["action"] for e in data["audit_events"]}
    assert "gp.profile_updated" in actions or any(a.startswith("gp.") for a in actions)
    text = json.dumps(data, ensure_ascii=False)
    for other in ("Bjørn Annen", "bjorn@example.no", "5550001", scene["staff"].email):
        assert other not in text
    for secret in ("password", "hash", "totp"):
        assert secret not in text.lower().replace("password_changed", "")


def test_the_account_page_downloads_the_same_json(scene, client):
    browser = Browser(client)
    browser.login(EMAIL)
    page = client.get("/account")
    assert "/account/export" in page.get_data(as_text=True)
    assert "/account/erase" in page.get_data(as_text=True)
    download = client.get("/account/export")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    api_data = scene["api"].get("/me/export").get_json()
    page_data = json.loads(download.get_data(as_text=True))
    for data in (api_data, page_data):
        data.pop("exported_at")
        for token in data["api_tokens"]:
            token.pop("last_used_at")
    assert page_data == api_data


def test_export_needs_a_token(client, ctx):
    assert client.get("/api/v1/me/export").status_code == 401
    assert client.get("/account/export").status_code == 302  # to the login page


# ---- erase


def test_a_wrong_password_erases_nothing_and_counts_as_a_failed_login(scene, client):
    answer = scene["api"].post("/me/erase", {"password": "not the password"})
    assert answer.status_code == 422
    assert error_of(answer)["code"] == "validation_failed"
    assert error_of(answer)["fields"]["password"]
    # counted, without locking the account's logins
    assert Api.login(client, EMAIL).get("/me").status_code == 200


def test_wrong_passwords_are_throttled(scene, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert scene["api"].post("/me/erase", {"password": "not it"}).status_code == 422
    answer = scene["api"].post("/me/erase", {"password": PASSWORD})
    assert answer.status_code == 429
    assert db.session.get(User, scene["gp"].user_id).erased_at is None
    assert scene["api"].get("/me").status_code == 200
    assert db.session.get(User, scene["gp"].user_id).erased_at is None


@pytest.mark.parametrize(
    "body", [{}, {"password": ""}, {"password": 5}, {"password": "x" * 5000}, [], "x"]
)
def test_bad_erase_bodies_are_4xx(scene, body):
    answer = scene["api"].post("/me/erase", body)
    assert 400 <= answer.status_code < 500
    assert db.session.get(User, scene["gp"].user_id).erased_at is None


def test_only_gps_erase_themselves(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    answer = Api.login(client, staff.email).post("/me/erase", {"password": PASSWORD})
    assert answer.status_code == 403 and error_of(answer)["code"] == "forbidden"
    assert "leger" in error_of(answer)["message"]  # the caller's language, bokmål


def test_erasing_ends_everything_personal_and_keeps_the_statistics(scene, client):
    gp, staff = scene["gp"], scene["staff"]
    user_id, gp_id = gp.user_id, gp.id
    browser = Browser(client)
    browser.login(EMAIL)
    assert client.get("/account").status_code == 200
    second = Api.login(client, EMAIL)
    span = Span.ending(TODAY, 2)
    before = figures(None, span, TODAY).by_trust
    told_before = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == staff.id)
    )

    answer = scene["api"].post("/me/erase", {"password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"erased": True, "matches_cancelled": 1, "placements_kept": 0}

    # tokens and sessions end
    assert scene["api"].get("/me").status_code == 401
    assert second.get("/me").status_code == 401
    assert client.get("/account").status_code == 302
    assert not db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id)).all()
    # the live offer was cancelled through the lifecycle, the period is open again, the
    # trust was told
    match = db.session.get(Match, scene["match"].id)
    assert match.status == "cancelled" and match.period.status == "open"
    told = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == staff.id).order_by(Notification.id)
    ).all()
    assert len(told) > told_before
    # no name, email or HPR number anywhere, earlier name included
    assert personal_strings_left(NAME, EARLIER_NAME, EMAIL, HPR) == []
    # the rows stay, pseudonymised; the audit keeps the events with the person as a number
    user = db.session.get(User, user_id)
    assert user.erased_at is not None and not user.active
    assert db.session.get(GP, gp_id).name.endswith(str(gp_id))
    erased = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.erased"))
    assert erased.actor_id == user_id and erased.object_id == user_id
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == user_id)
        )
        >= 2
    )
    # other people keep theirs; the statistics are unchanged
    bjorn = db.session.get(GP, scene["bjorn"].id)
    assert bjorn.name == "Bjørn Annen" and bjorn.user.email == "bjorn@example.no"
    assert figures(None, span, TODAY).by_trust == before
    # the address no longer logs in (the attempt itself is logged, as any failed login);
    # erasing again: the token is gone
    assert (
        Api(client).post("/auth/tokens", {"email": EMAIL, "password": PASSWORD}).status_code == 401
    )
    assert scene["api"].post("/me/erase", {"password": PASSWORD}).status_code == 401


def test_an_erased_placement_still_counts_in_the_statistics(scene, client):
    span = Span.ending(TODAY, 2)
    before = figures(None, span, TODAY)
    assert before.by_trust
    answer = Api.login(client, "bjorn@example.no").post("/me/erase", {"password": PASSWORD})
    assert answer.status_code == 200
    assert answer.get_json()["placements_kept"] == 1
    after = figures(None, span, TODAY)
    assert after.by_trust == before.by_trust and after.by_municipality == before.by_municipality
    assert db.session.get(Match, scene["placed"].id).status == "accepted"
    assert personal_strings_left("Bjørn Annen", "bjorn@example.no", "5550001") == []
    assert db.session.get(GP, scene["gp"].id).name == NAME  # Åse is untouched


def test_the_erase_page_asks_for_password_and_address(scene, client):
    browser = Browser(client)
    browser.login(EMAIL)
    page = client.get("/account/erase")
    assert page.status_code == 200 and problems(page.get_data(as_text=True)) == []
    wrong_address = browser.submit(
        "/account/erase", {"password": PASSWORD, "confirmation": "someone@example.no"}
    )
    assert wrong_address.status_code == 422
    wrong_password = browser.submit(
        "/account/erase", {"password": "nope nope nope", "confirmation": EMAIL}
    )
    assert wrong_password.status_code == 422
    assert db.session.get(User, scene["gp"].user_id).erased_at is None
    done = browser.submit("/account/erase", {"password": PASSWORD, "confirmation": EMAIL.upper()})
    assert done.status_code == 302
    assert db.session.get(User, scene["gp"].user_id).erased_at is not None
    assert client.get("/account").status_code == 302  # logged out
    assert personal_strings_left(NAME, EARLIER_NAME, EMAIL, HPR) == []


def test_staff_cannot_open_the_erase_page(ctx, client):
    staff = factories.make_user("coordinator", region_code="helse-vest")
    Browser(client).login(staff.email)
    assert client.get("/account/erase").status_code == 403


# ---- the privacy page


@pytest.mark.parametrize(
    "language, heading, months",
    [
        ("nb", "Personvern", "12 måneder"),
        ("nn", "Personvern", "12 månader"),
        ("en", "Privacy", "12 months"),
    ],
)
def test_the_privacy_page_in_three_languages(client, ctx, language, heading, months):
    page = client.get("/personvern", headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and problems(html) == []
    assert f"<h1>{heading}</h1>" in html and months in html
    assert 'href="/personvern"' in client.get("/", headers={"Accept-Language": language}).get_data(
        as_text=True
    )


def test_the_privacy_page_reads_the_settings(app, client, ctx):
    app.config["RUN_RETENTION_MONTHS"] = 7
    try:
        html = client.get("/personvern", headers={"Accept-Language": "en"}).get_data(as_text=True)
    finally:
        app.config["RUN_RETENTION_MONTHS"] = 12
    assert "7 months" in html


# ---- retention


@pytest.fixture
def coordinator(ctx):
    return factories.make_user("coordinator", region_code="helse-vest")


def test_a_run_is_reduced_after_its_last_period_and_keeps_its_counts(coordinator, client):
    pinned(coordinator, 2)
    done = make_run(coordinator, dry_run=False)
    run_id = done.id
    ends = db.session.scalar(sa.select(sa.func.max(Period.end_date)))
    due = run_reduced_on(done.as_of, ends)
    assert due == add_months(max(done.as_of, ends), 12)
    assert db.session.scalars(
        sa.select(RunBlockingPair).where(RunBlockingPair.run_id == run_id)
    ).all()

    assert apply_retention(due - timedelta(days=1)).runs_reduced == []
    assert db.session.get(MatchingRun, run_id).reduced_at is None

    assert retention(client.application, due).startswith("1 runs reduced")
    db.session.expire_all()  # the job ran in an app context (a session) of its own
    run = db.session.get(MatchingRun, run_id)
    assert run.reduced_at is not None and run.problem is None and run.result is None
    for model in (RunBlockingPair, RunGPReasons):
        assert not db.session.scalars(sa.select(model).where(model.run_id == run_id)).all()
    region = db.session.scalar(sa.select(RunRegion).where(RunRegion.run_id == run_id))
    assert region.placements >= 1 and region.gps == 3
    vest = run.summary["regions"]["helse-vest"]
    assert vest["new"] == [] and vest["placements"] == region.placements
    assert "passed_over_pairs" not in vest and vest["blocking_pairs_by_cause"]["pin"] == 2
    # exactly once: the next night finds nothing to do
    assert apply_retention(due + timedelta(days=1)).runs_reduced == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "retention.applied")
        )
        == 1
    )

    # its page and the API say so and work
    Browser(client).login(coordinator.email)
    page = client.get(f"/coordination/runs/{run_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "redusert etter lagringstiden" in html
    assert problems(html) == []
    api = Api.login(client, coordinator.email)
    shown = api.get(f"/matching/runs/{run_id}").get_json()
    assert shown["reduced_at"] and shown["proposals"] == run.proposals
    pairs = api.get(f"/matching/runs/{run_id}/blocking-pairs").get_json()
    assert pairs["total"] == 0


def test_the_database_refuses_a_reduced_run_with_a_problem(coordinator):
    done = make_run(coordinator, dry_run=True)
    assert done.problem is not None  # its data row (matching_run_data) exists
    reduce = sa.update(MatchingRun).where(MatchingRun.id == done.id)
    # marked reduced while its problem and result are kept: the data row's key refuses it
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(reduce.values(reduced_at=utcnow(), reduced=True))
    # a date without the mark, or the mark without a date: the CHECK refuses it
    for values in ({"reduced_at": utcnow()}, {"reduced": True}):
        with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
            db.session.execute(reduce.values(**values))
    # reduced (the data gone first), the run cannot get a problem again
    db.session.execute(sa.delete(MatchingRunData).where(MatchingRunData.run_id == done.id))
    db.session.execute(reduce.values(reduced_at=utcnow(), reduced=True))
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(MatchingRunData).values(run_id=done.id, problem={}))


def test_audit_events_older_than_the_retention_are_deleted(ctx):
    now = datetime.now(UTC)
    old = AuditEvent(action="test.old", object_type="system", at=now - timedelta(days=366 * 5 + 2))
    young = AuditEvent(action="test.young", object_type="system", at=now - timedelta(days=365 * 4))
    db.session.add_all([old, young])
    db.session.commit()
    report = apply_retention(TODAY)
    assert report.audit_deleted >= 1
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert "test.old" not in actions and "test.young" in actions


def test_bad_retention_settings_stop_the_start(monkeypatch):
    from app.config import Config

    monkeypatch.setenv("RUN_RETENTION_MONTHS", "zero")
    with pytest.raises(RuntimeError, match="RUN_RETENTION_MONTHS"):
        Config.from_environment()
    monkeypatch.setenv("RUN_RETENTION_MONTHS", "24")
    monkeypatch.setenv("AUDIT_RETENTION_YEARS", "10")
    values = Config.from_environment()
    assert values["RUN_RETENTION_MONTHS"] == 24 and values["AUDIT_RETENTION_YEARS"] == 10


def test_staff_download_their_own_data_too(ctx, client):
    staff = factories.make_user("coordinator", region_code="helse-vest")
    data = Api.login(client, staff.email).get("/me/export").get_json()
    assert data["account"]["email"] == staff.email and data["account"]["role"] == "coordinator"
    assert data["profile"] is None and data["matches"] == []
