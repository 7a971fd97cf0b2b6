"""Issue 18: a run stores what its page, the API and why-not show (blocking pairs as rows,
the other mode's outcome, the engine's reasons per GP), and they read it back with a fixed
number of queries, whatever the number of pairs or periods; nothing solves on a view."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

import matching
from app import lifecycle
from app.extensions import db
from app.models import MatchingRun, RunBlockingPair, RunGPReasons, RunRegion
from app.runs.services import RunRequest, execute

from . import factories
from .a11y import problems
from .apiutil import Api, error_of
from .conftest import Browser
from .statements import recorded
from .test_coordination_runs import START, TODAY, department, period


def waiting(name, months, specialties=("internal-medicine",)):
    gp = factories.make_gp(name=name, months_general_practice=months)
    factories.make_window(gp, start=START - timedelta(days=10), specialties=list(specialties))
    return gp


@pytest.fixture
def coordinator(ctx):
    return factories.make_user("coordinator", region_code="helse-vest")


def pinned(coordinator, seniors: int, specialty="internal-medicine"):
    """A period pinned to a junior GP, and ``seniors`` GPs of higher priority who want it:
    as many blocking pairs (cause pin)."""
    held = period(specialty)
    junior = waiting("Yngre Lege", 40, [specialty])
    for n in range(seniors):
        waiting(f"Eldre Lege {n}", 100 + n, [specialty])
    lifecycle.assign(held, junior, reason="Avtalt", actor=coordinator)
    db.session.commit()
    return held


def run(coordinator, *, dry_run=True):
    done = execute(RunRequest(TODAY, dry_run=dry_run, trigger="manual", actor=coordinator))
    db.session.commit()
    return done


def test_a_run_stores_its_pairs_trade_off_and_reasons(coordinator):
    held = pinned(coordinator, 3)
    done = run(coordinator)
    vest = factories.region("helse-vest")
    pairs = db.session.scalars(
        sa.select(RunBlockingPair).where(RunBlockingPair.run_id == done.id)
    ).all()
    assert len(pairs) == 3
    assert {(p.cause, p.period_id, p.department_id, p.region_id) for p in pairs} == {
        ("pin", held.id, held.department_id, vest.id)
    }
    assert {p.reason for p in pairs} == {"period_pinned"}
    region = db.session.scalar(sa.select(RunRegion).where(RunRegion.run_id == done.id))
    assert region.mode == "strict_priority" and region.alt_mode == "max_placements"
    assert not region.committed and held.id in region.period_ids
    reasons = db.session.scalars(
        sa.select(RunGPReasons).where(RunGPReasons.run_id == done.id)
    ).all()
    assert len(reasons) == region.gps
    assert {r.reasons.get(str(held.id)) for r in reasons} >= {"period_pinned"}
    # The summary keeps counts, not the pairs.
    counted = done.summary["regions"]["helse-vest"]
    assert counted["blocking_pairs_by_cause"] == {"pin": 3, "placed": 0, "department_capacity": 0}
    assert "blocking_pairs" not in counted


def test_a_committed_run_stores_the_other_mode_and_its_page_never_solves(
    coordinator, client, monkeypatch
):
    """The trade-off of a committed run is solved at run time; the page reads it."""
    period("psychiatry")
    period("paediatrics")
    waiting("Først Prioritert", 80, ["psychiatry", "paediatrics"])
    waiting("Andre Kandidat", 40, ["psychiatry"])
    done = run(coordinator, dry_run=False)
    assert done.summary["regions"]["helse-vest"]["alternative"] == {
        "mode": "max_placements",
        "placements": 2,
        "passed_over": 1,
    }

    def no_solving(*args, **kwargs):
        raise AssertionError("a page solved")

    monkeypatch.setattr(matching, "solve", no_solving)
    Browser(client).login(coordinator.email)
    page = client.get(f"/coordination/runs/{done.id}").get_data(as_text=True)
    assert "Det andre tildelingsprinsippet ville plassert 1 ALIS-lege til." in page


def page_queries(client, url) -> int:
    with recorded() as statements:
        response = client.get(url)
        assert response.status_code == 200
    return len(statements)


def test_the_run_page_groups_pairs_and_asks_as_much_for_few_as_for_many(
    coordinator, client, monkeypatch
):
    from app.coordination import run_view

    monkeypatch.setattr(run_view, "PAIRS_PER_PAGE", 4)
    held = pinned(coordinator, 1)
    few = run(coordinator)
    for n in range(9):
        waiting(f"Senior {n}", 200 + n)
    many = run(coordinator)
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(RunBlockingPair.run_id == many.id)) == 10
    )
    Browser(client).login(coordinator.email)
    group = f"?cause=pin&department={held.department_id}"
    counts = [
        page_queries(client, f"/coordination/runs/{r.id}{suffix}")
        for suffix in ("", group)
        for r in (few, many)
    ]
    assert counts[0] == counts[1] and counts[2] == counts[3], counts

    page = client.get(f"/coordination/runs/{many.id}").get_data(as_text=True)
    groups = page.split('id="why-helse-vest"')[1].split("</table>")[0]
    assert ">10</td>" in groups and department("internal-medicine").name in groups
    assert "Senior" not in groups  # the pairs wait for their group to be chosen
    first = client.get(f"/coordination/runs/{many.id}{group}").get_data(as_text=True)
    assert "Side 1 av 3" in first
    shown = first.split('id="group-helse-vest"')[1].split("</table>")[0]
    assert shown.count("<tr>") == 1 + 4  # the header and a page of pairs
    assert problems(page) == [] and problems(first) == []
    last = client.get(f"/coordination/runs/{many.id}{group}&page=3").get_data(as_text=True)
    shown = last.split('id="group-helse-vest"')[1].split("</table>")[0]
    assert shown.count("<tr>") == 1 + 2  # the header and the last two pairs
    # Nonsense in the arguments shows the groups, not an error.
    for bad in ("?cause=nope&department=1", "?cause=pin&department=x&page=-3", "?page=abc"):
        assert client.get(f"/coordination/runs/{many.id}{bad}").status_code == 200


def test_the_api_pages_and_filters_a_runs_blocking_pairs(coordinator, client):
    held = pinned(coordinator, 5)
    other = pinned(coordinator, 2, specialty="psychiatry")
    done = run(coordinator)
    api = Api.login(client, coordinator.email)
    url = f"/matching/runs/{done.id}/blocking-pairs"
    everything = api.get(url).get_json()
    assert everything["total"] == 7 and len(everything["items"]) == 7
    item = everything["items"][0]
    assert set(item) == {
        "region",
        "gp",
        "period",
        "department",
        "cause",
        "reason",
        "holder",
        "full_from",
    }
    assert item["region"] == "helse-vest" and item["cause"] == "pin"
    page = api.get(f"{url}?limit=2&offset=4").get_json()
    assert page["total"] == 7 and page["items"] == everything["items"][4:6]
    only = api.get(f"{url}?department={other.department_id}&cause=pin").get_json()
    assert only["total"] == 2 and {i["period"] for i in only["items"]} == {other.id}
    assert api.get(f"{url}?cause=placed").get_json() == {"items": [], "total": 0}
    assert api.get(f"{url}?region=helse-vest").get_json()["total"] == 7
    assert held.id in {i["period"] for i in everything["items"]}

    for bad in ("?cause=nope", "?limit=0", "?department=abc", "?offset=-1"):
        response = api.get(f"{url}{bad}")
        assert response.status_code == 422, bad
        assert error_of(response)["code"]
    # Outside the caller's scope: 404, as for the run itself.
    response = api.get(f"{url}?region=helse-nord")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert api.get("/matching/runs/424242/blocking-pairs").status_code == 404
    nord = Api.login(client, factories.make_user("coordinator", region_code="helse-nord").email)
    own = execute(
        RunRequest(
            TODAY,
            dry_run=True,
            actor=coordinator,
            region=factories.region("helse-vest"),
        )
    )
    db.session.commit()
    assert nord.get(f"/matching/runs/{own.id}/blocking-pairs").status_code == 404
    # A national run: the regional coordinator of another region sees none of its pairs.
    assert nord.get(f"{url}").get_json() == {"items": [], "total": 0}


def test_the_run_list_never_reads_pairs(coordinator, client):
    pinned(coordinator, 3)
    run(coordinator)
    Browser(client).login(coordinator.email)
    api = Api.login(client, coordinator.email)
    with recorded() as statements:
        assert client.get("/coordination/runs").status_code == 200
        listed = api.get("/matching/runs").get_json()
    assert not any("run_blocking_pairs" in s or "run_gp_reasons" in s for s in statements)
    counted = listed["items"][0]["summary"]["regions"]["helse-vest"]
    assert counted["blocking_pairs_by_cause"]["pin"] == 3


def test_why_not_asks_as_much_for_few_periods_as_for_many(coordinator, client):
    gp = waiting("Min Lege", 60, ["internal-medicine", "psychiatry", "paediatrics"])
    pinned(coordinator, 1)
    period("psychiatry")
    period("paediatrics")
    run(coordinator, dry_run=False)
    Browser(client).login(gp.user.email)
    api = Api.login(client, gp.user.email)
    few = (page_queries(client, "/my/why-not"), len(api.get("/me/explanations").get_json()))
    with recorded() as statements:
        api.get("/me/explanations")
    few_api = len(statements)
    for specialty in ("psychiatry", "paediatrics"):
        for trust in ("helse-stavanger", "helse-fonna", "helse-forde"):
            period(specialty, trust)
    pinned(coordinator, 2)
    run(coordinator, dry_run=False)
    many = page_queries(client, "/my/why-not")
    with recorded() as statements:
        api.get("/me/explanations")
    assert many == few[0] and len(statements) == few_api, (few, many, len(statements))
    page = client.get("/my/why-not").get_data(as_text=True)
    assert page.count("<tr") >= 9  # every period, in groups


def test_why_not_reads_the_stored_reasons_not_the_run_json(coordinator, client):
    gp = waiting("Min Lege", 60)
    pinned(coordinator, 0)
    done = run(coordinator, dry_run=False)
    row = db.session.scalar(
        sa.select(RunGPReasons).where(RunGPReasons.run_id == done.id, RunGPReasons.gp_id == gp.id)
    )
    assert row is not None
    Browser(client).login(gp.user.email)
    with recorded() as statements:
        assert client.get("/my/why-not").status_code == 200
    assert not any("matching_runs.problem" in s or "matching_runs.result" in s for s in statements)
    assert not any(
        "FROM matching_runs" in s and "ORDER BY matching_runs.id DESC" in s for s in statements
    )
    # A dry run is not what why-not explains.
    latest = db.session.scalar(sa.select(MatchingRun.id).order_by(MatchingRun.id.desc()))
    run(coordinator)
    assert db.session.scalar(sa.select(MatchingRun.id).order_by(MatchingRun.id.desc())) > latest
    from app.runs import records

    assert records.latest_solved(factories.region("helse-vest").id).run.id == done.id
