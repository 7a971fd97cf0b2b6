"""The coordinators' overview: the to-do list, the timeline, the waiting list in the policy's
order (the old Excel sheet) with filters and pages, the national summary, the figures that
the dashboard shows too, and region scope. Page text is read in bokmål (the default)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

import matching
from app import access, lottery
from app.coordination import counts
from app.coordination.overview import waiting_list, waiting_page
from app.coordination.policies import update_policy
from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.models import Availability, Department
from app.periods.services import PeriodInput

from . import factories
from .conftest import Browser

TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)


def psychiatry(trust_code="helse-bergen") -> Department:
    return next(
        d for d in factories.trust(trust_code).departments if d.specialty.code == "psychiatry"
    )


def period(trust_code="helse-bergen", *, published_days_ago=0, months=6):
    made = publish_period(
        PeriodInput(
            department_id=psychiatry(trust_code).id,
            start_date=START,
            end_date=add_months(START, months) - timedelta(days=1),
            source="parental_leave",
        ),
        actor=None,
        published_at=datetime.now(UTC) - timedelta(days=published_days_ago),
    )
    db.session.commit()
    return made


def waiting_gp(name, municipality="4601", trusts=(), months=6, **profile):
    gp = factories.make_gp(name=name, municipality_number=municipality, **profile)
    factories.make_window(
        gp,
        start=START - timedelta(days=10),
        specialties=["psychiatry"],
        trusts=trusts,
        months=months,
    )
    return gp


def login_coordinator(client, region="helse-vest"):
    user = factories.make_user("coordinator", region_code=region)
    Browser(client).login(user.email)
    return user


def waiting_rows(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


def order_in(page: str, names: list[str]) -> list[str]:
    section = waiting_rows(page)
    return sorted(names, key=section.index)


def figures_of(page: str) -> dict[str, int]:
    """The figures list of a page: {data-figure: number}."""
    found = re.findall(r'data-figure="([a-z-]+)"><span class="figure">(\d+)</span>', page)
    return {name: int(n) for name, n in found}


# ---- the waiting list


def test_waiting_list_follows_the_policy_order(ctx, client):
    waiting_gp("Anne Kurs", months_general_practice=50, courses_completed=5)
    waiting_gp("Bjørn Lang", months_general_practice=60, courses_completed=0)
    waiting_gp("Cato Kort", months_general_practice=50, courses_completed=1)
    waiting_gp("Oslo Lege", municipality="0301", months_general_practice=90)
    login_coordinator(client)
    page = client.get("/coordination/waiting").get_data(as_text=True)
    assert order_in(page, ["Anne Kurs", "Bjørn Lang", "Cato Kort"]) == [
        "Bjørn Lang",
        "Anne Kurs",
        "Cato Kort",
    ]
    assert "Oslo Lege" not in waiting_rows(page)  # seeks service in another region


def test_registration_time_first_puts_the_earliest_registration_first(ctx):
    region = factories.region("helse-vest")
    update_policy(
        region.policy, {"priority": ["registered_at", "lottery"]}, reason="VV-modell", actor=None
    )
    late = waiting_gp("Sein Registrert", months_general_practice=100)
    early = waiting_gp("Tidleg Registrert", months_general_practice=40)
    early.registered_at = datetime.now(UTC) - timedelta(days=300)
    late.registered_at = datetime.now(UTC) - timedelta(days=10)
    db.session.commit()
    entries = waiting_list(region, TODAY)
    assert [e.gp.name for e in entries] == ["Tidleg Registrert", "Sein Registrert"]
    seed = lottery.seed_for(region, TODAY)
    assert entries[0].lottery == matching.lottery_number(seed, str(early.id))


def test_lottery_breaks_ties_like_the_run(ctx):
    region = factories.region("helse-vest")
    gps = [waiting_gp(f"Lik {i}") for i in range(4)]
    same = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for gp in gps:  # identical on every key but the lottery
        gp.registered_at = same
    db.session.commit()
    seed = lottery.seed_for(region, TODAY)
    expected = sorted(gps, key=lambda g: matching.lottery_number(seed, str(g.id)))
    assert [e.gp.id for e in waiting_list(region, TODAY)] == [g.id for g in expected]


def test_below_minimum_months_is_marked(ctx, client):
    waiting_gp("Fersk Lege", months_general_practice=10)
    login_coordinator(client)
    rows = waiting_rows(client.get("/coordination/waiting").get_data(as_text=True))
    assert "Fersk Lege" in rows and "under minste antall måneder" in rows


def test_the_waiting_list_pages_keep_each_place(ctx, client):
    for i in range(27):
        waiting_gp(f"Lege {i:02d}", months_general_practice=100 - i)
    login_coordinator(client)
    second = client.get("/coordination/waiting?page=2").get_data(as_text=True)
    rows = waiting_rows(second)
    assert "Lege 25" in rows and "Lege 26" in rows and "Lege 00" not in rows
    assert "<td>26</td>" in rows  # the place on the whole list, not on the page
    assert 'rel="prev"' in second


def test_the_waiting_list_filters_and_sorts(ctx, client):
    region = factories.region("helse-vest")
    waiting_gp("Åse Venter", months_general_practice=80)
    matched = waiting_gp("Berit Matchet", months_general_practice=90)
    waiting_gp("Carl Fersk", months_general_practice=5)
    factories.make_proposal(period(), matched)
    by_state = {
        state: [e.gp.name for e in waiting_page(region, TODAY, state=state).entries]
        for state in ("waiting", "matched", "below_minimum")
    }
    assert by_state == {
        "waiting": ["Åse Venter", "Carl Fersk"],
        "matched": ["Berit Matchet"],
        "below_minimum": ["Carl Fersk"],
    }
    named = waiting_page(region, TODAY, sort="name")
    assert [e.gp.name for e in named.entries] == ["Berit Matchet", "Carl Fersk", "Åse Venter"]
    assert [e.position for e in named.entries] == [1, 3, 2]
    found = waiting_page(region, TODAY, name="  venter ")
    assert [e.gp.name for e in found.entries] == ["Åse Venter"] and found.everyone == 3
    login_coordinator(client)
    page = client.get("/coordination/waiting?state=matched").get_data(as_text=True)
    assert "Berit Matchet" in waiting_rows(page) and "Åse Venter" not in waiting_rows(page)
    bad = client.get("/coordination/waiting?specialty=x&state=nothing&sort=up")
    assert bad.status_code == 422 and bad.get_data(as_text=True).count('aria-invalid="true"') == 3


def test_waiting_windows_is_the_query_form_of_the_seeking_region(ctx):
    """counts.waiting_windows in SQL says what access.seeking_region_id says in Python."""
    vest, sor_ost = factories.region("helse-vest"), factories.region("helse-sor-ost")
    waiting_gp("Hjemme Vest")  # no trust wishes: home region
    waiting_gp("Vest Mot Oslo", trusts=["ahus"])  # home in Vest, seeks Sør-Øst
    waiting_gp("Oslo Mot Vest", municipality="0301", trusts=["helse-bergen", "ahus"])
    waiting_gp("Oslo Hjemme", municipality="0301")
    for region in (vest, sor_ost):
        in_sql = {w.gp.name for w in db.session.scalars(counts.waiting_windows([region.id])).all()}
        in_python = {
            w.gp.name
            for w in db.session.scalars(db.select(Availability)).all()
            if w.status == "active" and access.seeking_region_id(w.gp, w) == region.id
        }
        assert in_sql == in_python
    assert {"Hjemme Vest", "Oslo Mot Vest"} <= {
        w.gp.name for w in db.session.scalars(counts.waiting_windows([vest.id]))
    }


# ---- the overview: figures, to-do list, timeline


def _a_region_with_something_of_everything():
    fresh = period()
    matched = period("helse-stavanger")
    filled = period("helse-fonna")
    advertised = period("helse-forde")
    factories.force_status(advertised, "advertised")
    near = period("helse-bergen", published_days_ago=55)
    gps = [waiting_gp(f"Figur {i}", months_general_practice=60) for i in range(3)]
    factories.make_proposal(matched, gps[0], confirmed=False)
    placed = factories.make_proposal(filled, gps[1], status="offered", accept_by=START)
    factories.force_status(placed, "accepted")
    factories.force_status(filled, "filled")
    waiting_gp("Vest Mot Oslo", trusts=["ahus"])  # home here, counted in Sør-Øst
    waiting_gp("Oslo Lege", municipality="0301")
    return fresh, near


def test_the_dashboard_and_the_overview_show_the_same_figures(ctx, client):
    _a_region_with_something_of_everything()
    login_coordinator(client)
    overview = figures_of(client.get("/coordination/").get_data(as_text=True))
    dashboard = figures_of(client.get("/dashboard").get_data(as_text=True))
    shared = {k: v for k, v in dashboard.items() if k in overview}
    assert shared == overview
    # the demo-free region: 2 open (fresh, near), 1 matched, 1 filled, 1 advertised
    assert overview == {
        "open": 2,
        "matched": 1,
        "filled": 1,
        "advertised": 1,
        "waiting": 3,  # Figur 0-2; the GP who seeks Sør-Øst is on that region's list
        "live": 2,
    }
    assert dashboard["to-confirm"] == 1 and dashboard["near-fallback"] == 1


def test_a_national_coordinator_lands_on_the_summary_of_every_region(ctx, client):
    _a_region_with_something_of_everything()
    user = factories.make_user("coordinator")
    Browser(client).login(user.email)
    page = client.get("/coordination/").get_data(as_text=True)
    assert "Alle regioner" in page
    for code in ("helse-vest", "helse-sor-ost", "helse-nord", "helse-midt"):
        assert f'href="/coordination/?region={code}"' in page
    vest_row = page.split('href="/coordination/?region=helse-vest">')[-1].split("</tr>")[0]
    assert re.findall(r"<td>(?:<a [^>]+>)?(\d+)", vest_row)[:5] == ["2", "1", "1", "1", "3"]
    # the national dashboard shows the summary's totals
    dashboard = figures_of(client.get("/dashboard").get_data(as_text=True))
    total = figures_of(page)
    assert {k: v for k, v in dashboard.items() if k in total} == total
    assert total["waiting"] == 5  # every region's list
    region_page = client.get("/coordination/?region=helse-sor-ost").get_data(as_text=True)
    assert 'aria-current="page">Helse Sør-Øst' in region_page
    waiting = client.get("/coordination/waiting?region=helse-sor-ost").get_data(as_text=True)
    assert "Oslo Lege" in waiting_rows(waiting) and "Vest Mot Oslo" in waiting_rows(waiting)
    assert client.get("/coordination/?region=nowhere").status_code == 404


def test_the_to_do_list_shows_what_waits(ctx, client):
    fresh, near = _a_region_with_something_of_everything()
    gp = waiting_gp("Svar Snart", months_general_practice=70)
    offer = factories.make_proposal(
        fresh, gp, status="offered", accept_by=TODAY + timedelta(days=2)
    )
    assert offer.status == "offered"
    login_coordinator(client)
    page = client.get("/coordination/").get_data(as_text=True)
    todo = page.split('id="todo-title"')[1].split('id="timeline-title"')[0]
    to_confirm = todo.split('id="pending-title"')[1].split('id="near-title"')[0]
    assert "Figur 0" in to_confirm and "Bekreft" in to_confirm
    near_part = todo.split('id="near-title"')[1].split('id="offers-title"')[0]
    assert "lyses ut om" in near_part and f"period_id={near.id}" in near_part
    offers = todo.split('id="offers-title"')[1].split('id="parked-title"')[0]
    assert "Svar Snart" in offers


def test_the_timeline_draws_periods_and_the_gps_who_fit(ctx, client):
    target = period(months=6)
    waiting_gp("Passer Fint", months_general_practice=60)
    waiting_gp("For Kort", months_general_practice=60, months=12)  # wants 12, period has 6
    waiting_gp("Feil Helseforetak", months_general_practice=60, trusts=["helse-fonna"])
    login_coordinator(client)
    page = client.get("/coordination/").get_data(as_text=True)
    chart = page.split(f'id="trust-{target.department.trust_id}"')[1].split("</section>")[0]
    assert '<svg class="timeline"' in chart and 'role="img"' in chart
    assert 'class="tl-period tl-open"' in chart and 'class="tl-fallback"' in chart
    figure, table = chart.split("<details")
    assert "Passer Fint" in figure and "Passer Fint" in table
    for unfit in ("For Kort", "Feil Helseforetak"):
        assert unfit not in chart
    assert 'class="tl-link"' not in figure  # no proposal yet


def test_a_proposal_is_drawn_as_a_link(ctx, client):
    target = period()
    gp = waiting_gp("Foreslått Lege", months_general_practice=60)
    factories.make_proposal(target, gp)
    login_coordinator(client)
    page = client.get("/coordination/").get_data(as_text=True)
    chart = page.split(f'id="trust-{target.department.trust_id}"')[1].split("</section>")[0]
    assert 'class="tl-link"' in chart and "tl-match tl-match-proposed" in chart
    assert "Foreslått Lege" in chart.split("<details")[0]


@pytest.mark.parametrize("region", ["helse-sor-ost", "helse-nord"])
def test_a_regional_coordinator_sees_only_their_region(ctx, client, region):
    login_coordinator(client)
    assert client.get(f"/coordination/?region={region}").status_code == 404
    assert client.get(f"/coordination/waiting?region={region}").status_code == 404
    page = client.get("/coordination/").get_data(as_text=True)
    assert "Helse Vest" in page and 'href="/coordination/?region=' not in page


def test_the_gp_page_shows_window_wishes_and_declared_measures(ctx, client):
    waiting_gp("Først I Køen", months_general_practice=99)
    gp = waiting_gp("Andre I Køen", trusts=["helse-stavanger"], months_general_practice=70)
    login_coordinator(client)
    page = client.get(f"/gps/{gp.id}").get_data(as_text=True)
    window = page.split('id="window-title"')[1].split("</section>")[0]
    assert "Helse Stavanger" in window and "Psykiatri" in window
    assert "nummer 2 av 2 i Helse Vest" in window
    progress = page.split('id="progress-title"')[1].split("</section>")[0]
    assert progress.count("oppgitt") >= 4  # every measure is the GP's own declaration
