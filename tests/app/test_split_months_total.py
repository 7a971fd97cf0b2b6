"""Split placements, the months in all (issue 20 part 2, migration 0022): the database
refuses live matches of one GP whose periods' whole calendar months add up to more than
their window's months, counted as the app counts them (app.matches.blocks.block_months);
what the app allows still passes."""

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.dates import add_months, local_today, months_covered
from app.extensions import db
from app.lifecycle import publish_period
from app.lifecycle.transitions import fixture_writes
from app.matches.blocks import blocks_problem
from app.models import Match
from app.periods.services import PeriodInput

from . import factories
from .apiutil import Api, error_of

MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0022_split_months_total.py"
)
# Far enough ahead that every period starts in the future, whatever today is.
YEAR = local_today().year + 2


def migration():
    spec = importlib.util.spec_from_file_location("migration_0022", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def split_gp(months=6, split=True):
    gp = factories.make_gp()
    window = factories.make_window(
        gp, start=date(YEAR, 1, 1) - timedelta(days=5), months=months, accept_other=True
    )
    with fixture_writes():
        window.split_allowed = split
        window.latest_end = date(YEAR + 2, 12, 31)
    db.session.commit()
    return gp, window


def period(start: date, end: date):
    made = publish_period(
        PeriodInput(
            department_id=factories.department("helse-bergen").id,
            start_date=start,
            end_date=end,
            source="parental_leave",
            description="Test",
        ),
        actor=None,
    )
    db.session.commit()
    return made


def live_match(of, gp, slot=1, status="proposed"):
    with fixture_writes():
        match = Match(period=of, gp=gp, source="coordinator", slot=slot, status=status)
        db.session.add(match)
        db.session.flush()
    return match


def refused(message, write):
    with pytest.raises(sa.exc.IntegrityError) as error, db.session.begin_nested():
        write()
        db.session.flush()
    assert message in str(error.value)


# ---- the month counting


def test_the_databases_months_count_as_the_app_counts_them(ctx):
    """The migration's SQL counts the whole months of a period exactly as months_covered,
    over month ends, short months, leap years and year ends."""
    module = migration()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    months = module.SQLITE_MONTHS if sqlite else module.POSTGRESQL_MONTHS
    day = ":d" if sqlite else "CAST(:d AS DATE)"
    query = sa.text(
        f"SELECT {months} FROM (SELECT {day.replace(':d', ':s')} AS start_date,"
        f" {day.replace(':d', ':e')} AS end_date) p"
    )
    checked = 0
    for year in (YEAR, YEAR + 1):  # one of them a leap year
        for month in range(1, 13):
            for d in (1, 2, 15, 28, 29, 30, 31):
                try:
                    start = date(year, month, d)
                except ValueError:
                    continue
                for k in (0, 1, 2, 3, 6):
                    for delta in (-2, -1, 0, 1):
                        end = add_months(start, k) + timedelta(days=delta)
                        if end < start:
                            continue
                        found = db.session.execute(
                            query, {"s": start.isoformat(), "e": end.isoformat()}
                        ).scalar()
                        assert found == months_covered(start, end), (start, end)
                        checked += 1
    assert checked > 1500


# ---- the database


def test_the_database_refuses_blocks_longer_than_the_window_in_all(ctx):
    gp, window = split_gp(months=6)
    first = period(date(YEAR, 1, 1), date(YEAR, 3, 31))  # 3 months
    four = period(date(YEAR, 4, 1), date(YEAR, 7, 31))  # 4 months
    assert blocks_problem(window, [first, four]) == "blocks_too_long"  # the app's word
    live_match(first, gp)
    refused("live_blocks_too_long", lambda: live_match(four, gp, slot=2))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 1


def test_the_database_refuses_an_ended_block_that_becomes_live_again_too_long(ctx):
    gp, _ = split_gp(months=6)
    first = period(date(YEAR, 1, 1), date(YEAR, 3, 31))
    four = period(date(YEAR, 4, 1), date(YEAR, 7, 31))
    live_match(first, gp)
    ended = live_match(four, gp, slot=2, status="cancelled")  # ended: holds nothing

    def again():
        with fixture_writes():
            ended.status = "offered"
            ended.accept_by = date(YEAR - 1, 12, 1)

    refused("live_blocks_too_long", again)


def test_a_direct_sql_update_is_refused_too(ctx):
    """Not the ORM: a plain UPDATE that moves a live block to a longer period."""
    gp, _ = split_gp(months=6)
    first = period(date(YEAR, 1, 1), date(YEAR, 3, 31))
    second = period(date(YEAR, 4, 1), date(YEAR, 6, 30))
    longer = period(date(YEAR, 7, 1), date(YEAR, 10, 31))
    live_match(first, gp)
    block = live_match(second, gp, slot=2)
    refused(
        "live_blocks_too_long",
        lambda: db.session.execute(
            sa.text("UPDATE matches SET period_id = :p WHERE id = :id"),
            {"p": longer.id, "id": block.id},
        ),
    )


def test_what_the_app_allows_passes(ctx):
    """Exactly the window's months in two blocks over month ends (31 January to 30 April
    is 3 whole months as the app counts), each block's next steps, and a single period
    longer than a window without a split."""
    gp, window = split_gp(months=6)
    first = period(date(YEAR, 1, 31), date(YEAR, 4, 30))
    second = period(date(YEAR, 5, 1), date(YEAR, 7, 31))
    assert [months_covered(p.start_date, p.end_date) for p in (first, second)] == [3, 3]
    assert blocks_problem(window, [first, second]) is None
    one = live_match(first, gp)
    two = live_match(second, gp, slot=2)
    with fixture_writes():
        for match in (one, two):
            match.status = "offered"
            match.accept_by = date(YEAR - 1, 12, 1)
    db.session.flush()
    with fixture_writes():
        one.status = "accepted"
    db.session.flush()
    alone, _ = split_gp(months=6, split=False)
    live_match(period(date(YEAR, 1, 1), date(YEAR, 10, 31)), alone)  # 10 months, one match
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 3


def test_a_shorter_window_later_does_not_stop_a_live_blocks_next_step(ctx):
    """The total is checked when the GP's live periods change, not when a live block moves
    on (offered, accepted): a later window does not strand the blocks already held."""
    gp, window = split_gp(months=8)
    first = period(date(YEAR, 1, 1), date(YEAR, 3, 31))
    second = period(date(YEAR, 4, 1), date(YEAR, 8, 31))  # 3 + 5 = 8
    one = live_match(first, gp)
    live_match(second, gp, slot=2)
    with fixture_writes():
        window.months = 6  # the months shrink under live blocks (a fixture, not the app)
    db.session.flush()
    with fixture_writes():
        one.status = "offered"
        one.accept_by = date(YEAR - 1, 12, 1)
    db.session.flush()
    assert one.status == "offered"


def test_the_coordinator_hears_the_apps_word_before_the_database_refuses(ctx, client):
    """The API answers 409 split_blocks_too_long (the app checks first); no 500."""
    user = factories.make_user("coordinator", region_code="helse-vest")
    api = Api.login(client, user.email)
    gp, _ = split_gp(months=6)
    first = period(date(YEAR, 1, 1), date(YEAR, 3, 31))
    four = period(date(YEAR, 4, 1), date(YEAR, 7, 31))
    body = {"gp_id": gp.id, "reason": "3 + 3 i Bergen"}
    assert api.post("/matches", json={**body, "period_id": first.id}).status_code == 201
    response = api.post("/matches", json={**body, "period_id": four.id})
    assert response.status_code == 409 and error_of(response)["code"] == "split_blocks_too_long"
