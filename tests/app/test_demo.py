"""The demo data set: believable, and loading it twice is harmless."""

import sqlalchemy as sa

from app.dates import local_today
from app.demo import DEMO_PASSWORD, demo_logins, load_demo
from app.extensions import db
from app.models import GP, Availability, Match, MatchingRun, Period, Subscription, User


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_demo_loads_twice_without_error(ctx):
    today = local_today()
    first = load_demo(today=today)
    db.session.commit()
    assert first["gps"] == 60 and first["periods"] == 30
    # and Ahus's shortlist: its GPs and periods in Helse Sør-Øst
    assert first["ahus_gps"] == 6 and first["ahus_periods"] == 3
    # and Helse Førde's application rounds: the one the demo's run matched and the next
    assert first["rounds"] == 2
    # and Vestre Viken's 3 + 3: two back-to-back periods of 3 months
    assert first["split_periods"] == 2
    assert load_demo(today=today) == {}
    db.session.commit()
    assert count(GP) == 67
    assert count(Period) == 35 + 1  # and one placement that has ended
    assert 47 <= count(Availability) <= 67
    # a first run made proposals; some are offered, one accepted; old periods advertised
    assert count(Match, Match.status == "proposed") >= 3
    assert count(Match, Match.status == "offered") >= 1
    assert count(Match, Match.status == "accepted") == 1 + 1
    assert count(Period, Period.status == "advertised") >= 1
    assert count(MatchingRun) == 1
    assert count(Subscription) == 2


def test_demo_has_every_role_and_a_living_market(ctx, browser):
    today = local_today()
    load_demo(today=today)
    db.session.commit()
    roles = {u.role for u in db.session.scalars(sa.select(User))}
    assert roles == {"gp", "trust", "coordinator", "admin", "municipality"}
    periods = db.session.scalars(sa.select(Period).where(Period.end_date >= today)).all()
    assert all(p.start_date > today for p in periods)
    overdue = [p for p in periods if p.advertise_after.date() < today]
    assert 4 <= len(overdue) <= 12, "some periods are older than the two-month fallback"
    assert {p.status for p in overdue} <= {"advertised", "matched", "filled"}
    assert {p.department.trust.region.code for p in periods} == {"helse-vest", "helse-sor-ost"}
    assert {p.department.trust.code for p in periods if p.department.trust.code == "ahus"}
    assert len({p.department.trust.code for p in periods}) >= 3
    for login in demo_logins():
        response = browser.login(login.email, DEMO_PASSWORD)
        assert response.status_code == 302, login.email
        assert browser.get("/dashboard").status_code == 200
        browser.logout()


def test_demo_municipalities_follow_their_gps_with_one_endorsement_pending(ctx, browser):
    load_demo(today=local_today())
    db.session.commit()
    bergen = db.session.scalar(sa.select(User).where(User.email == "kommune.bergen@demo.alis.no"))
    voss = db.session.scalar(sa.select(User).where(User.email == "kommune.voss@demo.alis.no"))
    assert [m.number for m in bergen.municipalities] == ["4601"]
    assert [m.number for m in voss.municipalities] == ["4621"]
    windows = db.session.scalars(
        sa.select(Availability)
        .join(GP)
        .where(GP.municipality_id.in_([bergen.municipalities[0].id, voss.municipalities[0].id]))
        .where(Availability.status.in_(("active", "paused")))
    ).all()
    pending = [w for w in windows if w.endorsed_at is None]
    assert len(pending) == 1 and pending[0].gp.municipality.number == "4621"
    assert len(windows) >= 5
    voss_gps = db.session.scalars(
        sa.select(GP).where(GP.municipality_id == voss.municipalities[0].id).order_by(GP.id)
    ).all()
    assert [g.municipality_priority for g in voss_gps] == list(range(1, len(voss_gps) + 1))
    browser.login("kommune.voss@demo.alis.no", DEMO_PASSWORD)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "Voss" in page and pending[0].gp.name in page


def test_demo_load_command_twice_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "60 gps" in first.output and "admin@demo.alis.no" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert DEMO_PASSWORD in second.output


