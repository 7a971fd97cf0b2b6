"""The database itself guards the invariants: these tests go around the Python checks
with plain SQL and expect the database to refuse."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.dates import local_today
from app.extensions import db
from app.models import GP, Match, User

from . import factories


def sql(statement: str, **params):
    return db.session.execute(sa.text(statement), params)


def refused(statement: str, **params):
    """Run ``statement`` in a savepoint and assert the database refuses it."""
    with pytest.raises(IntegrityError), db.session.begin_nested():
        sql(statement, **params)


def stamp() -> datetime:
    """Now, as the backend stores it (SQLite: naive UTC)."""
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else now


def insert_match(period_id, gp_id, status="proposed", accept_by=None):
    now = stamp()
    sql(
        "INSERT INTO matches (period_id, gp_id, status, source, pinned, created_at, updated_at,"
        " accept_by) VALUES (:p, :g, :s, 'solver', false, :now, :now, :ab)",
        p=period_id,
        g=gp_id,
        s=status,
        now=now,
        ab=accept_by,
    )


@pytest.fixture
def two_gps_two_periods(ctx):
    gps = [factories.make_gp(), factories.make_gp()]
    periods = [factories.make_period(), factories.make_period()]
    return gps, periods


def test_a_period_cannot_have_two_live_matches(two_gps_two_periods):
    (g1, g2), (p1, _p2) = two_gps_two_periods
    insert_match(p1.id, g1.id)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        insert_match(p1.id, g2.id, status="offered", accept_by=local_today())


def test_a_gp_cannot_have_two_live_matches(two_gps_two_periods):
    (g1, _g2), (p1, p2) = two_gps_two_periods
    insert_match(p1.id, g1.id, status="accepted")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        insert_match(p2.id, g1.id)


def test_ended_matches_do_not_block_new_ones(two_gps_two_periods):
    (g1, g2), (p1, _p2) = two_gps_two_periods
    for status in ("declined", "expired", "cancelled"):
        insert_match(p1.id, g1.id, status=status)
    insert_match(p1.id, g2.id)
    insert_match(p1.id, g1.id, status="cancelled")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 5


def test_orm_double_booking_is_refused_too(two_gps_two_periods):
    (g1, g2), (p1, _p2) = two_gps_two_periods
    db.session.add(Match(period_id=p1.id, gp_id=g1.id))  # proposed
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Match(period_id=p1.id, gp_id=g2.id))
        db.session.flush()


def test_offer_needs_a_deadline(two_gps_two_periods):
    (g1, _g2), (p1, _p2) = two_gps_two_periods
    with pytest.raises(IntegrityError), db.session.begin_nested():
        insert_match(p1.id, g1.id, status="offered", accept_by=None)


@pytest.mark.parametrize(
    "column, value",
    [("status", "'booked'"), ("source", "'magic'")],
)
def test_match_codes_are_checked(two_gps_two_periods, column, value):
    (g1, _g2), (p1, _p2) = two_gps_two_periods
    insert_match(p1.id, g1.id, status="cancelled")
    match_id = sql("SELECT max(id) FROM matches").scalar()
    refused(f"UPDATE matches SET {column} = {value} WHERE id = :id", id=match_id)


def test_period_dates_and_status_are_checked(ctx):
    period = factories.make_period()
    refused("UPDATE periods SET end_date = start_date WHERE id = :id", id=period.id)
    refused("UPDATE periods SET status = 'sold' WHERE id = :id", id=period.id)
    refused("UPDATE periods SET source = 'whim' WHERE id = :id", id=period.id)


def test_foreign_keys_are_enforced(ctx):
    period = factories.make_period()
    refused("UPDATE periods SET department_id = 999999 WHERE id = :id", id=period.id)


def test_availability_rules(ctx):
    gp = factories.make_gp()
    today = local_today()
    base = (
        "INSERT INTO availabilities (gp_id, earliest_start, latest_end, months,"
        " accept_other_specialty, status, created_at, updated_at)"
        " VALUES (:g, :s, :e, :m, false, :st, :now, :now)"
    )
    now = stamp()
    later = today + timedelta(days=400)
    sql(base, g=gp.id, s=today, e=later, m=6, st="active", now=now)
    # one current window per GP
    refused(base, g=gp.id, s=today, e=later, m=6, st="paused", now=now)
    sql(base, g=gp.id, s=today, e=later, m=6, st="withdrawn", now=now)
    refused(base, g=gp.id, s=later, e=today, m=6, st="withdrawn", now=now)
    refused(base, g=gp.id, s=today, e=later, m=2, st="withdrawn", now=now)


def test_user_rules(ctx):
    user = factories.make_user("trust", trust_code="helse-bergen")
    refused("UPDATE users SET email = 'Upper@Example.no' WHERE id = :id", id=user.id)
    refused("UPDATE users SET trust_id = NULL WHERE id = :id", id=user.id)
    refused("UPDATE users SET role = 'superuser' WHERE id = :id", id=user.id)
    other = factories.make_user("admin")
    refused("UPDATE users SET email = :e WHERE id = :id", e=user.email, id=other.id)
    assert db.session.get(User, user.id).email == user.email


def test_gp_rules(ctx):
    gp = factories.make_gp()
    refused("UPDATE gps SET hpr_number = '123' WHERE id = :id", id=gp.id)
    refused("UPDATE gps SET months_general_practice = -1 WHERE id = :id", id=gp.id)
    refused("UPDATE gps SET scheme = 'odd' WHERE id = :id", id=gp.id)
    other = factories.make_gp()
    refused("UPDATE gps SET hpr_number = :h WHERE id = :id", h=gp.hpr_number, id=other.id)
    assert db.session.get(GP, gp.id).hpr_number == gp.hpr_number


def test_policy_belongs_to_region_or_trust_not_both(ctx):
    bergen = factories.trust("helse-bergen")
    refused(
        "UPDATE policies SET trust_id = :t WHERE region_id = :r",
        t=bergen.id,
        r=bergen.region_id,
    )
    refused("UPDATE policies SET mode = 'chaos' WHERE region_id = :r", r=bergen.region_id)


def test_forbid_pairs_are_unique(two_gps_two_periods):
    (g1, _g2), (p1, _p2) = two_gps_two_periods
    now = stamp()
    statement = (
        "INSERT INTO forbids (period_id, gp_id, reason, created_at) VALUES (:p, :g, 'x', :now)"
    )
    sql(statement, p=p1.id, g=g1.id, now=now)
    refused(statement, p=p1.id, g=g1.id, now=now)


def test_timestamps_come_back_aware(ctx):
    period = factories.make_period()
    db.session.expire_all()
    assert period.published_at.tzinfo is not None
    assert period.advertise_after > period.published_at


def test_municipality_role_endorsement_and_priority_are_guarded(ctx):
    """A municipality user has no trust or region; an endorsement names who and when or
    nothing; the municipality's priority is 1-9999; a scope row names a real municipality."""
    user = factories.make_user("municipality", municipality_numbers=["4601"])
    gp = factories.make_gp()
    window = factories.make_window(gp)
    refused("UPDATE users SET region_id = 1 WHERE id = :u", u=user.id)
    refused("UPDATE availabilities SET endorsed_by_id = :u WHERE id = :w", u=user.id, w=window.id)
    refused("UPDATE availabilities SET endorsed_at = :t WHERE id = :w", t=stamp(), w=window.id)
    sql(
        "UPDATE availabilities SET endorsed_at = :t, endorsed_by_id = :u WHERE id = :w",
        t=stamp(),
        u=user.id,
        w=window.id,
    )
    refused("UPDATE gps SET municipality_priority = 0 WHERE id = :g", g=gp.id)
    refused("UPDATE gps SET municipality_priority = 10000 WHERE id = :g", g=gp.id)
    sql("UPDATE gps SET municipality_priority = 1 WHERE id = :g", g=gp.id)
    refused(
        "INSERT INTO user_municipalities (user_id, municipality_id) VALUES (:u, 999999)",
        u=user.id,
    )
