"""Which events notify whom: trust staff about new GP availability, offer reminders three
days before the deadline, the advert text when a period goes to advertising, the jobs."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app import lifecycle
from app.announce import remind_offers
from app.dates import local_today
from app.extensions import db
from app.gps.services import AvailabilityInput
from app.jobs import build_scheduler, offer_reminders
from app.lifecycle import create_availability
from app.models import Notification, Specialty, Subscription
from app.runs.services import RunRequest, execute

from . import factories


def specialty(code: str) -> Specialty:
    return db.session.scalar(sa.select(Specialty).where(Specialty.code == code))


def subscribe(user, **fields) -> Subscription:
    subscription = Subscription(user_id=user.id, horizon_months=12, **fields)
    db.session.add(subscription)
    db.session.commit()
    return subscription


def notifications_of(user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def register_window(gp, specialty_codes, trust_codes=(), start_in_days=30):
    start = local_today() + timedelta(days=start_in_days)
    window = create_availability(
        gp,
        AvailabilityInput(
            earliest_start=start,
            latest_end=start + timedelta(days=400),
            months=6,
            specialty_ids=tuple(specialty(c).id for c in specialty_codes),
            trust_ids=tuple(factories.trust(c).id for c in trust_codes),
        ),
        actor=gp.user,
    )
    db.session.commit()
    return window


def test_trust_staff_hear_of_gps_who_become_available_in_their_specialties(ctx):
    bergen_staff = factories.make_user("trust", trust_code="helse-bergen")
    subscribe(bergen_staff, topic="availabilities")  # the trust's departments' specialties
    stavanger_staff = factories.make_user("trust", trust_code="helse-stavanger")
    subscribe(stavanger_staff, topic="availabilities")
    nord_staff = factories.make_user("trust", trust_code="unn")
    subscribe(nord_staff, topic="availabilities")
    bergen_specialty = factories.department("helse-bergen").specialty.code

    gp = factories.make_gp(name="Kari Hemmelig")
    register_window(gp, [bergen_specialty], trust_codes=["helse-bergen"])
    [alert] = notifications_of(bergen_staff)
    assert alert.kind == "availability_registered"
    assert "Kari Hemmelig" not in alert.subject + alert.body  # never named
    assert gp.municipality.name in alert.body
    assert notifications_of(stavanger_staff) == []  # not wished
    assert notifications_of(nord_staff) == []


def test_any_trust_in_the_region_when_the_gp_lists_none(ctx):
    stavanger_staff = factories.make_user("trust", trust_code="helse-stavanger")
    code = factories.department("helse-stavanger").specialty.code
    subscribe(stavanger_staff, topic="availabilities", specialty_ids=[specialty(code).id])
    nord_staff = factories.make_user("trust", trust_code="unn")
    subscribe(nord_staff, topic="availabilities")
    register_window(factories.make_gp(), [code])  # a GP in Bergen: Helse Vest
    assert len(notifications_of(stavanger_staff)) == 1
    assert notifications_of(nord_staff) == []


def test_no_alert_for_another_specialty_or_beyond_the_horizon(ctx):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    wanted = factories.department("helse-bergen").specialty
    other = db.session.scalar(sa.select(Specialty).where(Specialty.id != wanted.id))
    subscribe(staff, topic="availabilities", specialty_ids=[wanted.id])
    register_window(factories.make_gp(), [other.code])
    subscription = db.session.scalar(sa.select(Subscription))
    subscription.horizon_months = 1
    db.session.commit()
    register_window(factories.make_gp(), [wanted.code], start_in_days=90)
    assert notifications_of(staff) == []


def offered(days_left: int):
    gp = factories.make_gp()
    period = factories.make_period()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    match = factories.make_proposal(period, gp)
    lifecycle.offer(match, accept_by=local_today() + timedelta(days=days_left), actor=staff)
    db.session.commit()
    return match


def test_a_reminder_three_days_before_the_deadline_once(ctx, app):
    soon = offered(3)
    later = offered(4)
    assert remind_offers(local_today()) == 1
    db.session.commit()
    [reminder] = [n for n in notifications_of(soon.gp.user) if n.kind == "offer_reminder"]
    assert "Reminder" in reminder.subject or "Påminning" in reminder.subject or reminder.subject
    assert reminder.link == "/my/matches"
    assert not [n for n in notifications_of(later.gp.user) if n.kind == "offer_reminder"]
    assert remind_offers(local_today()) == 0  # a second run reminds nobody twice
    assert offer_reminders(app) == "0 offer reminders"
    result = app.test_cli_runner().invoke(
        args=["notifications", "remind", "--as-of", (local_today() + timedelta(days=1)).isoformat()]
    )
    assert result.exit_code == 0 and "Queued 1 offer reminders" in result.output  # the later one


def test_the_trust_gets_the_advert_text_when_a_period_goes_to_advertising(ctx, travel):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    period = factories.make_period()
    later = period.advertise_after.date() + timedelta(days=1)
    travel(days=(later - local_today()).days)
    execute(RunRequest(as_of=later))
    db.session.refresh(period)
    assert period.status == "advertised"
    [message] = [n for n in notifications_of(staff) if n.kind == "period_advertised"]
    assert "Lege i spesialisering i allmennmedisin (ALIS)" in message.body  # the advert itself
    assert f"http://127.0.0.1:5000/vacancies/{period.id}" in message.body  # absolute, from a job
    assert message.link == f"/periods/{period.id}/advert"


def test_the_scheduler_delivers_every_minute_and_reminds_every_morning(app):
    scheduler = build_scheduler(app)
    outbox = scheduler.get_job("outbox")
    assert outbox.trigger.interval == timedelta(minutes=1)
    assert outbox.max_instances == 1 and outbox.coalesce
    reminders = scheduler.get_job("offer-reminders")
    assert str(reminders.trigger) == "cron[hour='8', minute='0']"


def test_trust_staff_hear_again_when_a_paused_window_resumes(ctx):
    from app.lifecycle import set_availability_status

    staff = factories.make_user("trust", trust_code="helse-bergen")
    subscribe(staff, topic="availabilities")
    gp = factories.make_gp()
    window = register_window(
        gp, [factories.department("helse-bergen").specialty.code], trust_codes=["helse-bergen"]
    )
    set_availability_status(window, "pause", actor=gp.user)
    db.session.commit()
    assert len(notifications_of(staff)) == 1
    set_availability_status(window, "resume", actor=gp.user)
    db.session.commit()
    assert [n.kind for n in notifications_of(staff)] == ["availability_registered"] * 2