def test_demo_has_an_ended_placement_with_goals_and_an_answer(ctx, browser):
    from app.models import GoalConfirmation, SurveyResponse

    today = local_today()
    assert load_demo(today=today)["ended_placements"] == 1
    db.session.commit()
    [match] = db.session.scalars(
        sa.select(Match).join(Period).where(Period.end_date < today, Match.status == "accepted")
    ).all()
    assert count(GoalConfirmation, GoalConfirmation.match_id == match.id) == 2
    assert db.session.scalars(sa.select(SurveyResponse.role)).all() == ["gp"]
    browser.login("hr.bergen@demo.alis.no", DEMO_PASSWORD)
    page = browser.get(f"/placements/{match.id}").get_data(as_text=True)
    assert "ALM-085" in page and 'name="overall"' in page  # the department's survey is open


def test_demo_shows_helse_fordes_application_rounds(ctx, client):
    """Helse Førde takes its GPs in rounds: the demo's run matched the round whose matching
    is the load day (its periods belong to it, its offers answer by the round's answer
    date), the next round is ahead and shown on the region's page and a GP's page."""
    from datetime import timedelta

    from app.dates import local_zone
    from app.models import ApplicationRound, Trust
    from app.policy import effective_policy

    from .a11y import problems
    from .conftest import Browser

    today = local_today()
    load_demo(today=today)
    db.session.commit()
    forde = db.session.scalar(sa.select(Trust).where(Trust.code == "helse-forde"))
    policy = effective_policy(forde)
    assert policy.intake == "rounds" and forde.own_policy is not None
    first, after = db.session.scalars(
        sa.select(ApplicationRound)
        .where(ApplicationRound.policy_id == forde.own_policy.id)
        .order_by(ApplicationRound.apply_by)
    ).all()
    run = db.session.scalar(sa.select(MatchingRun))
    assert (first.apply_by, first.match_on) == (today, today)
    assert first.matched_run_id == run.id  # the demo's run matched it
    assert after.matched_run_id is None and after.apply_by > today  # the next round
    # Helse Førde's periods waited for the round and belong to it; the others to none
    periods = db.session.scalars(sa.select(Period).where(Period.end_date >= today)).all()
    fordes = [p for p in periods if p.department.trust_id == forde.id]
    assert fordes and all(p.application_round_id == first.id for p in fordes)
    assert all(p.application_round_id is None for p in periods if p not in fordes)
    # the round is their one chance: they fall back to advertising the day after it
    fallback = {p.advertise_after.astimezone(local_zone()).date() for p in fordes}
    assert fallback == {today + timedelta(days=1)}
    # its offers (open or accepted) answer by the round's answer date
    offered = db.session.scalars(
        sa.select(Match).where(
            Match.period_id.in_([p.id for p in fordes]), Match.offered_at.is_not(None)
        )
    ).all()
    for match in offered:
        assert match.accept_by == min(first.answer_by, match.period.start_date - timedelta(days=1))
    text = client.get("/regions/helse-vest", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Application rounds" in text and "next round" in text and "Helse Førde" in text
    assert problems(text) == []
    # a Helse Vest GP whose window is registered today enters the next round
    browser = Browser(client)
    browser.login("lege@demo.alis.no", DEMO_PASSWORD)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    page = browser.get("/availability").get_data(as_text=True)
    assert "your window enters the round with application deadline" in page
    assert problems(page) == []


def test_demo_places_a_split_gp_in_two_blocks(ctx, client):
    """Vestre Viken's 3 + 3: after the demo's run Kristin Moe holds both 3-month periods,
    one after the other, as blocks 1 and 2; her matches page shows them."""
    from .conftest import Browser

    load_demo(today=local_today())
    db.session.commit()
    gp = db.session.scalar(sa.select(GP).where(GP.name == "Kristin Moe"))
    live = db.session.scalars(
        sa.select(Match)
        .where(Match.gp_id == gp.id, Match.status.in_(("proposed", "offered", "accepted")))
        .order_by(Match.slot)
    ).all()
    assert [m.slot for m in live] == [1, 2]
    first, second = sorted((m.period for m in live), key=lambda p: p.start_date)
    assert first.end_date < second.start_date
    assert {p.department.trust.code for p in (first, second)} == {"vestre-viken"}
    assert first.department_id != second.department_id
    Browser(client).login(gp.user.email, DEMO_PASSWORD)
    page = client.get("/my/matches").get_data(as_text=True)
    assert "Blokk 1 av 2" in page and "Blokk 2 av 2" in page
