"""The trust's pages: the start page begins with what to do now (offers to send, offers near
their deadline, hirings to record, periods near ordinary advertising), one row per task that
links to its period; a period's status and its match are worded alike; an advertised period
does not promise a nightly matching; the advert text has a copy button that needs JS."""

from datetime import UTC, datetime, timedelta

import pytest

from app import lifecycle
from app.dates import local_today
from app.extensions import db
from app.security import CSP

from . import factories
from .a11y import problems
from .conftest import Browser

TODAY = local_today()


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:1500]
    html = response.get_data(as_text=True)
    assert problems(html) == [], problems(html)
    return html


def section(html: str, heading_id: str) -> str:
    """The HTML from the heading with ``heading_id`` to the next heading of its level."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("<h3", start + 1)
    return html[start : end if end != -1 else html.index("</section>", start)]


def row_link(period) -> str:
    return f'<th scope="row"><a href="/periods/{period.id}">'


def offered(period, gp, staff, days):
    match = factories.make_proposal(period, gp)
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=days), actor=staff)
    db.session.commit()
    return match


@pytest.fixture
def trust_world(ctx):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    start = TODAY + timedelta(days=60)
    periods = {
        name: factories.make_period(start=start)
        for name in (
            "to_offer",
            "deadline_near",
            "deadline_far",
            "to_hire",
            "fallback_near",
            "fallback_far",
        )
    }
    gps = {name: factories.make_gp(name=f"Lege {name}") for name in periods}
    factories.make_proposal(periods["to_offer"], gps["to_offer"])
    offered(periods["deadline_near"], gps["deadline_near"], staff, 2)
    offered(periods["deadline_far"], gps["deadline_far"], staff, 20)
    placed = offered(periods["to_hire"], gps["to_hire"], staff, 5)
    lifecycle.accept(placed, actor=gps["to_hire"].user)
    now = datetime.now(UTC)
    periods["fallback_near"].advertise_after = now + timedelta(days=5)
    periods["fallback_far"].advertise_after = now + timedelta(days=40)
    elsewhere = factories.make_period("helse-stavanger")
    elsewhere.advertise_after = now + timedelta(days=2)
    db.session.commit()
    return {"staff": staff, "periods": periods, "elsewhere": elsewhere}


def test_the_trust_dashboard_starts_with_what_to_do_now(trust_world, client):
    periods = trust_world["periods"]
    assert Browser(client).login(trust_world["staff"].email).status_code == 302
    html = page(client, "/dashboard")
    main = html[html.index("<main") :]
    assert main.index('id="todo-title"') < main.index('id="periods-title"')
    assert trust_world["staff"].email in main  # who is signed in
    todo = main[main.index('id="todo-title"') : main.index('id="periods-title"')]
    send = section(todo, "todo-offer")
    assert row_link(periods["to_offer"]) in send and "Lege to_offer" in send
    near = section(todo, "todo-deadline")
    assert row_link(periods["deadline_near"]) in near and "Lege deadline_near" in near
    assert f"/periods/{periods['deadline_far'].id}" not in todo
    hire = section(todo, "todo-hiring")
    assert row_link(periods["to_hire"]) in hire
    fallback = section(todo, "todo-fallback")
    assert row_link(periods["fallback_near"]) in fallback
    assert f'/periods/{periods["fallback_far"].id}"' not in fallback
    assert f'/periods/{trust_world["elsewhere"].id}"' not in main  # another trust's
    assert '<th scope="col">Helseforetak</th>' not in main  # one trust: no trust column


def test_nothing_to_do_says_so(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-fonna")
    Browser(client).login(staff.email)
    assert "Ingenting venter på deg nå." in page(client, "/dashboard")


def test_a_periods_status_follows_its_match(trust_world, client):
    periods = trust_world["periods"]
    Browser(client).login(trust_world["staff"].email)
    listing = page(client, "/periods")
    offer_row = listing[listing.index(f'/periods/{periods["deadline_near"].id}"') :]
    offer_row = offer_row[: offer_row.index("</tr>")]
    assert "tilbud sendt" in offer_row and "med forslag" not in offer_row
    detail = page(client, f"/periods/{periods['to_offer'].id}")
    status = detail[detail.index("<dt>Status</dt>") :]
    assert status[: status.index("</dd>")].endswith("foreslått og bekreftet")
    candidates = detail[detail.index('id="matches-title"') :]
    assert "foreslått og bekreftet" in candidates[: candidates.index("</table>")]


def test_an_advertised_period_does_not_promise_the_nightly_matching(ctx, client):
    staff = factories.make_user("trust", trust_code="helse-bergen")
    period = factories.make_period()
    factories.force_status(period, "advertised")
    Browser(client).login(staff.email)
    html = page(client, f"/periods/{period.id}")
    assert "hver natt" not in html and "lyst ut ordinært" in html
    advert = page(client, f"/periods/{period.id}/advert")
    # the text is selectable without JavaScript; the button waits hidden for the script
    assert '<textarea id="advert-text" readonly' in advert
    assert 'data-copy="advert-text"' in advert and "hidden>Kopier annonseteksten</button>" in advert
    assert '<script src="/static/js/copy.js" defer></script>' in advert
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    script = client.get("/static/js/copy.js")
    assert script.status_code == 200 and "button[data-copy]" in script.get_data(as_text=True)
    script.close()
