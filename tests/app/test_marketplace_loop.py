"""The whole loop of the product through the pages, as its three kinds of users live it:
a trust publishes, GPs register and say when they can go, the coordinator runs the matching,
the trust offers, the GP answers; a period nobody wants falls back to ordinary advertising."""

from datetime import timedelta

import sqlalchemy as sa

from app.dates import add_months, local_today
from app.extensions import db
from app.models import GP, Match, Period

from . import factories
from .conftest import PASSWORD, Browser

TODAY = local_today()


def browser_for(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nb"
    return client, Browser(client)


def register_gp(app, email, months_gp, start, specialty, trust):
    client, browser = browser_for(app)
    response = browser.submit(
        "/register",
        {
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "name": email.split("@")[0].title(),
            "hpr_number": str(abs(hash(email)) % 9_000_000 + 1_000_000),
            "municipality_id": str(factories.municipality("4601").id),
            "months_general_practice": str(months_gp),
            "courses_completed": "3",
            "supervision_group_months": "10",
            "scheme": "new",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = browser.submit(
        "/availability/new",
        {
            "earliest_start": start.isoformat(),
            "latest_end": add_months(start, 12).isoformat(),
            "months": "6",
            "specialty_1": str(specialty.id),
            "trust_1": str(trust.id),
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return client, browser


def publish(browser, department, start, months=6):
    response = browser.submit(
        "/periods/new",
        {
            "department_id": str(department.id),
            "start_date": start.isoformat(),
            "end_date": (add_months(start, months) - timedelta(days=1)).isoformat(),
            "source": "parental_leave",
            "description": "Foreldrepermisjon",
            "contact_name": "Avdelingsleiar",
            "contact_email": "leiar@helse-bergen.no",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return db.session.scalars(sa.select(Period).order_by(Period.id.desc())).first()


def run_matching(browser, as_of):
    response = browser.submit("/coordination/runs", {"as_of": as_of.isoformat()})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    dry_run_page = response.headers["Location"]
    assert browser.get(dry_run_page).status_code == 200
    response = browser.submit(f"{dry_run_page}/commit", {}, page=dry_run_page)
    assert response.status_code in (200, 302, 303), response.get_data(as_text=True)


def live_match(period):
    return db.session.scalar(
        sa.select(Match).where(
            Match.period_id == period.id, Match.status.in_(("proposed", "offered", "accepted"))
        )
    )


def test_publish_register_run_offer_accept_and_fallback(app, ctx, travel):
    bergen = factories.trust("helse-bergen")
    psychiatry = next(d for d in bergen.departments if d.specialty.code == "psychiatry")
    start = add_months(TODAY.replace(day=1), 3)
    trust_user = factories.make_user("trust", trust_code="helse-bergen")
    other_trust_user = factories.make_user("trust", trust_code="helse-stavanger")
    coordinator = factories.make_user("coordinator", region_code="helse-vest")

    _, trust = browser_for(app)
    trust.login(trust_user.email)
    period = publish(trust, psychiatry, start)
    assert period.status == "open"

    senior_client, senior = register_gp(
        app, "senior@example.no", 60, start, psychiatry.specialty, bergen
    )
    junior_client, junior = register_gp(
        app, "junior@example.no", 40, start, psychiatry.specialty, bergen
    )
    senior_gp = db.session.scalar(sa.select(GP).where(GP.name == "Senior"))
    junior_gp = db.session.scalar(sa.select(GP).where(GP.name == "Junior"))

    _, coord = browser_for(app)
    coord.login(coordinator.email)
    run_matching(coord, TODAY)
    match = live_match(period)
    assert match.gp_id == senior_gp.id and match.status == "proposed"
    assert db.session.get(Period, period.id).status == "matched"
    assert "Senior" not in junior_client.get("/my/why-not").get_data(as_text=True)
    assert period.department.name in senior_client.get("/my/matches").get_data(as_text=True)

    # the trust offers; the senior GP declines; the next run proposes the junior GP
    accept_by = TODAY + timedelta(days=10)
    page = f"/periods/{period.id}"
    response = trust.submit(f"{page}/offer", {"accept_by": accept_by.isoformat()}, page=page)
    assert response.status_code in (302, 303)
    assert live_match(period).status == "offered"
    response = senior.submit(f"/my/matches/{match.id}/decline", {}, page="/my/matches")
    assert response.status_code == 303
    assert db.session.get(Period, period.id).status == "open"
    run_matching(coord, TODAY)
    match = live_match(period)
    assert match.gp_id == junior_gp.id

    # offer and accept: the period is filled
    trust.submit(f"{page}/offer", {"accept_by": accept_by.isoformat()}, page=page)
    response = junior.submit(f"/my/matches/{match.id}/accept", {}, page="/my/matches")
    assert response.status_code == 303
    assert db.session.get(Period, period.id).status == "filled"
    assert db.session.get(Match, match.id).status == "accepted"

    # another trust's staff cannot see or touch it
    _, stranger = browser_for(app)
    stranger.login(other_trust_user.email)
    assert stranger.get(page).status_code == 404
    assert stranger.submit(f"{page}/withdraw", {"reason": "x"}, page="/periods").status_code == 404

    # a period nobody wants: open now, advertised two months after publication
    ent = next(d for d in bergen.departments if d.specialty.code == "ent")
    lonely = publish(trust, ent, add_months(start, 3))
    run_matching(coord, TODAY)
    assert db.session.get(Period, lonely.id).status == "open"
    travel(days=62)  # a run that changes anything is dated today
    coord.login(coordinator.email)  # the sessions have ended meanwhile
    trust.login(trust_user.email)
    run_matching(coord, TODAY + timedelta(days=62))
    assert db.session.get(Period, lonely.id).status == "advertised"
    assert trust.get(f"/periods/{lonely.id}/advert").status_code == 200
    _, public = browser_for(app)
    assert ent.name in public.get("/vacancies").get_data(as_text=True)
    assert public.get(f"/vacancies/{lonely.id}").status_code == 200
