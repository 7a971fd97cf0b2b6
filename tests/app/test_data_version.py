"""The version of the matching data (app/data_version.py): a commit that changes what the
engine reads draws a new token, one that changes only accounts, messages or records keeps it,
a rollback puts the old one back; and what the overview keeps per version follows every
change at once."""

from datetime import timedelta

import sqlalchemy as sa

from app import data_version
from app.announce.core import notify
from app.extensions import db
from app.models import Availability, DataVersion

from . import factories
from .statements import recorded
from .test_coordination_overview import login_coordinator, period, waiting_gp


def test_a_commit_that_changes_matching_data_draws_a_new_token(ctx):
    before = data_version.current()
    assert before is not None and len(before) == 32
    gp = factories.make_gp()  # commits
    after = data_version.current()
    assert after not in (None, before)
    # a bulk UPDATE statement counts as well as a flushed object
    db.session.execute(sa.update(Availability).where(Availability.gp_id == gp.id).values(months=6))
    db.session.commit()
    assert data_version.current() != after


def test_messages_and_accounts_keep_the_token(ctx):
    user = factories.make_user("coordinator", region_code="helse-vest")
    before = data_version.current()
    notify(user, "test", subject="Emne", body="Tekst")
    user.email = "ny.adresse@example.no"
    db.session.commit()
    assert data_version.current() == before


def test_uncommitted_changes_skip_the_cache_and_a_rollback_restores_the_token(ctx):
    before = data_version.current()
    gp = factories.make_gp()
    token = data_version.current()
    gp.months_general_practice = 99
    db.session.flush()
    # this session changed matching data: nothing computed before applies to it
    assert data_version.current() is None
    db.session.rollback()
    assert data_version.current() == token != before


def test_the_cache_keeps_a_value_per_version(ctx):
    cache = data_version.VersionedCache(size=2)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get(("k",), compute) == 1
    assert cache.get(("k",), compute) == 1  # same data: kept
    factories.make_gp()
    assert cache.get(("k",), compute) == 2  # the data changed
    assert cache.get(("other",), compute) == 3
    assert cache.get(("third",), compute) == 4  # the oldest key is dropped (size 2)
    assert cache.get(("k",), compute) == 5
    assert db.session.get(DataVersion, data_version.MATCHING) is not None


def _timeline(client, query: str = "") -> str:
    page = client.get(f"/coordination/{query}").get_data(as_text=True)
    return page.split('id="timeline-title"')[1]


def test_the_overview_sees_every_change_at_once(ctx, client):
    target = period(months=6)
    waiting_gp("Først Her", months_general_practice=60)
    login_coordinator(client)
    assert "Først Her" in _timeline(client)
    # a second view computes nothing about who fits again
    with recorded() as statements:
        assert "Først Her" in _timeline(client)
    assert not [s for s in statements if "FROM forbids" in s]
    # a GP who registers later is there on the next view
    late = waiting_gp("Kom Senere", months_general_practice=61)
    assert "Kom Senere" in _timeline(client)
    # and one whose window no longer fits (changed by a bulk statement) is gone
    db.session.execute(
        sa.update(Availability)
        .where(Availability.gp_id == late.id)
        .values(latest_end=target.start_date + timedelta(days=10))
    )
    db.session.commit()
    timeline = _timeline(client)
    assert "Først Her" in timeline and "Kom Senere" not in timeline


def test_the_timeline_shows_one_trust_at_a_time(ctx, client):
    bergen = period("helse-bergen")
    stavanger = period("helse-stavanger")
    waiting_gp("Passer Begge", months_general_practice=60)
    login_coordinator(client)
    first = _timeline(client)
    assert f'id="trust-{bergen.department.trust_id}"' in first
    assert f'id="trust-{stavanger.department.trust_id}"' not in first
    nav = first.split("<nav")[1].split("</nav>")[0]
    assert 'aria-current="page">Helse Bergen' in nav
    assert "trust=helse-stavanger" in nav and "(1 periode)" in nav
    chosen = _timeline(client, "?trust=helse-stavanger")
    assert f'id="trust-{stavanger.department.trust_id}"' in chosen
    assert f'id="trust-{bergen.department.trust_id}"' not in chosen
    assert "Passer Begge" in chosen
    # a code that is not one of the region's trusts shows the first
    assert f'id="trust-{bergen.department.trust_id}"' in _timeline(client, "?trust=ahus")


def test_a_gps_place_on_the_list_follows_a_new_registration(ctx, client):
    gp = waiting_gp("Min Plass", months_general_practice=50)
    login_coordinator(client)
    assert "nummer 1 av 1 i Helse Vest" in client.get(f"/gps/{gp.id}").get_data(as_text=True)
    waiting_gp("Foran Meg", months_general_practice=90)
    assert "nummer 2 av 2 i Helse Vest" in client.get(f"/gps/{gp.id}").get_data(as_text=True)


def test_the_statistics_follow_a_new_period_and_a_run(ctx, client):
    from app.dates import local_today
    from app.statistics.services import Span, figures

    today = local_today()
    span = Span.ending(today, 1)
    before = figures(None, span, today).total("published")
    assert figures(None, span, today).total("published") == before  # kept
    factories.make_period()
    assert figures(None, span, today).total("published") == before + 1
    page = client.get("/statistics").get_data(as_text=True)
    assert page == client.get("/statistics").get_data(as_text=True)
